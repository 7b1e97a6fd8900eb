"""Evidence-aware ranking: the embedding similarity, nudged by what the data can vouch for.

The embedding is the core of every answer: ``cosine(q, j)`` between the query's
vector and each candidate's (a bag of models averages member cosines). Two small
terms correct it where it is least reliable (chosen on validation users;
docs/EVALUATION.md and docs/METHOD.md):

- a **discount** ``- discount / n_j ** power`` for thinly evidenced candidates:
  an artist heard by 3 users has a vector learned from 3 lists, so a high
  cosine is partly luck. A soft discount ranks them lower instead of hiding them
  the way a hard ``--min-listeners`` cut does;
- the **direct co-listen evidence** ``+ weight * E_qj / max_j E_qj`` with
  ``E_qj = C_qj / (sqrt(n_q n_j) + shrink)``: the shrunk co-listen cosine of the
  query and the candidate (``C_qj`` users list both), scaled by its row maximum so
  the weight means the same for every query;
- the **item-item weights** ``+ ease * B_qj / max_j B_qj``: the model folder's EASE
  weights (:mod:`item2vec.model.item_weights`), the strongest high-hit-rate signal, scaled
  the same way.

``score = cosine + weight * E / max(E) + ease * B / max(B) - discount / n ** power``

The ``--discover`` dial (:data:`DIAL`) is five fixed settings of these weights, from the
familiar end (0: the highest hit rate on validation users, heavy item-item weights and a
strong discount that favours well-known artists) to the niche end (1: the most niche
co-listens found). Every position ranks the same candidates; it only reorders them.

An artist too rare to have a vector (1-2 listeners) is **folded in**: its vector
is the unit mean of the vectors of the artists its listeners play, each weighted
by ``C_qj / n_j`` (shared listeners, divided by the artist's own listeners so the
artists everybody plays do not drown the niche ones that characterise the
listener). Its answers then use the same score with the co-listen weight raised
to :data:`RARE_EVIDENCE_WEIGHT`, because its own vector is a guess from one or two lists.

Everything here is plain numpy and broadcasts over leading axes, so the research
evaluation scores thousands of queries with the very function the tool uses.
"""

import functools
from dataclasses import dataclass, replace

import numpy as np

#: Ranking names accepted by the tool (``--rank``).
RANKINGS = ("evidence", "cosine")


@dataclass(frozen=True)
class Ranking:
    """Weights of the evidence-aware score (see the module docstring).

    Parameters
    ----------
    weight : float
        Weight of the row-max-scaled co-listen term; 0 leaves it out.
    shrink : float
        Added to ``sqrt(n_q n_j)`` in the co-listen cosine, so pairs with a
        handful of listeners do not reach the maximum by luck.
    discount : float
        Strength of the ``- discount / n ** power`` evidence discount; 0 leaves it out.
    power : float
        Exponent of the listener count in the discount.
    ease : float
        Weight of the row-max-scaled item-item term; 0 leaves it out.
    """

    weight: float = 0.25
    shrink: float = 5.0
    discount: float = 0.2
    power: float = 0.5
    ease: float = 0.0

    def scores(self, cosine, shared, query_listeners, listeners, item_weights=None):
        """Evidence-aware scores.

        Parameters
        ----------
        cosine : ndarray of float, shape (..., n)
            Embedding cosine of the query (rows) with every candidate.
        shared : ndarray of int or float, shape (..., n)
            ``C_qj``: users who list the query artist and candidate ``j``.
        query_listeners : float or ndarray of shape (...,)
            ``n_q``, the query artist's listeners.
        listeners : ndarray of int, shape (n,)
            ``n_j``, each candidate's listeners.
        item_weights : ndarray of float, shape (..., n), optional
            ``B_qj``, the query's item-item weights (:meth:`ItemWeights.of
            <item2vec.model.item_weights.ItemWeights.of>`), 0 for the query itself; needed
            when :attr:`ease` is not 0.

        Returns
        -------
        ndarray of float64, shape (..., n)
        """
        terms = ScoreTerms(cosine, shared, query_listeners, CandidateListeners(listeners), item_weights)
        return self.weigh(terms)

    def weigh(self, terms):
        """The score of :meth:`scores` from terms computed once (:class:`ScoreTerms`), for one ranking.

        Parameters
        ----------
        terms : ScoreTerms

        Returns
        -------
        ndarray of float64, shape (..., n)
        """
        score = terms.cosine.copy()
        if self.discount:
            score -= terms.candidates.discount(self.discount, self.power)
        if self.weight:
            score += self.weight * terms.colisten(self.shrink)
        if self.ease:
            score += self.ease * terms.item_term()
        return score


#: ``--discover``: position -> the ranking there, familiar (0) to niche (1). Chosen on
#: validation users only by the evaluation's search (:mod:`item2vec.research.dial`, its rule
#: and results in docs/EVALUATION.md, "How the dial was chosen"); tests/test_dial.py checks
#: that these are the settings it chose (docs/evaluation.json).
DIAL = {
    0.0: Ranking(weight=0.0, shrink=5.0, discount=3.0, power=0.25, ease=0.5),
    0.25: Ranking(weight=0.25, shrink=5.0, discount=0.8, power=0.25, ease=1.0),
    0.5: Ranking(weight=0.0, shrink=5.0, discount=0.2, power=0.5, ease=0.2),
    0.75: Ranking(weight=0.0, shrink=5.0, discount=0.15, power=1.0, ease=0.1),
    1.0: Ranking(weight=0.0, shrink=5.0, discount=0.05, power=1.0, ease=0.05),
}
#: The position used when none is asked for: the most niche co-listens found among the
#: settings that keep the hit rate of validation users at 0.81 or more.
DEFAULT_DISCOVER = 0.75
#: The ranking at :data:`DEFAULT_DISCOVER`.
DEFAULT_RANKING = DIAL[DEFAULT_DISCOVER]
_POSITIONS = {position: position for position in DIAL}
#: Plain ``most_similar`` order (``--rank cosine``).
COSINE_RANKING = Ranking(weight=0.0, discount=0.0)
#: Co-listen weight for a folded-in (rare) query artist: its vector is a guess from
#: one or two lists, so the direct evidence counts for more (chosen on validation). It
#: has no item-item weights, so only the discount follows the dial.
RARE_EVIDENCE_WEIGHT = 0.5


