"""What a model folder may hold: one entry per field of ``metadata.json``, per array of its archives.

The loader (:mod:`item2vec.model.storage`) refuses a folder whose files break any entry, in
one line, and the saver checks the same tables before it writes, so a model this program
writes always loads. The rule for anything not in the tables: **it is refused**, at load
and at save. A new field or array is added here, with its check, in the same change that
writes it (a field a newer version writes is then reported as such, never silently
ignored or half-read).

Each metadata check takes the value and returns ``None`` when it is fine, or what is wrong
with it ("is 'x', expected a whole number of at least 1"); fields are optional unless
marked required (``save_model``'s callers give the run's facts, which tests often omit).
Each catalogue array has a dtype kind and a range its values must lie in, and is required
unless marked otherwise (arrays added after the first models, which those lack); the arrays'
consistency with each other and with the vectors is :data:`CONSISTENCY`, checked in order.
The item-item weights of the ``--discover`` dial (``item_weights.npz``) are :data:`ITEM_WEIGHTS`
and :data:`ITEM_WEIGHTS_CONSISTENCY`, in the same style.
"""

import dataclasses
import datetime
import math
import re

import numpy as np

from .confidence import parse_confidence

#: 2: the folder holds item_weights.npz (a version-1 folder is refused with the rebuild hint).
FORMAT_VERSION = 2
#: Larger than any model's metadata (the shipped one is 1.4 kB); read whole into memory.
MAX_METADATA_BYTES = 1 << 20
INT64_MAX = int(np.iinfo(np.int64).max)
#: ``Catalog`` keeps listener codes as int32 (users are renumbered 0..U-1).
INT32_MAX = int(np.iinfo(np.int32).max)
#: The same names as item2vec.training.corpus.WEIGHTINGS (tests/test_model_validation.py checks).
WEIGHTINGS = ("none", "log", "rank")
DATA_FORMATS = ("kaggle", "hetrec", "lastfm360k", "lfm1b")


# -- checks of one JSON value ------------------------------------------------------------------


def shown(value):
    """A JSON value in a message: containers by their kind (a deep one has no short repr)."""
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "a list"
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


# The checks are small classes rather than closures: the tables are built once, at import,
# and a check's code then runs on every value (which is also what mutation testing needs).


@dataclasses.dataclass(frozen=True)
class Whole:
    """A JSON integer (not ``true``/``false``, not ``3.0``) in ``[low, high]``."""

    low: int | None = None
    high: int = INT64_MAX

    def __call__(self, value):
        too_low = self.low is not None and isinstance(value, int) and value < self.low
        if isinstance(value, bool) or not isinstance(value, int) or too_low:
            at_least = f" of at least {self.low}" if self.low is not None else ""
            return f"is {shown(value)}, expected a whole number{at_least}"
        if value > self.high:
            return f"is {shown(value)}, expected at most {self.high}"
        return None


@dataclasses.dataclass(frozen=True)
class Number:
    """A finite JSON number (integer or not, never a boolean), at least ``low`` or above ``above``."""

    low: float | None = None
    above: float | None = None

    def __call__(self, value):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return f"is {shown(value)}, expected a finite number"
        if self.low is not None and value < self.low:
            return f"is {shown(value)}, expected at least {self.low}"
        if self.above is not None and value <= self.above:
            return f"is {shown(value)}, expected more than {self.above}"
        return None


@dataclasses.dataclass(frozen=True)
class Exactly:
    """The JSON value ``expected``, of the same type (``true`` is not ``1``)."""

    expected: object

    def __call__(self, value):
        if type(value) is not type(self.expected) or value != self.expected:
            return f"is {shown(value)}, expected {self.expected!r}"
        return None


