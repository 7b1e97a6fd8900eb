"""Cleaning listening data into a :class:`Dataset`, with every repair counted.

Every supported input is reduced to one shape, a :class:`Dataset`:

* ``plays``: one row per (user, artist) with columns ``user`` (int64),
  ``artist_id`` (int64) and ``plays`` (int64, > 0);
* ``artists``: one row per artist with columns ``artist_id`` (int64) and
  ``name`` (str), sorted by id.

An artist's identity is its id, never its name: the Kaggle set has two
different artists called "Red". Repairs (summing duplicate rows, dropping rows
that cannot be used) are counted and logged, never silent; problems that would
make the result meaningless raise :class:`~item2vec.errors.DataError`, and so does
a file that loses more than :data:`MAX_DROPPED_SHARE` of its rows. The readers of
each format are :mod:`item2vec.ingest.formats` and :mod:`item2vec.ingest.lastfm360k`.
"""

import contextlib
import csv
import dataclasses
import logging
import os
import stat
import warnings

import numpy as np
import pandas as pd

from ..checksums import sha256_file
from ..errors import DataError

logger = logging.getLogger("item2vec.ingest.formats")

#: Rows a reader may drop (malformed lines, unusable ids or play counts, unknown
#: artists) as a share of a file's rows before it stops: a few bad rows are repaired,
#: more mean a damaged or truncated file (a truncated artist list drops the plays of
#: every artist it lost). The real Kaggle and HetRec files drop none.
MAX_DROPPED_SHARE = 0.01


@dataclasses.dataclass
class Dataset:
    """Cleaned listening data: see the module docstring for the columns."""

    plays: pd.DataFrame
    artists: pd.DataFrame
    checksums: dict
    repairs: dict
    format: str

    @property
    def n_users(self):
        return int(self.plays["user"].nunique())

    def summary(self):
        """The facts ``metadata.json`` records about the data (its ``data`` entry)."""
        return {
            "format": self.format,
            "sha256": self.checksums,
            "repairs": self.repairs,
            "rows": int(len(self.plays)),
            "users": self.n_users,
            "artists": int(len(self.artists)),
        }

    def listeners(self, heard_only=False):
        """Number of distinct users per artist id, as a Series indexed by artist id.

        Every artist of the artist table (0 for the unheard), or with ``heard_only``
        only the artists that appear in ``plays``, sorted by id.
        """
        counts = self.plays.groupby("artist_id", sort=True)["user"].nunique()
        return counts if heard_only else counts.reindex(self.artists["artist_id"], fill_value=0)


def check_dropped(path, dropped, total, max_dropped_share, unknown=0, artists_path=None):
    """Stop with a DataError when ``dropped`` of a file's ``total`` rows exceed the allowed share.

    The shared limit of every reader of both engines (:data:`MAX_DROPPED_SHARE`); when
    ``unknown`` of the dropped rows name an artist missing from ``artists_path``, the
    message says so (a truncated artist list is the usual cause).
    """
    cause = f" ({unknown} of them name an artist id missing from {artists_path})" if unknown else ""
    if total and dropped > max_dropped_share * total:
        raise DataError(
            f"{path}: {dropped} of its {total} rows ({dropped / total:.1%}) cannot be used{cause}, more than "
            f"the {max_dropped_share:.0%} a sound file loses; the file looks damaged or truncated (see the "
            f"warnings above). Fix it, or pass --max-dropped-share 1 to train on the rest anyway"
        )


@contextlib.contextmanager
def reading(path):
    """Turn what pandas and the OS raise while reading ``path`` into one-line DataErrors."""
    try:
        yield
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty") from None
    except UnicodeDecodeError as exc:
        # pandas reports the offset inside its read buffer, not the file: find the real place.
        raise utf8_error(path, utf8_problem(path) or exc.reason) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path}: cannot parse: {str(exc).strip().splitlines()[-1]}") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None


