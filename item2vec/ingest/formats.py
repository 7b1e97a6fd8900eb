"""Reading the listening data: find the format, read its files, clean them into a Dataset.

:func:`load_dataset` is the entry point. Every format ends as the one shape of
:class:`~item2vec.ingest.cleaning.Dataset` (the columns and cleaning rules are described
in :mod:`item2vec.ingest.cleaning`); the Kaggle and HetRec pairs are read here, the large
Last.fm-360K file by :mod:`item2vec.ingest.lastfm360k` and listening events in the LFM-1b
layout by :mod:`item2vec.ingest.lfm1b`.
"""

import logging
import os

from ..errors import DataError
from .cleaning import MAX_DROPPED_SHARE, Dataset, check_dropped, clean, not_regular, read_table
from .lastfm360k import LASTFM360K_PLAYS, read_lastfm360k
from .lfm1b import LFM1B_ARTISTS, LFM1B_EVENTS, read_lfm1b

__all__ = [
    "MAX_DROPPED_SHARE",
    "Dataset",
    "READERS",
    "check_dropped",
    "clean",
    "detect_format",
    "load_dataset",
    "read_hetrec",
    "read_kaggle",
    "read_lastfm360k",
    "read_lfm1b",
    "read_table",
    "KAGGLE_PLAYS",
    "KAGGLE_ARTISTS",
    "HETREC_PLAYS",
    "HETREC_ARTISTS",
    "LASTFM360K_PLAYS",
    "LFM1B_EVENTS",
    "LFM1B_ARTISTS",
]

logger = logging.getLogger(__name__)

KAGGLE_PLAYS = "lastfm_user_scrobbles.csv"
KAGGLE_ARTISTS = "lastfm_artist_list.csv"
HETREC_PLAYS = "user_artists.dat"
HETREC_ARTISTS = "artists.dat"


def local_kind(path):
    """What ``path`` is on the local file system: ``"missing"``, ``"file"``, ``"folder"``, or
    what a special file is (``"a FIFO (named pipe)"``, ...: :func:`~.cleaning.not_regular`)."""
    if os.path.isdir(path):
        return "folder"
    if os.path.isfile(path):
        return "file"
    return not_regular(os.stat(path).st_mode) if os.path.exists(path) else "missing"


def detect_format(path, kind=local_kind, join=os.path.join):
    """Name the input format found at ``path`` (a folder or a file), in both engines.

    Parameters
    ----------
    path : str
    kind : callable, optional
        ``kind(path)`` -> ``"missing"``, ``"file"``, ``"folder"`` or what else it is
        (:func:`local_kind`): the file system the engine reads (default: the local one; the
        Spark engine passes Hadoop's for ``hdfs://`` or ``s3a://`` paths).
    join : callable, optional
        Joins a folder and a file name on that file system.

    Returns
    -------
    str
        A key of :data:`READERS`.

    Raises
    ------
    DataError
        No known file is there.
    """
    found = kind(path)
    if found == "file":
        base = path.rstrip("/").rsplit("/", 1)[-1].rsplit(os.sep, 1)[-1]
        if base.endswith(".tsv") and "360" in base or base == LASTFM360K_PLAYS:
            return "lastfm360k"
        if base == LFM1B_EVENTS:
            return "lfm1b"
        raise DataError(
            f"{path}: not a data folder; give the folder that holds {KAGGLE_PLAYS} and {KAGGLE_ARTISTS}"
        )
    if found not in ("missing", "folder"):
        raise DataError(f"{path}: is {found}, not a data folder or file")
    if found == "missing":
        raise DataError(
            f"{path}: no such data folder. Download the Kaggle data set "
            f"'Last.fm Music Artist Scrobbles' and pass its folder with --data "
            f"(see README)."
        )
    for fmt, markers in MARKERS.items():
        if all(kind(join(path, m)) != "missing" for m in markers):
            return fmt
    raise DataError(
        f"{path}: found neither the Kaggle files ({KAGGLE_PLAYS}, {KAGGLE_ARTISTS}) "
        f"nor the HetRec files ({HETREC_PLAYS}, {HETREC_ARTISTS}) nor the Last.fm-360K "
        f"file ({LASTFM360K_PLAYS}) nor LFM-1b events ({LFM1B_EVENTS}, {LFM1B_ARTISTS}); "
        f"see README for where to download them"
    )


def load_dataset(path, format="auto", max_dropped_share=MAX_DROPPED_SHARE):
    """Read and clean a data set.

    Parameters
    ----------
    path : str
        Folder holding the data files (or, for Last.fm-360K, the .tsv file; for
        LFM-1b events, the folder or its events file).
    format : str
        ``"auto"`` (detect from the file names) or a key of :data:`READERS`.
    max_dropped_share : float
        Stop with a DataError when a file loses more than this share of its rows
        (default :data:`MAX_DROPPED_SHARE`; 1 accepts any loss).

    Returns
    -------
    Dataset
    """
    path = os.fspath(path)
    if format == "auto":
        format = detect_format(path)
    try:
        reader = READERS[format]
    except KeyError:
        raise DataError(f"unknown data format {format!r}; choose from {', '.join(sorted(READERS))}") from None
    dataset = reader(path, max_dropped_share=max_dropped_share)
    logger.info(
        "loaded %s data: %d rows, %d users, %d artists",
        format,
        len(dataset.plays),
        dataset.n_users,
        len(dataset.artists),
    )
    return dataset


# -- readers --------------------------------------------------------------------------------


def read_kaggle(folder, max_dropped_share=MAX_DROPPED_SHARE):
    """Read the Kaggle pair ``lastfm_user_scrobbles.csv`` + ``lastfm_artist_list.csv``."""
    plays_path = os.path.join(folder, KAGGLE_PLAYS)
    artists_path = os.path.join(folder, KAGGLE_ARTISTS)
    artists = read_table(artists_path, ["artist_id", "artist_name"], sep=",")
    plays = read_table(plays_path, ["user_id", "artist_id", "scrobbles"], sep=",")
    artists = artists.rename(columns={"artist_name": "name"})
    plays = plays.rename(columns={"user_id": "user", "scrobbles": "plays"})
    return clean(plays, artists, plays_path, artists_path, "kaggle", max_dropped_share=max_dropped_share)


def read_hetrec(folder, max_dropped_share=MAX_DROPPED_SHARE):
    """Read HetRec 2011 Last.fm-2k ``user_artists.dat`` + ``artists.dat`` (tab-separated)."""
    plays_path = os.path.join(folder, HETREC_PLAYS)
    artists_path = os.path.join(folder, HETREC_ARTISTS)
    artists = read_table(artists_path, ["id", "name"], sep="\t")
    plays = read_table(plays_path, ["userID", "artistID", "weight"], sep="\t")
    artists = artists.rename(columns={"id": "artist_id"})[["artist_id", "name"]]
    plays = plays.rename(columns={"userID": "user", "artistID": "artist_id", "weight": "plays"})
    return clean(plays, artists, plays_path, artists_path, "hetrec", max_dropped_share=max_dropped_share)


READERS = {"kaggle": read_kaggle, "hetrec": read_hetrec, "lastfm360k": read_lastfm360k, "lfm1b": read_lfm1b}
MARKERS = {
    "kaggle": (KAGGLE_PLAYS, KAGGLE_ARTISTS),
    "hetrec": (HETREC_PLAYS, HETREC_ARTISTS),
    "lastfm360k": (LASTFM360K_PLAYS,),
    "lfm1b": (LFM1B_EVENTS, LFM1B_ARTISTS),
}