@dataclasses.dataclass(frozen=True)
class Text:
    """A JSON string of printable characters, one of ``choices`` or matching ``pattern``."""

    choices: tuple | None = None
    max_length: int = 200
    pattern: str | None = None

    def __call__(self, value):
        if not isinstance(value, str) or len(value) > self.max_length or not value.isprintable():
            return f"is {shown(value)}, expected a short line of text"
        if self.choices is not None and value not in self.choices:
            return f"is {shown(value)}, expected one of {', '.join(self.choices)}"
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return f"is {shown(value)}, not in the form this program writes"
        return None


def boolean(value):
    return None if isinstance(value, bool) else f"is {shown(value)}, expected true or false"


def timestamp(value):
    """An ISO 8601 date and time, as ``build_metadata`` writes ``created``."""
    problem = Text(max_length=40)(value)
    if problem is None:
        try:
            datetime.datetime.fromisoformat(value)
        except ValueError:
            problem = f"is {shown(value)}, expected an ISO 8601 date and time"
    return problem


SHA256 = Text(pattern="[0-9a-f]{64}")


@dataclasses.dataclass(frozen=True)
class Mapping:
    """A JSON object of free keys (each passing ``keys``, a line of text) and values passing ``values``."""

    values: object
    keys: object = Text(max_length=255)

    def __call__(self, value):
        if not isinstance(value, dict):
            return f"is {shown(value)}, expected an object"
        for key, item in value.items():
            problem = self.keys(key)
            if problem is not None:
                return f"has a key that {problem}"
            problem = self.values(item)
            if problem is not None:
                return f"[{key!r}] {problem}"
        return None


def confidence_table(value):
    """The measured confidence table (:func:`~item2vec.model.confidence.parse_confidence`)."""
    try:
        parse_confidence(value)
    except ValueError as exc:
        return f"is a malformed confidence table ({exc})"
    return None


def scalar_or_names(value):
    """A trainer setting: a JSON string, number or boolean, or a list of short strings."""
    if isinstance(value, list):
        return next((f"holds an item that {p}" for p in map(Text(), value) if p is not None), None)
    if isinstance(value, str):
        return Text()(value)
    if isinstance(value, bool):
        return None
    return Number()(value)


@dataclasses.dataclass(frozen=True)
class Field:
    """One field of a JSON object: its check, and whether every model has it."""

    check: object
    required: bool = False


class Record:
    """A JSON object with only the keys of ``fields`` (a table of :class:`Field`), each checked."""

    def __init__(self, fields):
        self.fields = fields

    def __call__(self, value):
        if not isinstance(value, dict):
            return f"is {shown(value)}, expected an object"
        return record_problem(value, self.fields, nested=True)


def record_problem(value, fields, nested=False):
    """What is wrong with the JSON object ``value`` against ``fields`` (one phrase), or None.

    A field's problem is named by its path: ``data.rows is -1, expected ...``.
    """
    unknown = sorted(set(value) - set(fields), key=str)
    if unknown:
        return f"has a field this program does not know: {shown(unknown[0])} (written by a newer version?)"
    missing = [name for name, field in fields.items() if field.required and name not in value]
    if missing:
        return f"lacks the field {missing[0]!r}"
    for name, field in fields.items():
        problem = field.check(value[name]) if name in value else None
        if problem is not None:
            separator = "" if problem.startswith((".", "[")) else " "
            return f"{'.' if nested else ''}{name}{separator}{problem}"
    return None


# -- the metadata.json table -------------------------------------------------------------------

#: ``hyperparameters``: the fields of item2vec.training.trainer.TrainConfig and its ranges
#: (TrainConfig.validate); tests/test_model_validation.py checks both lists agree.
HYPERPARAMETERS = {
    "vector_size": Field(Whole(1)),
    "window": Field(Whole(0)),
    "shrink_windows": Field(boolean),
    "epochs": Field(Whole(1)),
    "negative": Field(Whole(1)),
    "ns_exponent": Field(Number()),
    "sample": Field(Number(0)),
    "alpha": Field(Number(above=0)),
    "min_alpha": Field(Number(0)),
    "min_count": Field(Whole(1)),
    "weighting": Field(Text(WEIGHTINGS)),
    "max_repeat": Field(Whole(1)),
    "seed": Field(Whole()),
    "workers": Field(Whole(1)),
    "members": Field(Whole(1)),
}