def listener_discount(listeners, strength, power):
    """The evidence discount ``strength / n ** power`` of each candidate (``n`` at least 1).

    The one formula behind :meth:`Ranking.scores` and the evaluation's discount of every
    method (``item2vec.research.tuning.Discounted``): the comparison is fair only while both
    subtract the same numbers.

    Parameters
    ----------
    listeners : ndarray of int or float, shape (n,)
        ``n_j``, each candidate's listeners.
    strength, power : float

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    n = np.maximum(np.asarray(listeners, dtype=np.float64), 1.0)
    return strength * np.power(n, -power)


class CandidateListeners:
    """``n_j`` of every candidate (at least 1) and its evidence discounts, each computed once.

    A model's queries all rank the same candidates (every artist with a vector), so the
    :class:`~item2vec.query.recommender.Recommender` keeps one of these and every query at
    every dial position subtracts the same discount arrays.

    Parameters
    ----------
    listeners : ndarray of int or float, shape (n,)
        Each candidate's listeners.
    """

    def __init__(self, listeners):
        self.n = np.maximum(np.asarray(listeners, dtype=np.float64), 1.0)
        self._discounts = {}

    def discount(self, strength, power):
        """:func:`listener_discount` of every candidate (computed on first use, read-only)."""
        out = self._discounts.get((strength, power))
        if out is None:
            out = self._discounts[strength, power] = listener_discount(self.n, strength, power)
            out.flags.writeable = False
        return out


class ScoreTerms:
    """The terms of the evidence score for one query (or a stack of them), each computed once.

    Every position of the dial weighs the same terms (:meth:`Ranking.weigh`), so a query
    answered at several positions computes each term once; the sums are those of
    :meth:`Ranking.scores`, which builds these for one ranking.

    Parameters
    ----------
    cosine, shared, query_listeners, item_weights
        As :meth:`Ranking.scores`.
    candidates : CandidateListeners
        The candidates' listeners.
    """

    def __init__(self, cosine, shared, query_listeners, candidates, item_weights=None):
        self.cosine = np.asarray(cosine, dtype=np.float64)
        self.shared = shared
        self.query_listeners = query_listeners
        self.candidates = candidates
        self.item_weights = item_weights
        self._colisten = {}
        self._item = None

    def colisten(self, shrink):
        """The co-listen term before its weight: ``E / max(E)`` per query, 0 where it shares no listener."""
        out = self._colisten.get(shrink)
        if out is None:
            shrunk = colisten_cosine(self.shared, self.query_listeners, self.candidates.n, shrink)
            top = shrunk.max(axis=-1, keepdims=True)
            # A query that shares no listener with any candidate gets no evidence term.
            out = self._colisten[shrink] = np.divide(shrunk, top, out=np.zeros_like(shrunk), where=top > 0)
        return out

    def item_term(self):
        """The item-item term before its weight: ``B / max(B)`` per query (ValueError without weights)."""
        if self._item is None:
            if self.item_weights is None:
                raise ValueError("this ranking weighs the item-item term: pass the query's item_weights")
            b = np.asarray(self.item_weights, dtype=np.float64)
            top = b.max(axis=-1, keepdims=True)
            self._item = np.divide(b, top, out=np.zeros_like(b), where=top > 0)
        return self._item


def dial_position(discover):
    """The dial position nearest to ``discover`` (a number from 0 to 1).

    Raises
    ------
    ValueError
        When ``discover`` is not a number from 0 to 1.
    """
    try:
        value = float(discover)
    except (TypeError, ValueError):
        raise ValueError(f"discover must be a number from 0 to 1, got {discover!r}") from None
    if not 0.0 <= value <= 1.0:  # also false for NaN
        raise ValueError(f"discover must be a number from 0 to 1, got {discover!r}")
    if value in _POSITIONS:
        return _POSITIONS[value]  # a position itself (as the key it has in DIAL: 0.0 for -0.0)
    # Ties (exactly between two positions) go to the familiar side.
    return min(DIAL, key=lambda position: (abs(position - value), position))


def dial_ranking(discover):
    """The :class:`Ranking` of the dial position nearest to ``discover`` (see :func:`dial_position`)."""
    return DIAL[dial_position(discover)]


@functools.cache  # rankings are frozen: one per dial position, asked for by every rare query
def rare_ranking(ranking):
    """``ranking`` for a query artist without a vector: co-listen weight raised, no item-item term."""
    return replace(ranking, weight=RARE_EVIDENCE_WEIGHT, ease=0.0)


def colisten_cosine(shared, query_listeners, listeners, shrink):
    """Shrunk co-listen cosine ``C_qj / (sqrt(n_q n_j) + shrink)``; broadcasts like :meth:`Ranking.scores`."""
    shared = np.asarray(shared, dtype=np.float64)
    n_q = np.asarray(query_listeners, dtype=np.float64)[..., None]
    return shared / (np.sqrt(n_q * np.asarray(listeners, dtype=np.float64)) + shrink)


def fold_in(shared, listeners, unit_vectors):
    """Vector of an artist without one, from the artists its listeners play.

    Parameters
    ----------
    shared : ndarray, shape (n,) or (m, n)
        Users each vector row shares with the artist(s) folded in.
    listeners : ndarray of int, shape (n,)
        Listeners of each vector row.
    unit_vectors : ndarray of float32, shape (n, d)
        Unit-length rows.

    Returns
    -------
    ndarray of float32, shape (d,) or (m, d)
        Unit-length vector(s); zero where the artist shares no listener with any row.
    """
    weights = np.asarray(shared, dtype=np.float32) / np.maximum(np.asarray(listeners, np.float32), 1.0)
    unit_vectors = np.asarray(unit_vectors, dtype=np.float32)
    if weights.ndim == 1:
        # One query (ask.py): einsum, because waking OpenBLAS's threads for one product costs
        # milliseconds on a loaded machine (ArtistVectors.cosines); many queries: BLAS.
        folded = np.einsum("i,ij->j", weights, unit_vectors)
    else:
        folded = weights @ unit_vectors
    norms = np.linalg.norm(folded, axis=-1, keepdims=True)
    return (folded / np.where(norms > 0, norms, 1.0)).astype(np.float32)


class CoListens:
    """Users shared between one artist and every other, from a catalogue's listener lists.

    The catalogue stores artist -> users; this keeps its transpose, user ->
    artists (built once, a stable sort by user), so that ``C_q.`` for one query is a
    ``bincount`` over its listeners' lists instead of one set intersection per artist.

    Parameters
    ----------
    catalog : Catalog
    """

    def __init__(self, catalog):
        self.catalog = catalog
        users = catalog.listen_users
        n_users = int(users.max()) + 1 if len(users) else 0
        artist_of = np.repeat(np.arange(len(catalog.ids), dtype=np.int64), np.diff(catalog.listen_indptr))
        # numpy sorts 16-bit keys stably by radix: about 1 ms instead of 5-10 ms for int32 keys
        # on the Kaggle catalogue, and this runs on every cold start of ask.py.
        keys = users.astype(np.uint16) if n_users <= 1 << 16 else users
        order = np.argsort(keys, kind="stable")
        self.user_artists = artist_of[order]
        self.user_indptr = np.concatenate([[0], np.cumsum(np.bincount(users, minlength=n_users))])

    def counts(self, position):
        """``C_qj`` for catalogue position ``position`` against every catalogue position.

        Returns
        -------
        ndarray of int64, shape (len(catalog),)
            The artist's own entry is its listener count.
        """
        return self.counts_of_users(self.users_at(position))

    def users_at(self, position):
        """The users (``listen_users`` codes, sorted) who list the artist at catalogue ``position``."""
        cat = self.catalog
        return cat.listen_users[cat.listen_indptr[position] : cat.listen_indptr[position + 1]]

    def counts_of_users(self, users):
        """For every catalogue position, how many of ``users`` list that artist.

        Parameters
        ----------
        users : ndarray of int
            Distinct user numbers (the catalogue's ``listen_users`` codes), e.g. the
            union of several artists' listeners.

        Returns
        -------
        ndarray of int64, shape (len(catalog),)
        """
        if len(users) == 0:
            return np.zeros(len(self.catalog.ids), dtype=np.int64)
        lists = [self.user_artists[self.user_indptr[u] : self.user_indptr[u + 1]] for u in users]
        return np.bincount(np.concatenate(lists), minlength=len(self.catalog.ids))
