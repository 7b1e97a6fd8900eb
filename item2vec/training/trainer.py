"""Training item2vec embeddings with gensim's Word2Vec, and writing them as a model folder.

This is the only product module that imports gensim; the query path never loads
it (importing gensim costs most of a second), it reads the exported vectors with
numpy instead (:mod:`item2vec.model.vectors`).
"""

import contextlib
import dataclasses
import logging
import math
import os
import platform
import signal
import sys
import tempfile
import time

import numpy as np

from ..model.vectors import unit_rows
from ..version import __version__
from .corpus import WEIGHTINGS, build_sentences, write_corpus

logger = logging.getLogger(__name__)

#: gensim's inner loop calls scipy's OpenBLAS, which picks its kernels by CPU when it
#: loads, and kernels round differently: the same seed gives other vectors on another
#: CPU. Haswell kernels (AVX2 + FMA) run on every x86-64 CPU since 2013 and are the ones
#: the shipped model was built with, so training pins them unless the user chose.
BLAS_CORETYPE = "Haswell"


def _scipy_blas_loaded():
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            return any("scipy.libs" in line and "openblas" in line for line in maps)
    except OSError:  # not Linux: cannot tell, assume it is too late
        return True


def pin_blas_kernels():
    """Ask OpenBLAS for :data:`BLAS_CORETYPE` kernels, if it can still be asked.

    Only sets ``OPENBLAS_CORETYPE`` when the user has not, the CPU is x86-64 with
    AVX2 and FMA, and scipy's OpenBLAS is not loaded yet (it reads the variable
    once, at load). Returns the kernel type in force for training, or ``None``
    when it is the CPU's own choice.
    """
    chosen = os.environ.get("OPENBLAS_CORETYPE")
    if chosen or platform.machine().lower() not in ("x86_64", "amd64"):
        return chosen
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            flags = next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), [])
        if {"avx2", "fma"} <= set(flags) and not _scipy_blas_loaded():
            os.environ["OPENBLAS_CORETYPE"] = BLAS_CORETYPE
            return BLAS_CORETYPE
    return None


# Importing this module pins the kernels, before anything can load scipy's BLAS.
pin_blas_kernels()


