"""The words of an answer: its table and lines for a terminal, its notes, its confidence line.

:class:`~item2vec.query.recommender.Recommender` returns facts; this module is the one
place that words them, for ``ask.py`` (table, ``--batch`` line, ``--json``'s ``notes``)
and the explorer page (which stores the same sentences when it is built).

Artist names come from user-generated data and queries from users, so every
string is passed through :func:`safe` before it reaches a terminal: control
characters and escape sequences are shown escaped, never interpreted.
"""

import unicodedata

from .names import plural
from .ranking import DEFAULT_DISCOVER

_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def safe(text, limit=120):
    """``text`` with non-printable characters escaped and cut to ``limit`` characters."""
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if text.isprintable():
        return text
    return "".join(c if unicodedata.category(c) not in _HIDDEN else repr(c)[1:-1] for c in text)


def width(text):
    """Terminal columns taken by ``text`` (wide East Asian characters count 2)."""
    return sum(
        2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text
    )


def _pad(text, columns):
    return text + " " * max(0, columns - width(text))


def describe_query(answer):
    """``Rosetta + X - Y`` for the heading of an answer."""
    parts = [safe(answer["artist"])]
    parts += [f"+ {safe(n)}" for n in answer.get("plus", [])]
    parts += [f"- {safe(n)}" for n in answer.get("minus", [])]
    return " ".join(parts)


def heading(answer, min_listeners=0):
    """``Artists similar to X (N listeners)[, discover X][, ranked by ...][, among artists with ...]:``.

    The dial's position is named when it is not the default one.
    """
    text = f"Artists similar to {describe_query(answer)} ({plural(answer['listeners'], 'listener')})"
    if answer.get("discover") is not None and answer["discover"] != DEFAULT_DISCOVER:
        text += f", discover {answer['discover']:g}"
    if answer.get("rank") == "cosine":
        text += ", ranked by similarity alone"
    if min_listeners > 0:
        text += f", among artists with at least {plural(min_listeners, 'listener')}"
    return text + ":"


def thin_note(answer):
    """The line that says an answer stands on a folded-in vector, or None when it has its own."""
    evidence = answer.get("evidence", "vector")
    if evidence == "vector":
        return None
    n = answer["listeners"]
    whose = "its listener lists" if n == 1 else f"its {n} listeners list"
    taste = "that one listener's" if n == 1 else f"those {n} listeners'"
    return (
        f"Thin evidence: {safe(answer['artist'])} has no vector of its own ({plural(n, 'listener')}); "
        f"it is folded in from the other artists {whose}, so this answer is mostly {taste} taste."
    )


def _artist(a):
    return f"{a['name']!r} ({plural(a['listeners'], 'listener')})"


def _same_name(fact):
    chosen = fact["chosen"]
    listed = ", ".join(f"id:{o['artist_id']} {_artist(o)}" for o in fact["others"])
    return (
        f"{len(fact['others']) + 1} artists are named {fact['name']!r}; using id:{chosen['artist_id']} "
        f"({plural(chosen['listeners'], 'listener')}). Others: {listed}; ask for 'id:N' to pick one."
    )


def _better_known(fact):
    typed, used = fact["typed"], fact["used"]
    return (
        f"{_artist(typed)} is spelled almost like {_artist(used)}, which is far better known, so this "
        f"answers for {used['name']!r}; ask for id:{typed['artist_id']} to get {typed['name']!r} itself."
    )


def _folded_operand(fact):
    a = fact["artist"]
    n = a["listeners"]
    whose = "its listener lists" if n == 1 else f"its {n} listeners list"
    return (
        f"--{fact['option']} {a['name']!r} has no vector of its own ({plural(n, 'listener')}): "
        f"it enters folded in from the other artists {whose}"
    )


def _fewer_results(fact):
    if fact["min_listeners"] > 1:
        return (
            f"only {fact['returned']} of the {fact['asked']} asked for have at least "
            f"{plural(fact['min_listeners'], 'listener')}; a lower --min-listeners gives more"
        )
    return f"only {fact['returned']} of the {fact['asked']} asked for: no other artist has a vector"


def _weak_result(fact):
    return (
        f"weak result: no artist is more similar to the query than {fact['similarity']:.2f}, below "
        f"{fact['threshold']} (lower than any plain single-artist query gives), so these answers are noise"
    )


