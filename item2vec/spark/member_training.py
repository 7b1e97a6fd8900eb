"""The bag's members trained on the executors: one Spark task per member, gensim in each.

:func:`item2vec.spark.corpus_columns.write_member_corpora` has written member ``i``'s corpus
as one text file in the run's work folder (a local folder, ``hdfs://``, ``s3a://``: any
storage the cluster reads). :func:`train_members` reads each file as one input split (the
lines in file order, through Hadoop's own reader, so every file system Spark knows
works) and runs :func:`member_task` on it: the task writes the lines to a local file on
the executor and trains member ``i`` through the pandas engine's own
:func:`item2vec.training.trainer.train_member` (the member's seed), then returns
its vectors (artists x dimensions, small). The driver combines them in member order
(:func:`item2vec.training.trainer.add_member`).

What the executors need: Python with numpy, scipy and gensim (the ``train`` extra) and
pyarrow; this package itself travels with the job (:func:`item2vec.spark.session.ship_package`).
An executor that cannot import gensim fails its task with one line saying so, which
becomes the run's error. ``train_member`` pins OpenBLAS's kernels as in the pandas engine
(:mod:`item2vec.training.blas`: before scipy's BLAS loads, or in a fresh process), so that a
member's vectors are byte for byte those the pandas engine trains; the kernels each member
ran with are returned and recorded.
"""

import functools
import logging
import os
import socket
import sys
import tempfile
import time

import numpy as np

from ..errors import EngineError
from ..training.trainer import TrainedModel, add_member
from .corpus_columns import member_folder
from .jobs import run_jobs

logger = logging.getLogger(__name__)

#: Hadoop's line reader: keys are byte offsets, values the lines (without their line end).
TEXT_INPUT = (
    "org.apache.hadoop.mapreduce.lib.input.TextInputFormat",
    "org.apache.hadoop.io.LongWritable",
    "org.apache.hadoop.io.Text",
)
#: One input split per file, however large: a member's corpus is read by one task, in order.
WHOLE_FILES = {"mapreduce.input.fileinputformat.split.minsize": str(2**62)}
#: What an executor that lacks a library says (the run's one-line error).
MISSING_LIBRARY = (
    "an executor's Python ({python}) cannot import {module}: the executors need numpy, scipy and gensim "
    "(pip install 'item2vec-artists[train]' on every node, or ship a packed environment with "
    "spark.archives; see docs/PERFORMANCE.md)"
)


def _trainer():
    """The training modules, with gensim imported after OpenBLAS's kernels are pinned.

    Returns (:mod:`~item2vec.training.trainer`, :mod:`~item2vec.training.blas`). Raises
    ImportError with :data:`MISSING_LIBRARY`'s one line when this Python lacks a library.
    """
    try:
        from ..training import blas, trainer

        blas.pin_kernels()  # before gensim loads scipy's BLAS (train_member checks it)
        import gensim.models  # noqa: F401
    except ImportError as exc:
        raise ImportError(MISSING_LIBRARY.format(python=sys.executable, module=exc.name or exc)) from None
    return trainer, blas


#: The Spark applications whose executors' Python was found able to train a member.
_CHECKED_APPLICATIONS = set()


def _import_trainer(_):
    """One task's check: :func:`_trainer`'s imports; yields (the executor's Python, gensim's version)."""
    _trainer()
    import gensim

    yield sys.executable, gensim.__version__


def check_executor_python(spark):
    """Fail fast when the executors' Python cannot train a member (no gensim, no numpy, no Python).

    One task imports what a member's task imports, before the data is read: a cluster whose
    nodes lack the ``train`` extra is told so in seconds, with the one line a member's task
    would have ended the run with after the catalogue and the corpora. Once per Spark
    application (the executors' Python is the application's setting); a member's task still
    checks for itself, on whichever executor it runs.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession

    Raises
    ------
    py4j.protocol.Py4JJavaError
        The task failed (the run's error: "Spark failed: ImportError: an executor's Python ...").
    """
    sc = spark.sparkContext
    if sc.applicationId in _CHECKED_APPLICATIONS:
        return
    ((python, version),) = sc.parallelize([0], 1).mapPartitions(_import_trainer).collect()
    _CHECKED_APPLICATIONS.add(sc.applicationId)
    logger.info("spark: an executor's Python (%s) imports gensim %s", python, version)


