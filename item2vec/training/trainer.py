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
import sys
import tempfile
import time

import numpy as np

from ..model.vectors import unit_rows
from ..version import __version__
from . import blas
from .corpus import WEIGHTINGS, build_sentences, vocabulary_of, write_corpus
from .member_pool import run_in_processes

logger = logging.getLogger(__name__)


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
    blas_kernels: str | None = None  # OpenBLAS kernels of the members trained elsewhere (Spark executors)


def vocabulary(dataset, min_count):
    """Artist ids with at least ``min_count`` distinct listeners, sorted (:func:`~.corpus.vocabulary_of`)."""
    listeners = dataset.listeners(heard_only=True)
    return vocabulary_of(listeners.index, listeners.to_numpy(), min_count)


#: ``train_item2vec.py`` streams the corpus from disk above this many (user, artist) rows.
STREAM_ABOVE_ROWS = 1_000_000


def should_stream(n_rows, choice=None):
    """Whether to train from a corpus file: ``choice`` (``--stream``/``--no-stream``) if given,
    else only above :data:`STREAM_ABOVE_ROWS` (user, artist) rows."""
    return n_rows > STREAM_ABOVE_ROWS if choice is None else bool(choice)


@dataclasses.dataclass(frozen=True)
class CorpusFile:
    """A corpus file written for one member's seed, and its counts.

    As :func:`~item2vec.training.corpus.write_corpus` writes it (or the Spark engine, the same
    bytes) with seed ``config.seed + index`` for member ``index``: one sentence per line,
    artist ids separated by spaces.
    """

    path: str
    n_sentences: int
    n_tokens: int
    longest: int  # tokens of the longest line (the window of window=0)
    n_artists: int  # the vocabulary's size (for the log line)


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

    With ``config.members == 1`` this is one Word2Vec run (:func:`train_member`). With K > 1
    (the default is 8) it trains K members, member i exactly as :func:`train_member` ``(dataset,
    config, i)``, in parallel processes, and returns their unit vectors side by side divided
    by sqrt(K) (:func:`bag_vectors`): a cosine between two such rows is the members' mean cosine.

    Returns
    -------
    TrainedModel
    """
    config = config or TrainConfig()
    config.validate()
    check_vocabulary(len(vocabulary(dataset, config.min_count)), config.min_count)
    if config.members > 1:
        return _train_bag(dataset, config, progress, stream, tmp_dir, processes)
    return train_member(dataset, config, 0, progress=progress, stream=stream, tmp_dir=tmp_dir)


def check_vocabulary(n_artists, min_count):
    """ValueError unless at least two artists have ``min_count`` listeners (else nothing to embed)."""
    if n_artists < 2:
        raise ValueError(
            f"only {n_artists} artist(s) have at least {min_count} listeners; "
            f"lower min_count or use more data"
        )


def member_config(config, index):
    """The one-model config of bagged member ``index``: seed ``config.seed + index``."""
    return dataclasses.replace(config, seed=config.seed + index, members=1)


def train_member(source, config, index=0, *, progress=False, stream=False, tmp_dir=None):
    """Train member ``index`` of ``config``'s bag: one Word2Vec run with seed ``config.seed + index``.

    What :func:`train` runs for one model, and the Spark engine's tasks for a corpus file
    Spark wrote (:mod:`item2vec.spark.member_training`); each of the bag's processes runs the
    same body for its member. A member's bytes therefore depend on its data, config and index
    only. It trains in this process when this process's scipy
    BLAS runs the pinned kernels (:func:`~item2vec.training.blas.kernels_ready`), else in one
    fresh process that does.

    Parameters
    ----------
    source : Dataset or CorpusFile
        The data (the member builds its corpus with its own seed), or a corpus file already
        written with that seed (``config.seed + index``).
    config : TrainConfig
        The bag's config (``members`` is not looked at; the result carries
        :func:`member_config` ``(config, index)``).
    index : int
        Which member (0 for a one-model run).
    progress : bool
        A tqdm bar per epoch.
    stream : bool
        With a Dataset: write the corpus to a temporary file in ``tmp_dir`` and train in
        gensim's ``corpus_file`` mode (see :func:`train`). With a CorpusFile: True trains in
        ``corpus_file`` mode, False reads its lines into memory (then the model is the
        in-memory one of a Dataset, byte for byte).
    tmp_dir : str, optional

    Returns
    -------
    TrainedModel
    """
    config = member_config(config, index)
    config.validate()
    if blas.kernels_ready():
        return _train_here(source, config, progress, stream, tmp_dir)
    logger.info("scipy's BLAS was loaded before its kernels could be pinned: training in a fresh process")
    job = (source, config, progress, stream, tmp_dir)
    with contextlib.closing(run_in_processes(_train_here, [job], 1)) as finished:
        return dict(finished)[0]


def _train_here(source, config, progress, stream, tmp_dir):
    """:func:`train_member` in this process, whatever its BLAS kernels (a member process's body)."""
    start = time.perf_counter()
    if isinstance(source, CorpusFile):
        return _train_corpus(source, config, progress, stream, start)
    vocab = vocabulary(source, config.min_count)
    check_vocabulary(len(vocab), config.min_count)
    if stream:
        with tempfile.TemporaryDirectory(prefix="item2vec-corpus-", dir=tmp_dir) as folder:
            path = os.path.join(folder, "corpus.txt")
            counts = write_corpus(path, source.plays, vocab, config.weighting, config.max_repeat, config.seed)
            return _train_corpus(CorpusFile(path, *counts, len(vocab)), config, progress, True, start)
    sentences = build_sentences(source.plays, vocab, config.weighting, config.max_repeat, config.seed)
    return _train_sentences(sentences, len(vocab), config, progress, start)


def _train_corpus(corpus, config, progress, stream, start):
    """Word2Vec on a :class:`CorpusFile`, in ``corpus_file`` mode or read into memory."""
    if not corpus.n_sentences:
        raise ValueError("no user listens to two or more artists of the vocabulary; nothing to learn from")
    if not stream:
        with open(corpus.path, encoding="ascii") as handle:
            sentences = [line.split() for line in handle]
        return _train_sentences(sentences, corpus.n_artists, config, progress, start)
    n_sentences, n_tokens = corpus.n_sentences, corpus.n_tokens
    window = config.window or corpus.longest
    files = {"corpus_file": corpus.path}
    model = _fit(files, n_sentences, n_tokens, window, corpus.n_artists, config, progress)
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


def bag_vectors(members):
    """Combine member vectors (same rows): unit rows side by side, divided by sqrt(K), float32.

    The dot product of two combined rows is the mean of the members' cosines, and
    each combined row has unit length, so the query path needs no change.
    """
    bag = None
    members = list(members)
    for i, member in enumerate(members):
        bag = add_member(bag, i, len(members), member)
    return bag


def add_member(bag, index, k, vectors):
    """Put member ``index`` of ``k`` into ``bag`` (allocated on the first call: pass None); returns it.

    The one rule of :func:`bag_vectors`, one member at a time, so that a caller receiving
    the members one by one holds the bag and one member, not all of them.
    """
    unit = unit_rows(vectors)
    if bag is None:
        bag = np.empty((unit.shape[0], k * unit.shape[1]), dtype=np.float32)
    d = unit.shape[1]
    bag[:, index * d : (index + 1) * d] = unit * np.float32(1 / math.sqrt(k))
    return bag


def _train_bag(dataset, config, progress, stream, tmp_dir, processes):
    """Train ``config.members`` members in parallel processes and combine them (:func:`bag_vectors`)."""
    from tqdm.auto import tqdm

    start = time.perf_counter()
    k = config.members
    processes = max(1, min(k, processes or os.cpu_count() or 1))
    logger.info("training %d bagged members in %d processes", k, processes)
    jobs = [(dataset, member_config(config, i), False, stream, tmp_dir) for i in range(k)]
    members = [None] * k
    if processes == 1 and blas.kernels_ready():  # no process to start: one after another, here
        finished = ((i, _train_here(*job)) for i, job in enumerate(jobs))
    else:
        finished = run_in_processes(_train_here, jobs, processes)
    bar = tqdm(total=k, desc="training members", unit="member", disable=not progress)
    # closing: an interrupt between two results still stops the member processes at once.
    with contextlib.closing(finished), bar:
        for i, trained in finished:
            members[i] = trained
            bar.update(1)
    for i, member in enumerate(members):
        if not np.array_equal(member.artist_ids, members[0].artist_ids):
            raise AssertionError(f"bagged member {i} has another vocabulary than member 0")
    seconds = time.perf_counter() - start
    n = len(members[0].artist_ids)
    logger.info("trained %d bagged artist vectors (%d members) in %.1f s", n, k, seconds)
    return TrainedModel(
        artist_ids=members[0].artist_ids,
        vectors=bag_vectors(m.vectors for m in members),
        config=config,
        seconds=seconds,
        n_sentences=members[0].n_sentences,
        n_tokens=members[0].n_tokens,
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
        **gensim_settings(config),
        window=window,
        sg=1,
        workers=config.workers,
        callbacks=[_Bar()],
    )


def gensim_settings(config):
    """The keyword arguments of gensim's model classes that ``config`` sets alike for every
    trainer (the vocabulary is already cut to ``min_count``, so gensim keeps every word)."""
    return dict(
        vector_size=config.vector_size,
        shrink_windows=config.shrink_windows,
        min_count=1,
        hs=0,
        negative=config.negative,
        ns_exponent=config.ns_exponent,
        sample=config.sample,
        alpha=config.alpha,
        min_alpha=config.min_alpha,
        epochs=config.epochs,
        seed=config.seed,
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
        "data": dataset.summary(),
        "corpus": {"sentences": int(n_sentences), "tokens": int(n_tokens)},
        "library_versions": versions,
        "blas_kernels": os.environ.get("OPENBLAS_CORETYPE") or "cpu default",
        "training_seconds": round(float(seconds), 2),
        "created": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
    }
    meta.update(extra or {})
    return meta


def save_trained(out_dir, trained, dataset, confidence=None, catalog=None, item_weights=None):
    """Write a training run's model folder (replaced atomically); returns its metadata.

    The catalogue, the item-item weights of the ``--discover`` dial
    (:func:`~item2vec.training.ease.ease_weights`, computed from the catalogue, so every
    engine writes the same) and :func:`build_metadata` come from the data the run was
    trained on; :func:`~item2vec.model.storage.save_model` does the writing.
    Both engines write through here, so the catalogue's Latin keys of names in other
    scripts (:func:`~item2vec.training.romanization.catalog_keys`) are computed here, from
    the catalogue's names, and what ``catalog.npz`` holds is
    :func:`~item2vec.model.catalog.catalog_arrays` of it.

    Parameters
    ----------
    out_dir : str
    trained : TrainedModel
    dataset : Dataset or item2vec.spark.catalog_columns.DataFacts
        The data the run was trained on; its ``summary()`` is the metadata's ``data``.
    confidence : dict, optional
        The table of measured answer confidence by listener band
        (:mod:`item2vec.model.confidence`) stored in the metadata.
    catalog : Catalog or CatalogParts, optional
        The catalogue to write (default: :meth:`~item2vec.model.catalog.Catalog.from_dataset`
        of ``dataset``; the Spark engine passes the one it computed).
    item_weights : ItemWeights, optional
        The item-item weights, when computed elsewhere from the same catalogue (the Spark
        engine computes them on an executor, :mod:`item2vec.spark.item_weights_task`);
        default: :func:`~item2vec.training.ease.ease_weights` of the catalogue, here.

    :func:`~item2vec.model.storage.save_model` does the writing.
    """
    from ..model.catalog import Catalog
    from ..model.storage import save_model
    from . import romanization
    from .ease import EASE_LAMBDA, ease_weights

    if catalog is None:  # the pandas engine: the catalogue of the data in memory
        catalog = Catalog.from_dataset(dataset)
    if isinstance(catalog, Catalog):
        catalog = catalog.parts()
    # The catalogue's rows are the data's artists in order, whichever engine built it.
    catalog = dataclasses.replace(catalog, romanized=romanization.catalog_keys(catalog.names))
    if item_weights is None:
        item_weights = ease_weights(catalog, trained.artist_ids)
    if len(item_weights) != len(trained.artist_ids):
        raise ValueError(f"{len(item_weights)} rows of item weights for {len(trained.artist_ids)} vectors")
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
            **({"blas_kernels": trained.blas_kernels} if trained.blas_kernels else {}),
            "item_weights": {
                "method": "EASE",
                "lambda": EASE_LAMBDA,
                "top": int(item_weights.top),
                "artists": int((item_weights.rows >= 0).any(axis=1).sum()),
            },
        },
    )
    metadata["library_versions"].update(romanization.library_versions())
    return save_model(out_dir, trained.artist_ids, trained.vectors, catalog, metadata, item_weights)


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
