"""Listening events in the LFM-1b layout, counted into play counts by Spark.

The Spark twin of :func:`item2vec.ingest.lfm1b.read_lfm1b`: the same files, cleaning
rules, repair counts, warnings and dropped-row limit (see that module for the
rules). What is different is how the work is cut for speed, measured on 10M
generated events (docs/PERFORMANCE.md):

* the events file is scanned once; everything else runs on the aggregated table;
* nearly every line of a real or generated file is *canonical*: user, artist and
  timestamp plain digits (at most 18, so below 2**62), five fields, no
  replacement character. One regular expression per line recognises it, and its
  ids are cut out and cast to long, which for such text is exactly
  :func:`item2vec.ingest.cleaning.as_int`. Events are then counted per (user, artist) on
  long keys, the cheapest grouping Spark has (grouping on the text, or checking
  each field on its own, cost 2-3x the CPU);
* every other line keeps its text and is counted per distinct line; only those few
  lines get the full rules after the aggregation (field count, blank timestamp,
  ``as_int`` of each field, a negative timestamp).
"""

from pyspark.sql import functions as F

from ..ingest import lfm1b
from ..ingest.cleaning import clean_artists
from ..ingest.lfm1b import EVENT_REPAIRS, finish_events
from . import paths
from .delimited import (
    REPLACEMENT,
    as_int,
    check_utf8,
    collect_artist_table,
    field,
    fields,
    not_utf8,
    read_lines,
    strip,
)
from .readers import CleanPlays, known_artists, pair_totals

#: A line the fast path may parse with a plain cast: digits, digits, any two fields, digits.
#: Bytes that are not UTF-8 read as U+FFFD in a regular expression, so such a line is never
#: canonical and gets the UTF-8 check of the other lines.
CANONICAL = rf"^[0-9]{{1,18}}\t[0-9]{{1,18}}\t[^\t{REPLACEMENT}]*\t[^\t{REPLACEMENT}]*\t[0-9]{{1,18}}$"


def event_paths(spark, path):
    """(events file, artist file) for ``path``: :func:`item2vec.ingest.lfm1b.event_paths` itself, on
    the file system Spark reads ``path`` from."""
    if paths.is_local(path):
        return lfm1b.event_paths(path)
    return lfm1b.event_paths(path, kind=lambda p: paths.kind(spark, p), join=paths.join)


def read_artist_table(spark, path):
    """``LFM-1b_artists.txt`` (artist-id, name; tab-separated, no header) as a raw pandas table."""
    parts = fields(F.col("value"), "\t")
    rows = read_lines(spark, path, "\t").select(
        field(parts, 0).alias("artist_id"),
        field(parts, 1).alias("name"),
        (F.size(parts) > 2).alias("long"),
        not_utf8("value"),
    )
    return collect_artist_table(spark, rows, path)


def count_events(spark, events_path):
    """Events per (user, artist, non-canonical line): DataFrame[u, a, line, events], persisted.

    ``u`` and ``a`` are set (and ``line`` null) for canonical lines; ``line`` holds
    the text of every other line.
    """
    value = F.col("value")
    canonical = value.rlike(CANONICAL)
    user = F.substring_index(value, "\t", 1)
    artist = F.substring_index(F.substring_index(value, "\t", 2), "\t", -1)
    return (
        read_lines(spark, events_path, "\t")
        .select(canonical.alias("c"), value)
        .select(
            F.when(F.col("c"), user.cast("long")).alias("u"),
            F.when(F.col("c"), artist.cast("long")).alias("a"),
            F.when(~F.col("c"), value).alias("line"),
        )
        .groupBy("u", "a", "line")
        .agg(F.count(F.lit(1)).alias("events"))
        .persist()
    )


def parse_odd_lines(counted):
    """The full rules on the non-canonical lines.

    Returns DataFrame[u, a, events, malformed, bad_id, bad_time, bad_text].

    As in the pandas reader: more than five fields, or an empty timestamp field (a
    missing field reads as empty), is malformed; then user and artist must be
    integers; then the timestamp an integer >= 0. (A byte-order mark at the start of
    the file is dropped by Spark's line reader, as by pandas.)
    """
    text = F.col("line")
    parts = fields(text, "\t")
    stamp = field(parts, 4)
    long = F.size(parts) > 5
    malformed = long | (strip(stamp) == "")
    user, artist = as_int(field(parts, 0)), as_int(field(parts, 1))
    bad_id = ~malformed & (user.isNull() | artist.isNull())
    bad_time = ~malformed & ~bad_id & F.coalesce(as_int(stamp) < 0, F.lit(True))
    return counted.where(F.col("line").isNotNull()).select(
        user.alias("u"),
        artist.alias("a"),
        "events",
        malformed.alias("malformed"),
        bad_id.alias("bad_id"),
        bad_time.alias("bad_time"),
        not_utf8("line"),
    )


def read_lfm1b(spark, path, max_dropped_share):
    """Read LFM-1b-layout events and count them into play counts (as ``ingest.lfm1b.read_lfm1b``).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    path : str
        The folder holding ``LFM-1b_LEs.txt`` and ``LFM-1b_artists.txt``, or the
        events file (or folder of part files) itself, with the artist file next to it.
    max_dropped_share : float

    Returns
    -------
    CleanPlays
        ``pairs`` holds the number of events of each (user, artist).
    """
    events_path, artists_path = event_paths(spark, path)
    for file in (events_path, artists_path):
        paths.check_data_file(spark, file)
    repairs = {}
    artists = clean_artists(read_artist_table(spark, artists_path), artists_path, repairs, max_dropped_share)
    counted = count_events(spark, events_path)
    got = counted.agg(
        F.sum("events").alias("total"), F.count(F.when(F.col("line").isNotNull(), 1)).alias("odd")
    ).first()
    total = int(got["total"] or 0)
    counts = dict.fromkeys(EVENT_REPAIRS, 0)
    good = counted.where(F.col("line").isNull()).select(
        F.col("u").alias("user"), F.col("a").alias("artist_id"), "events"
    )
    if got["odd"]:
        odd = parse_odd_lines(counted).persist()
        flags = ("malformed", "bad_id", "bad_time", "bad_text")
        sums = odd.agg(
            *[F.sum(F.when(F.col(c), F.col("events")).otherwise(0)).alias(c) for c in flags]
        ).first()
        check_utf8(spark, events_path, sums["bad_text"])
        counts["play_rows_malformed"] = int(sums["malformed"])
        counts["play_rows_bad_id"] = int(sums["bad_id"])
        counts["play_rows_bad_timestamp"] = int(sums["bad_time"])
        usable = odd.where(~F.col("malformed") & ~F.col("bad_id") & ~F.col("bad_time"))
        # A usable odd line (" 7 ", "5.0") may name a pair canonical lines name too: count again.
        good = (
            good.unionByName(usable.select(F.col("u").alias("user"), F.col("a").alias("artist_id"), "events"))
            .groupBy("user", "artist_id")
            .agg(F.sum("events").alias("events"))
        )
    valid = total - sum(counts.values())
    pairs = (
        good.join(F.broadcast(known_artists(spark, artists)), "artist_id")
        .select("user", "artist_id", F.col("events").alias("plays"))
        .persist()
    )
    n_pairs, events = pair_totals(pairs)
    counted.unpersist()
    if got["odd"]:
        odd.unpersist()
    counts["play_rows_unknown_artist"] = valid - events
    finish_events(repairs, counts, total, n_pairs, (events_path, artists_path), max_dropped_share)
    return CleanPlays(pairs, artists, repairs, "lfm1b", [events_path, artists_path])
