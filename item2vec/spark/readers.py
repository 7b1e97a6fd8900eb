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

from pyspark.sql import Window
from pyspark.sql import functions as F

from ..errors import DataError
from ..ingest import formats, lastfm360k
from ..ingest.cleaning import PLAY_REPAIRS, clean_artists, finish_plays, note_repair
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


@dataclasses.dataclass
class CleanPlays:
    """A cleaned input: what a :class:`~item2vec.ingest.Dataset` holds, with the plays left in Spark.

    Nothing per play or per pair is on the driver: only the artist table (one row per
    artist), the repairs and the facts about the files.
    """

    pairs: object  # pyspark DataFrame[user: long, artist_id: long, plays: long], persisted
    artists: object  # pandas DataFrame[artist_id, name], sorted by id
    repairs: dict
    format: str
    inputs: list  # the files read, for checksums


def pair_totals(pairs):
    """(number of rows, sum of ``plays``) of a Spark pairs table, computed in Spark."""
    got = pairs.agg(F.count(F.lit(1)).alias("n"), F.sum("plays").alias("plays")).first()
    return int(got["n"]), int(got["plays"] or 0)


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
    pairs = _clean_plays(
        spark, play_rows, counts, artists, (plays_path, artists_path), repairs, max_dropped_share
    )
    return CleanPlays(pairs, artists, repairs, fmt, [plays_path, artists_path])


def _clean_plays(spark, rows, counts, artists, files, repairs, max_dropped_share):
    """``ingest.cleaning.clean`` on Spark rows; returns the persisted pairs.

    ``counts`` is (rows, rows too long, usable rows whose user is an integer); ``files``
    is (plays file, artist file).
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
    n_pairs, _ = pair_totals(pairs)
    flagged.unpersist()
    before = usable - bad_id - bad_count - unknown
    finish_plays(repairs, (n_rows, before, n_pairs, unknown), *files, max_dropped_share)
    return pairs


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
    counts = {key: int(got[column] or 0) for key, column in REPAIR_COLUMNS_360K.items()}
    total = int(got["lines"])
    try:
        lastfm360k.check_rows(repairs, counts, total, path, max_dropped_share)
    except DataError:
        rows.unpersist()
        raise
    kept = rows.where(~F.col("long") & ~F.col("bad_id") & ~F.col("bad_count"))
    users = first_appearance_codes(kept, "user", 0).withColumnRenamed("code", "user_code")
    artists_by_key = first_appearance_codes(kept, "key", 1).withColumnRenamed("code", "artist_id")
    coded = kept.join(users, "user").join(artists_by_key, "key")
    pairs = (
        coded.groupBy(F.col("user_code").alias("user"), "artist_id")
        .agg(F.sum("count").alias("plays"))
        .persist()
    )
    n_pairs, _ = pair_totals(pairs)
    summed = total - sum(counts.values()) - n_pairs
    note_repair(repairs, lastfm360k.LASTFM360K_REPAIRS, "play_rows_duplicate_summed", summed)
    artists = _spelled_artists(coded, artists_by_key, repairs)
    rows.unpersist()
    return CleanPlays(pairs, artists, repairs, "lastfm360k", [path])


#: Each Last.fm-360K repair (:data:`item2vec.ingest.lastfm360k.LASTFM360K_REPAIRS`) and the
#: flag column counting it.
REPAIR_COLUMNS_360K = {
    "play_rows_malformed": "long",
    "play_rows_bad_id": "bad_id",
    "play_rows_bad_count": "bad_count",
}


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
    artists["name"] = lastfm360k.name_unnamed(artists["artist_id"], artists["name"], repairs)
    return artists[["artist_id", "name"]]
