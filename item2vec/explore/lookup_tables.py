"""The tables the explorer page looks answers and names up in, computed by the product's own code.

Every table is plain JSON-ready data (lists, dicts, strings, numbers) in a fixed
order, so the same model always gives the same page.
"""

import functools
import logging
import re
import sys
import unicodedata

from ..errors import Item2VecError
from ..query import formatting
from ..query import names as names_module
from ..query.ranking import DEFAULT_DISCOVER, DIAL
from ..query.recommender import DEFAULT_MIN_LISTENERS, DEFAULT_RANK, DEFAULT_TOP, evidence_label

log = logging.getLogger(__name__)

#: Stands for the artist's name inside a shared error-message template. A NUL never
#: survives the data loader in a name, and a template is only used when putting the
#: name back gives the original message exactly.
NAME_SLOT = "\x00"

#: The characters of a packed answer (:func:`pack`): base64url's, which JSON never escapes.
PACK_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
#: Scores and similarities are stored as whole numbers of this unit (the answers round to it).
PACK_UNIT = 10_000


def ask_defaults():
    """``--top``, ``--min-listeners`` and ``--rank`` as ``ask.py`` has them when not given.

    The same constants ask.py's parser takes its defaults from, so a changed default
    changes the page too.
    """
    return {"top": DEFAULT_TOP, "min_listeners": DEFAULT_MIN_LISTENERS, "rank": DEFAULT_RANK}


def dial_table():
    """The dial positions the page offers (every one ``ask.py --discover`` has) and the default."""
    return {"positions": list(DIAL), "default": DEFAULT_DISCOVER}


def _id_query(recommender, artist_id):
    """A query string that resolves to ``artist_id`` (``id:N``, unless an artist is named so)."""
    for query in (f"id:{artist_id}", f"#0{artist_id}", f"id: 00{artist_id}"):
        try:
            if recommender.names.resolve(query).artist_id == artist_id:
                return query
        except Item2VecError:
            pass
    raise Item2VecError(f"artist id {artist_id} cannot be asked for by id")  # pragma: no cover


def answer_tables(recommender, top, min_listeners):
    """Every catalogue artist's answer at every dial position, as ``Recommender.answer`` gives it, packed.

    An answer's ``evidence`` is not stored: it is ``"vector"`` exactly for the artists on
    the map and ``"thin (folded in from N listener(s))"`` for the others, which the page
    rebuilds from the artist table (checked here for every answer); nor are a result's
    name and listeners, which the artist table holds.

    Parameters
    ----------
    recommender : Recommender
    top, min_listeners : int
        As ``ask.py``'s ``--top`` and ``--min-listeners`` (the evidence ranking).

    Returns
    -------
    dict
        ``answers``: one entry per catalogue row, either a packed answer (:func:`pack_answers`,
        every position of :func:`dial_table`) or the index of its error message in
        ``errors``; ``errors``: message templates, the artist's name stood for by
        :data:`NAME_SLOT`; ``answer_notes``: the notes of the answers that have any (too
        few results, a weak result), ``of``: ``{row: [[index in text, ...] per
        position]}``; ``answer_confidence``: the confidence line of the answers of low
        measured confidence (measured at the default position only, so only its answer can
        have one), ``of``: ``{row: index in text}``. All are worded by
        :mod:`item2vec.query.formatting`, as ``ask.py`` words them. An ``id:N`` query has no
        note about the name: the page adds those of the typed name in front, where
        ``ask.py`` prints them.
    """
    catalog = recommender.catalog
    positions = dial_table()["positions"]
    columns = CatalogColumns(catalog)
    answers, errors, notes, notes_of = [], Interned(), Interned(), {}
    lines, lines_of = Interned(), {}
    for row, artist_id in enumerate(columns.ids):
        try:
            by_position = recommender.answer_positions(
                _id_query(recommender, artist_id), topn=top, min_listeners=min_listeners, positions=positions
            )
        except Item2VecError as exc:
            answers.append(errors(_error_template(str(exc), catalog.names[row])))
            continue
        each = [by_position[x] for x in positions]
        for answer in each:
            _check_answer(recommender, answer, artist_id, row, columns)
            if answer["discover"] != DEFAULT_DISCOVER and formatting.confidence_line(answer):
                raise Item2VecError(f"id:{artist_id} has a confidence line away from the default position")
        if any(answer["facts"] for answer in each):
            notes_of[str(row)] = [[notes(note) for note in formatting.notes(answer)] for answer in each]
        line = formatting.confidence_line(by_position[DEFAULT_DISCOVER])
        if line:
            lines_of[str(row)] = lines(line)
        packed = pack_answers([answer["results"] for answer in each], columns.row_of_id)
        if unpack_answers(packed, columns) != [answer["results"] for answer in each]:
            raise Item2VecError(f"the answer for id:{artist_id} does not survive packing")  # pragma: no cover
        answers.append(packed)
    answered = sum(isinstance(a, str) for a in answers)
    log.info(
        "answers: %d artists answered at %d positions, %d cannot be (%d message forms)",
        answered,
        len(positions),
        len(answers) - answered,
        len(errors.values),
    )
    return {
        "answers": answers,
        "errors": errors.values,
        "answer_notes": {"of": notes_of, "text": notes.values},
        "answer_confidence": {"of": lines_of, "text": lines.values},
    }


