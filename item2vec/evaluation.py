"""Held-out co-listen evaluation: user splits, ranking metrics, bootstrap intervals.

The protocol (docs/EVALUATION.md):

* Users, not rows, are held out: a held-out user's whole list leaves training.
  A seeded permutation of the users is cut into folds of ``frac`` of the users.
  The first ``n_seeds`` folds are the *test* folds; tuning never sees them, not
  even as training data. Validation folds are cut from the remaining users, so
  a validation model is trained on the tuning pool minus one validation fold,
  and a test model on every user except one test fold.
* The artist set of a split is every artist with at least ``SET_MIN_LISTENERS``
  listeners among its training users (the shipped item2vec vocabulary); every
  method queries and answers within that set.
* For every held-out user and every artist ``q`` of theirs in the set, the
  method's top ``k`` for ``q`` is compared with the user's other artists in the
  set. Metrics are averaged over these queries and given a percentile bootstrap
  interval over users (users resampled with their queries).
"""

import dataclasses
import logging

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

#: Artists need this many training listeners to be in the evaluation set; equal
#: to the largest allowed item2vec ``min_count``, so every tuned model covers it.
SET_MIN_LISTENERS = 3
SPLIT_SEED = 20261128
METRICS = ("hr", "precision", "ips_recall", "mean_listeners")


@dataclasses.dataclass
class Split:
    """One train / held-out partition of the users.

    Attributes
    ----------
    kind : {"validation", "test"}
    seed : int
        Index of the held-out fold; also used as the model seed.
    train : Dataset
        The training users' rows (all of them) and the full artist table.
    heldout : pandas.DataFrame
        The held-out users' rows (``user``, ``artist_id``, ``plays``).
    ids : ndarray of int64
        The artist set, sorted.
    listeners : ndarray of int64
        Training listeners of each artist of the set.
    """

    kind: str
    seed: int
    train: object
    heldout: object
    ids: np.ndarray
    listeners: np.ndarray

    def rows(self, artist_ids):
        """Rows of ``artist_ids`` in the set, -1 for ids outside it."""
        artist_ids = np.asarray(artist_ids, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.ids, artist_ids), 0, max(len(self.ids) - 1, 0))
        found = (len(self.ids) > 0) & (self.ids[pos] == artist_ids)
        return np.where(found, pos, -1)

    def train_matrix(self, values="binary"):
        """Training users x set artists as CSR float32: 1 per listen or the play counts."""
        frame = self.train.plays
        rows = self.rows(frame["artist_id"].to_numpy())
        keep = rows >= 0
        users = np.unique(frame["user"].to_numpy(), return_inverse=True)[1][keep]
        data = (np.ones(int(keep.sum())) if values == "binary"
                else frame["plays"].to_numpy()[keep].astype(np.float64))
        return sp.csr_matrix((data.astype(np.float32), (users, rows[keep])),
                             shape=(int(users.max()) + 1 if len(users) else 0, len(self.ids)))

    def user_lists(self):
        """Each held-out user's set rows, for users with at least two artists in the set."""
        frame = self.heldout
        rows = self.rows(frame["artist_id"].to_numpy())
        keep = rows >= 0
        users = frame["user"].to_numpy()[keep]
        rows = rows[keep]
        order = np.argsort(users, kind="stable")
        users, rows = users[order], rows[order]
        cuts = np.flatnonzero(np.diff(users)) + 1
        return [np.unique(chunk) for chunk in np.split(rows, cuts) if len(np.unique(chunk)) >= 2]


def user_folds(users, n_seeds=3, frac=0.1, split_seed=SPLIT_SEED):
    """Disjoint test folds and validation folds of the users.

    Parameters
    ----------
    users : array-like of int
        Distinct user ids.
    n_seeds : int
        Number of test folds and of validation folds.
    frac : float
        Share of all users in one fold.
    split_seed : int

    Returns
    -------
    test_folds, validation_folds : list of ndarray
        ``n_seeds`` folds each; validation folds never contain a test user.
    """
    users = np.unique(np.asarray(users))
    size = int(round(frac * len(users)))
    if size < 1 or 2 * n_seeds * size > len(users):
        raise ValueError(f"cannot cut {2 * n_seeds} folds of {frac:.0%} from {len(users)} users")
    perm = np.random.default_rng(split_seed).permutation(users)
    test = [np.sort(perm[i * size:(i + 1) * size]) for i in range(n_seeds)]
    pool = perm[n_seeds * size:]
    validation = [np.sort(pool[i * size:(i + 1) * size]) for i in range(n_seeds)]
    return test, validation


