"""How the ``--discover`` dial's positions are chosen: a grid of rankings on the validation folds.

Every setting of the grid is a :class:`~item2vec.query.ranking.Ranking` (co-listen weight,
item-item weight, discount strength and exponent) scored by the product's own function on
the shipped bag's vectors. Their fold means of HR@10 and IPS-recall@10 give a validation
frontier (:func:`~.tuning.pareto`), and :func:`choose_positions` picks the dial from it by
one rule, fixed before any test fold was looked at:

* position 0 (familiar): the highest HR@10 of the grid;
* position 1 (niche): the highest IPS-recall@10 of the grid;
* the default position: the highest IPS-recall@10 among settings with HR@10 at least
  :data:`DEFAULT_HR_FLOOR`, which keeps a margin of about one interval half-width above
  the 0.80 the targets ask for, so the default stays above it on users not seen;
* the positions between the familiar end and the default: the frontier point with the
  highest IPS-recall@10 at or above hit rates evenly spaced between theirs.

:data:`FAMILIES` name subsets of the grid, so the report can say what each ingredient adds:
without the item-item weights, and with the discount alone (a popularity prior: ``- c /
n ** p`` favours the most-listened artists, more so the stronger ``c`` and the smaller ``p``).
"""

import dataclasses

from ..query.ranking import DEFAULT_DISCOVER, DIAL, Ranking
from .tuning import pareto

#: Dial positions, familiar (0) to niche (1); the default is one of them.
POSITIONS = tuple(DIAL)
#: The default position's validation hit-rate floor (see the module docstring).
DEFAULT_HR_FLOOR = 0.81
#: The grid: item-item weights x co-listen weights x (discount strength, exponent).
GRID_EASE = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)
GRID_WEIGHT = (0.0, 0.1, 0.25)
GRID_DISCOUNTS = {
    1.0: (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5),
    0.5: (0.1, 0.2, 0.3, 0.5, 0.8, 1.2),
    0.25: (0.8, 1.2, 1.6, 2.0, 3.0, 4.0),
}
QUICK_EASE = (0.0, 0.5)
QUICK_WEIGHT = (0.0, 0.25)
QUICK_DISCOUNTS = {1.0: (0.0, 0.2), 0.25: (1.6,)}
#: Co-listen shrinkage of every setting: the shipped one.
SHRINK = 5.0
#: Subsets of the grid the report compares (``(name, predicate on a Ranking)``).
FAMILIES = (
    ("all", lambda r: True),
    ("no_item_weights", lambda r: r.ease == 0),
    ("discount_only", lambda r: r.ease == 0 and r.weight == 0),
)


def grid(quick=False):
    """Every ranking of the search (the quick grid for tests on synthetic data)."""
    eases, weights, discounts = (
        (QUICK_EASE, QUICK_WEIGHT, QUICK_DISCOUNTS) if quick else (GRID_EASE, GRID_WEIGHT, GRID_DISCOUNTS)
    )
    return [
        Ranking(weight=w, shrink=SHRINK, discount=c, power=p, ease=v)
        for v in eases
        for w in weights
        for p, strengths in discounts.items()
        for c in strengths
    ]


def as_ranking(params):
    """The :class:`Ranking` of a grid point's ``params``."""
    return Ranking(**params)


def choose_positions(points, hr_floor=DEFAULT_HR_FLOOR, default=DEFAULT_DISCOVER):
    """The dial chosen from the validation grid by the rule of the module docstring.

    Parameters
    ----------
    points : list of dict
        ``params`` (Ranking fields), ``hr`` and ``ips_recall`` (validation fold means).
    hr_floor : float
    default : float
        The default's position; the positions between it and an end are spaced evenly
        in HR@10 between the two.

    Returns
    -------
    dict
        ``{position: point}`` for every position of :data:`POSITIONS`.
    """
    front = pareto(points)
    floor = [pt for pt in front if pt["hr"] >= hr_floor]
    anchors = {
        POSITIONS[0]: max(front, key=lambda pt: (pt["hr"], pt["ips_recall"])),
        POSITIONS[-1]: _best_ips(front),
    }
    anchors[default] = _best_ips(floor) if floor else anchors[POSITIONS[0]]
    out = {}
    for x in POSITIONS:
        if x in anchors:
            out[x] = anchors[x]
            continue
        low = max(a for a in anchors if a < x)
        high = min(a for a in anchors if a > x)
        share = (x - low) / (high - low)
        target = anchors[low]["hr"] - (anchors[low]["hr"] - anchors[high]["hr"]) * share
        out[x] = _best_ips([pt for pt in front if pt["hr"] >= target])
    return out


def _best_ips(points):
    """The point with the highest IPS-recall@10 (then HR@10)."""
    return max(points, key=lambda pt: (pt["ips_recall"], pt["hr"]))


def family_frontiers(points):
    """Each family's validation frontier, as lists of points (highest HR@10 first)."""
    return {name: pareto([pt for pt in points if keep(as_ranking(pt["params"]))]) for name, keep in FAMILIES}


def shipped_matches(chosen):
    """Whether :data:`~item2vec.query.ranking.DIAL` is the dial ``chosen`` on validation."""
    return all(dataclasses.asdict(DIAL[x]) == chosen[x]["params"] for x in POSITIONS)