def pack(numbers):
    """Whole numbers >= 0 as one string: 5 bits a character, a sixth saying "more follows".

    The page stores each answer this way (about a third of its JSON); ``unpack`` and
    explorer.js's ``unpack`` read it back.
    """
    numbers, codes = list(numbers), _codes()[0]
    try:
        if min(numbers, default=0) >= 0:
            size = len(codes)  # almost every number of an answer is below it
            return "".join([codes[value] if value < size else _code(value) for value in numbers])
    except TypeError:  # not all whole numbers: each as int() reads it
        pass
    return "".join(map(_code, numbers))


def _code(value):
    """One number's characters in :func:`pack`: 5 bits each, lowest first, all but the last "more follows"."""
    value = int(value)
    if value < 0:
        raise ValueError(f"cannot pack {value}: only whole numbers >= 0")
    out = []
    while value >= 32:
        out.append(PACK_ALPHABET[32 | (value & 31)])
        value >>= 5
    out.append(PACK_ALPHABET[value])
    return "".join(out)


def unpack(text):
    """The numbers :func:`pack` wrote; ValueError for text that is not whole packed numbers."""
    found = _PACKED_NUMBER.findall(text)
    if sum(map(len, found)) != len(text):
        raise ValueError(f"not a string of packed numbers: {text[:40]!r}")
    return list(map(_codes()[1].__getitem__, found))


class _Values(dict):
    """The number of each :func:`pack` code: looked up below 2**15, else computed."""

    def __missing__(self, code):
        return sum((PACK_ALPHABET.index(char) & 31) << (5 * i) for i, char in enumerate(code))


#: One packed number: the characters that say "more follows", then one that does not.
_PACKED_NUMBER = re.compile(f"[{re.escape(PACK_ALPHABET[32:])}]*[{re.escape(PACK_ALPHABET[:32])}]")


@functools.cache
def _codes():
    """The codes of the numbers up to 3 characters long (below 2**15) and back, looked up, not computed.

    Rows, scores and listeners of nearly every answer are below 2**15: packing and unpacking
    them digit by digit was a fifth of building the answer tables.
    """
    codes = [_code(value) for value in range(32**3)]  # once, by the one encoder: milliseconds
    return codes, _Values((code, value) for value, code in enumerate(codes))


def _zigzag(value):
    return 2 * value if value >= 0 else -2 * value - 1


def _unzigzag(value):
    return value // 2 if value % 2 == 0 else -(value + 1) // 2


def pack_answers(result_lists, row_of_id):
    """One artist's results at every dial position as one :func:`pack` string.

    The numbers, in order: how many distinct artists the lists hold, then for each its
    catalogue row, its similarity and its shared listeners (as at every position); then
    for each position the length of its list, each result's index among those artists,
    and the scores: the first as a signed whole number of :data:`PACK_UNIT`, each next one
    as how much lower it is (lists are sorted by score).
    """
    artists, index, numbers = [], {}, []
    for results in result_lists:
        for result in results:
            key = result["artist_id"]
            if key not in index:
                index[key] = len(artists)
                artists.append(result)
    numbers.append(len(artists))
    for result in artists:
        numbers += [
            row_of_id[result["artist_id"]],
            _zigzag(_units(result["similarity"])),
            result["shared_listeners"],
        ]
    for results in result_lists:
        scores = [_units(result["score"]) for result in results]
        numbers.append(len(results))
        numbers += [index[result["artist_id"]] for result in results]
        numbers += [_zigzag(scores[0])] if scores else []
        numbers += [a - b for a, b in zip(scores, scores[1:], strict=False)]
    return pack(numbers)