def make_split(dataset, kind, seed, n_seeds=3, frac=0.1, split_seed=SPLIT_SEED):
    """Build split number ``seed`` of ``kind`` ("validation" or "test").

    A validation split trains on the tuning pool (users in no test fold) minus
    its validation fold; a test split trains on every user outside its test fold.
    """
    if kind not in ("validation", "test"):
        raise ValueError(f"kind must be 'validation' or 'test', got {kind!r}")
    if not 0 <= seed < n_seeds:
        raise ValueError(f"seed must be in 0..{n_seeds - 1}, got {seed}")
    plays = dataset.plays
    test, validation = user_folds(plays["user"].to_numpy(), n_seeds, frac, split_seed)
    user = plays["user"].to_numpy()
    if kind == "test":
        held = np.isin(user, test[seed])
        train_mask = ~held
    else:
        held = np.isin(user, validation[seed])
        train_mask = ~held & ~np.isin(user, np.concatenate(test))
    train_plays = plays[train_mask].reset_index(drop=True)
    train = dataclasses.replace(dataset, plays=train_plays)
    return Split(kind, seed, train, plays[held].reset_index(drop=True), *_artist_set(train_plays))


def _artist_set(train_plays):
    """Ids and training listeners of the artists with at least SET_MIN_LISTENERS listeners."""
    counts = train_plays.groupby("artist_id")["user"].nunique()
    counts = counts[counts >= SET_MIN_LISTENERS]
    return counts.index.to_numpy(dtype=np.int64), counts.to_numpy(dtype=np.int64)


@dataclasses.dataclass
class UserSums:
    """Per-user sums over that user's queries; ratios of their totals are the metrics."""

    queries: np.ndarray
    hr: np.ndarray
    precision: np.ndarray
    ips_recall: np.ndarray
    returned: np.ndarray
    mean_listeners: np.ndarray   # sum of listener counts of the returned artists
    coverage: float

    def point(self):
        """The metrics over all queries (micro averages)."""
        out = {name: float(getattr(self, name).sum() / max(self._denominator(name).sum(), 1))
               for name in METRICS}
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
    sums = {name: np.zeros(n) for name in ("queries", "hr", "precision", "ips_recall", "returned",
                                           "mean_listeners")}
    returned_rows = []
    for u, rows in enumerate(user_lists):
        answers = top[rows]                          # (|rows|, k)
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
        out[name] = {"mean": float(np.mean([p[name] for p in points])), "low": float(low), "high": float(high)}
    out["coverage"] = {"mean": float(np.mean([p["coverage"] for p in points]))}
    out["queries"] = int(sum(p["queries"] for p in points))
    out["users"] = int(sum(p["users"] for p in points))
    return out


def evaluate_model(model, split, k=10, allowed=None, user_lists=None):
    """UserSums of one model (see :mod:`item2vec.baselines`) on one split.

    ``allowed`` is a boolean mask over the split's set: only those artists may
    be returned (the product's min-listeners filter).
    """
    if not np.array_equal(model.ids, split.ids):
        raise ValueError("the model's artist set differs from the split's")
    top = model.top_rows(k, allowed=allowed)
    return score_users(top, split.user_lists() if user_lists is None else user_lists, split.listeners, k)


def evaluate_filters(model, split, filters, k=10, user_lists=None):
    """Point metrics of one model under several min-listeners result filters.

    Returns ``{min_listeners: UserSums}``; a filter at or below the set's own
    threshold (``SET_MIN_LISTENERS``) means "unfiltered".
    """
    lists = split.user_lists() if user_lists is None else user_lists
    return {f: evaluate_model(model, split, k, allowed=split.listeners >= f, user_lists=lists)
            for f in filters}


def full_split(dataset):
    """Every user as training and nobody held out: the shipped model's view, for examples."""
    return Split("full", 0, dataset, dataset.plays.iloc[:0], *_artist_set(dataset.plays))


def rank_of(model, query_id, target_ids, allowed=None):
    """1-based rank of each target in the query's full answer list; None when not returnable."""
    ids, _ = model.similar(query_id, topn=len(model.ids), allowed=allowed)
    position = {int(a): i + 1 for i, a in enumerate(ids)}
    return [position.get(int(t)) for t in target_ids]
