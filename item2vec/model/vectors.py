"""Read-only artist vectors and ``most_similar``, in numpy alone.

This is the query-time twin of gensim's ``KeyedVectors``: same cosine
similarity, same ``positive``/``negative`` arithmetic, same rule that query
keys are never returned, but without importing gensim, so that ``ask.py``
starts fast.
"""

import numpy as np

from .arrays import row_of, top_k


def _as_list(keys):
    if keys is None:
        return []
    if isinstance(keys, (list, tuple, np.ndarray)):
        return [int(k) for k in keys]
    return [int(keys)]


def unit_rows(vectors):
    """Rows scaled to unit L2 norm (float32); a zero row stays zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1)).astype(np.float32)


def arithmetic_mean(positive, negative):
    """Unit mean of the positive minus the negative unit vectors, as gensim's ``most_similar`` forms it.

    Parameters
    ----------
    positive, negative : ndarray of float32, shape (p, d) and (m, d)
        Unit vectors (rows of the model, or vectors folded in for artists without one).

    Returns
    -------
    ndarray of float32, shape (d,)

    Raises
    ------
    ValueError
        When there is no vector, or the vectors cancel out.
    """
    stacked = np.concatenate([positive, negative]).astype(np.float32, copy=False)
    if not len(stacked):
        raise ValueError("most_similar needs at least one positive or negative artist")
    weights = np.concatenate([np.ones(len(positive)), -np.ones(len(negative))]).astype(np.float32)
    mean = weights @ stacked / len(stacked)
    norm = float(np.linalg.norm(mean))
    if not norm > 1e-6:
        raise ValueError("the positive and negative artists cancel out; there is nothing to compare with")
    return (mean / norm).astype(np.float32)


class ArtistVectors:
    """Unit-length artist embeddings keyed by artist id.

    Parameters
    ----------
    ids : ndarray of int64, shape (n,)
        Artist id of each row, strictly increasing.
    unit_vectors : ndarray of float32, shape (n, d)
        Row-normalised embeddings (see :func:`unit_rows`); may be memory-mapped.
    """

    def __init__(self, ids, unit_vectors):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.unit = unit_vectors
        if self.unit.ndim != 2 or len(self.ids) != self.unit.shape[0]:
            raise ValueError(f"{len(self.ids)} ids for vectors of shape {self.unit.shape}")

    def __len__(self):
        return len(self.ids)

    def __contains__(self, artist_id):
        return self.row(artist_id) >= 0

    @property
    def vector_size(self):
        return self.unit.shape[1]

    def row(self, artist_id):
        """Row of ``artist_id``, or -1 when it has no vector."""
        return row_of(self.ids, artist_id)

    def rows(self, artist_ids):
        """Rows of several ids; raises KeyError naming the first id without a vector."""
        rows = []
        for artist_id in artist_ids:
            i = self.row(artist_id)
            if i < 0:
                raise KeyError(f"artist id {artist_id} has no vector")
            rows.append(i)
        return rows

    def query_vector(self, positive, negative=()):
        """Unit mean of the positive minus the negative vectors (gensim's rule)."""
        positive, negative = _as_list(positive), _as_list(negative)
        if not positive and not negative:
            raise ValueError("most_similar needs at least one positive or negative artist")
        return arithmetic_mean(self.unit[self.rows(positive)], self.unit[self.rows(negative)])

    def most_similar(self, positive, negative=(), topn=10, allowed=None):
        """The ``topn`` artists closest to ``mean(positive) - mean(negative)``.

        Parameters
        ----------
        positive, negative : int or list of int
            Artist ids (one id or a list), as in gensim's ``most_similar``.
        topn : int
            How many to return; fewer when fewer candidates remain.
        allowed : ndarray of bool, shape (n,), optional
            Rows that may be returned (e.g. artists with enough listeners).

        Returns
        -------
        ids : ndarray of int64
        scores : ndarray of float32
            Cosine similarities, highest first. Query artists are never returned.
        """
        scores = self.cosines(self.query_vector(positive, negative))
        candidates = np.ones(len(self.ids), dtype=bool) if allowed is None else np.array(allowed, dtype=bool)
        candidates[self.rows(_as_list(positive) + _as_list(negative))] = False
        return self.top(scores, candidates, topn)

    def cosines(self, query):
        """Cosine of every row with a unit ``query`` vector (float32, shape (n,)).

        ``einsum`` rather than ``@``: for a bag of models (4,617 x 256 floats) OpenBLAS
        splits the matrix-vector product over threads, and waking them costs more than the
        product itself (0.2 ms single-threaded; 7-11 ms median with two threads on a
        loaded 2-core machine, benchmarks/query_speed.py). ``einsum`` never calls BLAS.
        """
        return np.einsum("ij,j->i", self.unit, np.asarray(query, dtype=np.float32))

    def top(self, scores, candidates, topn):
        """Ids and scores of the ``topn`` best candidate rows, best first (ties: lower id)."""
        rows = top_k(scores, candidates, topn)
        return self.ids[rows], np.asarray(scores)[rows].astype(np.float32)