def check_text_file(path):
    """DataError unless ``path`` is a non-empty regular file that does not start with NUL bytes."""
    if not os.path.exists(path):
        raise DataError(f"{path}: file not found")
    if os.path.isdir(path):
        raise DataError(f"{path}: is a folder, expected a file")
    with reading(path):
        # O_NONBLOCK: opening a FIFO for reading would wait for a writer, for ever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with open(fd, "rb") as handle:
            kind = not_regular(os.fstat(fd).st_mode)
            if kind:
                raise DataError(f"{path}: is {kind}, not a regular file; give the data file itself")
            head = handle.read(1 << 16)
    if not head:
        raise DataError(f"{path}: file is empty")
    if b"\x00" in head:
        raise DataError(f"{path}: not a text file (contains NUL bytes)")


def not_regular(mode):
    """What a non-regular file is ("a FIFO (named pipe)", ...), or None for a regular file."""
    kinds = [
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in kinds if test(mode)), "a special file")


def skipped_lines(caught):
    """Lines pandas skipped for having too many fields (``on_bad_lines="warn"``), from the
    warnings recorded while it read."""
    return sum(
        str(w.message).count("Skipping line")
        for w in caught
        if issubclass(w.category, pd.errors.ParserWarning)
    )


def read_table(path, required, sep):
    """Read a delimited text file as strings and check its header.

    Everything is read as text so that a bad value is reported by the cleaning
    step with a count, instead of pandas silently turning a column into floats.
    """
    check_text_file(path)
    with reading(path), warnings.catch_warnings(record=True) as caught:
        # A row with more fields than the header is dropped and counted, like a short one
        # (whose missing fields read as empty and are dropped as unusable by clean()).
        # header=None: pandas would take a long first row under a header as an index column.
        warnings.simplefilter("always", pd.errors.ParserWarning)
        frame = pd.read_csv(
            path,
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8",
            quoting=csv.QUOTE_MINIMAL if sep == "," else csv.QUOTE_NONE,
            on_bad_lines="warn",
            engine="c",
        )
    long_rows = skipped_lines(caught)
    frame.columns = header_names(frame.iloc[0].tolist())
    frame = frame.iloc[1:].reset_index(drop=True)
    check_columns(path, list(frame.columns), required, sep)
    if frame.empty and not long_rows:
        raise DataError(f"{path}: has a header but no rows")
    frame.attrs["rows_too_long"] = long_rows
    return frame


def header_names(fields):
    """Column names of a header line's fields: blanks and a UTF-8 byte-order mark stripped."""
    return [str(c).strip().lstrip("\ufeff") for c in fields]


def check_columns(path, columns, required, sep):
    """DataError unless the header ``columns`` of ``path`` hold every ``required`` name.

    The message lists what was found and hints at the likely cause: a wrong
    delimiter (one column only) or a missing header line (numbers in the first line).
    """
    missing = [c for c in required if c not in columns]
    if missing:
        found = ", ".join(repr(c) for c in columns[:6])
        hint = ""
        if len(columns) == 1:
            hint = f" (only one column: is the delimiter {sep!r}?)"
        elif any(as_int(pd.Series(columns, dtype=object))[1]):
            hint = " (the first line holds numbers: is the header line missing?)"
        raise DataError(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}; found {found}{hint}"
        )


def utf8_error(path, problem):
    """The DataError of a file that is not UTF-8 text (``problem``: where, from :func:`utf8_problem`)."""
    return DataError(f"{path}: not UTF-8 text ({problem})")


