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
    catalog : Catalog
        Who lists what (``listen_indptr``, ``listen_users``).
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
    """``X'X`` of the artists at catalogue ``positions``: the users each pair shares (float64)."""
    import scipy.sparse as sp

    indptr = catalog.listen_indptr
    counts = indptr[positions + 1] - indptr[positions]
    users = np.concatenate([catalog.listen_users[indptr[p] : indptr[p + 1]] for p in positions])
    columns = np.repeat(np.arange(len(positions)), counts)
    n_users = int(catalog.listen_users.max()) + 1 if len(catalog.listen_users) else 0
    x = sp.csr_matrix((np.ones(len(users)), (users, columns)), shape=(n_users, len(positions)))
    return (x.T @ x).toarray()


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
