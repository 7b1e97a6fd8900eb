"""The Spark engine end to end: data to cleaned plays, plays to corpus, corpus to vectors.

``train_item2vec.py --engine spark`` runs :func:`load`, :func:`driver_dataset`
and :func:`train`; the model folder is then written by
:func:`item2vec.train.save_trained`, as for the pandas engine.
"""

import logging
import os
import tempfile
import time

from ..cleaning import Dataset
from ..errors import DataError
from ..train import TrainedModel, check_vocabulary, train_corpus_file
from . import corpus, files, mllib
from .events import read_lfm1b
from .readers import read_lastfm360k, read_pair

logger = logging.getLogger(__name__)

#: ``--trainer`` choices.
TRAINERS = ("gensim", "mllib")


def load(spark, path, fmt="auto", max_dropped_share=None):
    """Read and clean a data set with Spark (see :func:`item2vec.data.load_dataset`).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    path : str
        Local path or URI: a data folder, or the Last.fm-360K / LFM-1b events file.
    fmt : str
        ``"auto"`` or a key of :data:`item2vec.data.READERS`.
    max_dropped_share : float, optional
        Default :data:`item2vec.cleaning.MAX_DROPPED_SHARE`.

    Returns
    -------
    item2vec.spark.readers.CleanPlays
    """
    from ..cleaning import MAX_DROPPED_SHARE
    from ..data import READERS

    share = MAX_DROPPED_SHARE if max_dropped_share is None else max_dropped_share
    if fmt == "auto":
        fmt = files.detect_format(spark, path)
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
    """The cleaned data on the driver as a :class:`~item2vec.cleaning.Dataset` (what the
    pandas engine would have loaded), for the catalogue and ``metadata.json``."""
    dataset = Dataset(
        plays=clean.plays,
        artists=clean.artists,
        checksums=files.checksums(clean.inputs),
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


def train(spark, clean, config, trainer="gensim", progress=True, stream=False, tmp_dir=None):
    """Build the corpus in Spark and train on it.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    clean : item2vec.spark.readers.CleanPlays
    config : item2vec.train.TrainConfig
        ``members`` must be 1.
    trainer : {"gensim", "mllib"}
        ``gensim``: the corpus is written to a local file on the driver and gensim
        trains on it (:func:`item2vec.train.train_corpus_file`; with ``stream`` in
        ``corpus_file`` mode, else in memory, exactly as the pandas engine would on
        the same data). ``mllib``: MLlib's Word2Vec trains on the sentences in Spark.
    progress : bool
    stream : bool
    tmp_dir : str, optional
        Where the corpus file goes (default: the system's temporary folder).

    Returns
    -------
    item2vec.train.TrainedModel
    """
    if trainer not in TRAINERS:
        raise ValueError(f"unknown trainer {trainer!r}; choose from {', '.join(TRAINERS)}")
    config.validate()
    if config.members != 1:
        raise ValueError("--members above 1 (bagging) is not available with --engine spark")
    start = time.perf_counter()
    vocab_ids = corpus.vocabulary(clean.pairs, config.min_count)
    check_vocabulary(len(vocab_ids), config.min_count)
    if trainer == "gensim":
        with tempfile.TemporaryDirectory(prefix="item2vec-corpus-", dir=tmp_dir) as folder:
            path = os.path.join(folder, "corpus.txt")
            counts, seconds = corpus.build_corpus(clean.pairs, vocab_ids, config, path, spark)
            logger.info("spark: corpus of %d sentences, %d tokens written in %.1f s", *counts[:2], seconds)
            trained = train_corpus_file(path, counts, len(vocab_ids), config, progress, stream, start)
        trained.engine = "spark"
        return trained
    return _train_mllib(spark, clean, vocab_ids, config, start)


def _train_mllib(spark, clean, vocab_ids, config, start):
    import pandas as pd
    from pyspark.sql import functions as F

    vocab = spark.createDataFrame(pd.DataFrame({"artist_id": vocab_ids}), "artist_id long")
    frame = corpus.sentences(clean.pairs, vocab, config.weighting, config.max_repeat, config.seed)
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