def unpack_answers(text, catalog):
    """The result lists :func:`pack_answers` packed, as ``Recommender.answer`` gives them.

    ``catalog`` is a :class:`~item2vec.model.catalog.Catalog`, or its ``names``, ``ids`` and
    ``listeners`` as lists (:class:`CatalogColumns`), which read faster.
    """
    numbers = iter(unpack(text))
    count = next(numbers)
    artists = []  # (name, id, similarity, listeners, shared listeners) of each distinct artist
    for _ in range(count):
        row, similarity, shared = next(numbers), _unzigzag(next(numbers)), next(numbers)
        artists.append(
            (
                catalog.names[row],
                int(catalog.ids[row]),
                similarity / PACK_UNIT,
                int(catalog.listeners[row]),
                shared,
            )
        )
    lists = []
    for length in numbers:
        picked = [artists[next(numbers)] for _ in range(length)]
        score = _unzigzag(next(numbers)) if length else 0
        results = []
        for i, (name, artist_id, similarity, listeners, shared) in enumerate(picked):
            score -= next(numbers) if i else 0
            results.append(
                {
                    "artist": name,
                    "artist_id": artist_id,
                    "score": score / PACK_UNIT,
                    "similarity": similarity,
                    "listeners": listeners,
                    "shared_listeners": shared,
                }
            )
        lists.append(results)
    return lists


def _units(value):
    """A value rounded to 4 decimals as a whole number of :data:`PACK_UNIT` (exact: ``n / 10000`` is it)."""
    units = round(value * PACK_UNIT)
    if units / PACK_UNIT != value:
        raise Item2VecError(f"{value!r} is not a number of 4 decimals")  # pragma: no cover
    return units


class Interned:
    """Values stored once in ``values`` and referred to by index: the page's string tables."""

    def __init__(self):
        self.values, self._index = [], {}

    def __call__(self, value):
        """The index of ``value`` in :attr:`values`, appending it the first time."""
        if value not in self._index:
            self._index[value] = len(self.values)
            self.values.append(value)
        return self._index[value]


def _error_template(message, name):
    """``message`` with the artist's ``name`` stood for by :data:`NAME_SLOT`, when that is exact."""
    template = message.replace(name, NAME_SLOT) if name and NAME_SLOT not in message else message
    return template if template.replace(NAME_SLOT, name) == message else message


class CatalogColumns:
    """A catalogue's ``names``, ``ids`` and ``listeners`` as lists of Python values, and each id's row.

    Built once for the every-artist tables: reading a numpy array one value at a time costs
    more than the comparison it is read for.
    """

    def __init__(self, catalog):
        self.names = catalog.names
        self.ids = catalog.ids.tolist()
        self.listeners = catalog.listeners.tolist()
        self.row_of_id = {artist_id: row for row, artist_id in enumerate(self.ids)}


def _check_answer(recommender, answer, artist_id, row, columns):
    """Stop the build when an answer is not what the page will rebuild from the artist table."""
    if answer["artist_id"] != artist_id or answer["listeners"] != columns.listeners[row]:
        raise Item2VecError(f"the answer for id:{artist_id} is about another artist")
    on_map = artist_id in recommender.vectors
    if answer["evidence"] != ("vector" if on_map else evidence_label(answer["listeners"])):
        raise Item2VecError(f"the evidence of id:{artist_id} is not what the page would show")
    for result in answer["results"]:
        result_row = columns.row_of_id[result["artist_id"]]
        if result["artist"] != columns.names[result_row]:
            raise Item2VecError(f"result {result['artist_id']} is not named as in the catalogue")
        if result["listeners"] != columns.listeners[result_row]:
            raise Item2VecError(f"result {result['artist_id']} has other listeners than in the catalogue")


#: Key kinds whose keys the page computes from the typed text itself (explorer.js
#: ``typedKey``); a kind added to ``names.LOOKUP_KINDS`` stops the build until the page
#: learns it, instead of the page silently resolving differently from ``ask.py``.
PAGE_KINDS = ("exact", "normal", "ascii", "article", "skeleton", "romanized")
#: Kinds with several keys per artist (the Latin spellings of a name in another script): the
#: page gets every key with its artist (``picks``), none from ``row_keys``.
PICKED_ONLY = ("romanized",)

#: Characters whose ``anyascii`` transliteration the page carries besides those in the
#: catalogue's names: Latin-1 to Cyrillic. A typed character outside both has no ASCII key
#: in the page (README: Explorer).
_TRANSLIT_RANGE = range(0x80, 0x530)


