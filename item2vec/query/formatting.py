"""Text rendering of answers for a terminal.

Artist names come from user-generated data and queries from users, so every
string is passed through :func:`safe` before it reaches a terminal: control
characters and escape sequences are shown escaped, never interpreted.
"""

import unicodedata

from .names import plural

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
    """``Artists similar to X (N listeners)[, ranked by ...][, among artists with ...]:``."""
    text = f"Artists similar to {describe_query(answer)} ({plural(answer['listeners'], 'listener')})"
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
        Heading, a thin-evidence line when the query artist was folded in, and the rows
        (rank, artist, score, listeners; with ``explain`` also similarity and shared).
    """
    results = answer["results"]
    lines = [heading(answer, min_listeners)]
    note = thin_note(answer)
    if note:
        lines.append(note)
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

    A query artist without a vector of its own is marked ``Query [thin evidence]: ...``.
    """
    items = ", ".join(f"{safe(r['artist'], 48)} ({r['score']:.2f})" for r in answer["results"])
    thin = " [thin evidence]" if answer.get("evidence", "vector") != "vector" else ""
    return f"{describe_query(answer)}{thin}: {items}"
