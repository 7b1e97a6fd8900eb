"""The Spark readers of the (user, artist, plays) formats: Kaggle, HetRec and Last.fm-360K.

Each mirrors its pandas reader (:mod:`item2vec.ingest.formats`, :mod:`item2vec.ingest.cleaning`,
:mod:`item2vec.ingest.lastfm360k`): the same rows are dropped, summed and counted under
the same ``repairs`` keys and warnings, the same dropped-row limit applies, and
users and artists get the same numbers. What each returns is a
:class:`CleanPlays`: the cleaned (user, artist_id, plays) table as a persisted
Spark DataFrame, the artist table on the driver, and the repairs. Listening
events (LFM-1b) are read by :mod:`item2vec.spark.event_counts`.
"""

import dataclasses
import logging

from pyspark.sql import Window
from pyspark.sql import functions as F

from ..errors import DataError
from ..ingest import formats, lastfm360k
from ..ingest.cleaning import PLAY_REPAIRS, check_dropped, clean_artists
from . import paths
from .delimited import (
    as_int,
    check_utf8,
    collect_artist_table,
    field,
    fields,
    not_utf8,
    read_headed,
    read_lines,
    strip,
)

logger = logging.getLogger("item2vec.ingest.formats")


@dataclasses.dataclass
class CleanPlays:
    """A cleaned input: what a :class:`~item2vec.ingest.Dataset` holds, with the plays still in Spark."""

    pairs: object  # pyspark DataFrame[user: long, artist_id: long, plays: long], persisted
    plays: object  # the same pairs on the driver: pandas DataFrame sorted by (user, artist_id)
    artists: object  # pandas DataFrame[artist_id, name], sorted by id
    repairs: dict
    format: str
    inputs: list  # the files read, for checksums


def collect_pairs(pairs):
    """The cleaned pairs on the driver, as :class:`~item2vec.ingest.cleaning.Dataset` holds them.

    The model folder's catalogue lists every (artist, user) pair (for ``--explain``'s
    shared listeners), so they come to the driver in any case; Arrow moves them in
    columns, 24 bytes per pair.
    """
    import numpy as np

    plays = pairs.select("user", "artist_id", "plays").toPandas().astype(np.int64)
    return plays.sort_values(["user", "artist_id"], kind="stable").reset_index(drop=True)


def first_appearance_codes(rows, key, start):
    """DataFrame[key, code]: each distinct ``key`` numbered from ``start`` in order of first ``pos``.

    The pandas readers number text users (and Last.fm-360K's artists) in the order
    they first appear in the file; ``pos`` is that order (:func:`~item2vec.spark.delimited.read_lines`).
    The numbering runs in one partition: fine for millions of distinct keys, which
    is as many users or artists as these formats hold.
    """
    firsts = rows.groupBy(key).agg(F.min("pos").alias("first"))
    code = F.row_number().over(Window.orderBy("first")) - 1 + start
    return firsts.select(key, code.cast("long").alias("code"))


def note_repair(repairs, messages, key, count):
    """Record a repair in ``repairs`` and log its warning (``messages[key]``), as the pandas readers do.

    Parameters
    ----------
    repairs : dict
        Updated in place; nothing is recorded for a count of 0.
    messages : dict
        Warning format per repair key (e.g. :data:`item2vec.ingest.cleaning.PLAY_REPAIRS`).
    key : str
    count : int
    """
    if count:
        repairs[key] = int(count)
        logger.warning(messages[key], count)


def known_artists(spark, artists):
    """DataFrame[artist_id, known] of the ids in the driver's artist table (``known`` always true),
    for a left join that flags plays of unknown artists."""
    import pandas as pd

    ids = pd.DataFrame({"artist_id": artists["artist_id"].to_numpy(dtype="int64")})
    return spark.createDataFrame(ids, "artist_id long").withColumn("known", F.lit(True))


def _headed_table(spark, path, required, sep, positions, user=None):
    """:func:`read_headed` plus the pandas reader's checks (UTF-8, a header with no rows), in one pass.

    Returns the rows, their number, the number too long, and (with ``user``, a column
    name) how many usable rows hold an integer in that column.
    """
    rows, _ = read_headed(spark, path, required, sep, positions)
    rows = rows.persist()  # parsed once: the cleaning runs on these rows, not on the file again
    integer = F.lit(0)
    if user:
        integer = F.when(~F.col("long") & as_int(strip(F.col(user))).isNotNull(), 1).otherwise(0)
    got = rows.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.col("long").cast("long")).alias("long"),
        F.sum(F.col("bad_text").cast("long")).alias("bad"),
        F.sum(integer).alias("integer"),
    ).first()
    n, long_rows = int(got["rows"]), int(got["long"] or 0)
    check_utf8(spark, path, got["bad"])
    if n == 0:
        raise DataError(f"{path}: has a header but no rows")
    return rows, n, long_rows, int(got["integer"] or 0)


