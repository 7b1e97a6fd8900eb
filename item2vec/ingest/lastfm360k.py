"""Reading Last.fm-360K (``usersha1-artmbid-artname-plays.tsv``, 17.5M rows) in bounded memory.

Chunked and factorized so that no column of the whole file is ever held as
Python strings; the cleaning rules and the dropped-row limit are those of
:mod:`item2vec.ingest.cleaning`.
"""

import csv
import logging
import os
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
    note_repair,
    reading,
    skipped_lines,
)

logger = logging.getLogger("item2vec.ingest.formats")

LASTFM360K_PLAYS = "usersha1-artmbid-artname-plays.tsv"
#: The warning logged for each repair, by its ``repairs`` key.
LASTFM360K_REPAIRS = {
    "play_rows_malformed": "dropped %d lines that do not have 4 tab-separated fields",
    "play_rows_bad_id": "dropped %d play rows without a user or without both artist id and name",
    "play_rows_bad_count": "dropped %d play rows whose play count is not a positive integer below 2**62",
    "play_rows_duplicate_summed": "summed %d duplicate (user, artist) rows",
    "artist_names_blank": "named %d artists that never have a name after their id",
}


def read_lastfm360k(path, chunk_rows=500_000, max_dropped_share=MAX_DROPPED_SHARE):
    """Read Last.fm-360K ``usersha1-artmbid-artname-plays.tsv`` (a folder holding it, or the file).

    The file is tab-separated without a header: user SHA-1, MusicBrainz artist
    id (may be empty), artist name, plays. An artist is its MusicBrainz id when
    the row has one, else its exact name; identities are numbered 1..n in order
    of first appearance and displayed under the spelling most rows use (ties:
    the alphabetically first). The ~17.5M rows are read in chunks of
    ``chunk_rows`` and each chunk is reduced to integer codes at once, so no
    column of the whole file is ever held as Python strings.
    """
    plays_path = os.path.join(path, LASTFM360K_PLAYS) if os.path.isdir(path) else path
    if not os.path.isfile(plays_path):
        raise DataError(f"{plays_path}: file not found")
    check_text_file(plays_path)
    user_codes, artist_codes = {}, {}
    parts, spellings = [], []
    counts = {"play_rows_malformed": 0, "play_rows_bad_id": 0, "play_rows_bad_count": 0}
    with reading(plays_path), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        chunks = pd.read_csv(
            plays_path,
            sep="\t",
            header=None,
            names=["user", "mbid", "name", "plays"],
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_NONE,
            encoding="utf-8",
            chunksize=chunk_rows,
            on_bad_lines="warn",
            engine="c",
        )
        for chunk in chunks:
            counts["rows"] = counts.get("rows", 0) + len(chunk)
            # Work on each column's distinct values, not its rows: a chunk has
            # few distinct users and artists, and Python string work per row
            # would dominate the time.
            user_at, user_text = _factorize_stripped(chunk["user"])
            mbid_at, mbid_text = _factorize_stripped(chunk["mbid"])
            name_at, name_text = _factorize_stripped(chunk["name"])
            plays_at, plays_text = _factorize_stripped(chunk["plays"])
            plays, plays_ok = as_int(plays_text)
            has_mbid = (mbid_text != "")[mbid_at]
            bad_id = (user_text == "")[user_at] | (~has_mbid & (name_text == "")[name_at])
            bad_count = ~bad_id & ~(plays_ok & (plays > 0))[plays_at]
            keep = ~bad_id & ~bad_count
            counts["play_rows_bad_id"] += int(bad_id.sum())
            counts["play_rows_bad_count"] += int(bad_count.sum())
            # An artist is its MBID, else its name; prefixes keep a name that
            # looks like an MBID apart from the MBID itself.
            key_at = np.where(has_mbid, mbid_at, len(mbid_text) + name_at)[keep]
            key_text = np.concatenate(["m:" + mbid_text.astype(object), "n:" + name_text.astype(object)])
            ids = _global_codes(artist_codes, key_at, key_text, start=1)
            parts.append(
                pd.DataFrame(
                    {
                        "user": _global_codes(user_codes, user_at[keep], user_text, start=0),
                        "artist_id": ids,
                        "plays": plays[plays_at[keep]],
                    }
                )
            )
            pairs, rows = np.unique(ids * len(name_text) + name_at[keep], return_counts=True)
            spelled = pd.DataFrame(
                {
                    "artist_id": pairs // len(name_text),
                    "name": name_text[pairs % len(name_text)],
                    "rows": rows,
                }
            )
            spellings.append(spelled[spelled["name"] != ""])
        counts["play_rows_malformed"] = skipped_lines(caught)
    total = counts.pop("rows", 0) + counts["play_rows_malformed"]
    repairs = {}
    check_rows(repairs, counts, total, plays_path, max_dropped_share)
    frame = pd.concat(parts, ignore_index=True)
    parts.clear()  # the chunks were copied: free them before the group-by needs its memory
    before = len(frame)
    frame = frame.groupby(["user", "artist_id"], as_index=False, sort=True)["plays"].sum()
    note_repair(repairs, LASTFM360K_REPAIRS, "play_rows_duplicate_summed", before - len(frame))
    spelled = pd.concat(spellings).groupby(["artist_id", "name"], as_index=False)["rows"].sum()
    spelled["minus_rows"] = -spelled["rows"]
    best = spelled.sort_values(["artist_id", "minus_rows", "name"]).drop_duplicates("artist_id")
    artists = pd.DataFrame({"artist_id": np.arange(1, len(artist_codes) + 1, dtype=np.int64)})
    artists = artists.merge(best[["artist_id", "name"]], on="artist_id", how="left")
    artists["name"] = name_unnamed(artists["artist_id"], artists["name"], repairs)
    frame = frame.astype(np.int64)
    return Dataset(
        plays=frame,
        artists=artists,
        checksums={os.path.basename(plays_path): sha256_file(plays_path)},
        repairs=repairs,
        format="lastfm360k",
    )