DATA = {
    "format": Field(Text(DATA_FORMATS)),
    "sha256": Field(Mapping(SHA256)),
    "repairs": Field(Mapping(Whole(0))),
    "rows": Field(Whole(0)),
    "users": Field(Whole(0)),
    "artists": Field(Whole(0)),
}

#: Every field of ``metadata.json``. The first five are written by ``save_model`` itself;
#: the others are the training run's facts (``build_metadata``).
METADATA = {
    "format_version": Field(Exactly(FORMAT_VERSION), required=True),
    "files": Field(
        Record(
            {
                "vectors.npy": Field(SHA256, required=True),
                "catalog.npz": Field(SHA256, required=True),
                "item_weights.npz": Field(SHA256, required=True),
            }
        ),
        required=True,
    ),
    "n_vectors": Field(Whole(0), required=True),
    "vector_size": Field(Whole(1), required=True),
    "n_artists": Field(Whole(0), required=True),
    "item2vec_version": Field(Text(max_length=40)),
    "hyperparameters": Field(Record(HYPERPARAMETERS)),
    "data": Field(Record(DATA)),
    "corpus": Field(Record({"sentences": Field(Whole(0)), "tokens": Field(Whole(0))})),
    "library_versions": Field(Mapping(Text(max_length=80))),
    "blas_kernels": Field(Text(max_length=80)),
    "training_seconds": Field(Number(0)),
    "created": Field(timestamp),
    "training_corpus": Field(Text(("memory", "file", "spark"))),
    "engine": Field(Text(("pandas", "spark"))),
    "trainer": Field(Text(("gensim", "mllib"))),
    "mllib": Field(Mapping(scalar_or_names)),  # MLlib's own parameters (trainer "mllib")
    "confidence": Field(confidence_table),  # measured by the evaluation, when it matched the run
    # How item_weights.npz was computed (item2vec.training.ease, written by save_trained).
    "item_weights": Field(
        Record(
            {
                "method": Field(Text(("EASE",)), required=True),
                "lambda": Field(Number(above=0), required=True),
                "top": Field(Whole(0), required=True),
                "artists": Field(Whole(0), required=True),
            }
        )
    ),
}


def metadata_problem(metadata):
    """What is wrong with a parsed ``metadata.json`` (one phrase), or None."""
    if not isinstance(metadata, dict):
        return "is not a JSON object"
    return record_problem(metadata, METADATA)


# -- the catalog.npz table ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Array:
    """One array of a model's archive: ``"int"`` (any integer dtype), ``"bytes"`` (uint8) or
    ``"float32"``, of ``ndim`` dimensions (1 unless given).

    Integers lie in ``[low, high]``, compared as Python ints (a uint64 never wraps).
    """

    kind: str
    low: int = 0
    high: int = INT64_MAX
    required: bool = True
    ndim: int = 1


#: The Latin keys of names in other scripts (``Catalog.romanized_*``): a folder written
#: before them lacks all three (read as none); the three come together (storage checks).
ROMANIZED = ("romanized_ascii", "romanized_offsets", "romanized_rows")

#: Every array of ``catalog.npz``. Ranges are what the loader can index and ``Catalog`` can
#: hold without wrapping: ids are int64, listener codes int32.
CATALOG = {
    "artist_ids": Array("int"),
    "listeners": Array("int"),
    "names_utf8": Array("bytes"),
    "names_offsets": Array("int"),
    "listen_indptr": Array("int"),
    "listen_users": Array("int", high=INT32_MAX),
    "vector_ids": Array("int"),
    "romanized_ascii": Array("bytes", required=False),
    "romanized_offsets": Array("int", required=False),
    "romanized_rows": Array("int", required=False),
}


