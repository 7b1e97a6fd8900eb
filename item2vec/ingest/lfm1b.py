"""Reading listening events in the LFM-1b layout, in bounded memory.

A folder holds two tab-separated files without a header and without quoting:

* ``LFM-1b_LEs.txt``: one listening event per line: user-id, artist-id,
  album-id, track-id, timestamp (Unix seconds);
* ``LFM-1b_artists.txt``: artist-id, artist-name.

Every event is one play: the events of a (user, artist) pair are counted into
the ``plays`` of the :class:`~item2vec.ingest.cleaning.Dataset`. The events file is
read in chunks of ``chunk_rows`` lines and each chunk is reduced to (user,
artist, count) at once; partial counts are summed whenever they grow past
``merge_rows``, so memory grows with the number of distinct (user, artist)
pairs, not with the number of events. Album and track ids are not used.

Cleaning rules (those of :mod:`item2vec.ingest.cleaning`, each drop counted and logged):

* a line with more than 5 fields is malformed, and so is one with fewer
  (pandas fills the missing fields with empty text, so a line whose
  timestamp field is empty counts as malformed too);
* user and artist ids must be integers (``play_rows_bad_id``), the timestamp
  an integer >= 0 (``play_rows_bad_timestamp``), by the rules of
  :func:`~item2vec.ingest.cleaning.as_int` (" 7 " and "7.0" are 7, "7.5" is not);
* an event whose artist id is not in the artist list is dropped
  (``play_rows_unknown_artist``);
* more than ``max_dropped_share`` of the events dropped stops with a DataError.
"""

import csv
import logging
import os
import posixpath
import warnings

import numpy as np
import pandas as pd

from ..checksums import sha256_file
from ..errors import DataError
from .cleaning import (
    MAX_DROPPED_SHARE,
    Dataset,
    as_int,
    check_dropped,
    check_text_file,
    clean_artists,
    note_repair,
    reading,
    skipped_lines,
)

logger = logging.getLogger("item2vec.ingest.formats")

LFM1B_EVENTS = "LFM-1b_LEs.txt"
LFM1B_ARTISTS = "LFM-1b_artists.txt"

_COLUMNS = ["user", "artist_id", "album_id", "track_id", "timestamp"]
EVENT_REPAIRS = {
    "play_rows_malformed": "dropped %d event lines that do not have 5 tab-separated fields",
    "play_rows_bad_id": "dropped %d events whose user or artist id is not an integer "
    "between -2**62 and 2**62",
    "play_rows_bad_timestamp": "dropped %d events whose timestamp is not an integer from 0 to 2**62",
    "play_rows_unknown_artist": "dropped %d events whose artist id is not in the artist list",
}


def read_lfm1b(path, chunk_rows=2_000_000, merge_rows=20_000_000, max_dropped_share=MAX_DROPPED_SHARE):
    """Read an LFM-1b-layout folder (or its ``LFM-1b_LEs.txt``) into a Dataset of event counts.

    Parameters
    ----------
    path : str
        The folder holding ``LFM-1b_LEs.txt`` and ``LFM-1b_artists.txt``, or the
        events file itself (the artist file is then looked for next to it).
    chunk_rows : int
        Event lines parsed at a time.
    merge_rows : int
        Partial (user, artist) counts held before they are summed into one table
        (at least twice the last summed table, so summing stays linear).
    max_dropped_share : float
        Stop when more than this share of the events (or artist rows) is dropped.

    Returns
    -------
    Dataset
        ``plays`` holds one row per (user, artist_id) with the number of events,
        sorted; ``format`` is ``"lfm1b"``.
    """
    events_path, artists_path = event_paths(path)
    for file in (events_path, artists_path):
        check_text_file(file)
    repairs = {}
    artists = clean_artists(_read_artist_table(artists_path), artists_path, repairs, max_dropped_share)
    known = artists["artist_id"].to_numpy()  # sorted and unique
    counts = dict.fromkeys(EVENT_REPAIRS, 0)
    lines = 0
    parts, held, merged = [], 0, 0
    with reading(events_path), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        # All 5 columns are parsed: with usecols pandas silently accepts lines with too many fields.
        # Types are inferred, so clean integer columns arrive as int64 without any string work.
        chunks = pd.read_csv(
            events_path,
            sep="\t",
            header=None,
            names=_COLUMNS,
            keep_default_na=False,
            na_values=[],
            quoting=csv.QUOTE_NONE,
            encoding="utf-8",
            chunksize=chunk_rows,
            on_bad_lines="warn",
            engine="c",
            low_memory=False,
        )
        for chunk in chunks:
            lines += len(chunk)
            short = _blank(chunk["timestamp"])
            users, user_ok = _column_ints(chunk["user"])
            artist_ids, artist_ok = _column_ints(chunk["artist_id"])
            stamps, stamp_ok = _column_ints(chunk["timestamp"])
            bad_id = ~short & ~(user_ok & artist_ok)
            bad_stamp = ~short & ~bad_id & ~(stamp_ok & (stamps >= 0))
            keep = ~(short | bad_id | bad_stamp)
            users, artist_ids = users[keep], artist_ids[keep]
            found = np.searchsorted(known, artist_ids).clip(max=len(known) - 1)
            is_known = known[found] == artist_ids
            counts["play_rows_malformed"] += int(short.sum())
            counts["play_rows_bad_id"] += int(bad_id.sum())
            counts["play_rows_bad_timestamp"] += int(bad_stamp.sum())
            counts["play_rows_unknown_artist"] += int((~is_known).sum())
            parts.append(_count_pairs(users[is_known], artist_ids[is_known]))
            held += len(parts[-1])
            if held > max(merge_rows, 2 * merged):
                parts = [_sum_counts(parts)]
                held = merged = len(parts[0])
        # Lines with too many fields never reach a chunk: pandas skips them with a warning.
        long_lines = skipped_lines(caught)
    counts["play_rows_malformed"] += long_lines
    frame = _sum_counts(parts) if parts else pd.DataFrame()
    parts.clear()
    finish_events(
        repairs, counts, lines + long_lines, len(frame), (events_path, artists_path), max_dropped_share
    )
    return Dataset(
        plays=frame.astype(np.int64).reset_index(drop=True),
        artists=artists,
        checksums={os.path.basename(p): sha256_file(p) for p in (events_path, artists_path)},
        repairs=repairs,
        format="lfm1b",
    )


