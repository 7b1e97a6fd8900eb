"""The tables the explorer page looks answers and names up in, computed by the product's own code.

Every table is plain JSON-ready data (lists, dicts, strings, numbers) in a fixed
order, so the same model always gives the same page.
"""

import logging
import re
import sys
import unicodedata

from .. import names as names_module
from ..errors import Item2VecError

log = logging.getLogger(__name__)

#: Stands for the artist's name inside a shared error-message template. A NUL never
#: survives the data loader in a name, and a template is only used when putting the
#: name back gives the original message exactly.
NAME_SLOT = "\x00"

#: Answer fields the page rebuilds from the artist table instead of storing per result.
_ARTIST_FIELDS = ("artist", "artist_id")


def ask_defaults():
    """``--top`` and ``--min-listeners`` as ``ask.py`` parses them when not given.

    Read from ask.py's own parser, so a changed default there changes the page too.
    """
    from ..cli.ask import build_parser

    args = build_parser().parse_args(["x"])
    return {"top": args.top, "min_listeners": args.min_listeners}


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
    """Every catalogue artist's answer, as ``Recommender.answer`` gives it, in compact form.

    Parameters
    ----------
    recommender : Recommender
    top, min_listeners : int
        As ``ask.py``'s ``--top`` and ``--min-listeners``.

    Returns
    -------
    dict
        ``answers``: one entry per catalogue row, either a list of results
        (each ``[row, value of each of result_fields...]``, ``row`` the result's
        catalogue row) or the index of its error message in ``errors``;
        ``result_fields``: the other keys of a result, in the order ``answer`` gives
        them; ``errors``: message templates, the artist's name stood for by
        :data:`NAME_SLOT`.
    """
    catalog = recommender.catalog
    row_of_id = {int(i): r for r, i in enumerate(catalog.ids.tolist())}
    answers, errors, error_index = [], [], {}
    result_fields = None
    for row, artist_id in enumerate(catalog.ids.tolist()):
        name = catalog.names[row]
        try:
            answer = recommender.answer(
                _id_query(recommender, artist_id), topn=top, min_listeners=min_listeners, explain=True
            )
        except Item2VecError as exc:
            message = str(exc)
            template = message.replace(name, NAME_SLOT) if name and NAME_SLOT not in message else message
            if template.replace(NAME_SLOT, name) != message:
                template = message
            if template not in error_index:
                error_index[template] = len(errors)
                errors.append(template)
            answers.append(error_index[template])
            continue
        if answer["artist_id"] != artist_id or answer["listeners"] != int(catalog.listeners[row]):
            raise Item2VecError(f"the answer for id:{artist_id} is about another artist")
        encoded = []
        for result in answer["results"]:
            fields = [k for k in result if k not in _ARTIST_FIELDS]
            if result_fields is None:
                result_fields = fields
            elif fields != result_fields:
                raise Item2VecError(f"answers have different fields: {fields} and {result_fields}")
            result_row = row_of_id[result["artist_id"]]
            if result["artist"] != catalog.names[result_row]:
                raise Item2VecError(f"result {result['artist_id']} is not named as in the catalogue")
            encoded.append([result_row] + [result[k] for k in result_fields])
        answers.append(encoded)
    answered = sum(isinstance(a, list) for a in answers)
    log.info(
        "answers: %d artists answered, %d cannot be (%d message forms)",
        answered,
        len(answers) - answered,
        len(errors),
    )
    return {"answers": answers, "result_fields": result_fields or [], "errors": errors}


def name_tables(recommender):
    """What the page needs to resolve a typed name exactly as ``ask.py`` does.

    Returns
    -------
    dict
        ``key``: ``names.normalize`` of each catalogue name; ``exact`` and
        ``normal``: for each name / normalised key shared by several artists,
        ``[row picked, index in notes or -1]``; ``notes``: the ambiguity notes
        ``ask.py`` prints. A name or key held by one artist resolves to it.
    """
    catalog = recommender.catalog
    index = recommender.names
    row_of_id = {int(i): r for r, i in enumerate(catalog.ids.tolist())}
    keys = [names_module.normalize(n) for n in catalog.names]
    notes, note_index = [], {}

    def pick(positions):
        # The name index's own choice among same-named artists, and its note.
        resolution = index._pick(positions)
        note = resolution.ambiguity_note(catalog)
        if note is None:
            return [row_of_id[resolution.artist_id], -1]
        if note not in note_index:
            note_index[note] = len(notes)
            notes.append(note)
        return [row_of_id[resolution.artist_id], note_index[note]]

    exact = {name: pick(rows) for name, rows in sorted(index._exact.items()) if len(rows) > 1}
    # An empty key (a name of combining marks only) names nothing, as in NameIndex.resolve.
    normal = {key: pick(rows) for key, rows in sorted(index._normalized().items()) if key and len(rows) > 1}
    return {"key": keys, "exact": exact, "normal": normal, "notes": notes}


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
        ``toLowerCase`` gives; ``article`` and ``id``: the patterns of :mod:`item2vec.names`;
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
