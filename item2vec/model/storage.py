"""Saving and loading a model folder, atomically and without pickle.

A model folder holds:

``vectors.npy``
    float32 (n, d) unit-length artist vectors, memory-mapped at load.
``catalog.npz``
    the :class:`~item2vec.model.catalog.Catalog` as plain arrays (names as UTF-8
    bytes plus offsets; the Latin keys of names in other scripts as ASCII bytes,
    offsets and catalogue rows) and ``vector_ids``, the artist id of each vector row.
``metadata.json``
    format version, hyperparameters, data checksums, library versions,
    training time, and the SHA-256 of the two array files, checked at load so
    that a truncated or mismatched file is reported instead of used.

Writing goes to a temporary sibling folder that replaces the target in one
rename, under a lock on the parent folder, so an interrupted run leaves the
previous model intact and two concurrent runs cannot mix their files; how a
folder is replaced, locked and recovered is :mod:`item2vec.model.replace`.
"""

import json
import logging
import os
import re
import shutil
import zipfile

import numpy as np

from ..checksums import sha256_file
from ..errors import ModelError
from . import replace
from .catalog import Catalog
from .confidence import parse_confidence
from .vectors import ArtistVectors, unit_rows

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
VECTORS_FILE = "vectors.npy"
CATALOG_FILE = "catalog.npz"
METADATA_FILE = "metadata.json"
MODEL_FILES = (METADATA_FILE, VECTORS_FILE, CATALOG_FILE)
REBUILD_HINT = "rebuild it with: python train_item2vec.py --data DIR --out {folder}"


class Model:
    """A loaded model: vectors, catalogue and metadata. Read-only."""

    def __init__(self, vectors, catalog, metadata, path=None):
        self.vectors = vectors
        self.catalog = catalog
        self.metadata = metadata
        self.path = path
        #: The measured confidence of answers by listener band
        #: (:class:`~item2vec.model.confidence.ConfidenceTable`), or None when not measured.
        self.confidence = parse_confidence(metadata["confidence"]) if "confidence" in metadata else None

    @property
    def min_count(self):
        return int(self.metadata.get("hyperparameters", {}).get("min_count", 1))


# -- writing --------------------------------------------------------------------------------


