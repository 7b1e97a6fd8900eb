"""The item2vec corpus built by Spark, identical to :mod:`item2vec.training.corpus`'s.

Vocabulary (artists with at least ``min_count`` listeners), repetitions by play
count (:func:`item2vec.training.corpus.repeats`' three weightings) and the keyed order
(:func:`item2vec.training.corpus.token_keys`) are computed as Spark columns, so the file
:func:`write_corpus` writes is byte for byte the one the pandas path writes from
the same plays. Where floating point could round differently between numpy and
Java, the same operations are used in the same order: ``rank`` weighting with
``bround`` (half to even, as ``np.round``), ``log`` weighting with numpy itself in
a vectorised pandas UDF (Java's logarithm may differ from numpy's in the last bit,
which ``floor`` would turn into a whole repetition).
"""

import time

from pyspark.sql import Window
from pyspark.sql import functions as F

from ..training.corpus import SPLITMIX_GOLDEN, SPLITMIX_MUL1, SPLITMIX_MUL2, WEIGHTINGS, seed_state


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


def vocabulary(pairs, min_count):
    """Sorted artist ids (numpy) with at least ``min_count`` listeners in ``pairs``.

    ``pairs`` has one row per (user, artist), so rows per artist are its listeners.
    """
    import numpy as np

    frame = pairs.groupBy("artist_id").count().where(F.col("count") >= min_count).select("artist_id")
    return np.sort(frame.toPandas()["artist_id"].to_numpy(dtype=np.int64))


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


def sentences(pairs, vocab, weighting="rank", max_repeat=2, seed=0):
    """DataFrame[user, tokens]: each user's sentence, artist ids (text) in the keyed order.

    The copies of each (user, artist) row are exploded to tokens, keyed with
    :func:`token_key`, and each user's tokens sorted by (key, artist id, copy).
    """
    rows = weighted(pairs, vocab, weighting, max_repeat)
    tokens = rows.select(
        "user", "artist_id", F.explode(F.sequence(F.lit(0).cast("long"), F.col("reps") - 1)).alias("copy")
    ).withColumn("key", token_key(seed, F.col("user"), F.col("artist_id"), F.col("copy")))
    grouped = tokens.groupBy("user").agg(
        F.array_sort(F.collect_list(F.struct("key", "artist_id", "copy"))).alias("toks")
    )
    return grouped.select(
        "user", F.transform("toks", lambda t: t["artist_id"].cast("string")).alias("tokens")
    )


def write_corpus(frame, path):
    """Write :func:`sentences` to one local file, one sentence per line in user order.

    Rows come to the driver partition by partition (``toLocalIterator``), so the
    driver holds one partition of sentences at a time, and gensim's ``corpus_file``
    mode gets the local file it needs even when the data lives on a cluster.

    Returns
    -------
    n_sentences, n_tokens, longest : int
        As :func:`item2vec.training.corpus.write_corpus` returns them.
    """
    lines = frame.orderBy("user").select(
        F.array_join("tokens", " ").alias("line"), F.size("tokens").alias("n")
    )
    n_sentences = n_tokens = longest = 0
    with open(path, "w", encoding="ascii", newline="\n") as handle:
        for row in lines.toLocalIterator(prefetchPartitions=True):
            handle.write(row[0])
            handle.write("\n")
            n_sentences += 1
            n_tokens += row[1]
            longest = max(longest, row[1])
    return n_sentences, n_tokens, longest


def build_corpus(pairs, vocab_ids, config, path, spark):
    """Write :func:`sentences` of ``pairs`` over ``vocab_ids`` (``config``'s weighting, seed) to ``path``.

    Returns
    -------
    counts : tuple of int
        ``(n_sentences, n_tokens, longest)``.
    seconds : float
    """
    import pandas as pd

    start = time.perf_counter()
    vocab = spark.createDataFrame(pd.DataFrame({"artist_id": vocab_ids}), "artist_id long")
    frame = sentences(pairs, vocab, config.weighting, config.max_repeat, config.seed)
    return write_corpus(frame, path), time.perf_counter() - start