def check_rows(repairs, counts, total, path, max_dropped_share):
    """The rows of Last.fm-360K, in both engines: each repair of ``counts`` (malformed, bad id,
    bad count) recorded and logged, a file without a usable row refused, the dropped-row limit."""
    for key, count in counts.items():
        note_repair(repairs, LASTFM360K_REPAIRS, key, count)
    dropped = sum(counts.values())
    if dropped == total:
        raise DataError(f"{path}: no usable rows (see the warnings above for what was wrong)")
    check_dropped(path, dropped, total, max_dropped_share)


def name_unnamed(artist_ids, names, repairs):
    """Names of Last.fm-360K's artists, in both engines: an artist whose rows never name it (a
    missing name, pandas NA) is called "(unnamed #id)", counted as ``artist_names_blank``."""
    unnamed = names.isna().to_numpy()
    note_repair(repairs, LASTFM360K_REPAIRS, "artist_names_blank", int(unnamed.sum()))
    return names.astype(object).where(~unnamed, "(unnamed #" + artist_ids.astype(str) + ")")


def _factorize_stripped(column):
    """Codes of a text column and its distinct values stripped of surrounding blanks (object array)."""
    codes, uniques = pd.factorize(column)
    return codes, np.array([str(u).strip() for u in uniques], dtype=object)


def _global_codes(table, at, text, start):
    """Codes of the values ``text[at]`` that stay the same across chunks.

    ``table`` maps value -> code and grows as new values appear, numbered from
    ``start`` in order of first appearance.
    """
    local, uniques = pd.factorize(at)
    lookup = np.fromiter(
        (table.setdefault(text[u], len(table) + start) for u in uniques), dtype=np.int64, count=len(uniques)
    )
    return lookup[local]
