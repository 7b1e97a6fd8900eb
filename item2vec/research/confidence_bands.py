"""How far to trust an answer, by the listeners of the asked-for artist, measured on held-out users.

For every held-out user of a validation fold and every artist ``q`` of theirs, the
product answers ``q`` as it ships (the bag, the default ranking, the top ``k``; an artist
with 1-2 training listeners folded in, as :mod:`.rare` asks it). The answer *holds* when
it contains another artist of that user's: an artist that a listener of ``q`` really
lists too (the hit of HR@k, one answer at a time). The share of answers that hold, per
band of ``q``'s training listeners (:data:`BANDS`), with a bootstrap interval over users,
is the confidence the tool shows (:mod:`item2vec.model.confidence`).

Only validation folds are used, never the test users. An artist none of whose listeners
lists an artist with a vector cannot be answered at all; such queries are left out (the
tool says it cannot answer, it does not answer with low confidence).
"""

import dataclasses

import numpy as np

from ..model.arrays import top_k_rows
from ..model.confidence import parse_confidence
from ..query.ranking import DEFAULT_RANKING
from .rare import RARE_RANKING, RareQueries

#: (first, last listeners, folded in): the bands. An artist needs 3 training listeners for a
#: vector, so 1 and 2 are folded in; above, roughly doubling bands, the last one open.
BANDS = (
    (1, 1, True),
    (2, 2, True),
    (3, 4, False),
    (5, 9, False),
    (10, 19, False),
    (20, 49, False),
    (50, 99, False),
    (100, None, False),
)


@dataclasses.dataclass
class FoldAnswers:
    """One fold's held-out answers: who asked, the band of the asked-for artist, whether it held."""

    users: np.ndarray  # user id of each answer
    bands: np.ndarray  # index in BANDS
    hits: np.ndarray  # bool


def band_of(listeners, folded):
    """Index in :data:`BANDS` of each (listeners, folded) pair; -1 where none covers it."""
    listeners = np.asarray(listeners, dtype=np.int64)
    out = np.full(listeners.shape, -1, dtype=np.int64)
    for i, (low, high, kind) in enumerate(BANDS):
        if kind != folded:
            continue
        inside = (listeners >= low) & (listeners <= (np.iinfo(np.int64).max if high is None else high))
        out[inside] = i
    return out


def heldout_lists(split):
    """``(user ids, set rows of each)`` of the held-out users with at least two artists in the set."""
    frame = split.heldout
    rows = split.rows(frame["artist_id"].to_numpy())
    keep = rows >= 0
    users, rows = frame["user"].to_numpy()[keep], rows[keep]
    order = np.argsort(users, kind="stable")
    users, rows = users[order], rows[order]
    cuts = np.flatnonzero(np.diff(users)) + 1
    out_users, lists = [], []
    for chunk_users, chunk in zip(np.split(users, cuts), np.split(rows, cuts), strict=True):
        distinct = np.unique(chunk)
        if len(distinct) >= 2:
            out_users.append(int(chunk_users[0]))
            lists.append(distinct)
    return out_users, lists


def common_answers(fold, k=10):
    """:class:`FoldAnswers` of the artists with a vector, answered by the shipped bag and ranking."""
    split = fold.split
    model = fold.item2vec("bag", DEFAULT_RANKING)
    users, lists = heldout_lists(split)
    if not lists:
        return FoldAnswers(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, bool))
    top = model.top_rows(k, queries=np.concatenate(lists))
    out_users, bands, hits = [], [], []
    for user, rows in zip(users, lists, strict=True):
        answers = top[rows]
        hits.append((np.isin(answers, rows) & (answers >= 0)).any(axis=1))
        bands.append(band_of(split.listeners[rows], False))
        out_users.append(np.full(len(rows), user))
    return FoldAnswers(np.concatenate(out_users), np.concatenate(bands), np.concatenate(hits))


def rare_answers(fold, k=10):
    """:class:`FoldAnswers` of the artists with 1-2 training listeners, folded in as the product does."""
    rare = RareQueries(fold.split)
    top = top_k_rows(rare.product_scores(fold.bag, RARE_RANKING), k)
    answerable = rare.evidence()
    users, bands, hits = [], [], []
    for user, row, targets in rare.queries:
        if not answerable[row]:
            continue
        answer = top[row][top[row] >= 0]
        users.append(rare.users[user])
        bands.append(int(band_of([rare.query_listeners[row]], True)[0]))
        hits.append(bool(np.isin(answer, targets).any()))
    return FoldAnswers(np.asarray(users, np.int64), np.asarray(bands, np.int64), np.asarray(hits, bool))