def member_task(lines, index, settings, counts, n_artists, stream):
    """Train bagged member ``index`` on its corpus lines (runs on an executor, as one Spark task).

    The member is :func:`~item2vec.training.trainer.train_member` ``(corpus file, config,
    index)``, the one function every member of either engine trains through; it pins
    OpenBLAS's kernels first (or trains in a fresh process when this Python worker's scipy
    already runs others).

    Parameters
    ----------
    lines : iterator of (int, str)
        The corpus file's (offset, line) pairs, in file order.
    index : int
        Member number: its seed is ``settings["seed"] + index``.
    settings : dict
        The run's :class:`~item2vec.training.trainer.TrainConfig` fields.
    counts : tuple of int
        ``(n_sentences, n_tokens, longest)`` of the corpus.
    n_artists : int
        Vocabulary size.
    stream : bool
        gensim's ``corpus_file`` mode, else sentences in memory (the pandas engine's rule).

    Yields
    ------
    tuple
        ``(index, artist ids bytes, vectors bytes, vectors shape, kernels, seconds, host)``.
    """
    trainer, blas = _trainer()
    config = trainer.TrainConfig(**settings)
    with tempfile.TemporaryDirectory(prefix="item2vec-member-") as folder:
        path = os.path.join(folder, "corpus.txt")
        n = 0
        with open(path, "w", encoding="ascii", newline="\n") as handle:
            for _, line in lines:
                handle.write(line)
                handle.write("\n")
                n += 1
        if n != counts[0]:
            raise ValueError(
                f"member {index}'s corpus has {n} sentences, {counts[0]} were written: the executors do "
                f"not read the work folder the driver wrote (give --spark-work a folder all machines share)"
            )
        corpus = trainer.CorpusFile(path, *counts, n_artists)
        trained = trainer.train_member(corpus, config, index, stream=stream)
    vectors = trained.vectors
    yield (
        index,
        trained.artist_ids.tobytes(),
        vectors.tobytes(),
        vectors.shape,
        ", ".join(sorted(set(blas.loaded_kernels()))) or "cpu default",
        trained.seconds,
        socket.gethostname(),
    )


def member_jobs(sc, work, config, counts, n_artists, stream):
    """The RDD of the bag's training: one partition, so one task, per member, in member order."""
    settings = {**vars(config), "members": 1}
    rdds = [
        sc.newAPIHadoopFile(member_folder(work, i), *TEXT_INPUT, conf=WHOLE_FILES).mapPartitions(
            functools.partial(
                member_task, index=i, settings=settings, counts=counts, n_artists=n_artists, stream=stream
            )
        )
        for i in range(config.members)
    ]
    return sc.union(rdds)


def train_members(spark, work, config, counts, n_artists, stream, progress=True):
    """Train ``config.members`` members on the executors and combine them as the pandas bag does.

    The members train side by side and their vectors stay on the executors (cached); the
    driver then fetches them one member at a time, so that it holds the bag and one member,
    never all of them.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    work : str
        The run's work folder holding the member corpora.
    config : item2vec.training.trainer.TrainConfig
    counts : tuple of int
        ``(n_sentences, n_tokens, longest)`` of each member's corpus.
    n_artists : int
    stream : bool
    progress : bool

    Returns
    -------
    item2vec.training.trainer.TrainedModel
        ``engine="spark"``; ``blas_kernels`` as the executors reported them.
    """
    from pyspark import StorageLevel

    start = time.perf_counter()
    k = config.members
    logger.info("training %d members on the executors, one Spark task each", k)
    sc = spark.sparkContext
    job = member_jobs(sc, work, config, counts, n_artists, stream).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        run_jobs(sc, [job.count], "training members", "member", progress, total=k, count_tasks=True)
        ids, bag, facts = _combine(job.toLocalIterator(), k)
    finally:
        job.unpersist()
    kernels = sorted({kernel for kernel, _, _ in facts})
    if len(kernels) > 1:
        logger.warning(
            "the members ran with different BLAS kernels (%s): not reproducible", ", ".join(kernels)
        )
    seconds = time.perf_counter() - start
    logger.info(
        "trained %d members on %s in %.1f s (seconds per member: %s)",
        k,
        ", ".join(sorted({host for _, _, host in facts})),
        seconds,
        ", ".join(f"{member_s:.0f}" for _, member_s, _ in facts),
    )
    return TrainedModel(
        artist_ids=ids,
        vectors=bag,
        config=config,
        seconds=seconds,
        n_sentences=counts[0],
        n_tokens=counts[1],
        streamed=bool(stream),
        engine="spark",
        blas_kernels=", ".join(kernels),
    )


def _combine(results, k):
    """The bag of :func:`member_task`'s results, in member order; returns (ids, bag, [(kernels,
    seconds, host)] per member)."""
    ids, bag, facts = None, None, []
    for index, member_ids, data, shape, *rest in results:
        if index != len(facts):
            raise EngineError(f"the executors returned member {index} in place of member {len(facts)}")
        if ids is None:
            ids = np.frombuffer(member_ids, dtype=np.int64).copy()
        elif member_ids != ids.tobytes():
            raise EngineError(f"bagged member {index} has another vocabulary than member 0")
        vectors = np.frombuffer(data, dtype=np.float32).reshape(shape)
        # One member is the model itself, raw, exactly as the pandas engine's --members 1.
        bag = np.array(vectors) if k == 1 else add_member(bag, index, k, vectors)
        facts.append(tuple(rest))
    if len(facts) != k:
        raise EngineError(f"the executors returned {len(facts)} members, expected {k}")
    return ids, bag, facts
