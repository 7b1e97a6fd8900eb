"""The item2vec corpus built by Spark, identical to :mod:`item2vec.training.corpus`'s.

Repetitions by play count (:func:`item2vec.training.corpus.repeats`' three weightings)
and the keyed order (:func:`item2vec.training.corpus.token_keys`) are computed as Spark
columns, so each member's file :func:`write_member_corpora` writes is byte for byte the one
the pandas path writes from the same plays and seed (the vocabulary is
:func:`item2vec.training.corpus.vocabulary_of` of the listeners Spark counted). Where
floating point could round differently between numpy and Java, the same operations are
used in the same order: ``rank`` weighting with ``bround`` (half to even, as
``np.round``), ``log`` weighting with numpy itself in a vectorised pandas UDF (Java's
logarithm may differ from numpy's in the last bit, which ``floor`` would turn into a
whole repetition).
"""

import functools
import logging
import time

import numpy as np
from pyspark.sql import Window
from pyspark.sql import functions as F

from ..training.corpus import SPLITMIX_GOLDEN, SPLITMIX_MUL1, SPLITMIX_MUL2, WEIGHTINGS, seed_state
from . import paths
from .jobs import run_jobs

logger = logging.getLogger(__name__)


def _signed(value):
    """A 64-bit constant as the signed long Spark stores."""
    return value - (1 << 64) if value >= 1 << 63 else value


def splitmix64(column):
    """:func:`item2vec.training.corpus.splitmix64` of a long column, in Spark's own arithmetic.

    Java's long arithmetic wraps in two's complement exactly as numpy's uint64 does,
    and an unsigned shift reads the bits as unsigned; this needs ANSI mode off
    (:func:`item2vec.spark.session.settings`), where an overflowing multiply wraps
    instead of raising.
    """
    z = column + F.lit(_signed(SPLITMIX_GOLDEN))
    z = z.bitwiseXOR(F.shiftrightunsigned(z, 30)) * F.lit(_signed(SPLITMIX_MUL1))
    z = z.bitwiseXOR(F.shiftrightunsigned(z, 27)) * F.lit(_signed(SPLITMIX_MUL2))
    return z.bitwiseXOR(F.shiftrightunsigned(z, 31))


def token_key(seed, user, artist_id, copy):
    """The sort key of :func:`item2vec.training.corpus.token_keys` as a Spark column (long, >= 0)."""
    h = splitmix64(F.lit(seed_state(seed)).bitwiseXOR(user.cast("long")))
    h = splitmix64(h.bitwiseXOR(artist_id.cast("long")))
    h = splitmix64(h.bitwiseXOR(copy.cast("long")))
    return F.shiftrightunsigned(h, 1)


def _log_repeats_udf(max_repeat):
    import pandas as pd

    from ..training.corpus import log_repeats

    @F.pandas_udf("long")
    def reps(plays: pd.Series, medians: pd.Series) -> pd.Series:
        return pd.Series(log_repeats(plays.to_numpy(float), medians.to_numpy(float), max_repeat))

    return reps