def _per_user(answers):
    """Per user (rows) and band (columns): answers and hits."""
    ids, index = np.unique(answers.users, return_inverse=True)
    queries = np.zeros((len(ids), len(BANDS)))
    hits = np.zeros((len(ids), len(BANDS)))
    inside = answers.bands >= 0
    np.add.at(queries, (index[inside], answers.bands[inside]), 1)
    np.add.at(hits, (index[inside], answers.bands[inside]), answers.hits[inside])
    return queries, hits


def band_table(per_fold, n_boot=1000, seed=0, level=0.95):
    """The bands' shares of answers that held, pooled over folds, with bootstrap intervals.

    Each replicate resamples every fold's users (with all their answers) and pools the
    folds, as the point estimate does.

    Parameters
    ----------
    per_fold : list of FoldAnswers
        The common and rare answers of one fold together.

    Returns
    -------
    list of dict
        One per band with answers, in :data:`BANDS` order (the form
        :func:`item2vec.model.confidence.parse_confidence` reads).
    """
    rng = np.random.default_rng(seed)
    total_q, total_h = np.zeros(len(BANDS)), np.zeros(len(BANDS))
    rep_q, rep_h = np.zeros((n_boot, len(BANDS))), np.zeros((n_boot, len(BANDS)))
    users = np.zeros(len(BANDS), dtype=np.int64)
    for answers in per_fold:
        queries, hits = _per_user(answers)
        n = len(queries)
        if n == 0:
            continue
        total_q += queries.sum(axis=0)
        total_h += hits.sum(axis=0)
        users += (queries > 0).sum(axis=0)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot)
        rep_q += counts @ queries
        rep_h += counts @ hits
    alpha = (1 - level) / 2
    bands = []
    for i, (low_end, high_end, folded) in enumerate(BANDS):
        if total_q[i] == 0:
            continue
        value = total_h[i] / total_q[i]
        shares = rep_h[:, i] / np.maximum(rep_q[:, i], 1)
        low, high = np.quantile(shares, [alpha, 1 - alpha])
        bands.append(
            {
                "min_listeners": low_end,
                "max_listeners": high_end,
                "folded": folded,
                "value": round(float(value), 4),
                "low": round(float(min(low, value)), 4),
                "high": round(float(max(high, value)), 4),
                "queries": int(total_q[i]),
                "users": int(users[i]),
            }
        )
    return bands


def measure(folds, config, checksums, n_boot=1000, level=0.95, k=10):
    """The confidence section of ``evaluation.json``, measured on ``folds`` (validation folds).

    Parameters
    ----------
    folds : list of item2vec.research.evaluate.Fold
    config : TrainConfig
        The shipped configuration the folds' bags were trained with.
    checksums : dict
        The data files' SHA-256 (``Dataset.checksums``): the training command copies the
        table into a model only when its data is this data.

    Returns
    -------
    dict
        ``k``, ``ranking``, ``rare_ranking``, ``bands`` (:mod:`item2vec.model.confidence`), and
        ``config``, ``data_sha256``, ``folds`` (what it was measured on).
    """
    per_fold = []
    for fold in folds:
        common, rare = common_answers(fold, k), rare_answers(fold, k)
        per_fold.append(
            FoldAnswers(
                *(np.concatenate([getattr(common, f), getattr(rare, f)]) for f in ("users", "bands", "hits"))
            )
        )
    table = {
        "k": k,
        "ranking": dataclasses.asdict(DEFAULT_RANKING),
        "rare_ranking": dataclasses.asdict(RARE_RANKING),
        "bands": band_table(per_fold, n_boot, level=level),
    }
    parse_confidence(table)  # what the tool will read: fail here, not when a model is loaded
    return {
        **table,
        "config": dataclasses.asdict(config),
        "data_sha256": dict(checksums),
        "folds": [f"{fold.split.kind} {fold.split.seed}" for fold in folds],
    }
