"""The artist catalogue shipped with a model: names, listener counts, co-listeners.

It covers every artist of the training data, including those without a
vector, so that a query can tell "unknown name" from "known artist with too
few listeners", and ``--explain`` can count the users two artists share.
"""

import numpy as np

from .arrays import rows_of


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
        return int(rows_of(self.ids, artist_id))

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