#: What each kind of :class:`Array` accepts, and how a message names it.
_KINDS = {
    "bytes": (lambda dtype: dtype == np.uint8, "bytes (uint8)"),
    "int": (lambda dtype: dtype.kind in ("i", "u"), "integers"),
    "float32": (lambda dtype: dtype == np.float32, "float32"),
}


def array_problem(name, array, table=None):
    """What is wrong with one array of ``table`` (default :data:`CATALOG`) on its own, or None.

    Its dtype, its shape, the range of its values.
    """
    spec = (CATALOG if table is None else table)[name]
    ok_type, expected = _KINDS[spec.kind]
    if array.ndim != spec.ndim or not ok_type(array.dtype):
        return f"{name} holds {array.dtype} of shape {array.shape}, expected {spec.ndim}-D {expected}"
    if spec.kind == "int" and array.size:
        # Compared as Python ints: a uint64 above 2**63 must not wrap into range.
        low, high = int(array.min()), int(array.max())
        if low < spec.low or high > spec.high:
            bad = low if low < spec.low else high
            return f"{name} holds {bad}, outside {spec.low}..{spec.high}"
    return None


def _strictly_increasing(values):
    return len(values) < 2 or bool(np.all(np.diff(values) > 0))


def _offsets_in_order(offsets):
    return offsets[0] == 0 and bool(np.all(np.diff(offsets) >= 0))


def _rows_sorted(indptr, users):
    """Each artist's listener codes strictly increase (``shared_listeners`` relies on it).

    A streamed array (not in memory) passes here: :class:`StreamedCheck` checks it as it is
    written.
    """
    if not isinstance(users, np.ndarray) or len(users) < 2:
        return True
    steps = np.diff(users) > 0
    starts = indptr[1:-1]
    starts = starts[(starts > 0) & (starts < len(users))]
    steps[starts - 1] = True  # a new artist's row may start anywhere
    return bool(steps.all())


#: Consistency of the arrays with each other, the vectors and the metadata: (check, problem),
#: checked in order, each only once the ones before hold (so none indexes out of range).
#: A check gets ``(arrays, unit, metadata)``; ``n`` is the number of artists.
CONSISTENCY = [
    (lambda a, u, m: len(a["vector_ids"]) == u.shape[0], "vector ids for other vectors (counts differ)"),
    (
        lambda a, u, m: all(
            len(a[k]) == len(a["artist_ids"]) + extra
            for k, extra in (("listeners", 0), ("names_offsets", 1), ("listen_indptr", 1))
        ),
        "artist tables of different lengths",
    ),
    (
        lambda a, u, m: (
            (m["n_vectors"], m["vector_size"], m["n_artists"])
            == (u.shape[0], u.shape[1], len(a["artist_ids"]))
        ),
        "metadata.json counts other vectors or artists than the files hold",
    ),
    (lambda a, u, m: _strictly_increasing(a["artist_ids"]), "artist ids not sorted"),
    (lambda a, u, m: _strictly_increasing(a["vector_ids"]), "vector ids not sorted"),
    (
        lambda a, u, m: bool(np.isin(a["vector_ids"], a["artist_ids"]).all()),
        "vector ids missing from the artist table",
    ),
    (lambda a, u, m: a["names_offsets"][-1] == len(a["names_utf8"]), "names table truncated"),
    (lambda a, u, m: a["listen_indptr"][-1] == len(a["listen_users"]), "listener table truncated"),
    (lambda a, u, m: _offsets_in_order(a["names_offsets"]), "names table offsets out of order"),
    (lambda a, u, m: _offsets_in_order(a["listen_indptr"]), "listener table offsets out of order"),
    (
        lambda a, u, m: np.array_equal(np.diff(a["listen_indptr"]), a["listeners"]),
        "listener counts differ from the listener table",
    ),
    (lambda a, u, m: _rows_sorted(a["listen_indptr"], a["listen_users"]), "an artist's listeners not sorted"),
]


