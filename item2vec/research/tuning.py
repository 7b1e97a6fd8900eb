"""The evidence discount shared by every method, and the validation grid that tunes it.

A fair comparison gives every method the same means of trading hit-rate for
niche answers (issue 10, "Fair comparison"; neighbourhood baselines must be
tuned, Dacrema et al., RecSys 2019):

    score'(q, j) = S(q, j) - c / n_j ** p

with ``S`` the method's similarity and ``n_j`` the training listeners of the
candidate ``j``. Where ``S`` has no natural scale (RP3beta, EASE, raw
co-listen counts), each query's row is first divided by its largest score over
the other artists (``rowmax``), so one ``c`` means the same for every method.
:class:`Discounted` wraps any :class:`~.baselines.SimilarityModel`, so
:func:`~.metrics.evaluate_model` and ``top_rows`` work unchanged, with the one
tie-break of :func:`item2vec.model.arrays.top_k_rows`.

:func:`validation_grid` evaluates a method's hyperparameters x discounts on the
validation splits (fold means of HR@10 and IPS-recall@10), and :func:`pareto`
keeps the settings no other setting beats on both.
"""

import itertools

import numpy as np

from ..query.ranking import listener_discount
from .baselines import SimilarityModel
from .metrics import evaluate_model


class Discounted(SimilarityModel):
    """``model``'s scores, optionally row-max scaled, minus ``c / listeners ** p``.

    Parameters
    ----------
    model : SimilarityModel
    listeners : ndarray, shape (n,)
        Training listeners of each artist of ``model.ids`` (``Split.listeners``).
    c : float
        Discount strength; 0 leaves the ranking as it is.
    p : float
        Discount exponent (0.5: ``c / sqrt(n)``, 1: ``c / n``).
    rowmax : bool
        Divide each query's row by its largest score over the other artists
        first (rows whose maximum is not positive are left as they are).
    """

    def __init__(self, model, listeners, c=0.0, p=1.0, rowmax=False):
        listeners = np.asarray(listeners, dtype=np.float64)
        if listeners.shape != model.ids.shape:
            raise ValueError("listeners must give one count per artist of the model")
        self.model = model
        self.ids = model.ids
        self.c, self.p, self.rowmax = float(c), float(p), bool(rowmax)
        self.penalty = listener_discount(listeners, self.c, self.p)
        scaled = ", row-max" if rowmax else ""
        self.name = f"{model.name}{scaled} - {c:g}/n^{p:g}"
        self.fit_seconds = model.fit_seconds

    def scores(self, rows):
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        score = np.array(self.model.scores(rows), dtype=np.float64)
        if self.rowmax:
            others = score.copy()
            others[np.arange(len(rows)), rows] = -np.inf
            top = others.max(axis=1, keepdims=True) if score.shape[1] > 1 else np.ones((len(rows), 1))
            score /= np.where(top > 0, top, 1.0)
        return score - self.penalty[None, :]


def validation_grid(factory, params, splits, cs=(0.0,), ps=(1.0,), rowmax=False, k=10, discounts=None):
    """Every hyperparameter setting x discount of one method, as fold means on ``splits``.

    Each base model is fitted once per split and setting; the discounts reuse it.

    Parameters
    ----------
    factory : callable
        ``factory(split, **setting)`` -> SimilarityModel (e.g. ``fit_rp3beta``).
    params : dict of list or list of dict
        Hyperparameter grid: a dict of value lists (their product) or the settings themselves.
    splits : list of Split
        The validation folds.
    cs, ps : sequence of float
        Discount strengths and exponents (their product); with ``c = 0`` every
        ``p`` is the same ranking, so it is evaluated once, as ``p`` = the first.
    rowmax : bool or sequence of bool
        Row-max scaling before the discount (several values: each is a setting).
    k : int
    discounts : sequence of (c, p), optional
        The discounts themselves, instead of ``cs`` x ``ps`` (each exponent can then
        have a strength range of its own).

    Returns
    -------
    list of dict
        One per setting: ``params`` (hyperparameters plus ``c``, ``p``,
        ``rowmax``), ``hr`` and ``ips_recall`` (means over the splits), and
        ``folds`` (each split's point metrics).
    """
    settings = _settings(params)
    scalings = [rowmax] if isinstance(rowmax, bool) else list(rowmax)
    if discounts is None:
        discounts = [(c, p) for p in ps for c in cs if c or p == ps[0]]
    lists = [split.user_lists() for split in splits]
    folds = {}
    for i, setting in enumerate(settings):
        for split, user_lists in zip(splits, lists, strict=True):
            base = factory(split, **setting)
            for scale, (c, p) in itertools.product(scalings, discounts):
                model = Discounted(base, split.listeners, c, p, scale)
                point = evaluate_model(model, split, k, user_lists=user_lists).point()
                folds.setdefault((i, scale, c, p), []).append(point)
    out = []
    for (i, scale, c, p), points in folds.items():
        out.append(
            {
                "params": {**settings[i], "c": c, "p": p, "rowmax": scale},
                "hr": float(np.mean([pt["hr"] for pt in points])),
                "ips_recall": float(np.mean([pt["ips_recall"] for pt in points])),
                "folds": points,
            }
        )
    return out


def pareto(points, x="hr", y="ips_recall"):
    """The points no other point matches on both ``x`` and ``y`` and beats on one.

    Parameters
    ----------
    points : list of dict
    x, y : str
        Keys of the two metrics, both higher-is-better.

    Returns
    -------
    list of dict
        The non-dominated points (exact ties are all kept), by ``x`` descending.
    """
    a = np.array([[pt[x] for pt in points], [pt[y] for pt in points]], dtype=np.float64).reshape(2, -1)
    ge = (a[0][:, None] >= a[0][None, :]) & (a[1][:, None] >= a[1][None, :])
    gt = (a[0][:, None] > a[0][None, :]) | (a[1][:, None] > a[1][None, :])
    dominated = (ge & gt).any(axis=0)  # [j, i]: point j dominates point i
    keep = np.flatnonzero(~dominated)
    keep = keep[np.lexsort((-a[1][keep], -a[0][keep]))]
    return [points[i] for i in keep]


def _settings(params):
    if isinstance(params, dict):
        names = list(params)
        return [dict(zip(names, values, strict=True)) for values in itertools.product(*params.values())]
    return [dict(setting) for setting in params] or [{}]
