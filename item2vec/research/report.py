"""Render the Markdown reports from template files, and write their JSON.

The prose of ``docs/EVALUATION.md`` and ``docs/EDA.md`` lives in
``item2vec/research/templates/*.md.j2``; the numbers come only from the result dict that
is also saved as JSON, so re-rendering the saved JSON reproduces the document and prose
and numbers cannot drift apart. A missing key fails loudly (``StrictUndefined``) instead
of printing an empty string.
"""

import functools
import json

import numpy as np

from ..errors import ExitCode

TEMPLATES = "templates"


def _defined(value):
    # A missing key reaches a filter as an Undefined, whose __format__ would raise a bare
    # TypeError; str() of a StrictUndefined raises the UndefinedError that names the key.
    import jinja2

    if isinstance(value, jinja2.Undefined):
        str(value)
        raise jinja2.UndefinedError("undefined value")
    return value


def ci(metric, digits=3):
    """``{"mean", "low", "high"}`` as ``"0.778 [0.766, 0.791]"``."""
    metric = _defined(metric)
    return f"{metric['mean']:.{digits}f} [{metric['low']:.{digits}f}, {metric['high']:.{digits}f}]"


def num(value, digits=0):
    """A number with thousands separators: ``"1,892"``, ``"49.0"``."""
    return f"{_defined(value):,.{digits}f}"


def pct(share, digits=0):
    """A share (0..1) as a percentage: ``0.9`` -> ``"90%"``."""
    return f"{_defined(share):.{digits}%}"


def md(text):
    """Escape a data string for Markdown text and tables."""
    out = str(text)
    for ch in "\\`*_[]|<>#":
        out = out.replace(ch, "\\" + ch)
    return out


def _fmt(value, spec):
    # Any other format spec, spelled as in an f-string: {{ x|fmt(".4f") }} is f"{x:.4f}".
    return format(_defined(value), spec)


def _json(value):
    # json.dumps as Python writes it; Jinja's own tojson escapes HTML and sorts keys.
    return json.dumps(value)


def ordinal(n):
    """An integer with its English ordinal suffix: ``51`` -> ``"51st"``, ``12`` -> ``"12th"``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _plural(count, singular="", plural="s"):
    return singular if count == 1 else plural


FILTERS = {
    "ci": ci,
    "num": num,
    "pct": pct,
    "md": md,
    "ordinal": ordinal,
    "fmt": _fmt,
    "json": _json,
    "plural": _plural,
}


@functools.cache  # one environment, so each template is compiled once per process
def environment():
    """The Jinja2 environment of the report templates.

    Returns
    -------
    jinja2.Environment
        Templates from the package's ``templates/`` folder, undefined names raising
        errors, no HTML escaping (the output is Markdown), block tags taking no line of
        their own, and the filters ``ci``, ``num``, ``pct``, ``md``, ``ordinal``, ``fmt``,
        ``json`` and ``plural``.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("item2vec.research", TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def render(name, **context):
    """Render one template of ``item2vec/research/templates/``.

    Parameters
    ----------
    name : str
        Template file name, e.g. ``"EVALUATION.md.j2"``.
    **context
        The template's variables.

    Returns
    -------
    str

    Raises
    ------
    jinja2.UndefinedError
        When the template uses a name or key the context does not have.
    """
    return environment().get_template(name).render(**context)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_json(path, obj, indent=1):
    """Write ``obj`` as UTF-8 JSON, numpy scalars as Python numbers, with a final newline.

    Parameters
    ----------
    path : str
    obj : object
        JSON-ready apart from numpy scalars.
    indent : int, optional
    """
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(obj, handle, indent=indent, ensure_ascii=False, default=_json_default)
        handle.write("\n")


def read_json(path):
    """The JSON document at ``path`` (UTF-8)."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def replace_block(path, name, text):
    """Replace what lies between ``<!-- begin NAME -->`` and ``<!-- end NAME -->`` in ``path``.

    Generated sections of hand-written documents (the README's quality table) live
    between such markers; everything outside them is left byte for byte.

    Raises
    ------
    ValueError
        When ``path`` does not hold exactly one such pair of markers.
    """
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    with open(path, encoding="utf-8") as handle:
        document = handle.read()
    if document.count(begin) != 1 or document.count(end) != 1 or document.index(begin) > document.index(end):
        raise ValueError(f"{path} must hold one {begin!r} followed by one {end!r}")
    head, rest = document.split(begin)
    tail = rest.split(end)[1]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"{head}{begin}\n{text.strip()}\n{end}{tail}")


def block(path, name):
    """The text between the ``name`` markers of ``path`` (see :func:`replace_block`), stripped."""
    with open(path, encoding="utf-8") as handle:
        document = handle.read()
    return document.split(f"<!-- begin {name} -->")[1].split(f"<!-- end {name} -->")[0].strip()


def render_only(out, json_name, markdown_name, render_result):
    """Rewrite ``out/markdown_name`` from ``out/json_name`` without recomputing; returns the exit code.

    ``render_result`` turns the loaded JSON into the Markdown text (each report's ``render``).
    """
    import os
    import sys

    path = os.path.join(out, json_name)
    try:
        result = read_json(path)
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return ExitCode.USAGE
    target = os.path.join(out, markdown_name)
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(render_result(result))
    print(f"wrote {target} from {path}")
    return ExitCode.OK