def _archive_problem(arrays, table):
    """Unknown, missing or malformed arrays of one archive against its ``table``, or None."""
    unknown = sorted(set(arrays) - set(table))
    if unknown:
        return f"holds an array this program does not know: {unknown[0]!r} (written by a newer version?)"
    missing = [name for name, spec in table.items() if spec.required and name not in arrays]
    if missing:
        return f"lacks {', '.join(missing)}"
    for name, array in arrays.items():
        # A streamed array's values are checked as they are written (StreamedCheck): its type here.
        shape = array if isinstance(array, np.ndarray) else np.empty(0, dtype=array.dtype)
        problem = array_problem(name, shape, table)
        if problem is not None:
            return problem
    return None


def catalog_problem(arrays, unit, metadata):
    """What is wrong with the catalogue's arrays and their fit with the vectors, or None."""
    problem = _archive_problem(arrays, CATALOG)
    if problem is not None:
        return problem
    for ok, problem in CONSISTENCY:
        if not ok(arrays, unit, metadata):
            return f"inconsistent files: {problem}"
    return None


class StreamedCheck:
    """The checks of :func:`catalog_problem` on the values of ``listen_users`` written chunk by
    chunk (:class:`~item2vec.model.catalog.StreamedArray`): call it on each chunk in order.

    Parameters
    ----------
    indptr : ndarray of int
        ``listen_indptr``, already checked by :func:`catalog_problem`.
    """

    def __init__(self, indptr):
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.start = 0  # position of the next chunk in the whole array
        self.last = None  # the value before it

    def __call__(self, chunk):
        """What is wrong with the next chunk, or None."""
        problem = array_problem("listen_users", chunk)
        if problem is not None:
            return problem
        users, origin = chunk, self.start
        if self.last is not None:  # the step from the previous chunk counts too
            users, origin = np.concatenate([[self.last], chunk]).astype(chunk.dtype), origin - 1
        # _rows_sorted reads indptr[1:-1]: every row start, shifted to this chunk's positions.
        shifted = np.concatenate([[0], self.indptr - origin, [0]])
        if not _rows_sorted(shifted, users):
            return "inconsistent files: an artist's listeners not sorted"
        self.start += len(chunk)
        if len(chunk):
            self.last = chunk[-1]
        return None


# -- the item_weights.npz table ----------------------------------------------------------------

#: Every array of ``item_weights.npz`` (:class:`~item2vec.model.item_weights.ItemWeights`):
#: ``rows`` names each vector row's partners (vector rows, -1 pads), ``weights`` their weights.
ITEM_WEIGHTS = {
    "rows": Array("int", low=-1, high=INT32_MAX, ndim=2),
    "weights": Array("float32", ndim=2),
}

#: Consistency of the item weights with each other and the vectors, as :data:`CONSISTENCY`:
#: a check gets ``(arrays, unit)``.
ITEM_WEIGHTS_CONSISTENCY = [
    (lambda a, u: len(a["rows"]) == u.shape[0], "item weights for other vectors (row counts differ)"),
    (lambda a, u: a["weights"].shape == a["rows"].shape, "item weights and their rows of different shapes"),
    (lambda a, u: bool((a["rows"] < u.shape[0]).all()), "item weights name rows that do not exist"),
    (lambda a, u: bool(np.isfinite(a["weights"]).all()), "item weights that are not finite"),
    (
        lambda a, u: bool(((a["rows"] < 0) | (a["weights"] > 0)).all()),
        "item weights not positive where a partner is named",
    ),
    (
        lambda a, u: bool((a["weights"][a["rows"] < 0] == 0).all()),
        "item weights not 0 where no partner is named",
    ),
]


def item_weights_problem(arrays, unit):
    """What is wrong with the arrays of ``item_weights.npz`` and their fit with the vectors, or None."""
    problem = _archive_problem(arrays, ITEM_WEIGHTS)
    if problem is not None:
        return problem
    for ok, problem in ITEM_WEIGHTS_CONSISTENCY:
        if not ok(arrays, unit):
            return f"inconsistent files: {problem}"
    return None