def read_pair(spark, folder, fmt, max_dropped_share):
    """Read and clean a Kaggle or HetRec folder (see :func:`item2vec.ingest.formats.read_kaggle`).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    folder : str
        Local folder or URI holding the two files.
    fmt : {"kaggle", "hetrec"}
    max_dropped_share : float

    Returns
    -------
    CleanPlays
    """
    if fmt == "kaggle":
        names, sep = (formats.KAGGLE_PLAYS, formats.KAGGLE_ARTISTS), ","
        play_columns, artist_columns = ["user_id", "artist_id", "scrobbles"], ["artist_id", "artist_name"]
    else:
        names, sep = (formats.HETREC_PLAYS, formats.HETREC_ARTISTS), "\t"
        play_columns, artist_columns = ["userID", "artistID", "weight"], ["id", "name"]
    plays_path, artists_path = paths.join(folder, names[0]), paths.join(folder, names[1])
    artist_rows, _ = read_headed(spark, artists_path, artist_columns, sep)
    raw_artists = collect_artist_table(
        spark, artist_rows.toDF("artist_id", "name", "long", "bad_text"), artists_path
    )
    if raw_artists.empty and not raw_artists.attrs["rows_too_long"]:
        raise DataError(f"{artists_path}: has a header but no rows")
    play_rows, n_plays, play_long, integer_users = _headed_table(
        spark, plays_path, play_columns, sep, True, play_columns[0]
    )
    play_rows = play_rows.toDF("pos", "user", "artist_id", "plays", "long", "bad_text")
    repairs = {}
    artists = clean_artists(raw_artists, artists_path, repairs, max_dropped_share)
    counts = (n_plays, play_long, integer_users)
    pairs, plays = _clean_plays(
        spark, play_rows, counts, artists, plays_path, artists_path, repairs, max_dropped_share
    )
    return CleanPlays(pairs, plays, artists, repairs, fmt, [plays_path, artists_path])


def _clean_plays(spark, rows, counts, artists, plays_path, artists_path, repairs, max_dropped_share):
    """``ingest.cleaning.clean`` on Spark rows; returns the persisted pairs and their driver copy.

    ``counts`` is (rows, rows too long, usable rows whose user is an integer).
    """
    n_rows, n_long, integer_users = counts
    note_repair(repairs, PLAY_REPAIRS, "play_rows_malformed", n_long)
    rows = rows.where(~F.col("long")).withColumn("user_text", strip(F.col("user")))
    usable = n_rows - n_long
    if 2 * integer_users > usable:
        rows = rows.withColumn("user_code", as_int(F.col("user_text")))
    else:  # ids that are not numbers: numbered by first appearance, the empty user included
        codes = first_appearance_codes(rows, "user_text", 0)
        rows = rows.join(codes, "user_text").withColumn(
            "user_code", F.when(F.col("user_text") != "", F.col("code"))
        )
    flagged = (
        rows.select(
            F.col("user_code").alias("user"),
            as_int(F.col("artist_id")).alias("artist_id"),
            as_int(F.col("plays")).alias("plays"),
        )
        .withColumn("bad_id", F.col("user").isNull() | F.col("artist_id").isNull())
        .withColumn("bad_count", ~F.col("bad_id") & F.coalesce(F.col("plays") <= 0, F.lit(True)))
        .join(F.broadcast(known_artists(spark, artists)), "artist_id", "left")
        .withColumn("unknown", ~F.col("bad_id") & ~F.col("bad_count") & F.col("known").isNull())
        .persist()
    )
    got = flagged.agg(
        *[F.sum(F.col(c).cast("long")).alias(c) for c in ("bad_id", "bad_count", "unknown")]
    ).first()
    bad_id, bad_count, unknown = (int(got[c] or 0) for c in ("bad_id", "bad_count", "unknown"))
    note_repair(repairs, PLAY_REPAIRS, "play_rows_bad_id", bad_id)
    note_repair(repairs, PLAY_REPAIRS, "play_rows_bad_count", bad_count)
    note_repair(repairs, PLAY_REPAIRS, "play_rows_unknown_artist", unknown)
    kept = flagged.where(~F.col("bad_id") & ~F.col("bad_count") & ~F.col("unknown"))
    pairs = kept.groupBy("user", "artist_id").agg(F.sum("plays").alias("plays")).persist()
    before = usable - bad_id - bad_count - unknown
    plays = collect_pairs(pairs)
    n_pairs = len(plays)
    flagged.unpersist()
    note_repair(repairs, PLAY_REPAIRS, "play_rows_duplicate_summed", before - n_pairs)
    total = n_rows
    if not n_pairs:
        raise DataError(
            f"{plays_path}: none of its {total} rows is usable (see the warnings above for what was wrong)"
        )
    cause = f" ({unknown} of them name an artist id missing from {artists_path})" if unknown else ""
    check_dropped(plays_path, total - before, total, max_dropped_share, cause)
    return pairs, plays


