"""The tables the explorer page looks answers and names up in, computed by the product's own code.

Every table is plain JSON-ready data (lists, dicts, strings, numbers) in a fixed
order, so the same model always gives the same page.
"""

import logging
import re
import sys
import unicodedata

from ..errors import Item2VecError
from ..query import formatting
from ..query import names as names_module
from ..query.recommender import DEFAULT_MIN_LISTENERS, DEFAULT_RANK, DEFAULT_TOP, evidence_label

log = logging.getLogger(__name__)

#: Stands for the artist's name inside a shared error-message template. A NUL never
#: survives the data loader in a name, and a template is only used when putting the
#: name back gives the original message exactly.
NAME_SLOT = "\x00"

#: Answer fields the page rebuilds from the artist table instead of storing per result.
_ARTIST_FIELDS = ("artist", "artist_id", "listeners")


def ask_defaults():
    """``--top``, ``--min-listeners`` and ``--rank`` as ``ask.py`` has them when not given.

    The same constants ask.py's parser takes its defaults from, so a changed default
    changes the page too.
    """
    return {"top": DEFAULT_TOP, "min_listeners": DEFAULT_MIN_LISTENERS, "rank": DEFAULT_RANK}


def _id_query(recommender, artist_id):
    """A query string that resolves to ``artist_id`` (``id:N``, unless an artist is named so)."""
    for query in (f"id:{artist_id}", f"#0{artist_id}", f"id: 00{artist_id}"):
        try:
            if recommender.names.resolve(query).artist_id == artist_id:
                return query
        except Item2VecError:
            pass
    raise Item2VecError(f"artist id {artist_id} cannot be asked for by id")  # pragma: no cover


def answer_tables(recommender, top, min_listeners, rank=DEFAULT_RANK):
    """Every catalogue artist's answer, as ``Recommender.answer`` gives it, in compact form.

    An answer's ``evidence`` is not stored: it is ``"vector"`` exactly for the artists on
    the map and ``"thin (folded in from N listener(s))"`` for the others, which the page
    rebuilds from the artist table (checked here for every answer).

    Parameters
    ----------
    recommender : Recommender
    top, min_listeners : int
        As ``ask.py``'s ``--top`` and ``--min-listeners``.
    rank : str
        As ``ask.py``'s ``--rank``.

    Returns
    -------
    dict
        ``answers``: one entry per catalogue row, either a list of results
        (each ``[row, value of each of result_fields...]``, ``row`` the result's
        catalogue row) or the index of its error message in ``errors``;
        ``result_fields``: the other keys of a result, in the order ``answer`` gives
        them; ``errors``: message templates, the artist's name stood for by
        :data:`NAME_SLOT`; ``answer_notes``: the notes of the answers that have any
        (too few results, a weak result), ``of``: ``{row: [index in text, ...]}``;
        ``answer_confidence``: the confidence line of the answers of low measured
        confidence, ``of``: ``{row: index in text}``. All are worded by
        :mod:`item2vec.query.formatting`, as ``ask.py`` words them. An ``id:N`` query has
        no note about the name: the page adds those of the typed name in front, where
        ``ask.py`` prints them.
    """
    catalog = recommender.catalog
    row_of_id = {int(i): r for r, i in enumerate(catalog.ids.tolist())}
    answers, errors, notes, notes_of, result_fields = [], Interned(), Interned(), {}, []
    lines, lines_of = Interned(), {}
    for row, artist_id in enumerate(catalog.ids.tolist()):
        try:
            answer = recommender.answer(
                _id_query(recommender, artist_id), topn=top, min_listeners=min_listeners, rank=rank
            )
        except Item2VecError as exc:
            answers.append(errors(_error_template(str(exc), catalog.names[row])))
            continue
        _check_answer(recommender, answer, artist_id, row)
        if answer["facts"]:
            notes_of[str(row)] = [notes(note) for note in formatting.notes(answer)]
        line = formatting.confidence_line(answer)
        if line:
            lines_of[str(row)] = lines(line)
        answers.append(
            [_encode_result(result, catalog, row_of_id, result_fields) for result in answer["results"]]
        )
    answered = sum(isinstance(a, list) for a in answers)
    log.info(
        "answers: %d artists answered, %d cannot be (%d message forms)",
        answered,
        len(answers) - answered,
        len(errors.values),
    )
    return {
        "answers": answers,
        "result_fields": result_fields,
        "errors": errors.values,
        "answer_notes": {"of": notes_of, "text": notes.values},
        "answer_confidence": {"of": lines_of, "text": lines.values},
    }


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


def _check_answer(recommender, answer, artist_id, row):
    """Stop the build when an answer is not what the page will rebuild from the artist table."""
    catalog = recommender.catalog
    if answer["artist_id"] != artist_id or answer["listeners"] != int(catalog.listeners[row]):
        raise Item2VecError(f"the answer for id:{artist_id} is about another artist")
    on_map = artist_id in recommender.vectors
    if answer["evidence"] != ("vector" if on_map else evidence_label(answer["listeners"])):
        raise Item2VecError(f"the evidence of id:{artist_id} is not what the page would show")


def _encode_result(result, catalog, row_of_id, result_fields):
    """``[catalogue row, value of each of result_fields...]``; the first result sets ``result_fields``."""
    fields = [k for k in result if k not in _ARTIST_FIELDS]
    if not result_fields:
        result_fields.extend(fields)
    elif fields != result_fields:
        raise Item2VecError(f"answers have different fields: {fields} and {result_fields}")
    result_row = row_of_id[result["artist_id"]]
    if result["artist"] != catalog.names[result_row]:
        raise Item2VecError(f"result {result['artist_id']} is not named as in the catalogue")
    if result["listeners"] != int(catalog.listeners[result_row]):
        raise Item2VecError(f"result {result['artist_id']} has other listeners than in the catalogue")
    return [result_row] + [result[k] for k in result_fields]


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
