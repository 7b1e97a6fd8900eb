"""Rare query artists: the held-out evaluation of answers for artists without a vector.

An artist with 1 or 2 listeners among a split's training users has no vector (the
vocabulary needs :data:`~.splits.SET_MIN_LISTENERS`). The product answers for it by
folding it in (:func:`item2vec.query.ranking.fold_in`) and ranking with
:data:`RARE_RANKING`. This module asks about such artists the way a held-out user
would: for every held-out user and every artist of theirs with 1-2 *training*
listeners, the query is that artist and the targets are the user's artists in the
split's set (IPS-weighted by 1 / training listeners, as in :mod:`.metrics`).

Per-user sums are :class:`~.metrics.UserSums`, so :func:`~.metrics.bootstrap` gives
the same intervals over users as for the common queries, and :func:`paired`
compares two methods on the same resampled users.
"""

import numpy as np
import scipy.sparse as sp

from ..model.arrays import top_k_rows
from ..query.ranking import DEFAULT_RANKING, fold_in, rare_ranking
from .metrics import UserSums

#: The product's score for a folded-in artist at the default dial position: co-listen weight
#: raised, no item-item term (:func:`item2vec.query.ranking.rare_ranking`).
RARE_RANKING = rare_ranking(DEFAULT_RANKING)
RARE_MAX_LISTENERS = 2


class RareQueries:
    """The rare queries of one split and their co-listen counts with the set.

    Attributes
    ----------
    artists : ndarray of int64, shape (m,)
        Distinct rare query artists (1-2 training listeners, asked by some held-out user).
    query_listeners : ndarray of int64, shape (m,)
    shared : ndarray of float64, shape (m, n)
        Training users listing the rare artist and each set artist.
    queries : list of (int, int, ndarray)
        (index in ``users``, row of ``artists``, target set rows), one per query.
    users : list of int
        Held-out users with at least one query (and at least one artist in the set).
    n_users : int
    """

    def __init__(self, split):
        self.split = split
        plays = split.train.plays
        counts = split.train.listeners(heard_only=True)
        rare = counts.index[counts <= RARE_MAX_LISTENERS].to_numpy(dtype=np.int64)
        held = split.heldout
        rows = split.rows(held["artist_id"].to_numpy())
        is_rare = np.isin(held["artist_id"].to_numpy(), rare)
        users = held["user"].to_numpy()
        asked = np.unique(held["artist_id"].to_numpy()[is_rare])
        self.artists = asked
        self.query_listeners = counts.reindex(asked).to_numpy(dtype=np.int64)
        # Training users x (rare artists asked | set artists), binary.
        codes, user_codes = np.unique(plays["user"].to_numpy(), return_inverse=True)
        train_ids = plays["artist_id"].to_numpy()
        set_rows = split.rows(train_ids)
        rare_rows = np.searchsorted(asked, train_ids)
        in_rare = (rare_rows < len(asked)) & (asked[np.minimum(rare_rows, len(asked) - 1)] == train_ids)
        shape_users = len(codes)
        x_set = sp.csr_matrix(
            (np.ones(int((set_rows >= 0).sum())), (user_codes[set_rows >= 0], set_rows[set_rows >= 0])),
            shape=(shape_users, len(split.ids)),
        )
        x_rare = sp.csr_matrix(
            (np.ones(int(in_rare.sum())), (user_codes[in_rare], rare_rows[in_rare])),
            shape=(shape_users, len(asked)),
        )
        self.shared = (x_rare.T @ x_set).toarray().astype(np.float64)
        self.queries = []
        order = np.argsort(users, kind="stable")
        cuts = np.flatnonzero(np.diff(users[order])) + 1
        self.users = []
        for chunk in np.split(order, cuts):
            targets = np.unique(rows[chunk][rows[chunk] >= 0])
            mine = np.unique(held["artist_id"].to_numpy()[chunk][is_rare[chunk]])
            if len(targets) == 0 or len(mine) == 0:
                continue
            for artist in mine:
                self.queries.append((len(self.users), int(np.searchsorted(asked, artist)), targets))
            self.users.append(int(users[chunk[0]]))
        self.n_users = len(self.users)

    def evidence(self):
        """Which rare artists share at least one listener with a set artist (can be answered)."""
        return self.shared.sum(axis=1) > 0

    def product_scores(self, unit, ranking=RARE_RANKING):
        """The product's scores for every rare artist: fold-in vector, then ``ranking``.

        Artists that share no listener with the set get no answer (the tool says it cannot
        answer), i.e. ``-inf`` everywhere.
        """
        listeners = self.split.listeners
        folded = fold_in(self.shared, listeners, unit)
        cosine = folded @ np.asarray(unit, dtype=np.float32).T
        score = ranking.scores(cosine, self.shared, self.query_listeners, listeners)
        return np.where(self.evidence()[:, None], score, -np.inf)

    def colisten_scores(self):
        """The issue's baseline: ``C_qj / sqrt(n_j)`` over the co-listened artists only."""
        score = self.shared / np.sqrt(np.maximum(self.split.listeners, 1))[None, :]
        return np.where(self.shared > 0, score, -np.inf)

    def evaluate(self, scores, k=10):
        """UserSums of one method's scores (rows of :attr:`artists`), per held-out user."""
        top = top_k_rows(scores, k)
        listeners = self.split.listeners
        weight = 1.0 / np.maximum(listeners.astype(np.float64), 1)
        names = ("queries", "hr", "precision", "ips_recall", "returned", "mean_listeners")
        sums = {name: np.zeros(self.n_users) for name in names}
        returned = []
        for user, row, targets in self.queries:
            answer = top[row][top[row] >= 0]
            hits = np.isin(answer, targets)
            sums["queries"][user] += 1
            sums["hr"][user] += hits.any()
            sums["precision"][user] += hits.sum() / k
            sums["ips_recall"][user] += weight[answer[hits]].sum() / weight[targets].sum()
            sums["returned"][user] += len(answer)
            sums["mean_listeners"][user] += listeners[answer].sum()
            returned.append(answer)
        distinct = np.unique(np.concatenate(returned)) if returned else np.empty(0)
        return UserSums(coverage=float(len(distinct) / max(len(listeners), 1)), **sums)