def _write_npz(path, arrays):
    """Like ``np.savez`` but byte-reproducible: fixed member order and timestamps."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]), allow_pickle=False)


def _encode_names(names, encoding="utf-8"):
    encoded = [n.encode(encoding) for n in names]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def save_model(out_dir, artist_ids, vectors, catalog, metadata):
    """Write a model folder atomically.

    Parameters
    ----------
    out_dir : str
        Target folder; replaced as a whole if it exists.
    artist_ids : ndarray of int64
        Artist id of each vector row, increasing.
    vectors : ndarray, shape (n, d)
        Raw embeddings; stored unit-normalised.
    catalog : Catalog
    metadata : dict
        JSON-serialisable facts about the run; ``format_version`` and the file
        checksums are added here.

    Returns
    -------
    dict
        The metadata as written.
    """
    out_dir = os.path.abspath(os.fspath(out_dir))
    parent = check_writable(out_dir)
    unit = unit_rows(vectors)
    if not np.isfinite(unit).all():
        raise ModelError("training produced non-finite vectors; refusing to save them")
    names_utf8, names_offsets = _encode_names(catalog.names)
    romanized_ascii, romanized_offsets = _encode_names(catalog.romanized_keys, "ascii")
    vector_ids = np.asarray(artist_ids, dtype=np.int64)
    try:
        import tempfile  # write path only: keeps ask.py's start-up lean

        # Created and locked under the shared parent lock: a later save deletes a temp
        # folder only when it can lock it, i.e. when the run that wrote it is dead.
        with replace.locked(parent, shared=True):
            tmp = tempfile.mkdtemp(prefix=os.path.basename(out_dir) + ".tmp-", dir=parent)
            held = replace.hold(tmp)
    except OSError as exc:
        raise replace.write_error(out_dir, exc) from None
    try:
        np.save(os.path.join(tmp, VECTORS_FILE), unit, allow_pickle=False)
        _write_npz(
            os.path.join(tmp, CATALOG_FILE),
            {
                "artist_ids": catalog.ids,
                "listeners": catalog.listeners.astype(np.int64),
                "names_utf8": names_utf8,
                "names_offsets": names_offsets,
                "listen_indptr": catalog.listen_indptr,
                "listen_users": catalog.listen_users,
                "vector_ids": vector_ids,
                "romanized_ascii": romanized_ascii,
                "romanized_offsets": romanized_offsets,
                "romanized_rows": catalog.romanized_rows,
            },
        )
        metadata = dict(metadata)
        metadata["format_version"] = FORMAT_VERSION
        metadata["n_vectors"] = int(unit.shape[0])
        metadata["vector_size"] = int(unit.shape[1])
        metadata["n_artists"] = len(catalog)
        metadata["files"] = {
            name: sha256_file(os.path.join(tmp, name)) for name in (VECTORS_FILE, CATALOG_FILE)
        }
        with open(os.path.join(tmp, METADATA_FILE), "w", encoding="utf-8") as handle:
            json.dump(metadata, handle, indent=2, sort_keys=True, ensure_ascii=False)
            handle.write("\n")
        for name in (VECTORS_FILE, CATALOG_FILE, METADATA_FILE):
            with open(os.path.join(tmp, name), "rb") as handle:
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o755)
        replace.swap_into_place(tmp, out_dir, parent, MODEL_FILES)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise replace.write_error(out_dir, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if held is not None:
            os.close(held)
    return metadata


def check_writable(out_dir):
    """Prove a model can be written to ``out_dir`` before training; returns its parent folder.

    Creates the parent if needed. Raises ModelError, or OutputFolderError when
    ``out_dir`` holds files that are not a model's (training never deletes them).
    """
    return replace.check_writable(out_dir, MODEL_FILES)


# -- reading --------------------------------------------------------------------------------


def load_model(path, verify=True):
    """Load and validate a model folder.

    Parameters
    ----------
    path : str
        The folder written by :func:`save_model`.
    verify : bool
        Check the stored SHA-256 of the array files (a few ms) so that a
        truncated, replaced or mismatched file is reported.

    Returns
    -------
    Model

    Raises
    ------
    ModelError
        With what is wrong and how to rebuild; never a pickle load.
    """
    folder = os.fspath(path)
    target = os.path.abspath(folder)
    parent = os.path.dirname(target)
    # Shared lock: a save swaps under the exclusive one, so the folder is never caught
    # between its two renames.
    with replace.locked(parent, shared=True):
        if os.path.lexists(target) or not replace.asides(target, MODEL_FILES)[0]:
            return _load(folder, verify)
    # A run killed between the renames left no model here and the previous one aside.
    with replace.locked(parent):
        source = replace.recover(target, MODEL_FILES)
        return _load(folder if source in (None, target) else source, verify)


#: The arrays of ``catalog.npz``; ``names_utf8`` holds bytes, the others integers.
CATALOG_ARRAYS = (
    "artist_ids",
    "listeners",
    "names_utf8",
    "names_offsets",
    "listen_indptr",
    "listen_users",
    "vector_ids",
)
#: Arrays of ``catalog.npz`` that a folder written before they existed lacks (read as empty).
#: ``romanized_ascii`` holds the keys' bytes; ``romanized_rows`` the catalogue row of each.
OPTIONAL_ARRAYS = ("romanized_ascii", "romanized_offsets", "romanized_rows")
#: What a romanised key is: lower-case ASCII words separated by single spaces.
_ROMANIZED_KEY = re.compile(r"[0-9a-z]+(?: [0-9a-z]+)*")


def _load(folder, verify):
    """Read a model folder that is in place, checking each step; raises ModelError."""
    fail = _Failure(folder)
    _check_model_files(folder, fail)
    metadata = _read_metadata(folder, fail)
    if verify:
        _verify_checksums(folder, metadata, fail)
    unit, arrays = _read_arrays(folder, fail)
    _check_arrays(unit, arrays, fail)
    _check_vectors(unit, fail)
    names = _decode_names(arrays, fail)
    catalog = Catalog(
        arrays["artist_ids"],
        names,
        arrays["listeners"],
        arrays["listen_indptr"],
        arrays["listen_users"],
        _romanized(arrays, len(names), fail),
    )
    return Model(ArtistVectors(arrays["vector_ids"], unit), catalog, metadata, path=folder)


class _Failure:
    """Builds the one-line ModelError of a folder: the problem, then what to do about it."""

    def __init__(self, folder):
        self.folder = folder
        self.hint = REBUILD_HINT.format(folder=folder)

    def __call__(self, problem, advice=None):
        return ModelError(f"model {self.folder}: {problem}; {advice or self.hint}")


def _check_model_files(folder, fail):
    """The folder exists and holds the three files (a foreign folder is told apart from a damaged model)."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise fail("is a file, not a model folder")
    if not os.path.isdir(folder):
        raise fail("folder not found")
    entries = replace.list_folder(folder) or []
    missing = [name for name in MODEL_FILES if not os.path.isfile(os.path.join(folder, name))]
    if missing and not replace.only_ours(entries, MODEL_FILES):
        # Not a damaged model but some other folder: advising --out here would have
        # the trainer refuse it (it never replaces files it did not write).
        foreign = sorted(set(entries) - set(MODEL_FILES))
        raise fail(
            f"not a model folder (no {missing[0]}; it holds {', '.join(repr(n) for n in foreign[:3])})",
            "give --model the folder that train_item2vec.py wrote",
        )
    if missing:
        raise fail(f"{missing[0]} is missing")


