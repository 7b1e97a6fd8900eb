"""The artist catalogue shipped with a model: names, listener counts, co-listeners.

It covers every artist of the training data, including those without a
vector, so that a query can tell "unknown name" from "known artist with too
few listeners", and ``--explain`` can count the users two artists share.

What ``catalog.npz`` holds is defined once, by :func:`catalog_arrays`, from the same
inputs whichever engine trained the model: the artist table (ids and names), the
listeners of each artist and the listen incidence (each artist's users). The pandas
engine passes them as arrays (:meth:`Catalog.from_dataset`); the Spark engine computes
them in Spark and passes the incidence as a :class:`StreamedArray` that is written in
chunks, so that the driver never holds it (``item2vec.spark.catalog_columns``). An array
added to the catalogue belongs in :func:`catalog_arrays`: both engines then write it.
"""

import dataclasses
from collections.abc import Callable, Iterable

import numpy as np

from .arrays import row_of, rows_of


@dataclasses.dataclass
class StreamedArray:
    """A 1-D array written to a model file chunk by chunk, never held whole.

    ``chunks()`` yields arrays of ``dtype`` whose lengths add up to ``length``, in order;
    it may be called once per write.
    """

    dtype: np.dtype
    length: int
    chunks: Callable[[], Iterable[np.ndarray]]

    def __len__(self):
        return self.length


def encode_names(names, encoding="utf-8"):
    """The names as one byte array and the offsets of each name in it (n + 1 of them)."""
    encoded = [n.encode(encoding) for n in names]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def catalog_arrays(ids, names, listeners, listen_users, romanized=None):
    """The arrays of ``catalog.npz`` (all but ``vector_ids``): one definition for both engines.

    Parameters
    ----------
    ids : array-like of int, shape (n,)
        Every artist of the artist table, strictly increasing.
    names : sequence of str
        Display name of each artist.
    listeners : array-like of int, shape (n,)
        Distinct users of each artist in the training data (0 for an artist nobody played).
    listen_users : ndarray of int32 or StreamedArray
        The users of each artist in ``ids`` order, each artist's sorted, concatenated
        (``listeners[i]`` of them for artist ``i``). Users are numbered 0..U-1 in the
        order of their ids in the data, so the file says nothing about raw user ids.
    romanized : tuple of (array-like of int, list of str), optional
        The Latin keys of names in other scripts, ``(rows, keys)`` (see :class:`Catalog`).

    Returns
    -------
    dict
        Name to array (or :class:`StreamedArray`).
    """
    listeners = np.asarray(listeners, dtype=np.int64)
    names_utf8, names_offsets = encode_names(names)
    rows, keys = romanized if romanized is not None else ((), ())
    romanized_ascii, romanized_offsets = encode_names(keys, "ascii")
    indptr = np.zeros(len(listeners) + 1, dtype=np.int64)
    np.cumsum(listeners, out=indptr[1:])  # (save_model refuses an incidence of another length)
    return {
        "artist_ids": np.asarray(ids, dtype=np.int64),
        "listeners": listeners,
        "names_utf8": names_utf8,
        "names_offsets": names_offsets,
        "listen_indptr": indptr,
        "listen_users": listen_users,
        "romanized_ascii": romanized_ascii,
        "romanized_offsets": romanized_offsets,
        "romanized_rows": np.asarray(rows, dtype=np.int64),
    }


@dataclasses.dataclass
class CatalogParts:
    """A catalogue to be written, not queried: :func:`catalog_arrays`' inputs.

    The Spark engine's incidence is a :class:`StreamedArray`; the pandas engine's an array
    (:meth:`Catalog.parts`).
    """

    ids: np.ndarray
    names: list
    listeners: np.ndarray
    listen_users: object  # ndarray of int32 or StreamedArray
    romanized: tuple | None = None

    def __len__(self):
        return len(self.ids)

    def arrays(self):
        """What ``catalog.npz`` holds for it (:func:`catalog_arrays`)."""
        return catalog_arrays(self.ids, self.names, self.listeners, self.listen_users, self.romanized)


class Catalog:
    """Artists of the training data, sorted by id.

    Parameters
    ----------
    ids : ndarray of int64, shape (n,)
        Artist ids, strictly increasing.
    names : list of str
        Display name of each artist.
    listeners : ndarray of int, shape (n,)
        Distinct users per artist in the training data.
    listen_indptr, listen_users : ndarray of int
        CSR rows: the users of artist ``i`` are
        ``listen_users[listen_indptr[i]:listen_indptr[i + 1]]``, sorted.
    romanized : tuple of (array of int, list of str), optional
        Latin spellings of names written in other scripts: ``(rows, keys)``, the catalogue
        row of each key (increasing) and the key, lower-case ASCII words ("hamasaki ayumi"
        for 浜崎あゆみ). Computed when the model is built
        (:mod:`item2vec.training.romanization`); none by default.
    """

    def __init__(self, ids, names, listeners, listen_indptr, listen_users, romanized=None):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.names = list(names)
        self.listeners = np.asarray(listeners, dtype=np.int64)
        self.listen_indptr = np.asarray(listen_indptr, dtype=np.int64)
        self.listen_users = np.asarray(listen_users, dtype=np.int32)
        rows, keys = romanized if romanized is not None else ((), ())
        self.romanized_rows = np.asarray(rows, dtype=np.int64)
        self.romanized_keys = list(keys)

    def __len__(self):
        return len(self.ids)

    def index(self, artist_id):
        """Position of ``artist_id`` in the catalogue, or -1."""
        return row_of(self.ids, artist_id)

    def name(self, artist_id):
        return self.names[self.index(artist_id)]

    def listeners_of(self, artist_id):
        i = self.index(artist_id)
        return int(self.listeners[i]) if i >= 0 else 0

    def users_of(self, artist_id):
        i = self.index(artist_id)
        if i < 0:
            return np.empty(0, dtype=np.int32)
        return self.listen_users[self.listen_indptr[i] : self.listen_indptr[i + 1]]

    def parts(self):
        """Its :class:`CatalogParts` (what is written of it)."""
        romanized = (self.romanized_rows, self.romanized_keys)
        return CatalogParts(self.ids, self.names, self.listeners, self.listen_users, romanized)

    def arrays(self):
        """What ``catalog.npz`` holds for it (:func:`catalog_arrays`)."""
        return self.parts().arrays()

    def shared_listeners(self, artist_id, others):
        """For each id in ``others``, how many users listen to it and to ``artist_id``."""
        mine = self.users_of(artist_id)
        return [int(np.intersect1d(mine, self.users_of(o), assume_unique=True).size) for o in others]

    def romanized_of(self, position):
        """The Latin keys of the name at catalogue ``position`` (``[]`` for a Latin name)."""
        start, stop = np.searchsorted(self.romanized_rows, [position, position + 1])
        return self.romanized_keys[int(start) : int(stop)]

    @classmethod
    def from_dataset(cls, dataset, romanized=None):
        """Build the catalogue of a :class:`~item2vec.ingest.formats.Dataset` (``romanized`` as above)."""
        artists = dataset.artists
        ids = artists["artist_id"].to_numpy(dtype=np.int64)
        plays = dataset.plays.sort_values(["artist_id", "user"], kind="stable")
        # Users renumbered 0..U-1 so the stored table says nothing about raw user ids.
        codes = np.unique(plays["user"].to_numpy(), return_inverse=True)[1].astype(np.int32)
        positions = rows_of(ids, plays["artist_id"].to_numpy())
        counts = np.bincount(positions, minlength=len(ids))
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(ids, artists["name"].tolist(), counts, indptr, codes, romanized)
