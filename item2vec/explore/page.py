"""Assembling the explorer page and writing it without ever replacing someone else's file."""

import base64
import hashlib
import json
import logging
import os
import time
from importlib import resources

from ..errors import ExitCode, Item2VecError
from ..query.formatting import safe
from ..query.recommender import Recommender
from ..version import __version__
from . import layout, lookup_tables, names_font

log = logging.getLogger(__name__)

#: In the first bytes of every page we write: an existing ``--out`` holding it may be replaced.
MARKER = '<meta name="generator" content="item2vec.explore">'
_MARKER_WITHIN = 512


class ExploreError(Item2VecError):
    """The page cannot be built or written as asked (exit code 2: bad usage)."""

    exit_code = ExitCode.USAGE


class MissingExtraError(Item2VecError):
    """A library of the ``explore`` extra is not installed (exit code 1)."""


def _asset(name):
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def _plotly_js():
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        raise MissingExtraError(
            "the explorer needs plotly and scikit-learn: pip install 'item2vec-artists[explore]'"
        ) from None
    return get_plotlyjs()


def _script_hash(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _json_for_script(data):
    """JSON that can sit inside a ``<script>`` element: no ``<`` can open a tag."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c")


def page_data(model, seed=0):
    """Everything the page shows, as one JSON-ready dict.

    Parameters
    ----------
    model : Model
        A loaded model (:func:`item2vec.model.storage.load_model`).
    seed : int
        Seed of the map layout and its regions.

    Returns
    -------
    dict
    """
    try:
        import sklearn  # noqa: F401  (fail before the long part, with the install hint)
    except ImportError:
        raise MissingExtraError(
            "the explorer needs plotly and scikit-learn: pip install 'item2vec-artists[explore]'"
        ) from None
    recommender = Recommender(model)
    catalog = model.catalog
    ask = lookup_tables.ask_defaults()
    data = {
        "ask": ask,
        "artists": {
            "id": [str(i) for i in catalog.ids.tolist()],  # strings: ids may exceed 2**53
            "listeners": catalog.listeners.tolist(),
            "name": list(catalog.names),
        },
        "model": {
            "item2vec_version": model.metadata.get("item2vec_version", __version__),
            "min_count": model.min_count,
            "n_artists": len(catalog),
            "n_vectors": len(model.vectors.ids),
            "vectors_sha256": model.metadata.get("files", {}).get("vectors.npy", ""),
        },
        "unicode": lookup_tables.unicode_tables(),
    }
    started = time.perf_counter()
    data["dial"] = lookup_tables.dial_table()
    data.update(lookup_tables.answer_tables(recommender, ask["top"], ask["min_listeners"]))
    log.info("answers computed in %.0f s", time.perf_counter() - started)
    names = lookup_tables.name_tables(recommender)
    data["artists"]["key"] = names.pop("key")
    data["resolve"] = names
    rows = [catalog.index(int(i)) for i in model.vectors.ids.tolist()]
    log.info("map: t-SNE of %d artist vectors", len(rows))
    started = time.perf_counter()
    xy = layout.tsne_map(model.vectors.unit, seed=seed)
    log.info("map laid out in %.0f s", time.perf_counter() - started)
    listeners = [int(catalog.listeners[r]) for r in rows]
    cluster, labels = layout.regions(xy, listeners, [catalog.names[r] for r in rows], seed=seed)
    data["map"] = {
        "cluster": cluster.tolist(),
        "labels": labels,
        "row": rows,
        "x": xy[:, 0].tolist(),
        "y": xy[:, 1].tolist(),
    }
    return data


def build_page(model, seed=0):
    """The explorer as one self-contained HTML document.

    Parameters
    ----------
    model : Model
    seed : int
        Seed of the map layout.

    Returns
    -------
    str
        The page; the same model and seed always give the same text.
    """
    plotly_js = _plotly_js()
    data = _json_for_script(page_data(model, seed))
    # The names' own font (CJK, Hangul, Cyrillic), so they render where the system has none.
    face = names_font.font_face(model.catalog.names)
    app_js = _asset("explorer.js")
    for script in (plotly_js, app_js):
        if "</script" in script.lower():
            raise ExploreError("a script would end its <script> element early")  # pragma: no cover
    # Only these two scripts may run, and nothing may be fetched: the page works offline
    # by construction, and a stray request would be blocked and reported, not made.
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_script_hash(app_js)} {_script_hash(plotly_js)}",
            "style-src 'unsafe-inline'",
            "font-src data:",
            "img-src data: blob:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    return (
        _asset("page.html")
        .replace("{{marker}}", MARKER)
        .replace("{{policy}}", policy)
        .replace("{{style}}", face + "\n" + _asset("explorer.css"))
        .replace("{{version}}", __version__)
        # Last, so nothing in the data or the scripts is taken for a placeholder.
        .replace("{{app}}", "\x01app\x01")
        .replace("{{plotly}}", "\x01plotly\x01")
        .replace("{{data}}", "\x01data\x01")
        .replace("\x01data\x01", data)
        .replace("\x01app\x01", app_js)
        .replace("\x01plotly\x01", plotly_js)
    )


def is_explorer_file(path):
    """Whether ``path`` is a regular file this tool wrote (its marker near the start)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_MARKER_WITHIN)
    except OSError:
        return False
    return MARKER.encode("ascii") in head


def check_target(path, force=False):
    """Raise :class:`ExploreError` unless the page may be written to ``path``.

    It may when nothing is there (in an existing folder), or a page this tool wrote
    is, or ``force`` is given and a regular file is.
    """
    shown = safe(path, 300)
    if not os.path.lexists(path):
        if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise ExploreError(f"cannot write {shown}: its folder does not exist")
        return
    if not os.path.isfile(path):
        raise ExploreError(f"{shown} exists and is not a regular file; choose another --out")
    if not force and not is_explorer_file(path):
        raise ExploreError(
            f"{shown} exists and is not an explorer page this tool wrote; "
            "choose another --out, or pass --force to replace it"
        )


def write_page(html, path, force=False):
    """Write the page to ``path`` atomically; replace only a page this tool wrote, unless ``force``.

    Parameters
    ----------
    html : str
    path : str
    force : bool
        Replace any existing regular file.

    Returns
    -------
    int
        Bytes written.
    """
    path = os.fspath(path)
    shown = safe(path, 300)
    check_target(path, force)
    body = html.encode("utf-8")
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp-{os.getpid()}")
    try:
        with open(tmp, "xb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise ExploreError(f"cannot write {shown}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise
    return len(body)


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass
