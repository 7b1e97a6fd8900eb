"""Answering "which artists are similar to this one?" from a loaded model.

:class:`Recommender` turns names into artists, gives each a unit vector (its
own, or one folded in from the artists its listeners play when it has none),
ranks every artist with a vector by the evidence-aware score of
:mod:`item2vec.query.ranking` (or by plain cosine), and returns one JSON-ready dict
per answer. The answer holds facts, not sentences: what the user should know about it
(``facts``) and how far to trust it (``confidence``, measured on held-out users and read
from the model folder); :mod:`.formatting` words them for the terminal, ``--json`` and
the explorer page alike.
"""

import collections
from dataclasses import asdict, dataclass, replace

import numpy as np

from ..errors import Item2VecError, NotInModelError
from ..model.arrays import rows_of, top_k
from ..model.vectors import arithmetic_mean
from .names import NameIndex, artist_fact, plural
from .ranking import (
    COSINE_RANKING,
    DEFAULT_DISCOVER,
    DEFAULT_RANKING,
    DIAL,
    RANKINGS,
    CandidateListeners,
    CoListens,
    ScoreTerms,
    dial_position,
    dial_ranking,
    fold_in,
    rare_ranking,
)

#: No hard listener filter by default: the evidence ranking discounts thinly heard
#: artists softly (``- 0.2 / sqrt(n)``), which on the validation users beat the old
#: ``>= 5`` cut at equal hit rate (docs/METHOD.md, "Ranking"). ``--min-listeners``
#: still applies one on request.
DEFAULT_MIN_LISTENERS = 0
DEFAULT_RANK = "evidence"
#: Answers per query when not asked otherwise (``--top``, the explorer page, the API).
DEFAULT_TOP = 10
MAX_TOP = 1000
#: An answer whose query is no closer than this (raw similarity, cosine) to any artist gets a
#: note that it is weak. The highest similarity, not the first result's: the dial's familiar
#: end puts well-known artists first whatever their cosine, while a query vector that is
#: noise is far from every artist at every position. On the shipped bag every plain
#: single-artist query has an artist above it by a margin, while arithmetic that cancels out
#: falls below; the figures are in docs/METHOD.md, "Weak results", which
#: tests/test_rare_artists.py recomputes from the shipped model.
WEAK_SCORE = 0.5
#: An answer is of "low" confidence when fewer than this share of the measured answers
#: of its band held a co-listened artist (the table and the explorer then say so above
#: it), and of "high" confidence from HIGH_CONFIDENCE up; "medium" between. On the shipped
#: model's held-out users an answer holds about 9 times in 10 from 50 listeners up, 7 in 10
#: at 5-9 listeners and 4 in 10 for a one-listener artist (docs/METHOD.md): "low" is the
#: part of that range a user should not take at face value.
LOW_CONFIDENCE = 0.75
HIGH_CONFIDENCE = 0.8
#: Folded-in vectors, and rankings of queries of folded-in artists, a Recommender remembers
#: (the least recently used forgotten first; a few MB at most). Both are functions of the
#: artists' listeners, and artists too rare for a vector often share theirs (one user who
#: lists many rare artists): on the shipped model, most of them have the listeners of
#: another, so the explorer's table of every artist (or a --batch of rare artists)
#: computes each set of listeners once.
FOLDED_MEMORY = 4096
#: The rankings a confidence table must have been measured with (a table records both as
#: dicts), built once: ``asdict`` on every answer was a tenth of the explorer's build.
_MEASURED_RANKINGS = (asdict(DEFAULT_RANKING), asdict(rare_ranking(DEFAULT_RANKING)))


class QueryError(Item2VecError):
    """A query that cannot be answered as asked (e.g. the artists cancel out)."""


@dataclass(frozen=True)
class QueryArtist:
    """One artist of a query, with the vector it enters the arithmetic with.

    Attributes
    ----------
    artist_id : int
    position : int
        Its catalogue position.
    row : int
        Its vector row, or -1 when its vector was folded in.
    vector : ndarray of float32, shape (d,)
        Unit vector: its own row, or :func:`~item2vec.query.ranking.fold_in` of its co-listens.
    """

    artist_id: int
    position: int
    row: int
    vector: np.ndarray

    @property
    def folded(self):
        """Whether the artist has no vector of its own and entered folded in."""
        return self.row < 0