def _read_metadata(folder, fail):
    """``metadata.json`` as a dict of a format version this program reads."""
    try:
        with open(os.path.join(folder, METADATA_FILE), encoding="utf-8") as handle:
            metadata = json.load(handle)
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(f"{METADATA_FILE} is not valid JSON ({exc})") from None
    if not isinstance(metadata, dict):
        raise fail(f"{METADATA_FILE} is not a JSON object")
    version = metadata.get("format_version")
    if version != FORMAT_VERSION:
        raise fail(
            f"format version {version!r} is not supported (this program reads version {FORMAT_VERSION})"
        )
    hyper = metadata.get("hyperparameters", {})
    if not isinstance(hyper, dict) or not isinstance(hyper.get("min_count", 1), int):
        raise fail(f"{METADATA_FILE} has malformed hyperparameters")
    if "confidence" in metadata:
        try:
            parse_confidence(metadata["confidence"])
        except ValueError as exc:
            raise fail(f"{METADATA_FILE} has a malformed confidence table ({exc})") from None
    return metadata


def _verify_checksums(folder, metadata, fail):
    """The two array files are the ones ``metadata.json`` was written with."""
    expected = metadata.get("files")
    if not isinstance(expected, dict):
        raise fail(f"{METADATA_FILE} lists no file checksums")
    for name in (VECTORS_FILE, CATALOG_FILE):
        if sha256_file(os.path.join(folder, name)) != expected.get(name):
            raise fail(
                f"{name} does not match its checksum in {METADATA_FILE} "
                f"(truncated, damaged, or from another training run)"
            )