def name_tables(recommender):
    """What the page needs to resolve a typed name exactly as ``ask.py`` does.

    Every answer comes from the name index itself: for each kind of key in
    ``names.LOOKUP_KINDS`` and each key of the catalogue, :meth:`NameIndex.lookup` is
    asked which artist the key resolves to and with which note. The page only computes
    the typed text's keys and looks them up.

    Returns
    -------
    dict
        ``key``: ``names.normalize`` of each catalogue name (the ``normal`` key of each
        row); ``kinds``: the kinds in the order ``resolve`` tries them; ``picked_only``:
        :data:`PICKED_ONLY`; ``row_keys``: per kind, ``{row: key}`` for the rows whose key
        differs from their name (``exact``) or their ``normal`` key (the others);
        ``picks``: per kind, ``{key: [row, note, ...]}`` for every key that does not
        simply resolve to the one row holding it without a note (every key of the
        picked-only kinds; each ``note`` an index in ``notes``; ``null``: the key resolves
        to nothing); ``notes``: the notes about a name ``ask.py`` prints (same-named
        artists, a far better-known spelling answered instead), worded by
        :mod:`item2vec.query.formatting`; ``romanized``: ``[row, key]`` of every Latin
        spelling (for the suggestions); ``translit``: the ``anyascii`` transliteration of
        non-ASCII characters (see :data:`_TRANSLIT_RANGE`); ``lookalike``: the look-alike
        symbols of ``names.skeleton``; ``quotes``: ``names.QUOTES``; ``suggest_cutoff``:
        ``names.SUGGEST_CUTOFF``.
    """
    from anyascii import anyascii

    catalog = recommender.catalog
    index = recommender.names
    if tuple(names_module.LOOKUP_KINDS) != PAGE_KINDS:
        raise Item2VecError(
            f"the explorer page knows the name keys {PAGE_KINDS}, the name index has "
            f"{tuple(names_module.LOOKUP_KINDS)}: teach explorer.js the new ones"
        )
    ids = catalog.ids.tolist()
    row_of_id = {int(i): r for r, i in enumerate(ids)}
    keys = [names_module.normalize(n) for n in catalog.names]
    notes = Interned()

    def encode(resolution):
        if resolution is None:
            return None
        return [row_of_id[resolution.artist_id]] + [
            notes(formatting.note(f)) for f in resolution.facts(catalog)
        ]

    row_keys, picks = {}, {}
    for kind in PAGE_KINDS:
        table = index._index(kind)
        row_keys[kind] = {}
        if kind not in PICKED_ONLY:
            own = _own_keys(table, kind, len(ids))
            base = catalog.names if kind == "exact" else keys
            row_keys[kind] = {str(r): k for r, k in enumerate(own) if k != base[r]}
        picks[kind] = {}
        for key in sorted(table):
            encoded = encode(index.lookup(kind, key))
            if kind in PICKED_ONLY or encoded != [table[key][0]] or len(table[key]) != 1:
                picks[kind][key] = encoded  # a key held by one artist finds it: the page's default
    characters = {c for k in keys for c in k if not c.isascii()} | {chr(c) for c in _TRANSLIT_RANGE}
    translit = {c: anyascii(c) for c in sorted(characters)}
    return {
        "key": keys,
        "kinds": list(PAGE_KINDS),
        "picked_only": list(PICKED_ONLY),
        "row_keys": row_keys,
        "picks": picks,
        "notes": notes.values,
        "romanized": [
            [row, key]
            for row, key in zip(catalog.romanized_rows.tolist(), catalog.romanized_keys, strict=True)
        ],
        "translit": translit,
        "lookalike": {chr(k): v for k, v in names_module._LOOKALIKE.items()},
        "quotes": names_module.QUOTES,
        "suggest_cutoff": names_module.SUGGEST_CUTOFF,
    }


def _own_keys(table, kind, n):
    """Each catalogue row's one key of ``kind`` (the page needs exactly one per row)."""
    own = [None] * n
    for key, rows in table.items():
        for row in rows:
            if own[row] is not None:
                raise Item2VecError(f"artist row {row} has two {kind} keys: the page needs one")
            own[row] = key
    if any(k is None for k in own):
        raise Item2VecError(f"some artists have no {kind} key: the page needs one each")
    return own


def _char_class(predicate):
    """A JavaScript ``u``-flag character class body of the code points where ``predicate`` holds."""
    ranges, start = [], None
    for cp in range(sys.maxunicode + 2):
        inside = cp <= sys.maxunicode and predicate(chr(cp))
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            ranges.append((start, cp - 1))
            start = None
    return "".join(f"\\u{{{a:x}}}" if a == b else f"\\u{{{a:x}}}-\\u{{{b:x}}}" for a, b in ranges)


def unicode_tables():
    """Python's Unicode facts that ``names.normalize`` relies on and JavaScript lacks.

    Returns
    -------
    dict
        ``combining`` (canonical combining class not 0) and ``space`` (what ``re``'s
        ``\\s`` matches) as character-class bodies; ``fold``: the characters whose
        ``casefold()`` differs from ``lower()``, which is what JavaScript's
        ``toLowerCase`` gives; ``article`` and ``id``: the patterns of :mod:`item2vec.query.names`;
        ``max_query``: its length limit; ``unidata``: Python's Unicode version.
    """
    space = re.compile(r"\s")
    fold = {}
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if c.casefold() != c.lower():
            fold[c] = c.casefold()
    return {
        "combining": _char_class(unicodedata.combining),
        "space": _char_class(lambda c: space.match(c) is not None),
        "fold": fold,
        "article": names_module._ARTICLE.pattern,
        "max_query": names_module.MAX_QUERY_LENGTH,
        "unidata": unicodedata.unidata_version,
    }