@dataclass(frozen=True)
class Ranked:
    """The best artists for a query, best first (vector rows and what they were ranked by).

    Attributes
    ----------
    rows : ndarray of int64
        Vector rows of the results.
    scores : ndarray of float64
        The ranking score of each result.
    similarity : ndarray of float32
        Its raw cosine with the query vector.
    shared : ndarray of int64
        Users who list the result and a positive query artist.
    best_similarity : float
        The highest similarity of any artist with a vector but the query's own to the query
        vector, whatever the ranking or filter (what :data:`WEAK_SCORE` is compared with).
    """

    rows: np.ndarray
    scores: np.ndarray
    similarity: np.ndarray
    shared: np.ndarray
    best_similarity: float = 1.0


def evidence_label(listeners):
    """``"thin (folded in from N listener(s))"``: the evidence of an artist whose vector was folded in."""
    return f"thin (folded in from {plural(listeners, 'listener')})"


class Recommender:
    """Similar-artist queries over a :class:`~item2vec.model.storage.Model`.

    Parameters
    ----------
    model : Model
    """

    def __init__(self, model):
        self.model = model
        self.vectors = model.vectors
        self.catalog = model.catalog
        self.names = NameIndex(model.catalog)
        #: catalogue position of each vector row
        self.vector_positions = rows_of(self.catalog.ids, self.vectors.ids)
        #: listeners of each vector row (``n_j`` of the ranking, and the --min-listeners filter)
        self.vector_listeners = self.catalog.listeners[self.vector_positions]
        #: :attr:`vector_listeners` as the evidence ranking's candidates (their discounts computed once)
        self.candidate_listeners = CandidateListeners(self.vector_listeners)
        self._allowed = {}
        self._colistens = None
        self._folded = _Remembered(FOLDED_MEMORY)
        self._folded_rankings = _Remembered(FOLDED_MEMORY)

    @property
    def colistens(self):
        """The catalogue's :class:`~item2vec.query.ranking.CoListens`, built on first use (about 2 ms)."""
        if self._colistens is None:
            self._colistens = CoListens(self.catalog)
        return self._colistens

    def allowed(self, min_listeners):
        """Mask of vector rows with at least ``min_listeners`` listeners (cached)."""
        mask = self._allowed.get(min_listeners)
        if mask is None:
            mask = self._allowed[min_listeners] = self.vector_listeners >= min_listeners
        return mask

    def resolve(self, name, facts=None):
        """Id of the artist a typed name stands for, if the model can answer for it.

        Parameters
        ----------
        name : str
            A name (matched leniently) or ``id:N``.
        facts : list of dict, optional
            Receives the facts about the name (same-named artists, a far better-known
            spelling: :meth:`~item2vec.query.names.Resolution.facts`).

        Returns
        -------
        int
            The artist id; it may have no vector of its own (see :meth:`query_artist`).

        Raises
        ------
        UnknownArtistError, NotInModelError
        """
        return self.query_artist(name, facts).artist_id

    def query_artist(self, name, facts=None):
        """Like :meth:`resolve`, with the vector the artist enters a query with.

        Returns
        -------
        QueryArtist
        """
        resolution = self.names.resolve(name)
        if facts is not None:
            facts.extend(resolution.facts(self.catalog))
        artist_id = resolution.artist_id
        position = self.catalog.index(artist_id)
        row = self.vectors.row(artist_id)
        if row >= 0:
            vector = np.asarray(self.vectors.unit[row])
        else:
            vector = self._folded_vector(resolution.name, position)
        return QueryArtist(int(artist_id), int(position), int(row), vector)

    def _folded_vector(self, name, position):
        """The vector of the artist at ``position``, which has none of its own, folded in (remembered)."""
        # Its place is the mean of the artists its listeners play, if any of them has a
        # vector: a function of its listeners alone, which it often shares (FOLDED_MEMORY).
        users = self.colistens.users_at(position)
        key = users.tobytes()
        vector = self._folded.get(key)
        if vector is None:
            shared = self.colistens.counts_of_users(users)[self.vector_positions]
            if not shared.any():
                listeners = int(self.catalog.listeners[position])
                raise NotInModelError(
                    name, listeners, self.model.min_count, reason=_no_evidence_reason(listeners)
                )
            vector = fold_in(shared, self.vector_listeners, self.vectors.unit)
            vector.flags.writeable = False
            self._folded.put(key, vector)
        return vector

    def confidence(
        self,
        artist,
        plain=True,
        rank=DEFAULT_RANK,
        min_listeners=DEFAULT_MIN_LISTENERS,
        discover=DEFAULT_DISCOVER,
    ):
        """How far to trust an answer for ``artist``: its band's measured share, or why there is none.

        Parameters
        ----------
        artist : QueryArtist
        plain : bool
            False for arithmetic (``--plus``/``--minus``), which was not measured.
        rank, min_listeners, discover
            As the answer was asked; measured are the default ranking at the dial's default
            position, without a filter.

        Returns
        -------
        dict
            ``{"value", "level", "band", "folded", "listeners", "interval", "queries", "k",
            "reason"}``: ``value`` the share (0..1) of held-out answers of the band that held a
            co-listened artist in their top ``k``; ``level`` "low", "medium" or "high"
            (:data:`LOW_CONFIDENCE`, :data:`HIGH_CONFIDENCE`); ``band`` ``[first, last]``
            listeners (``last`` None: open); ``interval`` its bootstrap interval;
            ``queries`` the answers it was measured on. When it was not measured, these are
            None and ``reason`` says why (else None): ``"not_measured"`` (the model has no
            table), ``"other_ranking"`` (measured with another version's ranking),
            ``"arithmetic"`` (``--plus``/``--minus``), ``"ranking"`` (not the default
            ranking), ``"dial_position"`` (``--discover`` at another position),
            ``"listener_filter"`` (``--min-listeners``), ``"no_band"`` (no band covers the
            artist's listeners).
        """
        listeners = int(self.catalog.listeners[artist.position])
        out = dict.fromkeys(
            ("value", "level", "band", "folded", "listeners", "interval", "queries", "k", "reason")
        )
        out.update(folded=artist.folded, listeners=listeners)
        table = self.model.confidence
        band = None if table is None else table.band(listeners, artist.folded)
        reasons = [
            (table is None, "not_measured"),
            (
                table is not None and (table.ranking, table.rare_ranking) != _MEASURED_RANKINGS,
                "other_ranking",
            ),
            (not plain, "arithmetic"),
            (rank != DEFAULT_RANK, "ranking"),
            (rank == DEFAULT_RANK and discover != DEFAULT_DISCOVER, "dial_position"),
            (min_listeners > 1, "listener_filter"),
            (band is None, "no_band"),
        ]
        out["reason"] = next((why for bad, why in reasons if bad), None)
        if out["reason"] is None:
            level = (
                "low"
                if band.value < LOW_CONFIDENCE
                else "high"
                if band.value >= HIGH_CONFIDENCE
                else "medium"
            )
            out.update(
                value=band.value,
                level=level,
                band=[band.min_listeners, band.max_listeners],
                interval=[band.low, band.high],
                queries=band.queries,
                k=table.k,
            )
        return out

    def rank(
        self,
        positive,
        negative=(),
        topn=DEFAULT_TOP,
        min_listeners=DEFAULT_MIN_LISTENERS,
        rank=DEFAULT_RANK,
        discover=DEFAULT_DISCOVER,
    ):
        """The ``topn`` best artists with a vector for a query, by the chosen ranking.

        The query vector is gensim's arithmetic over the artists' unit vectors
        (:func:`~item2vec.model.vectors.arithmetic_mean`). ``rank="cosine"`` orders by its cosine
        alone (``most_similar``). ``rank="evidence"`` uses the ranking of the ``--discover``
        dial at ``discover`` (:func:`~item2vec.query.ranking.dial_ranking`), whose co-listen
        term treats the positive artists as one: ``C_j`` counts the users who list ``j`` and
        at least one of them, ``n_q`` the users who list at least one of them (for one
        artist, exactly its own counts), and whose item-item term adds up the weights of the
        positive artists with a vector (EASE's prediction for a list holding them). When
        every positive artist was folded in, the co-listen weight is
        :data:`~item2vec.query.ranking.RARE_EVIDENCE_WEIGHT` and there are no item-item
        weights (:func:`~item2vec.query.ranking.rare_ranking`); with negative artists both
        terms are left out (co-listens cannot be subtracted) and the discount kept.

        Parameters
        ----------
        positive, negative : list of QueryArtist
        topn : int
        min_listeners : int
            Hard filter: only artists with at least this many listeners are returned.
        rank : {"evidence", "cosine"}
        discover : float
            Position of the dial, 0 (familiar) to 1 (niche); the nearest position is used.
            Ignored by ``rank="cosine"``.

        Returns
        -------
        Ranked

        Raises
        ------
        QueryError
            When the artists cancel out, ``rank`` is not a known ranking or ``discover`` is
            not a number from 0 to 1.
        """
        return self.rank_positions(positive, negative, topn, min_listeners, rank, [discover])[0]

    def rank_positions(
        self,
        positive,
        negative=(),
        topn=DEFAULT_TOP,
        min_listeners=DEFAULT_MIN_LISTENERS,
        rank=DEFAULT_RANK,
        positions=(DEFAULT_DISCOVER,),
    ):
        """:meth:`rank` at several dial positions, sharing everything but the last sum.

        The rankings of a query whose positive artists were all folded in are remembered
        (:data:`FOLDED_MEMORY`): asked again with the same inputs, they are not computed again.

        Returns
        -------
        list of Ranked
            One per position, in the order given.
        """
        if rank not in RANKINGS:
            raise QueryError(f"unknown ranking {rank!r}; choose one of {', '.join(RANKINGS)}")
        try:
            rankings = [dial_ranking(x) for x in positions]
        except ValueError as exc:
            raise QueryError(str(exc)) from None
        positive, negative = list(positive), list(negative)
        try:
            query = arithmetic_mean(*(self._stack(artists) for artists in (positive, negative)))
        except ValueError as exc:
            raise QueryError(str(exc)) from None
        users = _union([self.colistens.users_at(a.position) for a in positive])
        if not all(a.folded for a in positive):
            return self._rank(positive, negative, topn, min_listeners, rank, rankings, query, users)
        # Every input of the ranking below, in full: equal keys give equal rankings.
        key = (rank, tuple(positions), topn, min_listeners, query.tobytes(), users.tobytes())
        key += tuple(a.row for a in negative)
        ranked = self._folded_rankings.get(key)
        if ranked is None:
            ranked = self._rank(positive, negative, topn, min_listeners, rank, rankings, query, users)
            for one in ranked:  # shared by every query of the key from now on
                for values in (one.rows, one.scores, one.similarity, one.shared):
                    values.flags.writeable = False
            self._folded_rankings.put(key, ranked)
        return list(ranked)

    def _rank(self, positive, negative, topn, min_listeners, rank, rankings, query, users):
        """:meth:`rank_positions` of the query vector ``query`` and the positive artists' ``users``."""
        similarity = self.vectors.cosines(query)
        shared = self.colistens.counts_of_users(users)[self.vector_positions]
        query_rows = [a.row for a in positive + negative if not a.folded]
        # The query artists are never returned, so their own (large) counts must not set
        # the row maximum the co-listen term is scaled by.
        shared[query_rows] = 0
        candidates = self.allowed(min_listeners).copy()
        candidates[query_rows] = False
        others = np.ones(len(similarity), dtype=bool)
        others[query_rows] = False
        best = float(similarity[others].max()) if others.any() else 0.0
        if rank == "cosine":
            rankings = [COSINE_RANKING] * len(rankings)
        elif negative:
            rankings = [replace(ranking, weight=0.0, ease=0.0) for ranking in rankings]
        elif all(a.folded for a in positive):
            rankings = [rare_ranking(ranking) for ranking in rankings]
        weights = None
        if any(ranking.ease for ranking in rankings):
            weights = self.model.item_weights.of([a.row for a in positive if not a.folded], len(shared))
            weights[query_rows] = 0.0
        # Every position weighs the same terms: each is computed once for the query.
        terms = ScoreTerms(similarity, shared, len(users), self.candidate_listeners, weights)
        out = []
        for ranking in rankings:
            scores = ranking.weigh(terms)
            rows = top_k(scores, candidates, topn)
            out.append(Ranked(rows, scores[rows], similarity[rows], shared[rows], best))
        return out

    def _stack(self, artists):
        """The artists' unit vectors as rows of one float32 array, shape (len(artists), d)."""
        stacked = np.array([a.vector for a in artists], dtype=np.float32)
        return stacked.reshape(len(artists), self.vectors.vector_size)

    def answer(
        self,
        query,
        plus=(),
        minus=(),
        topn=DEFAULT_TOP,
        min_listeners=DEFAULT_MIN_LISTENERS,
        explain=False,
        rank=DEFAULT_RANK,
        discover=None,
    ):
        """Answer one query as a dict.

        Parameters
        ----------
        query : str
            The artist name (or ``id:N``).
        plus, minus : list of str
            Further names added to / subtracted from the query vector.
        topn : int
            Number of results, 1..MAX_TOP.
        min_listeners : int
            Only artists with at least this many listeners are returned (0: no filter).
        explain : bool
            Accepted for callers written before every result carried its evidence;
            the answer is the same either way (``ask.py --explain`` only changes the table).
        rank : {"evidence", "cosine"}
            The ranking (:meth:`rank`).
        discover : float, optional
            The ``--discover`` dial, 0 (familiar) to 1 (niche); the nearest of its positions
            is used (default :data:`~item2vec.query.ranking.DEFAULT_DISCOVER`). Only the
            evidence ranking has a dial: with ``rank="cosine"`` it must be left out.

        Returns
        -------
        dict
            ``{"query", "artist", "artist_id", "listeners", "evidence", "rank", "discover",
            "plus", "minus", "facts", "confidence", "results": [{"artist", "artist_id", "score",
            "similarity", "listeners", "shared_listeners"}]}``. ``discover`` is the dial
            position used (``None`` with ``rank="cosine"``). ``evidence`` is ``"vector"`` when
            the query artist has a vector of its own, ``"thin (folded in from N
            listener(s))"`` when it was folded in. ``facts`` are what the user should know
            about the answer, as dicts with a ``"fact"`` kind (:mod:`.formatting` words them:
            ``--json``'s ``notes``): ``same_name`` and ``better_known`` of each name
            (:meth:`~item2vec.query.names.Resolution.facts`), ``folded_operand`` (a
            ``--plus``/``--minus`` artist entered folded in: ``option``, ``artist``),
            ``fewer_results`` (``returned``, ``asked``, ``min_listeners``) and ``weak_result``
            (``similarity``: the highest of any artist to the query, ``threshold``).
            ``confidence`` is :meth:`confidence`. Per result, ``score`` is what it was ranked
            by, ``similarity`` the raw cosine with the query vector, ``shared_listeners`` the
            users who list it and the query artist (or any ``plus`` artist).

        Raises
        ------
        Item2VecError
            UnknownArtistError, NotInModelError or QueryError, with a message for the user.
        """
        del explain  # every result carries shared_listeners; see the docstring
        position = self._position(rank, discover)
        return self._answers(query, plus, minus, topn, min_listeners, rank, [position])[0]

    def answer_positions(
        self, query, plus=(), minus=(), topn=DEFAULT_TOP, min_listeners=DEFAULT_MIN_LISTENERS, positions=None
    ):
        """The evidence ranking's :meth:`answer` at several dial positions, the query's work done once.

        Parameters
        ----------
        query, plus, minus, topn, min_listeners
            As for :meth:`answer`.
        positions : sequence of float, optional
            Dial positions (default: every position of :data:`~item2vec.query.ranking.DIAL`).

        Returns
        -------
        dict
            ``{position: answer}``, each answer exactly what :meth:`answer` gives with that
            ``discover``.
        """
        wanted = [self._position(DEFAULT_RANK, x) for x in (DIAL if positions is None else positions)]
        answers = self._answers(query, plus, minus, topn, min_listeners, DEFAULT_RANK, wanted)
        return dict(zip(wanted, answers, strict=True))

    def _answers(self, query, plus, minus, topn, min_listeners, rank, positions):
        """One answer dict per dial position (``None``: the cosine ranking); see :meth:`answer`."""
        if not 1 <= topn <= MAX_TOP:
            raise QueryError(f"top must be between 1 and {MAX_TOP}, got {topn}")
        facts = []
        main = self.query_artist(query, facts)
        plus_artists = [self.query_artist(n, facts) for n in plus]
        minus_artists = [self.query_artist(n, facts) for n in minus]
        if main.artist_id in [a.artist_id for a in minus_artists]:
            raise QueryError("the artist is also in --minus; subtracting it from itself leaves nothing")
        for option, artist in [("plus", a) for a in plus_artists] + [("minus", a) for a in minus_artists]:
            if artist.folded:
                facts.append(
                    {
                        "fact": "folded_operand",
                        "option": option,
                        "artist": artist_fact(self.catalog, artist.position),
                    }
                )
        ranked = self.rank_positions(
            [main] + plus_artists,
            minus_artists,
            topn,
            min_listeners,
            rank,
            [DEFAULT_DISCOVER if x is None else x for x in positions],
        )
        listeners = int(self.catalog.listeners[main.position])
        head = {
            "query": query,
            "artist": self.catalog.name(main.artist_id),
            "artist_id": main.artist_id,
            "listeners": listeners,
            "evidence": evidence_label(listeners) if main.folded else "vector",
            "rank": rank,
        }
        plain = not (plus_artists or minus_artists)
        out = []
        for position, one in zip(positions, ranked, strict=True):
            results = self._results(one)
            out.append(
                {
                    **head,
                    "discover": position,
                    "plus": [self.catalog.name(a.artist_id) for a in plus_artists],
                    "minus": [self.catalog.name(a.artist_id) for a in minus_artists],
                    "facts": facts + self._result_facts(results, topn, min_listeners, one.best_similarity),
                    "confidence": self.confidence(main, plain, rank, min_listeners, position),
                    "results": results,
                }
            )
        return out

    @staticmethod
    def _result_facts(results, topn, min_listeners, best_similarity):
        """The facts an answer's results call for (too few, a weak query); QueryError for none."""
        if not results:
            if min_listeners > 1:
                raise QueryError(
                    f"no artist besides the query has at least {plural(min_listeners, 'listener')}; "
                    f"try a lower --min-listeners"
                )
            raise QueryError("the model has no other artist to compare with")
        facts = []
        if len(results) < topn:
            facts.append(
                {
                    "fact": "fewer_results",
                    "returned": len(results),
                    "asked": topn,
                    "min_listeners": min_listeners,
                }
            )
        if round(best_similarity, 4) < WEAK_SCORE:
            facts.append(
                {"fact": "weak_result", "similarity": round(best_similarity, 4), "threshold": WEAK_SCORE}
            )
        return facts

    @staticmethod
    def _position(rank, discover):
        """The dial position an answer uses (None for the cosine ranking); QueryError if impossible."""
        if rank == "cosine":
            if discover is not None:
                raise QueryError("--discover sets the evidence ranking; --rank cosine has no dial")
            return None
        try:
            return dial_position(DEFAULT_DISCOVER if discover is None else discover)
        except ValueError as exc:
            raise QueryError(str(exc)) from None

    def _results(self, ranked):
        """The result dicts of a :class:`Ranked`, best first."""
        # Names by catalogue position, not by id: a lookup per id was a third of the time
        # the explorer spends answering every artist.
        # As Python numbers at once (tolist gives each value exactly, float32 ones too): one
        # numpy scalar conversion per value was a tenth of the explorer's answering.
        columns = (
            self.vector_positions[ranked.rows].tolist(),
            self.vectors.ids[ranked.rows].tolist(),
            ranked.scores.tolist(),
            ranked.similarity.tolist(),
            self.vector_listeners[ranked.rows].tolist(),
            ranked.shared.tolist(),
        )
        names = self.catalog.names
        return [
            {
                "artist": names[p],
                "artist_id": i,
                "score": round(s, 4),
                "similarity": round(c, 4),
                "listeners": n,
                "shared_listeners": shared,
            }
            for p, i, s, c, n, shared in zip(*columns, strict=True)
        ]


class _Remembered:
    """At most ``size`` values by key; the least recently used is forgotten first."""

    def __init__(self, size):
        self.size = size
        self._values = collections.OrderedDict()

    def get(self, key):
        """The value of ``key``, or None."""
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def put(self, key, value):
        self._values[key] = value
        if len(self._values) > self.size:
            self._values.popitem(last=False)


def _no_evidence_reason(listeners):
    """Why an artist without a vector cannot be folded in, for :class:`NotInModelError`."""
    if listeners == 0:
        return "nobody in the data lists it"
    if listeners == 1:
        return "its only listener lists no other artist the model knows"
    return f"its {listeners} listeners list no other artist the model knows"


def _union(sorted_sets):
    """Union of sorted arrays of distinct values, sorted.

    Not ``np.unique``: its first call imports ``numpy.ma`` (about 10 ms of every cold start).
    """
    if len(sorted_sets) == 1:
        return sorted_sets[0]
    merged = np.sort(np.concatenate(sorted_sets))
    keep = np.ones(len(merged), dtype=bool)
    keep[1:] = merged[1:] != merged[:-1]
    return merged[keep]