def paired(per_seed_a, per_seed_b, metric, n_boot=1000, seed=0, level=0.95, ratio=True):
    """Ratio (or difference) of method A's metric to method B's, with a paired bootstrap interval.

    Both methods answer the same queries; each replicate resamples each seed's users once
    and applies the same resample to both, as :func:`~.metrics.bootstrap` does for one.

    Parameters
    ----------
    per_seed_a, per_seed_b : list of UserSums
        One per split seed, the same users in the same order.
    metric : str
        A metric of :data:`~.metrics.METRICS`.
    n_boot, seed : int
    level : float
    ratio : bool
        True: A / B of the seed-averaged metrics; False: A - B.

    Returns
    -------
    dict
        ``mean``, ``low``, ``high``.
    """
    rng = np.random.default_rng(seed)
    rep_a, rep_b = np.zeros(n_boot), np.zeros(n_boot)
    for a, b in zip(per_seed_a, per_seed_b, strict=True):
        n = len(a.queries)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot)
        den = np.maximum(counts @ a._denominator(metric), 1)
        rep_a += counts @ getattr(a, metric) / den / len(per_seed_a)
        den = np.maximum(counts @ b._denominator(metric), 1)
        rep_b += counts @ getattr(b, metric) / den / len(per_seed_b)
    point_a = np.mean([s.point()[metric] for s in per_seed_a])
    point_b = np.mean([s.point()[metric] for s in per_seed_b])
    if ratio:
        point, reps = point_a / point_b if point_b else np.nan, rep_a / np.where(rep_b > 0, rep_b, np.nan)
    else:
        point, reps = point_a - point_b, rep_a - rep_b
    alpha = (1 - level) / 2
    low, high = np.nanquantile(reps, [alpha, 1 - alpha])
    return {"mean": float(point), "low": float(low), "high": float(high)}


def answerable(dataset, min_listeners):
    """How many catalogue artists the product can answer for, on ``dataset`` (all users).

    An artist with ``min_listeners`` or more has a vector; one with fewer is folded in when
    some listener of it also lists an artist with a vector; the others cannot be answered.

    Returns
    -------
    dict
        ``catalogue``, ``with_vector``, ``folded_in``, ``unanswerable``.
    """
    plays = dataset.plays
    counts = dataset.listeners(heard_only=False)
    with_vector = set(counts.index[counts >= min_listeners].tolist())
    users_with_vector = set(plays.loc[plays["artist_id"].isin(with_vector), "user"].tolist())
    thin = plays[~plays["artist_id"].isin(with_vector)]
    folded = set(thin.loc[thin["user"].isin(users_with_vector), "artist_id"].tolist())
    total = len(counts)
    return {
        "catalogue": int(total),
        "with_vector": len(with_vector),
        "folded_in": len(folded),
        "unanswerable": int(total - len(with_vector) - len(folded)),
    }