def _read_arrays(folder, fail):
    """The vectors (memory-mapped) and the catalogue's arrays, never unpickled."""
    # Check the file signatures first: given anything else, np.load falls back to
    # pickle, and even refused (allow_pickle=False) it advises loading "unsafely".
    with open(os.path.join(folder, VECTORS_FILE), "rb") as handle:
        if handle.read(6) != b"\x93NUMPY":
            raise fail(f"{VECTORS_FILE} is not a NumPy array file")
    if not zipfile.is_zipfile(os.path.join(folder, CATALOG_FILE)):
        raise fail(f"{CATALOG_FILE} is not a NumPy archive")
    try:
        unit = np.load(os.path.join(folder, VECTORS_FILE), mmap_mode="r", allow_pickle=False)
        with np.load(os.path.join(folder, CATALOG_FILE), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except ValueError as exc:
        if "pickle" in str(exc) or "Python objects" in str(exc):
            raise fail(
                "the arrays hold Python objects (pickle), which are never loaded: they could run code"
            ) from None
        if "mmap length" in str(exc):
            raise fail(f"{VECTORS_FILE} is truncated") from None
        raise fail(f"cannot read arrays ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise fail(f"cannot read arrays ({exc})") from None
    return unit, arrays


def _check_arrays(unit, arrays, fail):
    """Shapes, types and the consistency of the catalogue's tables with each other and the vectors."""
    missing = [k for k in CATALOG_ARRAYS if k not in arrays]
    if missing:
        raise fail(f"{CATALOG_FILE} lacks {', '.join(missing)}")
    if unit.ndim != 2 or unit.dtype != np.float32:
        raise fail(f"{VECTORS_FILE} holds {unit.dtype} of shape {unit.shape}, expected 2-D float32")
    for key in CATALOG_ARRAYS:
        kind = "u" if key == "names_utf8" else "iu"
        if arrays[key].ndim != 1 or arrays[key].dtype.kind not in kind:
            raise fail(
                f"{CATALOG_FILE}: {key} holds {arrays[key].dtype} of shape "
                f"{arrays[key].shape}, expected 1-D integers"
            )
    ids, offsets, vector_ids = arrays["artist_ids"], arrays["names_offsets"], arrays["vector_ids"]
    n = len(ids)
    indptr = arrays["listen_indptr"]
    # Checked in order, each only once the previous ones hold (so none can index out of range).
    problems = [
        (
            lambda: len(vector_ids) == unit.shape[0],
            f"{len(vector_ids)} vector ids for {unit.shape[0]} vectors",
        ),
        (
            lambda: len(arrays["listeners"]) == n and len(offsets) == n + 1 and len(indptr) == n + 1,
            "artist tables of different lengths",
        ),
        (lambda: n == 0 or bool(np.all(np.diff(ids) > 0)), "artist ids not sorted"),
        (lambda: len(vector_ids) == 0 or bool(np.all(np.diff(vector_ids) > 0)), "vector ids not sorted"),
        (lambda: bool(np.isin(vector_ids, ids).all()), "vector ids missing from the artist table"),
        (lambda: offsets[-1] == len(arrays["names_utf8"]), "names table truncated"),
        (lambda: indptr[-1] == len(arrays["listen_users"]), "listener table truncated"),
        (lambda: offsets[0] == 0 and bool(np.all(np.diff(offsets) >= 0)), "names table offsets out of order"),
        (
            lambda: indptr[0] == 0 and bool(np.all(np.diff(indptr) >= 0)),
            "listener table offsets out of order",
        ),
    ]
    for ok, problem in problems:
        if not ok():
            raise fail(f"inconsistent files: {problem}")


def _check_vectors(unit, fail):
    """Finite rows of unit length (a zero row stays zero); anything else is not our file."""
    if not np.isfinite(unit).all():
        raise fail(f"{VECTORS_FILE} contains NaN or infinite values")
    norms = np.linalg.norm(unit, axis=1)
    if not bool(np.all((np.abs(norms - 1) < 1e-3) | (norms == 0))):
        raise fail(f"{VECTORS_FILE} holds vectors that are not unit length")


def _romanized(arrays, n, fail):
    """``(rows, keys)`` of the Latin keys (:attr:`Catalog.romanized_rows`), checked; empty when absent."""
    present = [k for k in OPTIONAL_ARRAYS if k in arrays]
    if not present:
        return None
    if len(present) < len(OPTIONAL_ARRAYS):
        missing = sorted(set(OPTIONAL_ARRAYS) - set(present))
        raise fail(f"{CATALOG_FILE} lacks {', '.join(missing)}")
    blob, offsets, rows = (arrays[k] for k in OPTIONAL_ARRAYS)
    for key in OPTIONAL_ARRAYS:
        kind = "u" if key == "romanized_ascii" else "iu"
        if arrays[key].ndim != 1 or arrays[key].dtype.kind not in kind:
            raise fail(f"{CATALOG_FILE}: {key} holds {arrays[key].dtype} of shape {arrays[key].shape}")
    problems = [
        (lambda: len(offsets) == len(rows) + 1, "romanized keys and rows of different lengths"),
        (lambda: offsets[0] == 0 and offsets[-1] == len(blob), "romanized keys table truncated"),
        (lambda: bool(np.all(np.diff(offsets) > 0)), "romanized keys table offsets out of order"),
        (lambda: len(rows) == 0 or bool(np.all(np.diff(rows) >= 0)), "romanized rows not sorted"),
        (lambda: len(rows) == 0 or (rows[0] >= 0 and rows[-1] < n), "romanized rows outside the catalogue"),
    ]
    for ok, problem in problems:
        if not ok():
            raise fail(f"inconsistent files: {problem}")
    text = blob.tobytes()
    bounds = zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
    keys = [text[a:b].decode("ascii", "replace") for a, b in bounds]
    if not all(_ROMANIZED_KEY.fullmatch(k) for k in keys):
        raise fail("romanized keys table holds something other than lower-case ASCII words")
    return rows, keys


def _decode_names(arrays, fail):
    """The artist names, from the UTF-8 blob and its offsets."""
    offsets = arrays["names_offsets"]
    try:
        blob = arrays["names_utf8"].tobytes()
        return [
            blob[a:b].decode("utf-8")
            for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
        ]
    except UnicodeDecodeError:
        raise fail("names table is not valid UTF-8") from None