def read_lastfm360k(spark, path, max_dropped_share):
    """Read and clean Last.fm-360K (see :func:`item2vec.ingest.lastfm360k.read_lastfm360k`).

    An artist is its MusicBrainz id when the row has one, else its exact name;
    users are numbered from 0 and artists from 1 in order of first appearance among
    the usable rows, and each artist is shown under the spelling most of its rows use
    (ties: the alphabetically first), all as the pandas reader does.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    path : str
        The ``.tsv`` file, or a folder holding it.
    max_dropped_share : float

    Returns
    -------
    CleanPlays
    """
    inside = paths.join(path, formats.LASTFM360K_PLAYS)
    if paths.is_folder(spark, path) and paths.exists(spark, inside):
        path = inside
    paths.check_data_file(spark, path)
    lines = read_lines(spark, path, "\t", positions=True)
    parts = fields(F.col("value"), "\t")
    rows = lines.select(
        "pos",
        (F.size(parts) > 4).alias("long"),
        not_utf8("value"),
        *[strip(field(parts, i)).alias(name) for i, name in enumerate(("user", "mbid", "name", "plays"))],
    )
    rows = rows.withColumn("count", as_int(F.col("plays")))
    rows = rows.withColumn("bad_id", (F.col("user") == "") | ((F.col("mbid") == "") & (F.col("name") == "")))
    rows = rows.withColumn("bad_count", ~F.col("bad_id") & F.coalesce(F.col("count") <= 0, F.lit(True)))
    rows = rows.withColumn(
        "key",
        F.when(F.col("mbid") != "", F.concat(F.lit("m:"), "mbid")).otherwise(F.concat(F.lit("n:"), "name")),
    ).persist()
    got = rows.agg(
        F.count(F.lit(1)).alias("lines"),
        *[
            F.sum(F.when(~F.col("long"), F.col(c).cast("long")).otherwise(0)).alias(c)
            for c in ("bad_id", "bad_count")
        ],
        F.sum(F.col("long").cast("long")).alias("long"),
        F.sum(F.col("bad_text").cast("long")).alias("bad_text"),
    ).first()
    check_utf8(spark, path, got["bad_text"])
    repairs = {}
    for key, column in (
        ("play_rows_malformed", "long"),
        ("play_rows_bad_id", "bad_id"),
        ("play_rows_bad_count", "bad_count"),
    ):
        note_repair(repairs, lastfm360k.LASTFM360K_REPAIRS, key, int(got[column] or 0))
    kept = rows.where(~F.col("long") & ~F.col("bad_id") & ~F.col("bad_count"))
    users = first_appearance_codes(kept, "user", 0).withColumnRenamed("code", "user_code")
    artists_by_key = first_appearance_codes(kept, "key", 1).withColumnRenamed("code", "artist_id")
    coded = kept.join(users, "user").join(artists_by_key, "key")
    total = int(got["lines"])
    dropped = sum(int(got[c] or 0) for c in ("long", "bad_id", "bad_count"))
    if dropped == total:
        rows.unpersist()
        raise DataError(f"{path}: no usable rows (see the warnings above for what was wrong)")
    check_dropped(path, dropped, total, max_dropped_share)
    pairs = (
        coded.groupBy(F.col("user_code").alias("user"), "artist_id")
        .agg(F.sum("count").alias("plays"))
        .persist()
    )
    plays = collect_pairs(pairs)
    n_pairs = len(plays)
    summed = total - dropped - n_pairs
    if summed:
        repairs["play_rows_duplicate_summed"] = summed
        logger.warning("summed %d duplicate (user, artist) rows", summed)
    artists = _spelled_artists(coded, artists_by_key, repairs)
    rows.unpersist()
    return CleanPlays(pairs, plays, artists, repairs, "lastfm360k", [path])


def _spelled_artists(coded, artists_by_key, repairs):
    """Last.fm-360K's artist table (pandas): id 1..n, the spelling most rows use, else "(unnamed #id)"."""
    spelled = (
        coded.where(F.col("name") != "").groupBy("artist_id", "name").agg(F.count(F.lit(1)).alias("rows"))
    )
    best = spelled.withColumn(
        "rank", F.row_number().over(Window.partitionBy("artist_id").orderBy(F.desc("rows"), "name"))
    ).where(F.col("rank") == 1)
    table = artists_by_key.select("artist_id").join(best.select("artist_id", "name"), "artist_id", "left")
    artists = table.toPandas().sort_values("artist_id").reset_index(drop=True)
    artists["artist_id"] = artists["artist_id"].astype("int64")
    unnamed = artists["name"].isna()
    if unnamed.any():
        repairs["artist_names_blank"] = int(unnamed.sum())
        logger.warning("named %d artists that never have a name after their id", int(unnamed.sum()))
    artists["name"] = artists["name"].astype(object)
    artists.loc[unnamed, "name"] = "(unnamed #" + artists.loc[unnamed, "artist_id"].astype(str) + ")"
    return artists[["artist_id", "name"]]
