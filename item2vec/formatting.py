"""Text rendering of answers for a terminal.

Artist names come from user-generated data and queries from users, so every
string is passed through :func:`safe` before it reaches a terminal: control
characters and escape sequences are shown escaped, never interpreted.
"""

import unicodedata

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


def format_table(answer, min_listeners):
    """A readable multi-line table of one answer (rank, artist, score, listeners[, shared])."""
    results = answer["results"]
    explain = bool(results) and "shared_listeners" in results[0]
    heading = (
        f"Artists similar to {describe_query(answer)} "
        f"({answer['listeners']} listener{'s' if answer['listeners'] != 1 else ''}), "
        f"among artists with at least {min_listeners} listener{'s' if min_listeners != 1 else ''}:"
    )
    lines = [heading, ""]
    if not results:
        lines.append("  (no artist passes the filter; try a lower --min-listeners)")
        return "\n".join(lines)
    names = [safe(r["artist"], 48) for r in results]
    col = max(width("artist"), *(width(n) for n in names))
    header = f" rank  {_pad('artist', col)}  score  listeners"
    if explain:
        header += "  shared"
    lines.append(header)
    for rank, (result, name) in enumerate(zip(results, names, strict=True), 1):
        row = f" {rank:>4}  {_pad(name, col)}  {result['score']:.3f}  {result['listeners']:>9}"
        if explain:
            row += f"  {result['shared_listeners']:>6}"
        lines.append(row)
    return "\n".join(lines)


def format_line(answer):
    """One line per answer, for ``--batch``: ``Query: A (0.81), B (0.77), ...``."""
    items = ", ".join(f"{safe(r['artist'], 48)} ({r['score']:.2f})" for r in answer["results"])
    return f"{describe_query(answer)}: {items}"
