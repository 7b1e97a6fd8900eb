"""The evaluation's model table: item2vec as the product ranks it, and the registered baselines.

item2vec is scored by the product's own code: the bag's unit vectors
(:func:`item2vec.training.trainer.bag_vectors`, via :mod:`.members`) and
:meth:`item2vec.query.ranking.Ranking.scores` (:class:`EvidenceRanked`), so the tool and its
evaluation cannot drift apart.

Every other method is a :class:`Method` in :data:`METHODS`. The evaluation fits it on
each validation fold for every setting of ``hyper``, gives it the same evidence discount
as item2vec (``- c / n ** p``, :class:`~.ranking.Discounted`, strengths
:data:`DISCOUNT_STRENGTHS`), picks one setting on validation by the rule of
:func:`choose`, then evaluates that setting's discount curve on the test folds.

Adding a model (for instance the MLlib Word2Vec trainer)
--------------------------------------------------------
Write ``fit(split, **hyper)`` returning a :class:`~.baselines.SimilarityModel` over
``split.ids`` trained on ``split.train`` only (for vectors:
``baselines.VectorModel(split.ids, vector_ids, vectors, name)``), and register it::

    register(Method("mllib", "Word2Vec (Spark MLlib)", fit_mllib, hyper={"vector_size": [32]}))

below the built-in registrations in this module (import the trainer inside ``fit``, so
that a missing dependency costs nothing until the method runs). It then gets a row in
the baseline table, a curve in the frontier figure and a frontier-dominance count, with
no other change. If ``fit`` cannot run on this machine (a missing dependency), raise
:class:`~.baselines.MethodUnavailable` with the reason: the run records the reason in
``evaluation.json`` and the report shows one line instead of a row. A method that is not
registered is not mentioned anywhere.
"""

import dataclasses
import itertools
from collections.abc import Callable

import numpy as np

from . import baselines
from .baselines import SimilarityModel

#: Discount strengths c tried for each exponent p (``- c / n ** p``). With n >= 3 the
#: strongest entries push every thin candidate off the list, so each curve spans
#: from "no discount" to "popularity".
DISCOUNT_STRENGTHS = {
    0.5: (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 1.0),
    1.0: (0.0, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0),
}
#: The smaller grid of ``--quick`` runs (tests on synthetic data).
QUICK_STRENGTHS = {0.5: (0.0, 0.2, 0.6), 1.0: (0.0, 0.3, 1.2)}


@dataclasses.dataclass(frozen=True)
class Method:
    """A baseline of the model table.

    Parameters
    ----------
    key : str
        Its key in ``evaluation.json``.
    name : str
        Its name in the report.
    fit : callable
        ``fit(split, **setting)`` -> SimilarityModel over ``split.ids``.
    hyper : dict of list
        Hyperparameter grid (the product of the lists); ``{}`` for none.
    powers : tuple of float
        Discount exponents tried; ``()``: no discount (one point).
    rowmax : bool
        Divide each query's scores by their maximum before the discount (scores with no
        natural scale: RP3beta, EASE).
    """

    key: str
    name: str
    fit: Callable
    hyper: dict = dataclasses.field(default_factory=dict)
    powers: tuple = (0.5, 1.0)
    rowmax: bool = False

    def settings(self, quick=False):
        """Every hyperparameter setting (the first two values of each list in a quick run)."""
        grid = {k: (v[:2] if quick else v) for k, v in self.hyper.items()}
        names = list(grid)
        return [dict(zip(names, values, strict=True)) for values in itertools.product(*grid.values())] or [{}]

    def discounts(self, quick=False, power=None):
        """(c, p) pairs: every strength of every exponent (or of ``power`` alone), c = 0 once."""
        strengths = QUICK_STRENGTHS if quick else DISCOUNT_STRENGTHS
        powers = self.powers if power is None else (power,)
        if not powers:
            return [(0.0, 1.0)]
        return [(c, p) for p in powers for c in strengths[p] if c or p == powers[0]]


METHODS = {}


def register(method):
    """Add ``method`` to the model table (replacing one with the same key)."""
    METHODS[method.key] = method
    return method


