"""Turning what a user typed into an artist id.

Order of attempts: the exact name; the name without quotes around it (``"Metallica"``);
an explicit ``id:N``; the name compared case-, accent- and whitespace-insensitively
(:func:`normalize`); the name transliterated to ASCII (:func:`ascii_key`: "Erlend Oye"
finds "Erlend Øye", whose ø no Unicode decomposition removes); the name without a
leading article ("beatles" finds "The Beatles"); the name without punctuation or spaces
(:func:`skeleton`: "Jay Z" and "JayZ" find "Jay-Z", "ACDC" finds "Ac/Dc"); the Latin
spellings of names in other scripts, computed when the model was built and stored in
its catalogue ("Ayumi Hamasaki" or "Hamasaki Ayumi" finds 浜崎あゆみ); otherwise an
:class:`~item2vec.errors.UnknownArtistError` carrying fuzzy suggestions (rapidfuzz).

Every artist whose name has the same :func:`normalize` key counts as "the same name"
("Red", "red", full-width "ＲＥＤ"): the one with the most listeners is taken and the
others reported, which ``id:N`` can pick. A name that finds a rarely listened spelling
of a far better-known artist (the same :func:`skeleton` or Latin spelling, at least
:data:`BETTER_KNOWN_FACTOR` times the listeners: "Blink 182", 1 listener, and
"Blink-182", 150) finds the better-known one, and the :class:`Resolution` says which
spelling the name matched; ``id:N`` picks either exactly.

The module returns facts (:meth:`Resolution.facts`); :mod:`.formatting` words them.
"""

import dataclasses
import re
import unicodedata

from ..errors import UnknownArtistError

_SPACE = re.compile(r"\s+")
_ARTICLE = re.compile(r"^(the|a|an|die|der|das|le|la|les|el|los) ")
_ID = re.compile(r"^\s*(?:id:|#)\s*(\d{1,18})\s*$", re.IGNORECASE)
MAX_QUERY_LENGTH = 300
#: Lowest rapidfuzz score (0-100) of a suggestion: "rosseta" -> Rosetta scores 86, and
#: below 60 suggestions share little more than a letter or two with what was typed.
SUGGEST_CUTOFF = 60
#: The kinds of key :meth:`NameIndex.lookup` knows, in the order :meth:`NameIndex.resolve`
#: tries them (``id:N`` comes between the exact name and the normalised key).
LOOKUP_KINDS = ("exact", "normal", "ascii", "article", "skeleton", "romanized")
#: A name that finds an artist spelled almost like a far better-known one finds that one
#: when it has this many times the listeners (and at least :data:`BETTER_KNOWN_AT_LEAST`).
BETTER_KNOWN_FACTOR = 5
BETTER_KNOWN_AT_LEAST = 5
#: Quotes a name may be typed in ("Metallica", 'Metallica', “Metallica”, «Metallica»,
#: 「嵐」): opening character and the closing ones that match it.
QUOTES = {
    '"': '"',
    "'": "'",
    "\u201c": "\u201d\u201c",
    "\u2018": "\u2019\u2018",
    "\u201e": "\u201c\u201d",
    "\u00ab": "\u00bb",
    "\u00bb": "\u00ab",
    "\u2039": "\u203a",
    "\u300c": "\u300d",
    "\u300e": "\u300f",
    "\uff02": "\uff02",
    "`": "`",
}


def unquote(query):
    """``query`` without one pair of quotes around it (and the spaces inside them), else stripped.

    >>> unquote(' "Metallica" ')
    'Metallica'
    >>> unquote('"Weird Al" Yankovic')
    '"Weird Al" Yankovic'
    """
    text = query.strip()
    if len(text) >= 2 and text[-1] in QUOTES.get(text[0], ""):
        return text[1:-1].strip()
    return text


def ascii_key(text):
    """Fallback key: :func:`normalize`, transliterated to ASCII (anyascii), spaces collapsed.

    >>> ascii_key("Erlend Øye") == ascii_key("erlend oye")
    True
    """
    key = normalize(text)
    if not key.isascii():  # anyascii leaves ASCII as it is; skipping it keeps start-up fast
        from anyascii import anyascii

        key = anyascii(key)
    return _SPACE.sub(" ", key.casefold()).strip()


