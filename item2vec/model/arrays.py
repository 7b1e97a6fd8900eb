"""Two numpy idioms every model here needs: finding ids in a sorted id array, and top-k.

The product (query path) and the research code (baselines, evaluation) both rank
artists; they must agree on the tie-break, or the same scores would give
different answers in the tool and in its evaluation.
"""

import numpy as np


def rows_of(sorted_ids, ids):
    """Position of each of ``ids`` in the strictly increasing ``sorted_ids``; -1 where absent.

    Parameters
    ----------
    sorted_ids : ndarray of int, shape (n,)
    ids : int or array-like of int

    Returns
    -------
    ndarray of int64
        Same shape as ``np.asarray(ids)`` (0-d for a single id).
    """
    sorted_ids = np.asarray(sorted_ids)
    ids = np.asarray(ids, dtype=np.int64)
    if len(sorted_ids) == 0:
        return np.full(ids.shape, -1, dtype=np.int64)
    pos = np.clip(np.searchsorted(sorted_ids, ids), 0, len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == ids, pos, -1).astype(np.int64)


def top_k(scores, candidates, k):
    """The ``k`` best candidate rows of a score vector, best first.

    Ties go to the lower row (artists are stored in id order, so the lower id),
    which keeps answers stable across runs and between the tool and its evaluation.

    Parameters
    ----------
    scores : ndarray, shape (n,)
    candidates : ndarray of bool, shape (n,)
        Rows that may be returned.
    k : int

    Returns
    -------
    ndarray of int64
        At most ``k`` rows (fewer when fewer candidates exist).
    """
    pool = np.flatnonzero(candidates)
    k = max(0, min(int(k), len(pool)))
    if k == 0:
        return np.empty(0, dtype=np.int64)
    sub = np.asarray(scores)[pool]
    part = np.argpartition(-sub, k - 1)[:k] if k < len(pool) else np.arange(len(pool))
    return pool[part[np.lexsort((pool[part], -sub[part]))]].astype(np.int64)


def top_k_rows(scores, k):
    """Row-wise :func:`top_k` of a score matrix; ``-inf`` marks rows that may not be returned.

    Parameters
    ----------
    scores : ndarray of float, shape (m, n)
    k : int

    Returns
    -------
    ndarray of int64, shape (m, min(k, n))
        Column indices, best first, with the same tie-break as :func:`top_k`;
        -1 where fewer than ``k`` finite scores exist.
    """
    scores = np.asarray(scores, dtype=np.float64)
    kk = min(int(k), scores.shape[1])
    if kk == 0:
        return np.empty((scores.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    best = np.take_along_axis(part, order, axis=1)
    best_scores = np.take_along_axis(part_scores, order, axis=1)
    return np.where(np.isfinite(best_scores), best, -1).astype(np.int64)
