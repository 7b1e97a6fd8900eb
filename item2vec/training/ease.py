"""EASE item-item weights, from the catalogue: what the familiar end of the dial adds to the embedding.

EASE (Steck, WWW 2019) fits one linear model of every list from all the others:

    B = I - P / diag(P),   P = (X'X + lambda I)^-1,   diag(B) = 0,

``X`` the binary users x artists matrix. ``B[q, j]`` says how much listing ``q`` predicts
listing ``j``, every other artist of the lists taken into account: a high-hit-rate signal
that favours the well-evidenced neighbours a listener of ``q`` most often has. The
``--discover`` dial adds it to the embedding's cosine at its familiar end
(:mod:`item2vec.query.ranking`), where the tuned EASE baseline alone reached the highest
hit rate (docs/EVALUATION.md).

The weights are computed from the catalogue's who-listens-to-what lists, which every
engine builds the same way, so the pandas and Spark engines write the same table; and
only each artist's :data:`EASE_TOP` strongest positive weights are kept
(:class:`~item2vec.model.item_weights.ItemWeights`): on validation users the answers with
them are those of the full matrix (docs/EVALUATION.md).
"""

import logging
import time

import numpy as np

from ..model.arrays import rows_of
from ..model.item_weights import ItemWeights

logger = logging.getLogger(__name__)

#: EASE's regularisation: the value the evaluation's EASE baseline chose on validation users.
EASE_LAMBDA = 200.0
#: Strongest partners kept per artist.
EASE_TOP = 64
#: EASE inverts an artists x artists matrix (memory grows with the square of their number,
#: time with the cube): above this many artists with a vector, only the most-listened ones
#: get weights (the familiar end is about them), the others an empty row.
EASE_MAX_ARTISTS = 10_000


def ease_weights(catalog, vector_ids, lam=EASE_LAMBDA, top=EASE_TOP, max_artists=EASE_MAX_ARTISTS):
    """The item-item weights of the artists ``vector_ids``, from the catalogue's listener lists.

    Parameters
    ----------
    catalog : Catalog or CatalogParts
        Who lists what (``listeners``, ``listen_users``: an array, or the Spark engine's
        :class:`~item2vec.model.catalog.StreamedArray`, read in chunks).
    vector_ids : ndarray of int64
        The artists with a vector (sorted); rows of the result follow them.
    lam : float
        EASE's regularisation.
    top : int
        Partners kept per artist (fewer when fewer have a positive weight).
    max_artists : int
        Largest number of artists EASE is fitted on (the most-listened; ties by id).

    Returns
    -------
    ItemWeights
    """
    start = time.perf_counter()
    vector_ids = np.asarray(vector_ids, dtype=np.int64)
    n = len(vector_ids)
    positions = rows_of(catalog.ids, vector_ids)
    if (positions < 0).any():
        raise ValueError("every artist with a vector must be in the catalogue")
    listeners = catalog.listeners[positions]
    # The most-listened first, then by id: a stable, data-only order.
    fitted = np.sort(np.lexsort((vector_ids, -listeners))[:max_artists])
    width = max(0, min(int(top), len(fitted) - 1))
    rows = np.full((n, width), -1, dtype=np.int32)
    weights = np.zeros((n, width), dtype=np.float32)
    if width:
        # Ranked and stored in float32: whatever the float64 solve's last bits (they follow
        # the BLAS's threads), the same data gives the same table.
        b = _ease(_gram(catalog, positions[fitted]), lam).astype(np.float32)
        best = _strongest(b, width)
        picked = np.take_along_axis(b, best, axis=1)
        positive = picked > 0
        rows[fitted] = np.where(positive, fitted[best], -1)
        weights[fitted] = np.where(positive, picked, 0.0)
    logger.info(
        "item-item weights: EASE on %d of %d artists, top %d each, %.1f s",
        len(fitted),
        n,
        width,
        time.perf_counter() - start,
    )
    return ItemWeights(rows, weights)


def _gram(catalog, positions):
    """``X'X`` of the artists at catalogue ``positions`` (increasing): the users each pair shares (float64).

    ``catalog`` is a :class:`~item2vec.model.catalog.Catalog` or a
    :class:`~item2vec.model.catalog.CatalogParts` whose incidence is a
    :class:`~item2vec.model.catalog.StreamedArray` (the Spark engine's): the incidence is
    read chunk by chunk and only the fitted artists' users are kept (8 bytes per listen,
    twice: a row and a column view), and the product is taken :data:`_GRAM_BLOCK` entries
    at a time into the dense result. Its entries are counts, exact in float64 whatever
    the order of summation, so every engine gets the same matrix bit for bit.
    """
    import scipy.sparse as sp

    counts = np.asarray(catalog.listeners, dtype=np.int64)
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    users = _fitted_users(catalog.listen_users, indptr, positions)
    columns = np.zeros(len(positions) + 1, dtype=np.int64)
    np.cumsum(counts[positions], out=columns[1:])
    n_users = int(users.max()) + 1 if len(users) else 0
    ones = np.ones(len(users))
    # Rows are artists (each one's users): the transpose of X, and X itself as CSR.
    xt = sp.csr_matrix((ones, users, columns), shape=(len(positions), n_users))
    del users, ones
    x = xt.T.tocsr()
    n = len(positions)
    gram = np.zeros((n, n))
    step = max(1, _GRAM_BLOCK // max(n, 1))
    for start in range(0, n, step):
        gram[start : start + step] = (xt[start : start + step] @ x).toarray()
    return gram


#: Entries of ``X'X`` computed per sparse product (the rest of the matrix is dense already).
_GRAM_BLOCK = 1 << 22


def _fitted_users(listen_users, indptr, positions):
    """The users of the artists at ``positions`` (increasing), concatenated in that order (int32).

    ``listen_users`` is an array or a :class:`~item2vec.model.catalog.StreamedArray`,
    read in its chunks.
    """
    from ..model.catalog import StreamedArray

    chunks = listen_users.chunks() if isinstance(listen_users, StreamedArray) else [listen_users]
    fitted = np.zeros(len(indptr) - 1, dtype=bool)
    fitted[positions] = True
    kept, offset = [], 0
    for chunk in chunks:
        chunk = np.asarray(chunk, dtype=np.int32)
        # The artist (catalogue row) of each value of this chunk.
        rows = np.searchsorted(indptr, np.arange(offset, offset + len(chunk)), side="right") - 1
        kept.append(chunk[fitted[rows]])
        offset += len(chunk)
    return np.concatenate(kept) if kept else np.empty(0, dtype=np.int32)


def _ease(gram, lam):
    """``B = I - P / diag(P)`` with ``P = (G + lambda I)^-1``, zero diagonal (float64)."""
    gram = np.array(gram, dtype=np.float64)
    gram[np.diag_indices_from(gram)] += lam
    b = np.linalg.inv(gram)
    del gram  # in place from here: three n x n float64 arrays at once would be too many
    b /= -np.diag(b).copy()[None, :]
    np.fill_diagonal(b, 0.0)
    return b


def _strongest(b, k):
    """Column indices of each row's ``k`` largest entries, largest first; ties go to the lower column."""
    kth = -np.partition(-b, k - 1, axis=1)[:, k - 1 : k]
    out = np.empty((len(b), k), dtype=np.int64)
    for i, row in enumerate(b):
        # Every entry at least the k-th largest (ties included), then sorted: the same k
        # columns whatever order a partition leaves equal values in.
        columns = np.flatnonzero(row >= kth[i])
        out[i] = columns[np.lexsort((columns, -row[columns]))][:k]
    return out
