"""Two numpy idioms every model here needs: finding ids in a sorted id array, and top-k.

The product (query path) and the research code (baselines, evaluation) both rank
artists; they must agree on the tie-break, or the same scores would give
different answers in the tool and in its evaluation.
"""

import operator

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


def row_of(sorted_ids, artist_id):
    """Position of one id in the strictly increasing ``sorted_ids``, or -1: :func:`rows_of` of one id.

    A tenth of the time of ``rows_of``'s array handling, which was most of looking up one
    id: one is looked up per query, per name resolved and per fact, and the explorer page
    asks for every artist of the catalogue.

    Parameters
    ----------
    sorted_ids : ndarray of int, shape (n,)
    artist_id : int
        A Python or numpy integer (not a float); one beyond int64 is in no id array (-1),
        where ``rows_of`` refuses it.

    Returns
    -------
    int
    """
    artist_id = operator.index(artist_id)
    position = int(np.asarray(sorted_ids).searchsorted(artist_id))
    return position if position < len(sorted_ids) and sorted_ids[position] == artist_id else -1


def _best_positions(neg, k):
    """Positions of the ``k`` smallest of ``neg`` (negated scores), ties to the lower position, unordered.

    ``argpartition`` alone picks an arbitrary subset of the scores tied with the k-th best,
    so a tie straddling the cut could keep a higher row and drop a lower one. Then every
    score better than the k-th best is kept, and the lowest positions equal to it.
    """
    part = np.argpartition(neg, k - 1)[:k]
    kth = neg[part].max()
    if np.isnan(kth):  # fewer than k numbers: NaN ranks below everything, in row order
        better, tied = np.flatnonzero(~np.isnan(neg)), np.flatnonzero(np.isnan(neg))
    elif np.count_nonzero(neg <= kth) > k:
        better, tied = np.flatnonzero(neg < kth), np.flatnonzero(neg == kth)
    else:
        return part
    return np.concatenate([better, tied[: k - len(better)]])


def top_k(scores, candidates, k):
    """The ``k`` best candidate rows of a score vector, best first.

    Ties go to the lower row (artists are stored in id order, so the lower id),
    which keeps answers stable across runs and between the tool and its evaluation:
    the result is ``sorted(rows, key=lambda r: (-scores[r], r))[:k]``, NaN last.

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
    neg = -np.asarray(scores)[pool]
    part = _best_positions(neg, k) if k < len(pool) else np.arange(len(pool))
    return pool[part[np.lexsort((pool[part], neg[part]))]].astype(np.int64)


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
    kk = max(0, min(int(k), scores.shape[1]))
    if kk == 0:
        return np.empty((scores.shape[0], 0), dtype=np.int64)
    # NaN and -inf are both "not returned" (-1 below); as -inf they tie, and ties are ordered.
    neg = -np.where(np.isnan(scores), -np.inf, scores)
    part = np.argpartition(neg, kk - 1, axis=1)[:, :kk]
    kth = np.take_along_axis(neg, part, axis=1).max(axis=1, keepdims=True)
    # argpartition is right unless more columns tie with a row's k-th best than fit: in
    # those rows take every column better than it, then the lowest columns equal to it.
    # (Ties among -inf do not matter: they all come out as -1.)
    straddle = np.flatnonzero((np.count_nonzero(neg <= kth, axis=1) > kk) & np.isfinite(kth[:, 0]))
    if len(straddle):
        sub, cut = neg[straddle], kth[straddle]
        tied = sub == cut
        need = kk - np.count_nonzero(sub < cut, axis=1, keepdims=True)
        keep = (sub < cut) | (tied & (np.cumsum(tied, axis=1) <= need))
        part[straddle] = np.nonzero(keep)[1].reshape(len(straddle), kk)
    part_neg = np.take_along_axis(neg, part, axis=1)
    order = np.lexsort((part, part_neg), axis=1)
    best = np.take_along_axis(part, order, axis=1)
    best_neg = np.take_along_axis(part_neg, order, axis=1)
    return np.where(np.isfinite(best_neg), best, -1).astype(np.int64)