register(Method("itemknn", "item-kNN", baselines.fit_itemknn, {"shrink": [0.0, 1.0, 5.0, 20.0]}))
register(
    Method(
        "rp3beta",
        "RP3beta",
        baselines.fit_rp3beta,
        {"alpha": [0.0, 0.25, 0.5], "beta": [0.25, 0.5, 0.75]},
        rowmax=True,
    )
)
register(
    Method("ease", "EASE", baselines.fit_ease, {"lam": [100.0, 200.0, 500.0, 1000.0, 2000.0]}, rowmax=True)
)
register(Method("als", "ALS (implicit, BM25)", baselines.fit_als))
register(Method("popularity", "popularity", baselines.fit_popularity, powers=()))
# Spark MLlib's Word2Vec (train_item2vec.py --trainer mllib), the shipped member configuration
# mapped to MLlib's skip-gram with hierarchical softmax (item2vec.spark.mllib.mllib_settings).
register(Method("mllib", "Word2Vec (Spark MLlib)", baselines.fit_mllib))


def choose(points, hr_target):
    """The validation choice: highest IPS-recall@10 among points with HR@10 >= ``hr_target``.

    When no point reaches the target, the one with the highest HR@10 (the nearest to
    admissible); ``meets_target`` says which case it was.

    Parameters
    ----------
    points : list of dict
        With ``hr``, ``ips_recall`` and ``params``.
    hr_target : float

    Returns
    -------
    dict
        The chosen point plus ``meets_target``.
    """
    ok = [pt for pt in points if pt["hr"] >= hr_target]
    if ok:
        best = max(ok, key=lambda pt: (pt["ips_recall"], pt["hr"]))
    else:
        best = max(points, key=lambda pt: (pt["hr"], pt["ips_recall"]))
    return {**best, "meets_target": bool(ok)}


def colisten_counts(split):
    """``C_qj``, training users listing both set artists, shape (n, n) float32, zero diagonal.

    The diagonal is zeroed because the product ranks the *other* artists: the row
    maximum of the co-listen term is taken over the candidates, never the query itself.
    """
    x = split.train_matrix("binary")
    shared = (x.T @ x).toarray().astype(np.float32)
    np.fill_diagonal(shared, 0.0)
    return shared


def item_weights(split):
    """The product's item-item weights (:func:`item2vec.training.ease.ease_weights`) on a split, dense.

    Computed from the catalogue of the split's training users, exactly as training writes
    them into a model folder; shape (n, n) float32 over ``split.ids``, zero diagonal.
    """
    from ..model.catalog import Catalog
    from ..training.ease import ease_weights

    return ease_weights(Catalog.from_dataset(split.train), split.ids).dense()


class EvidenceRanked(SimilarityModel):
    """Artist vectors scored as the product scores them: :meth:`item2vec.query.ranking.Ranking.scores`.

    Parameters
    ----------
    ids : ndarray of int64, shape (n,)
    unit : ndarray of float32, shape (n, d)
        Unit rows (a bag's :func:`~item2vec.training.trainer.bag_vectors` already are).
    shared : ndarray, shape (n, n)
        Co-listen counts with a zero diagonal (:func:`colisten_counts`).
    listeners : ndarray of int, shape (n,)
        Training listeners of each artist.
    ranking : item2vec.query.ranking.Ranking
    name : str
    weights : ndarray, shape (n, n), optional
        The item-item weights (:func:`item_weights`); needed when ``ranking.ease`` is not 0.
    """

    def __init__(self, ids, unit, shared, listeners, ranking, name="item2vec", weights=None):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.unit = np.asarray(unit, dtype=np.float32)
        self.shared = shared
        self.listeners = np.asarray(listeners, dtype=np.int64)
        self.ranking = ranking
        self.name = name
        self.weights = weights

    def scores(self, rows):
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        cosine = self.unit[rows] @ self.unit.T
        weights = self.weights[rows] if self.ranking.ease else None
        return self.ranking.scores(cosine, self.shared[rows], self.listeners[rows], self.listeners, weights)