def weighted(pairs, vocab, weighting, max_repeat):
    """DataFrame[user, artist_id, reps]: the vocabulary rows of users with at least two of them.

    Parameters
    ----------
    pairs : pyspark.sql.DataFrame
        Columns user, artist_id, plays; one row per (user, artist).
    vocab : pyspark.sql.DataFrame
        Column artist_id.
    weighting, max_repeat : see :func:`item2vec.training.corpus.repeats`.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"unknown weighting {weighting!r}; choose from {', '.join(WEIGHTINGS)}")
    # Rank 0 = most played; ties to the smaller artist id, as the pandas path sorts its rows.
    # The count runs over the same ordering (whole partition as its frame): one sort, not two.
    by_rank = Window.partitionBy("user").orderBy(F.desc("plays"), F.asc("artist_id"))
    by_user = by_rank.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    rows = pairs.join(vocab, "artist_id").withColumn("n", F.count(F.lit(1)).over(by_user))
    # A user with one artist, however often repeated, says nothing about similarity.
    rows = rows.where(F.col("n") >= 2)
    if weighting == "none" or max_repeat <= 1:
        reps = F.lit(1).cast("long")
    elif weighting == "rank":
        rank = F.row_number().over(by_rank) - 1
        frac = F.lit(1.0) - rank / F.greatest(F.col("n") - 1, F.lit(1))
        reps = F.lit(1.0) + F.bround(frac * F.lit(float(max_repeat - 1)), 0)
        reps = F.least(F.greatest(reps, F.lit(1.0)), F.lit(float(max_repeat))).cast("long")
    else:  # log: the user's exact median (percentile 0.5, as np.median), then numpy's log2
        rows = rows.withColumn("median", F.median("plays").over(Window.partitionBy("user")))
        reps = _log_repeats_udf(max_repeat)(F.col("plays").cast("double"), F.col("median"))
    return rows.select("user", "artist_id", reps.alias("reps"))


def vocabulary_frame(spark, vocab_ids):
    """The vocabulary (numpy ids) as a one-column Spark DataFrame ``artist_id``, for joins."""
    import pandas as pd

    return spark.createDataFrame(
        pd.DataFrame({"artist_id": np.asarray(vocab_ids, dtype=np.int64)}), "artist_id long"
    )


def sentences(pairs, vocab, weighting="rank", max_repeat=2, seed=0):
    """DataFrame[user, tokens]: each user's sentence, artist ids (text) in the keyed order.

    :func:`weighted` rows, then :func:`keyed_sentences`.
    """
    return keyed_sentences(weighted(pairs, vocab, weighting, max_repeat), seed)


def keyed_sentences(rows, seed):
    """DataFrame[user, tokens] of :func:`weighted` rows for ``seed``.

    The copies of each (user, artist) row are exploded to tokens, keyed with
    :func:`token_key`, and each user's tokens sorted by (key, artist id, copy).
    """
    tokens = rows.select(
        "user", "artist_id", F.explode(F.sequence(F.lit(0).cast("long"), F.col("reps") - 1)).alias("copy")
    ).withColumn("key", token_key(seed, F.col("user"), F.col("artist_id"), F.col("copy")))
    grouped = tokens.groupBy("user").agg(
        F.array_sort(F.collect_list(F.struct("key", "artist_id", "copy"))).alias("toks")
    )
    return grouped.select(
        "user", F.transform("toks", lambda t: t["artist_id"].cast("string")).alias("tokens")
    )


def member_folder(work, index):
    """Where member ``index``'s corpus goes inside the run's work folder (a local path or URI)."""
    return paths.join(work, f"member-{index}")


def corpus_counts(rows):
    """``(n_sentences, n_tokens, longest)`` of the corpus of :func:`weighted` rows (any seed's)."""
    per_user = rows.groupBy("user").agg(F.sum("reps").alias("n"))
    got = per_user.agg(F.count(F.lit(1)), F.sum("n"), F.max("n")).first()
    return int(got[0]), int(got[1] or 0), int(got[2] or 0)


def write_member_corpora(spark, pairs, vocab_ids, config, work, progress=True):
    """Write the corpus of each bagged member (seed ``config.seed + i``) as one text file.

    Member ``i``'s file, in :func:`member_folder`, is byte for byte what
    :func:`item2vec.training.corpus.write_corpus` writes for the seed of member ``i``: one
    sentence per line, users in order. The weighted rows are computed once; each member's
    sentences are built across the cluster, then gathered into one partition, sorted by
    user and written by one task, so that the member's training task reads its corpus in
    order from one file. The members' jobs run side by side
    (:func:`item2vec.spark.jobs.run_jobs`), so the single-task ends of several members
    overlap.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    pairs : pyspark.sql.DataFrame
        Columns user, artist_id, plays.
    vocab_ids : ndarray of int64
    config : item2vec.training.trainer.TrainConfig
    work : str
        The run's work folder (local path or URI), readable by every executor.
    progress : bool
        A bar advancing per member written.

    Returns
    -------
    tuple of int
        ``(n_sentences, n_tokens, longest)``, the same for every member.
    """
    start = time.perf_counter()
    vocab = F.broadcast(vocabulary_frame(spark, vocab_ids))
    rows = weighted(pairs, vocab, config.weighting, config.max_repeat).persist()
    counts = corpus_counts(rows)
    if not counts[0]:
        rows.unpersist()
        raise ValueError("no user listens to two or more artists of the vocabulary; nothing to learn from")

    def write(index):
        lines = keyed_sentences(rows, config.seed + index).select(
            "user", F.array_join("tokens", " ").alias("line")
        )
        lines.repartition(1).sortWithinPartitions("user").select("line").write.text(
            member_folder(work, index)
        )

    calls = [functools.partial(write, i) for i in range(config.members)]
    try:
        run_jobs(spark.sparkContext, calls, "writing corpora", "member", progress)
    finally:
        rows.unpersist()
    logger.info(
        "spark: %d corpora of %d sentences, %d tokens written in %.1f s",
        config.members,
        *counts[:2],
        time.perf_counter() - start,
    )
    return counts
