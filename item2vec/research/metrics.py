"""Ranking metrics of the held-out co-listen evaluation, and their bootstrap intervals.

For every held-out user and every artist ``q`` of theirs in the split's artist
set (:mod:`.splits`), a method's top ``k`` for ``q`` is compared with the user's
other artists in the set. Metrics are averaged over these queries and given a
percentile bootstrap interval over users (users resampled with their queries).
"""

import dataclasses

import numpy as np

METRICS = ("hr", "precision", "ips_recall", "mean_listeners")


@dataclasses.dataclass
class UserSums:
    """Per-user sums over that user's queries; ratios of their totals are the metrics."""

    queries: np.ndarray
    hr: np.ndarray
    precision: np.ndarray
    ips_recall: np.ndarray
    returned: np.ndarray
    mean_listeners: np.ndarray  # sum of listener counts of the returned artists
    coverage: float

    def point(self):
        """The metrics over all queries (micro averages)."""
        out = {
            name: float(getattr(self, name).sum() / max(self._denominator(name).sum(), 1)) for name in METRICS
        }
        out["coverage"] = self.coverage
        out["queries"] = int(self.queries.sum())
        out["users"] = int(len(self.queries))
        return out

    def _denominator(self, name):
        return self.returned if name == "mean_listeners" else self.queries


def score_users(top, user_lists, listeners, k=10):
    """Compare top-k tables with held-out lists.

    Parameters
    ----------
    top : ndarray of int, shape (n, >= k)
        Row ``q`` holds the set rows returned for query row ``q``, best first;
        -1 pads when fewer were returned. Never contains ``q``.
    user_lists : list of ndarray of int
        Each held-out user's set rows (distinct, at least two).
    listeners : ndarray, shape (n,)
        Training listeners per set row; targets weigh ``1 / listeners`` in IPS recall.
    k : int

    Returns
    -------
    UserSums
    """
    top = np.asarray(top)[:, :k]
    weight = 1.0 / np.maximum(np.asarray(listeners, dtype=np.float64), 1)
    n = len(user_lists)
    sums = {
        name: np.zeros(n)
        for name in ("queries", "hr", "precision", "ips_recall", "returned", "mean_listeners")
    }
    returned_rows = []
    for u, rows in enumerate(user_lists):
        answers = top[rows]  # (|rows|, k)
        valid = answers >= 0
        hits = np.isin(answers, rows) & valid
        w_hit = np.where(hits, weight[np.where(valid, answers, 0)], 0.0).sum(axis=1)
        # Each query's targets are the user's other artists: the whole list minus q.
        w_targets = weight[rows].sum() - weight[rows]
        sums["queries"][u] = len(rows)
        sums["hr"][u] = hits.any(axis=1).sum()
        sums["precision"][u] = (hits.sum(axis=1) / k).sum()
        sums["ips_recall"][u] = (w_hit / w_targets).sum()
        sums["returned"][u] = valid.sum()
        sums["mean_listeners"][u] = np.asarray(listeners)[answers[valid]].sum()
        returned_rows.append(answers[valid])
    distinct = np.unique(np.concatenate(returned_rows)) if returned_rows else np.empty(0)
    return UserSums(coverage=float(len(distinct) / max(len(top), 1)), **sums)


def bootstrap(per_seed, n_boot=1000, seed=0, level=0.95):
    """Seed-averaged metrics with percentile bootstrap intervals over users.

    Parameters
    ----------
    per_seed : list of UserSums
        One per split seed; each seed's users are resampled independently and
        the replicate statistic is the mean over seeds, like the point estimate.
    n_boot : int
    seed : int
    level : float

    Returns
    -------
    dict
        ``{metric: {"mean", "low", "high"}}`` for the metrics of :data:`METRICS`,
        plus ``coverage`` (mean over seeds, no interval), ``queries`` and ``users``.
    """
    rng = np.random.default_rng(seed)
    replicates = {name: np.zeros(n_boot) for name in METRICS}
    for sums in per_seed:
        n_users = len(sums.queries)
        counts = rng.multinomial(n_users, np.full(n_users, 1.0 / n_users), size=n_boot)
        for name in METRICS:
            num = counts @ getattr(sums, name)
            den = counts @ sums._denominator(name)
            replicates[name] += num / np.maximum(den, 1) / len(per_seed)
    points = [s.point() for s in per_seed]
    alpha = (1 - level) / 2
    out = {}
    for name in METRICS:
        low, high = np.quantile(replicates[name], [alpha, 1 - alpha])
        out[name] = {
            "mean": float(np.mean([p[name] for p in points])),
            "low": float(low),
            "high": float(high),
        }
    out["coverage"] = {"mean": float(np.mean([p["coverage"] for p in points]))}
    out["queries"] = int(sum(p["queries"] for p in points))
    out["users"] = int(sum(p["users"] for p in points))
    return out


def evaluate_model(model, split, k=10, allowed=None, user_lists=None):
    """UserSums of one model (see :mod:`.baselines`) on one split.

    ``allowed`` is a boolean mask over the split's set: only those artists may
    be returned (the product's min-listeners filter).
    """
    if not np.array_equal(model.ids, split.ids):
        raise ValueError("the model's artist set differs from the split's")
    lists = split.user_lists() if user_lists is None else user_lists
    # Only rows some held-out user asks about are ranked: the metrics never look at the others.
    queries = np.concatenate(lists) if lists else np.empty(0, dtype=np.int64)
    top = model.top_rows(k, allowed=allowed, queries=queries)
    return score_users(top, lists, split.listeners, k)


def evaluate_filters(model, split, filters, k=10, user_lists=None):
    """Point metrics of one model under several min-listeners result filters.

    Returns ``{min_listeners: UserSums}``; a filter at or below the set's own
    threshold (``SET_MIN_LISTENERS``) means "unfiltered".
    """
    lists = split.user_lists() if user_lists is None else user_lists
    return {
        f: evaluate_model(model, split, k, allowed=split.listeners >= f, user_lists=lists) for f in filters
    }


def rank_of(model, query_id, target_ids, allowed=None):
    """1-based rank of each target in the query's full answer list; None when not returnable."""
    ids, _ = model.similar(query_id, topn=len(model.ids), allowed=allowed)
    position = {int(a): i + 1 for i, a in enumerate(ids)}
    return [position.get(int(t)) for t in target_ids]
