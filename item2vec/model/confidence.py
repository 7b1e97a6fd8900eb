"""How far to trust an answer: measured, by how many listeners the asked-for artist has.

An answer for an artist with 5 listeners stands on those 5 users' lists; one for Madonna
on hundreds. The evaluation measures, on held-out users (validation folds, never the
test users), how often an answer for an artist of each listener band holds, in its top
``k``, an artist that the users who list the asked-for artist really list too
(:mod:`item2vec.research.confidence_bands`). The training command copies that table into the
model's ``metadata.json`` (``"confidence"``) when the evaluation measured the same data
with the same configuration; :func:`parse_confidence` checks it when the model is
loaded, and the query path looks the asked-for artist's band up (:meth:`ConfidenceTable.band`).
A model without the table answers as before, with the confidence "not measured".
"""

import dataclasses
import math

#: The fields of a ranking as the table records it (``item2vec.query.ranking.Ranking``).
RANKING_FIELDS = ("weight", "shrink", "discount", "power", "ease")


@dataclasses.dataclass(frozen=True)
class Band:
    """One listener band and what was measured for it.

    Attributes
    ----------
    min_listeners, max_listeners : int
        The band's listeners (training listeners of the asked-for artist), both ends
        included; ``max_listeners`` is None for an open band.
    folded : bool
        Whether the band's artists have no vector of their own (answers folded in).
    value : float
        Share of the band's held-out answers that held a co-listened artist (0..1).
    low, high : float
        Its bootstrap interval over users.
    queries, users : int
        Held-out answers and users it was measured on.
    """

    min_listeners: int
    max_listeners: int | None
    folded: bool
    value: float
    low: float
    high: float
    queries: int
    users: int

    def contains(self, listeners, folded):
        """Whether an artist with ``listeners`` (answered folded in or not) is in this band."""
        top = math.inf if self.max_listeners is None else self.max_listeners
        return self.folded == bool(folded) and self.min_listeners <= listeners <= top


@dataclasses.dataclass(frozen=True)
class ConfidenceTable:
    """The measured bands, the answer length ``k`` and the rankings they were measured with."""

    k: int
    ranking: dict
    rare_ranking: dict
    bands: tuple

    def band(self, listeners, folded):
        """The :class:`Band` of an artist, or None when no band covers it."""
        return next((b for b in self.bands if b.contains(listeners, folded)), None)

    def to_json(self):
        """The table as ``metadata.json`` holds it."""
        return {
            "k": self.k,
            "ranking": dict(self.ranking),
            "rare_ranking": dict(self.rare_ranking),
            "bands": [dataclasses.asdict(b) for b in self.bands],
        }


def _number(value, what, low=-math.inf, high=math.inf):
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{what} must be a number from {low} to {high}, got {value!r}")
    return float(value)


def _count(value, what, low=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{what} must be a whole number of at least {low}, got {value!r}")
    return value


def _ranking(value, what):
    # A table measured before the dial has no item-item term: it measured ease 0.
    if isinstance(value, dict) and "ease" not in value:
        value = {**value, "ease": 0.0}
    if not isinstance(value, dict) or set(value) != set(RANKING_FIELDS):
        raise ValueError(f"{what} must hold exactly {', '.join(RANKING_FIELDS)}")
    return {k: _number(value[k], f"{what}.{k}") for k in RANKING_FIELDS}


def _band(entry, i):
    fields = {f.name for f in dataclasses.fields(Band)}
    if not isinstance(entry, dict) or set(entry) != fields:
        raise ValueError(f"band {i} must hold exactly {', '.join(sorted(fields))}")
    low_end = _count(entry["min_listeners"], f"band {i} min_listeners", 0)
    high_end = entry["max_listeners"]
    if high_end is not None:
        _count(high_end, f"band {i} max_listeners", low_end)
    if not isinstance(entry["folded"], bool):
        raise ValueError(f"band {i} folded must be true or false")
    value = _number(entry["value"], f"band {i} value", 0, 1)
    low = _number(entry["low"], f"band {i} low", 0, value)
    high = _number(entry["high"], f"band {i} high", value, 1)
    return Band(
        low_end,
        high_end,
        entry["folded"],
        value,
        low,
        high,
        _count(entry["queries"], f"band {i} queries"),
        _count(entry["users"], f"band {i} users"),
    )


def parse_confidence(data):
    """A :class:`ConfidenceTable` from its JSON form; ValueError saying what is wrong.

    Bands of one kind (folded in or not) must not overlap; one answer, one band.
    """
    if not isinstance(data, dict):
        raise ValueError("the confidence table must be a JSON object")
    missing = [k for k in ("k", "ranking", "rare_ranking", "bands") if k not in data]
    if missing:
        raise ValueError(f"the confidence table lacks {', '.join(missing)}")
    if not isinstance(data["bands"], list) or not data["bands"]:
        raise ValueError("the confidence table's bands must be a non-empty list")
    bands = tuple(_band(entry, i) for i, entry in enumerate(data["bands"]))
    for kind in (True, False):
        mine = sorted((b for b in bands if b.folded == kind), key=lambda b: b.min_listeners)
        for before, after in zip(mine, mine[1:], strict=False):
            if before.max_listeners is None or before.max_listeners >= after.min_listeners:
                raise ValueError(
                    f"bands from {before.min_listeners} and {after.min_listeners} listeners overlap"
                )
    return ConfidenceTable(
        _count(data["k"], "k"),
        _ranking(data["ranking"], "ranking"),
        _ranking(data["rare_ranking"], "rare_ranking"),
        bands,
    )
