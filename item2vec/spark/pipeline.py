"""The Spark engine end to end: data to cleaned plays, plays to a catalogue, corpora and a bag.

``train_item2vec.py --engine spark`` runs, in one Spark session:

1. :func:`load`: read and clean the data (:mod:`item2vec.spark.readers`,
   :mod:`item2vec.spark.event_counts`), the plays staying in Spark;
2. :func:`item2vec.spark.catalog_columns.data_facts`: the model folder's catalogue and the
   metadata's facts, computed in Spark (the driver gets per-artist arrays and a spill file);
3. :func:`train_bag`: the vocabulary, each member's corpus written by Spark to the work
   folder, and the members trained on the executors (:mod:`item2vec.spark.member_training`);
   or :func:`train_mllib`: MLlib's Word2Vec inside Spark;
4. :func:`item2vec.spark.item_weights_task.item_weights`: the item-item weights (EASE), in
   one task on an executor;

then the model folder is written by :func:`item2vec.training.trainer.save_trained`, as for
the pandas engine, from the same kind of inputs (:func:`item2vec.model.catalog.catalog_arrays`).
"""

import logging
import time

from ..errors import DataError
from ..ingest.cleaning import MAX_DROPPED_SHARE
from ..ingest.formats import READERS
from ..training.corpus import vocabulary_of
from ..training.trainer import TrainedModel, check_vocabulary, should_stream
from . import corpus_columns, member_training, mllib, paths
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


def vocabulary(facts, config):
    """The vocabulary of the data (:func:`item2vec.training.corpus.vocabulary_of` of the listeners
    Spark counted); ValueError when fewer than two artists qualify."""
    catalog = facts.catalog
    vocab = vocabulary_of(catalog.ids, catalog.listeners, config.min_count)
    check_vocabulary(len(vocab), config.min_count)
    return vocab


def train_bag(spark, clean, facts, config, work, stream=None, progress=True):
    """The bag of ``config.members`` gensim members, trained on the executors.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    clean : item2vec.spark.readers.CleanPlays
    facts : item2vec.spark.catalog_columns.DataFacts
    config : item2vec.training.trainer.TrainConfig
    work : str
        The run's work folder (:func:`item2vec.spark.paths.work_folder`), where each member's
        corpus goes; every executor must read it.
    stream : bool, optional
        Members train from their corpus file in gensim's ``corpus_file`` mode (default:
        :func:`~item2vec.training.trainer.should_stream` of the pairs, the pandas engine's rule).
    progress : bool

    Returns
    -------
    item2vec.training.trainer.TrainedModel
        Byte for byte the pandas engine's model of the same data and config.
    """
    config.validate()
    start = time.perf_counter()
    vocab = vocabulary(facts, config)
    counts = corpus_columns.write_member_corpora(spark, clean.pairs, vocab, config, work, progress)
    paths.check_written(spark, [corpus_columns.member_folder(work, i) for i in range(config.members)])
    stream = should_stream(facts.rows, stream)
    trained = member_training.train_members(spark, work, config, counts, len(vocab), stream, progress)
    trained.seconds = time.perf_counter() - start
    return trained


def train_mllib(spark, clean, facts, config):
    """Build the corpus in Spark and train MLlib's Word2Vec on it (see :mod:`item2vec.spark.mllib`).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    clean : item2vec.spark.readers.CleanPlays
    facts : item2vec.spark.catalog_columns.DataFacts
    config : item2vec.training.trainer.TrainConfig
        ``members`` must be 1; fields MLlib has no equivalent for are recorded as ignored.

    Returns
    -------
    item2vec.training.trainer.TrainedModel
        With ``engine="spark"``, ``trainer="mllib"`` and MLlib's parameters.
    """
    from pyspark.sql import functions as F

    config.validate()
    if config.members != 1:
        raise ValueError("--trainer mllib trains one model: --members must be 1")
    start = time.perf_counter()
    vocab = corpus_columns.vocabulary_frame(spark, vocabulary(facts, config))
    frame = corpus_columns.sentences(clean.pairs, vocab, config.weighting, config.max_repeat, config.seed)
    frame = frame.orderBy("user").persist()
    got = frame.agg(F.count("*").alias("n"), F.sum(F.size("tokens")), F.max(F.size("tokens"))).first()
    n_sentences, n_tokens, longest = int(got[0]), int(got[1] or 0), int(got[2] or 0)
    if not n_sentences:
        frame.unpersist()
        raise ValueError("no user listens to two or more artists of the vocabulary; nothing to learn from")
    settings = mllib.mllib_settings(config, longest)
    logger.info(
        "corpus: %d sentences, %d tokens; MLlib Word2Vec %s",
        n_sentences,
        n_tokens,
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
