"""Held-out users: the train / validation / test splits of the evaluation.

The protocol (docs/EVALUATION.md; the metrics are in :mod:`.metrics`):

* Users, not rows, are held out: a held-out user's whole list leaves training.
  A seeded permutation of the users is cut into folds of ``frac`` of the users.
  The first ``n_seeds`` folds are the *test* folds; tuning never sees them, not
  even as training data. Validation folds are cut from the remaining users, so
  a validation model is trained on the tuning pool minus one validation fold,
  and a test model on every user except one test fold.
* The artist set of a split is every artist with at least ``SET_MIN_LISTENERS``
  listeners among its training users (the shipped item2vec vocabulary); every
  method queries and answers within that set.
"""

import dataclasses

import numpy as np
import scipy.sparse as sp

from ..model.arrays import rows_of

#: Artists need this many training listeners to be in the evaluation set; equal
#: to the largest allowed item2vec ``min_count``, so every tuned model covers it.
SET_MIN_LISTENERS = 3
SPLIT_SEED = 20261128


@dataclasses.dataclass
class Split:
    """One train / held-out partition of the users.

    Attributes
    ----------
    kind : {"validation", "test"}
    seed : int
        Index of the held-out fold (0 .. n_seeds - 1); the evaluation also uses it as the model seed.
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
        return rows_of(self.ids, artist_ids)

    def train_matrix(self, values="binary"):
        """Training users x set artists as CSR float32: 1 per listen or the play counts."""
        frame = self.train.plays
        rows = self.rows(frame["artist_id"].to_numpy())
        keep = rows >= 0
        users = np.unique(frame["user"].to_numpy(), return_inverse=True)[1][keep]
        data = (
            np.ones(int(keep.sum()))
            if values == "binary"
            else frame["plays"].to_numpy()[keep].astype(np.float64)
        )
        return sp.csr_matrix(
            (data.astype(np.float32), (users, rows[keep])),
            shape=(int(users.max()) + 1 if len(users) else 0, len(self.ids)),
        )

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
    test = [np.sort(perm[i * size : (i + 1) * size]) for i in range(n_seeds)]
    pool = perm[n_seeds * size :]
    validation = [np.sort(pool[i * size : (i + 1) * size]) for i in range(n_seeds)]
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
    return Split(kind, seed, train, plays[held].reset_index(drop=True), *_artist_set(train))


def _artist_set(train):
    """Ids and training listeners of the artists with at least SET_MIN_LISTENERS listeners."""
    counts = train.listeners(heard_only=True)
    counts = counts[counts >= SET_MIN_LISTENERS]
    return counts.index.to_numpy(dtype=np.int64), counts.to_numpy(dtype=np.int64)


def full_split(dataset):
    """Every user as training and nobody held out: the shipped model's view, for examples."""
    return Split("full", 0, dataset, dataset.plays.iloc[:0], *_artist_set(dataset))