def utf8_problem(path, chunk=1 << 20):
    """``"<reason> at line L (byte B)"`` for the first invalid UTF-8 sequence of a file, or None."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 1
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                # The decoder may hold up to 3 bytes of an unfinished sequence from the previous
                # block: then the bad sequence starts before this block (start < 0). Those bytes
                # hold no newline (they are part of a multi-byte character).
                start = exc.start - len(exc.object) + len(block)
                line = lines + block[: max(0, start)].count(b"\n")
                return f"{exc.reason} at line {line} (byte {offset + start})"
            offset += len(block)
            lines += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return f"{exc.reason} at line {lines} (byte {offset - len(exc.object) + exc.start})"
    return None


# -- cleaning -------------------------------------------------------------------------------


#: The rule of an integer field, in both engines: after ``str.strip`` (every blank Python's
#: ``str.isspace`` knows), text matching :data:`NUMBER` is read as a double (correctly
#: rounded, as Python's ``float`` and Java's ``Double.parseDouble`` both read it) and is an
#: integer when that double is finite, integral and below :data:`INT_LIMIT` in magnitude.
#: ``item2vec.spark.delimited.as_int`` is the same rule as a Spark column.
NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
#: Integers at or beyond 2**62 are refused (ids near the int64 limit are damage, not data).
INT_LIMIT = 2**62


def as_int(values):
    """Parse strings to int64 by the integer rule (:data:`NUMBER`); returns (ints, ok mask).

    Parameters
    ----------
    values : array-like of str

    Returns
    -------
    ints : ndarray of int64
        The integer of each ok value, 0 elsewhere.
    ok : ndarray of bool
    """
    text = pd.Series(values, dtype=object).astype(str).str.strip()
    numeric = text.str.fullmatch(NUMBER).to_numpy(dtype=bool)
    numbers = np.full(len(text), np.nan)
    numbers[numeric] = text[numeric].astype(float).to_numpy()
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(numbers) & (numbers == np.floor(numbers)) & (np.abs(numbers) < INT_LIMIT)
    ints = np.where(ok, numbers, 0).astype(np.int64)
    return ints, ok


def note_repair(repairs, messages, key, count):
    """Record a repair in ``repairs`` and log its warning (``messages[key]``), in every reader of
    both engines.

    Parameters
    ----------
    repairs : dict
        Updated in place; nothing is recorded for a count of 0.
    messages : dict
        Warning format per repair key (e.g. :data:`PLAY_REPAIRS`).
    key : str
    count : int
    """
    if count:
        repairs[key] = int(count)
        logger.warning(messages[key], count)


#: The warning logged for each repair of an artist table, by its ``repairs`` key.
ARTIST_REPAIRS = {
    "artist_rows_malformed": "dropped %d artist rows with more fields than the header",
    "artist_rows_bad_id": "dropped %d artist rows whose id is not an integer between -2**62 and 2**62",
    "artist_rows_duplicate_id": "dropped %d artist rows repeating an earlier id",
    "artist_names_blank": "named %d artists with a blank name after their id",
}


def clean_artists(artists, artists_path, repairs, max_dropped_share=MAX_DROPPED_SHARE):
    """Clean a raw string artist table (artist_id, name) into the Dataset's ``artists``.

    An unusable or repeated id drops the row, a blank name becomes "(unnamed #id)";
    each repair is counted into ``repairs`` and logged, and more than
    ``max_dropped_share`` of the rows dropped stops with a DataError. Rows with more
    fields than expected are counted by the reader in ``attrs["rows_too_long"]``.
    """

    artist_long = artists.attrs.get("rows_too_long", 0)
    note_repair(repairs, ARTIST_REPAIRS, "artist_rows_malformed", artist_long)

    # The id is the identity, so an unusable id drops the row.
    artist_ids, ok = as_int(artists["artist_id"])
    note_repair(repairs, ARTIST_REPAIRS, "artist_rows_bad_id", (~ok).sum())
    artists = pd.DataFrame({"artist_id": artist_ids[ok], "name": artists["name"].to_numpy()[ok].astype(str)})
    dup = artists["artist_id"].duplicated()
    note_repair(repairs, ARTIST_REPAIRS, "artist_rows_duplicate_id", dup.sum())
    artists = artists[~dup]
    names = artists["name"].str.strip()
    blank = names == ""
    note_repair(repairs, ARTIST_REPAIRS, "artist_names_blank", blank.sum())
    names = names.where(~blank, "(unnamed #" + artists["artist_id"].astype(str) + ")")
    artists = artists.assign(name=names).sort_values("artist_id", kind="stable").reset_index(drop=True)
    if artists.empty:
        raise DataError(f"{artists_path}: no artist rows with an integer id")
    artist_rows = len(ok) + artist_long
    check_dropped(artists_path, artist_rows - len(artists), artist_rows, max_dropped_share)
    return artists


#: The warning logged for each repair of a plays table (Kaggle, HetRec), by its ``repairs`` key.
PLAY_REPAIRS = {
    "play_rows_malformed": "dropped %d play rows with more fields than the header",
    "play_rows_bad_id": "dropped %d play rows whose user or artist id is not an integer "
    "between -2**62 and 2**62",
    "play_rows_bad_count": "dropped %d play rows whose play count is not a positive integer below 2**62",
    "play_rows_unknown_artist": "dropped %d play rows whose artist id is not in the artist list",
    "play_rows_duplicate_summed": "summed %d duplicate (user, artist) rows into their first occurrence",
}


def finish_plays(repairs, counts, plays_path, artists_path, max_dropped_share):
    """The end of cleaning a plays table (Kaggle, HetRec) in both engines.

    ``counts`` is (rows of the file, usable rows, distinct (user, artist) pairs they sum
    to, rows dropped for an unknown artist). Counts the summed duplicates, refuses a
    file with no usable row and applies the dropped-row limit (:func:`check_dropped`).
    """
    total, usable, pairs, unknown = counts
    note_repair(repairs, PLAY_REPAIRS, "play_rows_duplicate_summed", usable - pairs)
    if not pairs:
        raise DataError(
            f"{plays_path}: none of its {total} rows is usable (see the warnings above for what was wrong)"
        )
    check_dropped(plays_path, total - usable, total, max_dropped_share, unknown, artists_path)


def clean(plays, artists, plays_path, artists_path, fmt, checksums=None, max_dropped_share=MAX_DROPPED_SHARE):
    """Turn raw string tables into a :class:`Dataset`, counting every repair.

    ``plays`` must have columns user, artist_id, plays; ``artists`` artist_id, name.
    A ``user`` column that is not integer (e.g. a SHA-1) is factorized. Rows with
    more fields than the header (counted by :func:`read_table` in ``attrs``) were
    dropped; a file that loses more than ``max_dropped_share`` of its rows stops.
    """
    repairs = {}

    def note(key, count):
        note_repair(repairs, PLAY_REPAIRS, key, count)

    play_long = plays.attrs.get("rows_too_long", 0)
    artists = clean_artists(artists, artists_path, repairs, max_dropped_share)
    note("play_rows_malformed", play_long)

    # Plays.
    total = len(plays) + play_long
    users = plays["user"].astype(str).str.strip()
    user_ints, user_ok = as_int(users)
    if len(user_ok) and user_ok.mean() > 0.5:  # (no rows: every row was too long)
        bad_user = ~user_ok
        user_codes = user_ints
    else:  # ids that are not numbers (e.g. Last.fm-360K's SHA-1s): number them
        bad_user = (users == "").to_numpy()
        user_codes = pd.factorize(users)[0].astype(np.int64)
    artist_col, artist_ok = as_int(plays["artist_id"])
    play_col, play_ok = as_int(plays["plays"])
    bad_ids = bad_user | ~artist_ok
    note("play_rows_bad_id", bad_ids.sum())
    bad_plays = ~bad_ids & ~(play_ok & (play_col > 0))
    note("play_rows_bad_count", bad_plays.sum())
    keep = ~bad_ids & ~bad_plays
    frame = pd.DataFrame({"user": user_codes[keep], "artist_id": artist_col[keep], "plays": play_col[keep]})
    known = frame["artist_id"].isin(artists["artist_id"]).to_numpy()
    note("play_rows_unknown_artist", (~known).sum())
    frame = frame[known]
    before = len(frame)
    frame = frame.groupby(["user", "artist_id"], as_index=False, sort=True)["plays"].sum()
    finish_plays(
        repairs, (total, before, len(frame), int((~known).sum())), plays_path, artists_path, max_dropped_share
    )
    if checksums is None:
        checksums = {os.path.basename(p): sha256_file(p) for p in (plays_path, artists_path)}
    frame = frame.reset_index(drop=True)
    return Dataset(plays=frame, artists=artists, checksums=checksums, repairs=repairs, format=fmt)
