"""Answering "which artists are similar to this one?" from a loaded model.

:class:`Recommender` turns names into ids, checks that each has a vector,
runs :meth:`~item2vec.vectors.ArtistVectors.most_similar` over the artists
with enough listeners to be trusted, and returns one JSON-ready dict per
answer (the shape ``ask.py --json`` prints).
"""

from .arrays import rows_of
from .errors import Item2VecError, NotInModelError
from .names import NameIndex, plural

#: Results must have at least this many listeners unless the caller says
#: otherwise. Artists with one or two listeners get vectors from a single
#: user's list, so their similarity is mostly noise; chosen by measurement
#: (docs/EVALUATION.md).
DEFAULT_MIN_LISTENERS = 5
MAX_TOP = 1000
#: An answer whose best score is below this gets a note that it is weak. Measured on the
#: shipped model: the best answer of every plain single-artist query (all 4,617 artists
#: with a vector, default filter) scores at least 0.606 (1st percentile 0.662, median
#: 0.819), so a best score under 0.5 is below anything a real neighbourhood gives; it
#: happens when --plus/--minus cancel out ("Lady Gaga" - "Britney Spears" - Rihanna:
#: 0.107), while "Rosetta - Metallica" (0.597) is not flagged. docs/METHOD.md.
WEAK_SCORE = 0.5


class QueryError(Item2VecError):
    """A query that cannot be answered as asked (e.g. the artists cancel out)."""


class Recommender:
    """Similar-artist queries over a :class:`~item2vec.storage.Model`.

    Parameters
    ----------
    model : Model
    """

    def __init__(self, model):
        self.model = model
        self.vectors = model.vectors
        self.catalog = model.catalog
        self.names = NameIndex(model.catalog)
        positions = rows_of(self.catalog.ids, self.vectors.ids)
        #: listeners of each vector row, for the evidence filter
        self.vector_listeners = self.catalog.listeners[positions]
        self._allowed = {}

    def allowed(self, min_listeners):
        """Mask of vector rows with at least ``min_listeners`` listeners (cached)."""
        mask = self._allowed.get(min_listeners)
        if mask is None:
            mask = self._allowed[min_listeners] = self.vector_listeners >= min_listeners
        return mask

    def resolve(self, name, notes=None):
        """Artist id with a vector for a typed name; appends ambiguity notes to ``notes``."""
        resolution = self.names.resolve(name)
        note = resolution.ambiguity_note(self.catalog)
        if note and notes is not None:
            notes.append(note)
        better = self.names.better_known(resolution.artist_id)
        listeners = self.catalog.listeners_of(resolution.artist_id)
        if resolution.artist_id not in self.vectors:
            raise NotInModelError(
                resolution.name,
                listeners,
                self.model.min_count,
                better=None if better is None else self._labelled(better),
            )
        if better is not None and notes is not None:
            notes.append(
                f"{resolution.name!r} ({plural(listeners, 'listener')}) is spelled almost like "
                f"{self._labelled(better)}, which is far better known: ask for "
                f"{self.catalog.names[better]!r} (or id:{int(self.catalog.ids[better])}) to use it."
            )
        return resolution.artist_id

    def _labelled(self, position):
        """``'P!Nk' (305 listeners)`` for a catalogue position."""
        return (
            f"{self.catalog.names[position]!r} ({plural(int(self.catalog.listeners[position]), 'listener')})"
        )

    def similar(self, positive, negative=(), topn=10, min_listeners=DEFAULT_MIN_LISTENERS):
        """Ids and scores of the artists most similar to the given artist ids."""
        try:
            return self.vectors.most_similar(
                positive, negative, topn=topn, allowed=self.allowed(min_listeners)
            )
        except ValueError as exc:
            raise QueryError(str(exc)) from None

    def answer(self, query, plus=(), minus=(), topn=10, min_listeners=DEFAULT_MIN_LISTENERS, explain=False):
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
            Only artists with at least this many listeners are returned.
        explain : bool
            Add ``shared_listeners``: users who listen to the query artist and the result.

        Returns
        -------
        dict
            ``{"query", "artist", "artist_id", "listeners", "plus", "minus", "notes",
            "results": [{"artist", "artist_id", "score", "listeners"[, "shared_listeners"]}]}``

        Raises
        ------
        Item2VecError
            UnknownArtistError, NotInModelError or QueryError, with a message for the user.
        """
        if not 1 <= topn <= MAX_TOP:
            raise QueryError(f"top must be between 1 and {MAX_TOP}, got {topn}")
        notes = []
        main = self.resolve(query, notes)
        plus_ids = [self.resolve(n, notes) for n in plus]
        minus_ids = [self.resolve(n, notes) for n in minus]
        if main in minus_ids:
            raise QueryError("the artist is also in --minus; subtracting it from itself leaves nothing")
        ids, scores = self.similar([main] + plus_ids, minus_ids, topn, min_listeners)
        results = [
            {
                "artist": self.catalog.name(i),
                "artist_id": int(i),
                "score": round(float(s), 4),
                "listeners": self.catalog.listeners_of(i),
            }
            for i, s in zip(ids, scores, strict=True)
        ]
        if not results:
            raise QueryError(
                f"no artist besides the query has at least {plural(min_listeners, 'listener')}; "
                f"try a lower --min-listeners"
            )
        if len(results) < topn:
            notes.append(
                f"only {len(results)} of the {topn} asked for have at least "
                f"{plural(min_listeners, 'listener')}; a lower --min-listeners gives more"
            )
        if results[0]["score"] < WEAK_SCORE:
            notes.append(
                f"weak result: the best score is {results[0]['score']:.2f}, below {WEAK_SCORE} "
                "(the best answer to a plain single-artist query scores 0.6 or more), "
                "so these answers are mostly noise"
            )
        if explain:
            for result, shared in zip(results, self.catalog.shared_listeners(main, ids), strict=True):
                result["shared_listeners"] = shared
        return {
            "query": query,
            "artist": self.catalog.name(main),
            "artist_id": int(main),
            "listeners": self.catalog.listeners_of(main),
            "plus": [self.catalog.name(i) for i in plus_ids],
            "minus": [self.catalog.name(i) for i in minus_ids],
            "notes": notes,
            "results": results,
        }