def event_paths(path, kind=None, join=os.path.join):
    """(events file, artist file) of ``path``, in both engines.

    ``path`` is a data folder holding both files, or the events file itself with the artist
    file next to it (for Spark, the "file" may be a folder of part files named like the
    events file). ``kind`` and ``join`` are :func:`item2vec.ingest.formats.detect_format`'s:
    how the engine sees its file system (default: the local one).
    """
    is_folder = os.path.isdir(path) if kind is None else kind(path) == "folder"
    if is_folder and posixpath.basename(path.rstrip("/")) != LFM1B_EVENTS:
        return join(path, LFM1B_EVENTS), join(path, LFM1B_ARTISTS)
    return path, join(posixpath.dirname(path.rstrip("/")), LFM1B_ARTISTS)


def finish_events(repairs, counts, total, pairs, paths, max_dropped_share):
    """The end of reading LFM-1b events, in both engines.

    Logs and records each repair of ``counts`` (a count per :data:`EVENT_REPAIRS` key),
    refuses a file none of whose ``total`` lines is a usable event (``pairs``, the
    distinct (user, artist) pairs counted, is 0) and applies the dropped-row limit.
    ``paths`` is (events file, artist file).
    """
    events_path, artists_path = paths
    for key, count in counts.items():
        note_repair(repairs, EVENT_REPAIRS, key, count)
    if not pairs:
        raise DataError(
            f"{events_path}: none of its {total} lines is a usable event "
            f"(see the warnings above for what was wrong)"
        )
    unknown = counts["play_rows_unknown_artist"]
    check_dropped(events_path, sum(counts.values()), total, max_dropped_share, unknown, artists_path)


def _read_artist_table(path):
    """``LFM-1b_artists.txt`` as text columns artist_id, name; lines with more fields are counted."""
    with reading(path), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        frame = pd.read_csv(
            path,
            sep="\t",
            header=None,
            names=["artist_id", "name"],
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_NONE,
            encoding="utf-8",
            on_bad_lines="warn",
            engine="c",
        )
    frame.attrs["rows_too_long"] = skipped_lines(caught)
    return frame


def _blank(column):
    """Mask of the rows whose field is empty or missing (pandas reads a missing field as empty text)."""
    if pd.api.types.is_numeric_dtype(column.dtype):
        return np.zeros(len(column), dtype=bool)
    return (column.fillna("").astype(str).str.strip() == "").to_numpy()


def _column_ints(column):
    """(int64 values, ok mask) of a chunk column by the rules of :func:`~item2vec.ingest.cleaning.as_int`.

    Fast when pandas already parsed the column as integers; a chunk holding a
    value that is not one falls back to the string rules (slower, never different).
    """
    if pd.api.types.is_integer_dtype(column.dtype):
        # The rule reads the double of the text: above 2**53 that is not always the integer
        # pandas parsed (2**53 + 1 is read as 2**53, as the string path and Spark read it).
        values = column.to_numpy().astype(float)
        ok = np.abs(values) < 2**62
        return np.where(ok, values, 0).astype(np.int64), ok
    if pd.api.types.is_float_dtype(column.dtype):
        numbers = column.to_numpy(dtype=float)
        ok = np.isfinite(numbers) & (numbers == np.floor(numbers)) & (np.abs(numbers) < 2**62)
        return np.where(ok, numbers, 0).astype(np.int64), ok
    return as_int(column.fillna("").astype(str))


def _count_pairs(users, artist_ids):
    """(user, artist_id, plays) event counts of one chunk."""
    frame = pd.DataFrame({"user": users, "artist_id": artist_ids})
    return frame.groupby(["user", "artist_id"], sort=False).size().rename("plays").reset_index()


def _sum_counts(parts):
    """Sum partial counts into one table sorted by (user, artist_id)."""
    frame = pd.concat(parts, ignore_index=True)
    return frame.groupby(["user", "artist_id"], sort=True, as_index=False)["plays"].sum()