_NOTES = {
    "same_name": _same_name,
    "better_known": _better_known,
    "folded_operand": _folded_operand,
    "fewer_results": _fewer_results,
    "weak_result": _weak_result,
}


def note(fact):
    """The sentence of one fact of an answer (:meth:`Recommender.answer`'s ``facts``)."""
    return _NOTES[fact["fact"]](fact)


def notes(answer):
    """The notes of an answer, one sentence per fact, in order."""
    return [note(fact) for fact in answer["facts"]]


def json_record(answer):
    """The object ``ask.py --json`` prints for an answer: its facts worded as ``notes``."""
    record = {k: v for k, v in answer.items() if k != "facts"}
    record["notes"] = notes(answer)
    # The documented key order: notes before confidence and results.
    order = (
        "query",
        "artist",
        "artist_id",
        "listeners",
        "evidence",
        "rank",
        "discover",
        "plus",
        "minus",
        "notes",
    )
    return {k: record[k] for k in order if k in record} | {k: v for k, v in record.items() if k not in order}


def band_label(confidence):
    """``"5-9 listeners"``, ``"100 or more listeners"``, ``"1 listener (folded in)"``."""
    first, last = confidence["band"]
    if last is None:
        text = f"{first} or more listeners"
    elif first == last:
        text = plural(first, "listener")
    else:
        text = f"{first}-{last} listeners"
    return text + (" (folded in)" if confidence["folded"] else "")


def confidence_line(answer):
    """``Confidence: low (5 listeners): ...`` when the answer's measured confidence is low, else None."""
    confidence = answer.get("confidence") or {}
    if confidence.get("level") != "low":
        return None
    tenths = round(confidence["value"] * 10)
    return (
        f"Confidence: low ({plural(confidence['listeners'], 'listener')}): on held-out users, only "
        f"{tenths} in 10 answers for artists with {band_label(confidence)} held, in their top "
        f"{confidence['k']}, an artist that their listeners also list."
    )


def format_table(answer, min_listeners=0, explain=False):
    """A readable multi-line table of one answer.

    Parameters
    ----------
    answer : dict
        What :meth:`~item2vec.query.recommender.Recommender.answer` returns.
    min_listeners : int
        The ``--min-listeners`` filter the answer was computed with (named in the heading).
    explain : bool
        Add the evidence columns: raw similarity and shared listeners.

    Returns
    -------
    str
        Heading, a thin-evidence line when the query artist was folded in, a confidence
        line when it is low, and the rows (rank, artist, score, listeners; with
        ``explain`` also similarity and shared).
    """
    results = answer["results"]
    lines = [heading(answer, min_listeners)]
    lines += [line for line in (thin_note(answer), confidence_line(answer)) if line]
    lines.append("")
    if not results:
        lines.append("  (no artist passes the filter; try a lower --min-listeners)")
        return "\n".join(lines)
    names = [safe(r["artist"], 48) for r in results]
    col = max(width("artist"), *(width(n) for n in names))
    header = f" rank  {_pad('artist', col)}   score"
    if explain:
        header += "  similarity"
    header += "  listeners"
    if explain:
        header += "  shared"
    lines.append(header)
    for rank, (result, name) in enumerate(zip(results, names, strict=True), 1):
        row = f" {rank:>4}  {_pad(name, col)}  {result['score']:>6.3f}"
        if explain:
            row += f"  {result['similarity']:>10.3f}"
        row += f"  {result['listeners']:>9}"
        if explain:
            row += f"  {result['shared_listeners']:>6}"
        lines.append(row)
    return "\n".join(lines)


def format_line(answer):
    """One line per answer, for ``--batch``: ``Query: A (0.81), B (0.77), ...``.

    A query artist without a vector of its own is marked ``Query [thin evidence]: ...``, an
    answer of low measured confidence ``[low confidence]``.
    """
    items = ", ".join(f"{safe(r['artist'], 48)} ({r['score']:.2f})" for r in answer["results"])
    marks = " [thin evidence]" if answer.get("evidence", "vector") != "vector" else ""
    if confidence_line(answer):
        marks += " [low confidence]"
    return f"{describe_query(answer)}{marks}: {items}"