#: Look-alike symbols in stylised names ("P!Nk", "Ke$Ha") and the letters they stand for.
_LOOKALIKE = str.maketrans({"!": "i", "$": "s", "@": "a", "|": "l", "+": "t"})
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def skeleton(text):
    """Key under which near-identical spellings meet: ASCII, look-alike symbols as letters, no punctuation.

    "Blink 182" and "Blink-182", "Pink" and "P!Nk", "земфира" and "Zемфира" (a Latin Z)
    share one skeleton.
    """
    if text.isascii():
        # The same result, faster (every name is keyed on the first lookup that needs it):
        # for ASCII, ascii_key is the lower case with spaces collapsed, and no space survives here.
        return _NOT_ALNUM.sub("", text.lower().translate(_LOOKALIKE))
    return _NOT_ALNUM.sub("", ascii_key(text).translate(_LOOKALIKE))


def plural(count, word):
    """``1 listener``, ``2 listeners``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def normalize(text):
    """Key for lenient matching: NFKC, casefold, accents removed, spaces collapsed.

    >>> normalize("  Björk ") == normalize("BJORK")
    True
    """
    if text.isascii():
        # The same result, five times faster: NFKC and NFKD leave ASCII as it is, it has no
        # combining marks, and its casefold is its lower case. Most names are ASCII, and
        # the first query of a run keys the whole catalogue.
        return _SPACE.sub(" ", text.lower()).strip()
    return _normalize_unicode(text)


def _normalize_unicode(text):
    # Turkish dotless i upper-cases to "I", whose casefold is "i": fold it there too, or
    # "ı" typed in capitals would not find its artist.
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u0131", "i")
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def artist_fact(catalog, position):
    """``{"artist_id", "name", "listeners"}`` of a catalogue position: how facts name an artist."""
    return {
        "artist_id": int(catalog.ids[position]),
        "name": catalog.names[position],
        "listeners": int(catalog.listeners[position]),
    }


@dataclasses.dataclass
class Resolution:
    """An artist a query resolved to, and how.

    Attributes
    ----------
    artist_id : int
    name : str
    others : list of int
        Ids of other artists with the same (normalised) name as the one the query
        matched, most listened first.
    matched : int or None
        When the query matched a rarely listened spelling of ``artist_id`` (see
        :meth:`NameIndex.better_known`), the id of that spelling; else None.
    by_id : bool
        Picked with ``id:N``: exactly that artist, no other spelling preferred.
    """

    artist_id: int
    name: str
    others: list
    matched: int | None = None
    by_id: bool = False

    def facts(self, catalog):
        """What the user should know about this resolution, as JSON-ready dicts (may be empty).

        ``{"fact": "same_name", "name", "chosen": artist, "others": [artist, ...]}`` when
        several artists share the matched name, and ``{"fact": "better_known", "typed":
        artist, "used": artist}`` when the query matched a rarely listened spelling of the
        artist used; each artist as :func:`artist_fact`.
        """
        out = []
        matched = self.artist_id if self.matched is None else self.matched
        if self.others:
            out.append(
                {
                    "fact": "same_name",
                    "name": catalog.name(matched),
                    "chosen": artist_fact(catalog, catalog.index(matched)),
                    "others": [artist_fact(catalog, catalog.index(o)) for o in self.others],
                }
            )
        if self.matched is not None:
            out.append(
                {
                    "fact": "better_known",
                    "typed": artist_fact(catalog, catalog.index(self.matched)),
                    "used": artist_fact(catalog, catalog.index(self.artist_id)),
                }
            )
        return out


class NameIndex:
    """Lookup of artists by name over a :class:`~item2vec.model.catalog.Catalog`."""

    def __init__(self, catalog):
        self.catalog = catalog
        self._exact = {}
        for i, name in enumerate(catalog.names):
            self._exact.setdefault(name, []).append(i)
        self._keys = {}  # built on first need: most queries match exactly
        self._fuzzy = None
        self._latin = None  # {catalogue row: its Latin spellings}, built on first need
        self._spelled = {}  # {catalogue row: _spellings}, as asked for (the explorer asks for every row)
        self._better = None  # the spellings of the best-known artists (_better_table)
        # Asked on every lookup (better_known): the explorer page looks up every key.
        self._most_listeners = int(catalog.listeners.max(initial=0))

    def _index(self, kind):
        """``{key: [positions]}`` of every name under one key function (cached)."""
        if kind not in self._keys:
            if kind == "exact":
                return self._exact
            table = {}
            if kind == "article":
                for key, positions in self._index("normal").items():
                    table.setdefault(_ARTICLE.sub("", key), []).extend(positions)
            elif kind == "romanized":
                for row, key in self._latin_pairs():
                    rows = table.setdefault(skeleton(key), [])
                    if row not in rows:  # a name's spellings may share a skeleton
                        rows.append(row)
            else:
                function = {"normal": normalize, "ascii": ascii_key, "skeleton": skeleton}[kind]
                for i, name in enumerate(self.catalog.names):
                    table.setdefault(function(name), []).append(i)
            self._keys[kind] = table
        return self._keys[kind]

    def _normalized(self):
        return self._index("normal")

    def _latin_pairs(self):
        """``(catalogue row, Latin spelling)`` of every stored spelling, in catalogue order."""
        return zip(self.catalog.romanized_rows.tolist(), self.catalog.romanized_keys, strict=True)

    def _spellings(self, position):
        """The skeleton keys an artist's name can be typed as: its own and its Latin spellings'."""
        spelled = self._spelled.get(position)
        if spelled is None:
            if self._latin is None:
                self._latin = {}
                for row, key in self._latin_pairs():
                    self._latin.setdefault(row, []).append(key)
            keys = [skeleton(self.catalog.names[position])]
            keys += [skeleton(k) for k in self._latin.get(position, ())]
            spelled = self._spelled[position] = [k for k in dict.fromkeys(keys) if k]
        return spelled

    def better_known(self, artist_id, factor=BETTER_KNOWN_FACTOR, at_least=BETTER_KNOWN_AT_LEAST):
        """A near-identical spelling with far more listeners than ``artist_id``, or None.

        Same :func:`skeleton` (punctuation, mixed scripts, look-alike symbols) or the same
        Latin spelling of a name in another script, at least ``factor`` times the
        listeners and at least ``at_least``: "Blink 182" (1) -> "Blink-182" (150),
        "Arashi" (1) -> 嵐 (6). Returns the position in the catalogue.
        """
        position = self.catalog.index(int(artist_id))
        mine = int(self.catalog.listeners[position])
        needed = max(factor * mine, at_least)
        if needed > self._most_listeners:
            return None  # nobody is that much better known: no name needs keying
        keys = self._spellings(position)
        if not keys:
            return None
        table = self._better_table(needed)
        listeners = self.catalog.listeners
        candidates = [i for key in keys for i in table.get(key, ()) if int(listeners[i]) >= needed]
        if not candidates:
            return None
        best = max(candidates, key=lambda i: (int(listeners[i]), -int(self.catalog.ids[i])))
        return best if best != position else None

    def _better_table(self, needed):
        """``{spelling: [positions]}`` covering at least every artist with ``needed`` listeners.

        Keyed from the most listened down, only as far as a query needs: a cold start
        that asks about a popular artist keys nobody, one about a rare artist a few
        thousand names, and no name is keyed twice.
        """
        if self._better is None:
            order = (-self.catalog.listeners).argsort(kind="stable").tolist()
            self._better = {"order": order, "counts": self.catalog.listeners.tolist(), "done": 0, "table": {}}
        state = self._better
        order, counts, table = state["order"], state["counts"], state["table"]
        while state["done"] < len(order) and counts[order[state["done"]]] >= needed:
            i = order[state["done"]]
            for key in self._spellings(i):
                table.setdefault(key, []).append(i)
            state["done"] += 1
        return table

    def _pick(self, positions):
        # Most listeners first; ties by lower id, so the choice is stable.
        order = sorted(positions, key=lambda i: (-int(self.catalog.listeners[i]), int(self.catalog.ids[i])))
        ids = [int(self.catalog.ids[i]) for i in order]
        return Resolution(ids[0], self.catalog.names[order[0]], ids[1:])

    def _same_name(self, positions):
        # One rule for "the same name", however it was typed: every artist with the same
        # normalised name ("Red", "red" and full-width "ＲＥＤ" all find the same three).
        return self._pick(self._normalized()[normalize(self.catalog.names[positions[0]])])

    def lookup(self, kind, key):
        """The :class:`Resolution` of one key of one kind (:data:`LOOKUP_KINDS`), or None.

        The one rule by which :meth:`resolve` picks among the artists sharing a key, and
        prefers a far better-known spelling (:meth:`better_known`); the explorer page
        precomputes every key's answer with it.
        """
        positions = self._index(kind).get(key) if key else None
        if not positions:
            return None
        found = self._same_name(positions) if kind in ("exact", "normal") else self._pick(positions)
        better = self.better_known(found.artist_id)
        if better is None:
            return found
        return dataclasses.replace(
            found,
            artist_id=int(self.catalog.ids[better]),
            name=self.catalog.names[better],
            matched=found.artist_id,
        )

    @staticmethod
    def typed_keys(query):
        """``(kind, key)`` of a query for each key-based stage of :meth:`resolve` after ``id:N``, in order."""
        key = normalize(query)
        shape = skeleton(query)
        return [
            ("normal", key),
            ("ascii", ascii_key(query)),
            ("article", _ARTICLE.sub("", key)),
            ("skeleton", shape),
            ("romanized", shape),
        ]

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
        # An artist really named "#1" (or '"Heroes"') is found by its name; id syntax and
        # quotes around a name come second.
        found = self.lookup("exact", query) or self.lookup("exact", query.strip())
        if found:
            return found
        bare = unquote(query)
        if bare != query.strip():
            if not bare:
                raise UnknownArtistError(query, [])
            return self.resolve(bare)
        match = _ID.match(query)
        if match:
            position = self.catalog.index(int(match.group(1)))
            if position >= 0:
                return Resolution(
                    int(self.catalog.ids[position]), self.catalog.names[position], [], by_id=True
                )
            raise UnknownArtistError(query, [])
        key = normalize(query)
        # A query of only combining marks normalises to "": it names nothing.
        if not key:
            raise UnknownArtistError(query, [])
        for kind, typed in self.typed_keys(query):
            found = self.lookup(kind, typed)
            if found:
                return found
        raise UnknownArtistError(query, self.suggest(key))

    def _fuzzy_keys(self):
        if self._fuzzy is None:
            # Also index names without a leading article, so "beatles" finds "The Beatles",
            # and the Latin spellings of names in other scripts ("hamasaki" finds 浜崎あゆみ).
            self._fuzzy = {}
            for key, positions in self._normalized().items():
                # In a fixed order (not a set's, which changes with the hash seed), so equal
                # scores rank the same in every process.
                for variant in dict.fromkeys((key, _ARTICLE.sub("", key))):
                    self._fuzzy.setdefault(variant, []).extend(positions)
            for row, key in self._latin_pairs():
                rows = self._fuzzy.setdefault(key, [])
                if row not in rows:
                    rows.append(row)
        return self._fuzzy

    def suggest(self, key, limit=5):
        """Up to ``limit`` catalogue names close to the normalised ``key``, best first."""
        if not key:
            return []
        from rapidfuzz import fuzz, process

        # Two scorers: the edit-distance ratio finds typos ("rosseta"); the token-set ratio
        # finds a name among whole words ("mozart" in "Wolfgang Amadeus Mozart", "kanye" in
        # "Kanye West"). Not WRatio: its partial matching ranks one-letter names ("A",
        # "M") as close to anything that contains them; a token set must contain all of
        # the typed words, so "A" never matches "kanye".
        index = self._fuzzy_keys()
        keys = list(index)
        best = {}
        for scorer in (fuzz.ratio, fuzz.token_set_ratio):
            # Every name above the cutoff (limit=None): a cap would let rapidfuzz pick among
            # equal scores, before the tie-break below (better known first) could.
            hits = process.extract(key, keys, scorer=scorer, limit=None, score_cutoff=SUGGEST_CUTOFF)
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
        """Names starting with ``prefix`` under the lookup's matching rules, most listened first.

        The typed text is compared as :meth:`resolve` compares it: case, accents and
        spacing ignored, then transliterated ("bjo" completes to Björk, "erlend o" to
        Erlend Øye), then with the Latin spellings of names in other scripts ("hamas"
        completes to 浜崎あゆみ).
        """
        typed, typed_ascii = normalize(prefix), ascii_key(prefix)
        hits = [
            i
            for kind, key in (("normal", typed), ("ascii", typed_ascii))
            for name_key, positions in self._index(kind).items()
            if name_key.startswith(key)
            for i in positions
        ]
        if typed_ascii:
            hits += [row for row, key in self._latin_pairs() if key.startswith(typed_ascii)]
        hits = sorted(set(hits), key=lambda i: (-int(self.catalog.listeners[i]), self.catalog.names[i]))
        return [self.catalog.names[i] for i in hits[:limit]]
