"""Turning what a user typed into an artist id.

Order of attempts: the exact name; an explicit ``id:N``; the name compared
case-, accent- and whitespace-insensitively; otherwise an
:class:`~item2vec.errors.UnknownArtistError` carrying fuzzy suggestions
(rapidfuzz). A name shared by several artists ("Red") resolves to the one with
the most listeners and reports the others, which ``id:N`` can pick.
"""

import dataclasses
import re
import unicodedata

from .errors import UnknownArtistError

_SPACE = re.compile(r"\s+")
_ARTICLE = re.compile(r"^(the|a|an|die|der|das|le|la|les|el|los) ")
_ID = re.compile(r"^\s*(?:id:|#)\s*(\d{1,18})\s*$", re.IGNORECASE)
MAX_QUERY_LENGTH = 300


def normalize(text):
    """Key for lenient matching: NFKC, casefold, accents removed, spaces collapsed.

    >>> normalize("  Björk ") == normalize("BJORK")
    True
    """
    # Turkish dotless i upper-cases to "I", whose casefold is "i": fold it there too, or
    # "ı" typed in capitals would not find its artist.
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u0131", "i")
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


@dataclasses.dataclass
class Resolution:
    """An artist a query resolved to, and any others with the same name."""

    artist_id: int
    name: str
    others: list  # ids of other artists with the same (normalised) name, most listened first

    def ambiguity_note(self, catalog):
        """One line telling the user which of several same-named artists was taken, or None."""
        if not self.others:
            return None
        listed = ", ".join(f"id:{o} ({catalog.listeners_of(o)} listeners)" for o in self.others)
        return (
            f"{len(self.others) + 1} artists are named {self.name!r}; using id:{self.artist_id} "
            f"({catalog.listeners_of(self.artist_id)} listeners). Others: {listed}; "
            f"ask for 'id:N' to pick one."
        )


class NameIndex:
    """Lookup of artists by name over a :class:`~item2vec.catalog.Catalog`."""

    def __init__(self, catalog):
        self.catalog = catalog
        self._exact = {}
        for i, name in enumerate(catalog.names):
            self._exact.setdefault(name, []).append(i)
        self._normal = None  # built on first need: most queries match exactly
        self._fuzzy = None

    def _normalized(self):
        if self._normal is None:
            self._normal = {}
            for i, name in enumerate(self.catalog.names):
                self._normal.setdefault(normalize(name), []).append(i)
        return self._normal

    def _pick(self, positions):
        # Most listeners first; ties by lower id, so the choice is stable.
        order = sorted(positions, key=lambda i: (-int(self.catalog.listeners[i]), int(self.catalog.ids[i])))
        ids = [int(self.catalog.ids[i]) for i in order]
        return Resolution(ids[0], self.catalog.names[order[0]], ids[1:])

    def resolve(self, query):
        """Resolve a typed name to a :class:`Resolution`.

        Raises
        ------
        UnknownArtistError
            When nothing matches; ``suggestions`` holds up to 5 close names.
        """
        if not isinstance(query, str) or not query.strip():
            raise UnknownArtistError(query if isinstance(query, str) else "", [])
        if len(query) > MAX_QUERY_LENGTH:
            raise UnknownArtistError(query, [])
        # An artist really named "#1" is found by its name; id syntax comes second.
        positions = self._exact.get(query) or self._exact.get(query.strip())
        if positions:
            return self._pick(positions)
        match = _ID.match(query)
        if match:
            position = self.catalog.index(int(match.group(1)))
            if position >= 0:
                return Resolution(int(self.catalog.ids[position]), self.catalog.names[position], [])
            raise UnknownArtistError(query, [])
        key = normalize(query)
        # A query of only combining marks normalises to "": it names nothing.
        positions = self._normalized().get(key) if key else None
        if positions:
            return self._pick(positions)
        raise UnknownArtistError(query, self.suggest(key))

    def _fuzzy_keys(self):
        if self._fuzzy is None:
            # Also index names without a leading article, so "beatles" finds "The Beatles".
            self._fuzzy = {}
            for key, positions in self._normalized().items():
                for variant in {key, _ARTICLE.sub("", key)}:
                    self._fuzzy.setdefault(variant, []).extend(positions)
        return self._fuzzy

    def suggest(self, key, limit=5):
        """Up to ``limit`` catalogue names close to the normalised ``key``, best first."""
        if not key:
            return []
        from rapidfuzz import fuzz, process

        # Plain edit-distance ratio: WRatio's partial matching ranks one-letter
        # names ("A", "M") as close to anything that contains them.
        index = self._fuzzy_keys()
        hits = process.extract(key, list(index), scorer=fuzz.ratio, limit=limit * 4, score_cutoff=60)
        best = {}
        for hit_key, score, _ in hits:
            for i in index[hit_key]:
                best[i] = max(best.get(i, 0), round(score))
        # Equal scores: the better-known artist first, it is the likelier meaning.
        ranked = sorted(
            best, key=lambda i: (-best[i], -int(self.catalog.listeners[i]), self.catalog.names[i])
        )
        names = []
        for i in ranked:
            if self.catalog.names[i] not in names:
                names.append(self.catalog.names[i])
        return names[:limit]

    def complete(self, prefix, limit=50):
        """Names starting with ``prefix`` (case-insensitively), most listened first."""
        key = prefix.casefold()
        hits = [i for i, n in enumerate(self.catalog.names) if n.casefold().startswith(key)]
        hits.sort(key=lambda i: -int(self.catalog.listeners[i]))
        return [self.catalog.names[i] for i in hits[:limit]]
