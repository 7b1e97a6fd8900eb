"""Spark MLlib's Word2Vec on the item2vec corpus (``train_item2vec.py --trainer mllib``).

MLlib's Word2Vec is skip-gram with hierarchical softmax only, so of
:class:`~item2vec.training.trainer.TrainConfig` it can honour the dimensions, the window,
the epochs, the initial learning rate and the seed; it has no negative sampling
(``negative``, ``ns_exponent``), no down-sampling (``sample``), no final learning
rate (``min_alpha``) and always shrinks its window at random per token
(``shrink_windows``). Its ``minCount`` counts tokens, so it is set to 1: the
corpus already holds only the vocabulary (artists with enough listeners).

With ``numPartitions=1`` (``workers=1``) and the sentences in one partition in
corpus order, a fit is deterministic. More partitions train copies of the model
on parts of the data and merge them after each iteration: faster on a cluster,
not reproducible, and by MLlib's own advice less accurate.
"""

import time

import numpy as np
from pyspark.sql import functions as F

#: TrainConfig fields MLlib has no equivalent for (recorded in metadata.json).
IGNORED = ("shrink_windows", "negative", "ns_exponent", "sample", "min_alpha")
#: MLlib cuts longer sentences into pieces of this many tokens unless told otherwise.
MLLIB_SENTENCE_LENGTH = 1000


def mllib_settings(config, longest):
    """MLlib Word2Vec parameters for ``config`` on a corpus whose longest sentence has ``longest`` tokens.

    Parameters
    ----------
    config : item2vec.training.trainer.TrainConfig
    longest : int

    Returns
    -------
    dict
        Keyword arguments of ``pyspark.ml.feature.Word2Vec``.
    """
    return {
        "vectorSize": config.vector_size,
        "windowSize": config.window or max(1, longest),  # 0 = the whole sentence, as in gensim's path
        "maxIter": config.epochs,
        "stepSize": config.alpha,
        "numPartitions": config.workers,
        "seed": config.seed,
        "minCount": 1,
        "maxSentenceLength": max(MLLIB_SENTENCE_LENGTH, longest),
    }


def _sentence_frame(spark, sentences):
    """DataFrame[tokens] from a DataFrame with ``tokens``, a corpus file path, or lists of tokens."""
    if isinstance(sentences, str):
        frame = spark.read.text(sentences).where(F.length("value") > 0)
        return frame.select(F.split("value", " ").alias("tokens"))
    if isinstance(sentences, list | tuple):
        return spark.createDataFrame([(list(map(str, s)),) for s in sentences], "tokens array<string>")
    return sentences.select("tokens")


def train_mllib_vectors(spark, sentences, settings):
    """Fit MLlib Word2Vec and return the vectors in artist-id order.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    sentences : DataFrame, str or list of list
        A DataFrame with an array<string> column ``tokens`` (in corpus order, e.g.
        :func:`item2vec.spark.corpus_columns.sentences` ordered by user), a corpus file
        (one sentence per line, as :func:`item2vec.training.corpus.write_corpus` writes it),
        or the sentences themselves (as :func:`item2vec.training.corpus.build_sentences`
        returns them, e.g. for a research split).
    settings : dict
        ``pyspark.ml.feature.Word2Vec`` parameters, e.g. from :func:`mllib_settings`.

    Returns
    -------
    artist_ids : ndarray of int64
        Sorted.
    vectors : ndarray of float32, shape (n, vectorSize)
        Raw (not normalised) vectors, one row per id. MLlib keeps float32 and
        hands out doubles, so the cast back is exact.
    seconds : float
        Time of the fit and the export.
    """
    from pyspark.ml.feature import Word2Vec

    frame = _sentence_frame(spark, sentences)
    if settings.get("numPartitions", 1) == 1:
        # One input partition in corpus order: MLlib then sees the sentences in one fixed order.
        frame = frame.coalesce(1)
    start = time.perf_counter()
    model = Word2Vec(inputCol="tokens", outputCol="vector", **settings).fit(frame)
    table = model.getVectors().toPandas()
    ids = table["word"].astype(np.int64).to_numpy()
    vectors = np.stack([np.asarray(v.toArray(), dtype=np.float32) for v in table["vector"]])
    order = np.argsort(ids)
    return ids[order], np.ascontiguousarray(vectors[order]), time.perf_counter() - start


def train_mllib_dataset(spark, dataset, config):
    """MLlib Word2Vec on a :class:`~item2vec.ingest.cleaning.Dataset`, as ``trainer.train`` is gensim's.

    The corpus is built on the driver by :func:`item2vec.training.corpus.build_sentences` (the
    same corpus gensim would train on; small data sets, e.g. an evaluation split's
    training users) and handed to :func:`train_mllib_vectors`.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    dataset : item2vec.ingest.cleaning.Dataset
    config : item2vec.training.trainer.TrainConfig

    Returns
    -------
    item2vec.training.trainer.TrainedModel
        ``trainer="mllib"``; ``seconds`` covers corpus and fit.
    """
    from ..training.corpus import build_sentences
    from ..training.trainer import TrainedModel, check_vocabulary, vocabulary

    start = time.perf_counter()
    vocab = vocabulary(dataset, config.min_count)
    check_vocabulary(len(vocab), config.min_count)
    sentences = build_sentences(dataset.plays, vocab, config.weighting, config.max_repeat, config.seed)
    if not sentences:
        raise ValueError("no user listens to two or more artists of the vocabulary; nothing to learn from")
    settings = mllib_settings(config, max(len(s) for s in sentences))
    ids, vectors, _ = train_mllib_vectors(spark, sentences, settings)
    return TrainedModel(
        artist_ids=ids,
        vectors=vectors,
        config=config,
        seconds=time.perf_counter() - start,
        n_sentences=len(sentences),
        n_tokens=sum(len(s) for s in sentences),
        engine="pandas",
        trainer="mllib",
        trainer_settings={**settings, "ignored_hyperparameters": list(IGNORED)},
    )