@dataclasses.dataclass
class TrainConfig:
    """Hyperparameters of one training run; the defaults build the shipped model.

    ``window=0`` would mean "the whole sentence" (every artist of a user in the
    context of every other one, item2vec's original set semantics); the tuned
    default is a finite window over the shuffled list instead (docs/METHOD.md).
    ``min_count`` counts *listeners* (distinct users), not tokens, so that
    play-count repetition cannot promote a one-listener artist into the vocabulary.
    """

    # Tuned on validation users only (benchmarks/tune.py, docs/EVALUATION.md).
    vector_size: int = 32
    window: int = 20
    shrink_windows: bool = False
    epochs: int = 10
    negative: int = 5
    ns_exponent: float = 0.0
    sample: float = 1e-4
    alpha: float = 0.05
    min_alpha: float = 0.0001
    min_count: int = 3
    weighting: str = "rank"
    max_repeat: int = 2
    seed: int = 0
    workers: int = 1
    # 8 members of negative=5 cost what 4 of negative=10 do and averaged better on
    # validation (docs/EVALUATION.md); one Word2Vec run on 1.9K short lists is noisy.
    members: int = 8

    def validate(self):
        """Raise ValueError with a readable message on an impossible setting."""
        checks = [
            (self.vector_size >= 1, "vector_size must be at least 1"),
            (self.window >= 0, "window must be 0 (whole list) or positive"),
            (self.epochs >= 1, "epochs must be at least 1"),
            (self.negative >= 1, "negative must be at least 1"),
            (self.sample >= 0, "sample must be non-negative"),
            (self.alpha > 0, "alpha must be positive"),
            (0 <= self.min_alpha <= self.alpha, "min_alpha must be between 0 and alpha"),
            (self.min_count >= 1, "min_count must be at least 1"),
            (self.weighting in WEIGHTINGS, f"weighting must be one of {', '.join(WEIGHTINGS)}"),
            (self.max_repeat >= 1, "max_repeat must be at least 1"),
            (self.workers >= 1, "workers must be at least 1"),
            (self.members >= 1, "members must be at least 1"),
            (np.isfinite(self.ns_exponent), "ns_exponent must be a finite number"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


@dataclasses.dataclass
class TrainedModel:
    """What a training run produced: vectors in artist-id order and the run's facts."""

    artist_ids: np.ndarray  # (n,) int64, sorted
    vectors: np.ndarray  # (n, d) float32, raw (not normalised) Word2Vec input vectors
    config: TrainConfig
    seconds: float
    n_sentences: int
    n_tokens: int
    streamed: bool = False  # trained from a corpus file (see :func:`~item2vec.training.corpus.write_corpus`)
    engine: str = "pandas"  # what built the corpus: "pandas" or "spark" (train_item2vec.py --engine)
    trainer: str = "gensim"  # what learnt the vectors: "gensim" or "mllib" (--trainer)
    trainer_settings: dict = dataclasses.field(default_factory=dict)  # e.g. MLlib's own parameters


def vocabulary(dataset, min_count):
    """Artist ids with at least ``min_count`` distinct listeners, sorted."""
    listeners = dataset.listeners(heard_only=True)
    return listeners.index[listeners >= min_count].to_numpy(dtype=np.int64)


#: ``train_item2vec.py`` streams the corpus from disk above this many (user, artist) rows.
STREAM_ABOVE_ROWS = 1_000_000


def train(dataset, config=None, progress=True, stream=False, tmp_dir=None, processes=None):
    """Train item2vec on a :class:`~item2vec.ingest.formats.Dataset`.

    Parameters
    ----------
    dataset : Dataset
    config : TrainConfig, optional
    progress : bool
        Show a tqdm bar advancing once per epoch (per finished member when bagging).
    stream : bool
        Write the corpus to a temporary file (:func:`~item2vec.training.corpus.write_corpus`) and train
        with gensim's ``corpus_file`` mode instead of holding every sentence in
        Python lists; memory then grows with the vocabulary, not the corpus.
        The result is as reproducible for a seed (with ``workers=1``) but not
        identical to the in-memory one: gensim draws its random numbers in
        another order in that mode.
    tmp_dir : str, optional
        Where the temporary corpus file goes (default: the system's).
    processes : int, optional
        With ``config.members`` > 1, how many member processes run at once
        (default and most: ``min(members, os.cpu_count())``). Does not change the result.

    With ``config.members == 1`` this is one Word2Vec run. With K > 1 (the default is 8) it
    trains K members, member i exactly as ``members=1`` with seed ``seed + i``, in
    parallel processes (:func:`_train_bag`), and returns their unit vectors side by side
    divided by sqrt(K): a cosine between two such rows is the members' mean cosine.

    Returns
    -------
    TrainedModel
    """
    config = config or TrainConfig()
    config.validate()
    if config.members > 1:
        return _train_bag(dataset, config, progress, stream, tmp_dir, processes)
    return _train_one(dataset, config, progress, stream, tmp_dir)


def check_vocabulary(n_artists, min_count):
    """ValueError unless at least two artists have ``min_count`` listeners (else nothing to embed)."""
    if n_artists < 2:
        raise ValueError(
            f"only {n_artists} artist(s) have at least {min_count} listeners; "
            f"lower min_count or use more data"
        )


def _train_one(dataset, config, progress, stream, tmp_dir):
    """One Word2Vec run (``config.members`` is not looked at)."""
    start = time.perf_counter()
    vocab = vocabulary(dataset, config.min_count)
    check_vocabulary(len(vocab), config.min_count)
    if stream:
        with tempfile.TemporaryDirectory(prefix="item2vec-corpus-", dir=tmp_dir) as folder:
            path = os.path.join(folder, "corpus.txt")
            counts = write_corpus(
                path, dataset.plays, vocab, config.weighting, config.max_repeat, config.seed
            )
            return train_corpus_file(path, counts, len(vocab), config, progress, stream=True, start=start)
    sentences = build_sentences(dataset.plays, vocab, config.weighting, config.max_repeat, config.seed)
    return _train_sentences(sentences, len(vocab), config, progress, start)


def train_corpus_file(path, counts, n_artists, config, progress=True, stream=True, start=None):
    """Train Word2Vec on a corpus file written elsewhere (one sentence per line, artist ids).

    The way the Spark engine hands its corpus to gensim; also the second half of the
    pandas streamed mode.

    Parameters
    ----------
    path : str
        The corpus file, as :func:`~item2vec.training.corpus.write_corpus` writes it.
    counts : tuple of int
        ``(n_sentences, n_tokens, longest)`` of the file.
    n_artists : int
        Vocabulary size (for the log line).
    config : TrainConfig
    progress : bool
    stream : bool
        True: gensim's ``corpus_file`` mode. False: the lines are read into lists and
        trained in memory, exactly as :func:`train` does with ``stream=False`` on the same
        corpus (so a Spark-built corpus gives the in-memory model byte for byte).
    start : float, optional
        ``time.perf_counter()`` when the run started, for the reported seconds.

    Returns
    -------
    TrainedModel
    """
    start = time.perf_counter() if start is None else start
    n_sentences, n_tokens, longest = counts
    if not n_sentences:
        raise ValueError("no user listens to two or more artists of the vocabulary; nothing to learn from")
    if not stream:
        with open(path, encoding="ascii") as handle:
            sentences = [line.split() for line in handle]
        return _train_sentences(sentences, n_artists, config, progress, start)
    model = _fit(
        {"corpus_file": path}, n_sentences, n_tokens, config.window or longest, n_artists, config, progress
    )
    return _trained(model, config, start, n_sentences, n_tokens, streamed=True)


def _train_sentences(sentences, n_artists, config, progress, start):
    """Word2Vec on sentences held in memory (lists of artist-id strings)."""
    if not sentences:
        raise ValueError("no user listens to two or more artists of the vocabulary; nothing to learn from")
    n_sentences, n_tokens = len(sentences), sum(len(s) for s in sentences)
    window = config.window or max(len(s) for s in sentences)
    model = _fit({"sentences": sentences}, n_sentences, n_tokens, window, n_artists, config, progress)
    return _trained(model, config, start, n_sentences, n_tokens, streamed=False)


def _trained(model, config, start, n_sentences, n_tokens, streamed):
    """The :class:`TrainedModel` of a fitted gensim model: vectors in artist-id order."""
    keys = np.array([int(k) for k in model.wv.index_to_key], dtype=np.int64)
    order = np.argsort(keys)
    vectors = np.ascontiguousarray(model.wv.vectors[order], dtype=np.float32)
    seconds = time.perf_counter() - start
    logger.info("trained %d artist vectors in %.1f s", len(keys), seconds)
    return TrainedModel(
        artist_ids=keys[order],
        vectors=vectors,
        config=config,
        seconds=seconds,
        n_sentences=n_sentences,
        n_tokens=n_tokens,
        streamed=streamed,
    )


def member_config(config, index):
    """The one-model config of bagged member ``index``: seed ``config.seed + index``."""
    return dataclasses.replace(config, seed=config.seed + index, members=1)


def bag_vectors(members):
    """Combine member vectors (same rows): unit rows side by side, divided by sqrt(K), float32.

    The dot product of two combined rows is the mean of the members' cosines, and
    each combined row has unit length, so the query path needs no change.
    """
    members = list(members)
    scale = np.float32(1 / math.sqrt(len(members)))
    return np.ascontiguousarray(np.hstack([unit_rows(m) for m in members]) * scale, dtype=np.float32)


def _member_process_init():
    # Ctrl-C in a terminal reaches the whole process group: the parent alone handles it
    # (and terminates the members), so they print no tracebacks of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _train_member(dataset, config, stream, tmp_dir):
    """Train one member in a worker process; returns what the parent needs, as arrays."""
    trained = _train_one(dataset, config, False, stream, tmp_dir)
    return trained.artist_ids, trained.vectors, trained.n_sentences, trained.n_tokens


def _stop_pool(pool):
    """Shut ``pool`` down now: cancel what has not started, terminate and reap the members."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.join()


def _train_bag(dataset, config, progress, stream, tmp_dir, processes):
    """Train ``config.members`` members in parallel processes and combine them (:func:`bag_vectors`)."""
    import concurrent.futures
    import multiprocessing

    from tqdm.auto import tqdm

    start = time.perf_counter()
    vocab = vocabulary(dataset, config.min_count)
    check_vocabulary(len(vocab), config.min_count)  # the members would each say so; say it before
    k = config.members
    processes = max(1, min(k, processes or os.cpu_count() or 1))
    pin_blas_kernels()  # the members inherit the environment, OPENBLAS_CORETYPE with it
    logger.info("training %d bagged members in %d processes", k, processes)
    # "spawn": fresh interpreters, no forked gensim/BLAS/thread state.
    pool = concurrent.futures.ProcessPoolExecutor(
        processes, mp_context=multiprocessing.get_context("spawn"), initializer=_member_process_init
    )
    results = [None] * k
    try:
        futures = {
            pool.submit(_train_member, dataset, member_config(config, i), stream, tmp_dir): i
            for i in range(k)
        }
        with tqdm(total=k, desc="training members", unit="member", disable=not progress) as bar:
            for future in concurrent.futures.as_completed(futures):
                results[futures[future]] = future.result()
                bar.update(1)
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)
    ids = results[0][0]
    for i, (member_ids, *_rest) in enumerate(results):
        if not np.array_equal(member_ids, ids):
            raise AssertionError(f"bagged member {i} has another vocabulary than member 0")
    vectors = bag_vectors(r[1] for r in results)
    seconds = time.perf_counter() - start
    logger.info("trained %d bagged artist vectors (%d members) in %.1f s", len(ids), k, seconds)
    return TrainedModel(
        artist_ids=ids,
        vectors=vectors,
        config=config,
        seconds=seconds,
        n_sentences=results[0][2],
        n_tokens=results[0][3],
        streamed=bool(stream),
    )


def _fit(corpus, n_sentences, n_tokens, window, n_artists, config, progress):
    """Run gensim's Word2Vec on ``corpus`` (``sentences=`` or ``corpus_file=``) and return the model."""
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec
    from tqdm.auto import tqdm

    logger.info(
        "corpus: %d sentences, %d tokens, %d artists, window %d%s",
        n_sentences,
        n_tokens,
        n_artists,
        window,
        " (streamed from disk)" if "corpus_file" in corpus else "",
    )

    class _Bar(CallbackAny2Vec):
        def __init__(self):
            self.bar = tqdm(total=config.epochs, desc="training", unit="epoch", disable=not progress)

        def on_epoch_end(self, model):
            self.bar.update(1)

        def on_train_end(self, model):
            self.bar.close()

    return Word2Vec(
        **corpus,
        vector_size=config.vector_size,
        window=window,
        shrink_windows=config.shrink_windows,
        min_count=1,
        sg=1,
        hs=0,
        negative=config.negative,
        ns_exponent=config.ns_exponent,
        sample=config.sample,
        alpha=config.alpha,
        min_alpha=config.min_alpha,
        epochs=config.epochs,
        seed=config.seed,
        workers=config.workers,
        callbacks=[_Bar()],
    )


def build_metadata(config, dataset, seconds, n_sentences, n_tokens, extra=None):
    """Facts about a training run, for ``metadata.json``."""
    import datetime

    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for module in ("gensim", "pandas"):
        with contextlib.suppress(ImportError):
            versions[module] = __import__(module).__version__
    if "pyspark" in sys.modules:  # the Spark engine ran (never imported just to say it is absent)
        versions["pyspark"] = sys.modules["pyspark"].__version__
    meta = {
        "item2vec_version": __version__,
        "hyperparameters": dataclasses.asdict(config),
        "data": {
            "format": dataset.format,
            "sha256": dataset.checksums,
            "repairs": dataset.repairs,
            "rows": int(len(dataset.plays)),
            "users": dataset.n_users,
            "artists": int(len(dataset.artists)),
        },
        "corpus": {"sentences": int(n_sentences), "tokens": int(n_tokens)},
        "library_versions": versions,
        "blas_kernels": os.environ.get("OPENBLAS_CORETYPE") or "cpu default",
        "training_seconds": round(float(seconds), 2),
        "created": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
    }
    meta.update(extra or {})
    return meta


def save_trained(out_dir, trained, dataset, confidence=None):
    """Write a training run's model folder (replaced atomically); returns its metadata.

    The catalogue and :func:`build_metadata` come from ``dataset``, the data the
    run was trained on; :func:`~item2vec.model.storage.save_model` does the writing.
    Both engines write through here, so the catalogue's Latin keys of names in other
    scripts (:func:`~item2vec.training.romanization.catalog_keys`) are computed here, from
    the catalogue's names. ``confidence``, when given, is the table of measured answer
    confidence by listener band (:mod:`item2vec.model.confidence`) stored in the metadata.
    """
    from ..model.catalog import Catalog
    from ..model.storage import save_model
    from . import romanization

    # MLlib reads the sentences from Spark, neither from a file nor from Python lists.
    corpus = "spark" if trained.trainer == "mllib" else "file" if trained.streamed else "memory"
    metadata = build_metadata(
        trained.config,
        dataset,
        trained.seconds,
        trained.n_sentences,
        trained.n_tokens,
        extra={
            "training_corpus": corpus,
            "engine": trained.engine,
            "trainer": trained.trainer,
            **({trained.trainer: trained.trainer_settings} if trained.trainer_settings else {}),
            **({"confidence": confidence} if confidence is not None else {}),
        },
    )
    metadata["library_versions"].update(romanization.library_versions())
    # The catalogue's rows are the data's artists in order (Catalog.from_dataset).
    catalog = Catalog.from_dataset(dataset, romanization.catalog_keys(dataset.artists["name"].tolist()))
    return save_model(out_dir, trained.artist_ids, trained.vectors, catalog, metadata)


def train_and_save(dataset, out_dir, config=None, progress=True, stream=False):
    """:func:`train` on ``dataset``, then :func:`save_trained` to ``out_dir``.

    The one sequence behind ``train_item2vec.py``, the tests and the benchmarks.

    Returns
    -------
    trained : TrainedModel
    metadata : dict
        As written to ``metadata.json``.
    """
    trained = train(dataset, config, progress=progress, stream=stream)
    return trained, save_trained(out_dir, trained, dataset)


#: One line per hyperparameter, shown by ``train_item2vec.py --help``.
HELP = {
    "vector_size": "embedding dimensions",
    "window": "context window in tokens; 0 = the user's whole list (item2vec)",
    "shrink_windows": "sample a smaller effective window per token (word2vec's default; off for sets)",
    "epochs": "passes over the corpus",
    "negative": "negative samples per positive pair",
    "ns_exponent": "exponent of the negative-sampling distribution "
    "(1 = by frequency, 0 = uniform, <0 favours rare artists)",
    "sample": "down-sampling threshold for frequent artists (relative token frequency; 0 = off)",
    "alpha": "initial learning rate",
    "min_alpha": "final learning rate (linear decay)",
    "min_count": "artists need at least this many listeners (distinct users) to get a vector",
    "weighting": "how play counts become repetitions in a user's sentence: none, log or rank",
    "max_repeat": "most copies of one artist in a user's sentence",
    "seed": "random seed (corpus shuffle and vector initialisation)",
    "workers": "training threads; 1 gives byte-identical vectors for the same seed",
    "members": "bagged members: K models with seeds seed..seed+K-1, vectors concatenated as "
    "unit rows / sqrt(K) (cosine = mean member cosine)",
}
