"""The Spark engine end to end: data to cleaned plays, plays to corpus, corpus to vectors.

``train_item2vec.py --engine spark`` runs :func:`load` and :func:`driver_dataset`,
then either :func:`write_corpus_file` (and, with Spark stopped, gensim through
:func:`item2vec.training.trainer.train_corpus_file`) or :func:`train_mllib`; the model folder
is then written by :func:`item2vec.training.trainer.save_trained`, as for the pandas engine.
"""

import logging
import time

from ..errors import DataError
from ..ingest.cleaning import MAX_DROPPED_SHARE, Dataset
from ..ingest.formats import READERS
from ..training.trainer import TrainedModel, check_vocabulary
from . import corpus_columns, mllib, paths
from .event_counts import read_lfm1b
from .readers import read_lastfm360k, read_pair

logger = logging.getLogger(__name__)


def load(spark, path, fmt="auto", max_dropped_share=None):
    """Read and clean a data set with Spark (see :func:`item2vec.ingest.formats.load_dataset`).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    path : str
        Local path or URI: a data folder, or the Last.fm-360K / LFM-1b events file.
    fmt : str
        ``"auto"`` or a key of :data:`item2vec.ingest.formats.READERS`.
    max_dropped_share : float, optional
        Default :data:`item2vec.ingest.cleaning.MAX_DROPPED_SHARE`.

    Returns
    -------
    item2vec.spark.readers.CleanPlays
    """
    share = MAX_DROPPED_SHARE if max_dropped_share is None else max_dropped_share
    if fmt == "auto":
        fmt = paths.detect_format(spark, path)
    if fmt not in READERS:
        raise DataError(f"unknown data format {fmt!r}; choose from {', '.join(sorted(READERS))}")
    start = time.perf_counter()
    if fmt in ("kaggle", "hetrec"):
        clean = read_pair(spark, path, fmt, share)
    elif fmt == "lastfm360k":
        clean = read_lastfm360k(spark, path, share)
    else:
        clean = read_lfm1b(spark, path, share)
    logger.info("spark: read and cleaned %s data in %.1f s", fmt, time.perf_counter() - start)
    return clean


def driver_dataset(clean):
    """The cleaned data on the driver as a :class:`~item2vec.ingest.cleaning.Dataset` (what the
    pandas engine would have loaded), for the catalogue and ``metadata.json``."""
    dataset = Dataset(
        plays=clean.plays,
        artists=clean.artists,
        checksums=paths.checksums(clean.inputs),
        repairs=clean.repairs,
        format=clean.format,
    )
    logger.info(
        "loaded %s data: %d rows, %d users, %d artists",
        clean.format,
        len(clean.plays),
        dataset.n_users,
        len(dataset.artists),
    )
    return dataset


def _check(config):
    config.validate()
    if config.members != 1:
        raise ValueError("--members above 1 (bagging) is not available with --engine spark")


def write_corpus_file(spark, clean, config, path):
    """Build the corpus in Spark and write it to the local file ``path`` for gensim.

    The file is byte for byte what :func:`item2vec.training.corpus.write_corpus` writes from
    the same plays; :func:`item2vec.training.trainer.train_corpus_file` trains on it (with
    ``stream=False`` exactly as the pandas engine trains in memory), after the Spark
    session has been stopped, so that the JVM's memory is not held through training.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    clean : item2vec.spark.readers.CleanPlays
    config : item2vec.training.trainer.TrainConfig
        ``members`` must be 1.
    path : str

    Returns
    -------
    counts : tuple of int
        ``(n_sentences, n_tokens, longest)``.
    n_artists : int
        Vocabulary size.
    """
    _check(config)
    vocab_ids = corpus_columns.vocabulary(clean.pairs, config.min_count)
    check_vocabulary(len(vocab_ids), config.min_count)
    counts, seconds = corpus_columns.build_corpus(clean.pairs, vocab_ids, config, path, spark)
    logger.info("spark: corpus of %d sentences, %d tokens written in %.1f s", *counts[:2], seconds)
    return counts, len(vocab_ids)


def train_mllib(spark, clean, config):
    """Build the corpus in Spark and train MLlib's Word2Vec on it (see :mod:`item2vec.spark.mllib`).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    clean : item2vec.spark.readers.CleanPlays
    config : item2vec.training.trainer.TrainConfig
        ``members`` must be 1; fields MLlib has no equivalent for are recorded as ignored.

    Returns
    -------
    item2vec.training.trainer.TrainedModel
        With ``engine="spark"``, ``trainer="mllib"`` and MLlib's parameters.
    """
    _check(config)
    start = time.perf_counter()
    vocab_ids = corpus_columns.vocabulary(clean.pairs, config.min_count)
    check_vocabulary(len(vocab_ids), config.min_count)
    return _train_mllib(spark, clean, vocab_ids, config, start)


def _train_mllib(spark, clean, vocab_ids, config, start):
    import pandas as pd
    from pyspark.sql import functions as F

    vocab = spark.createDataFrame(pd.DataFrame({"artist_id": vocab_ids}), "artist_id long")
    frame = corpus_columns.sentences(clean.pairs, vocab, config.weighting, config.max_repeat, config.seed)
    frame = frame.orderBy("user").persist()
    got = frame.agg(F.count("*").alias("n"), F.sum(F.size("tokens")), F.max(F.size("tokens"))).first()
    n_sentences, n_tokens, longest = int(got[0]), int(got[1] or 0), int(got[2] or 0)
    if not n_sentences:
        frame.unpersist()
        raise ValueError("no user listens to two or more artists of the vocabulary; nothing to learn from")
    settings = mllib.mllib_settings(config, longest)
    logger.info(
        "corpus: %d sentences, %d tokens, %d artists; MLlib Word2Vec %s",
        n_sentences,
        n_tokens,
        len(vocab_ids),
        ", ".join(f"{k}={v}" for k, v in settings.items()),
    )
    ids, vectors, seconds = mllib.train_mllib_vectors(spark, frame, settings)
    frame.unpersist()
    logger.info("MLlib trained %d artist vectors in %.1f s", len(ids), seconds)
    return TrainedModel(
        artist_ids=ids,
        vectors=vectors,
        config=config,
        seconds=time.perf_counter() - start,
        n_sentences=n_sentences,
        n_tokens=n_tokens,
        streamed=False,
        engine="spark",
        trainer="mllib",
        trainer_settings={**settings, "ignored_hyperparameters": list(mllib.IGNORED)},
    )
