"""Saving and loading a model folder, atomically and without pickle.

A model folder holds:

``vectors.npy``
    float32 (n, d) unit-length artist vectors, memory-mapped at load.
``catalog.npz``
    the :class:`~item2vec.model.catalog.Catalog` as plain arrays (names as UTF-8
    bytes plus offsets; the Latin keys of names in other scripts as ASCII bytes,
    offsets and catalogue rows) and ``vector_ids``, the artist id of each vector row.
``item_weights.npz``
    the :class:`~item2vec.model.item_weights.ItemWeights` of the artists with a
    vector (``rows``, ``weights``): the familiar end of the ``--discover`` dial.
``metadata.json``
    format version, hyperparameters, data checksums, library versions,
    training time, and the SHA-256 of the array files, checked at load so
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
from . import replace, validation
from .catalog import Catalog, StreamedArray
from .confidence import parse_confidence
from .item_weights import ItemWeights
from .vectors import ArtistVectors, unit_rows

logger = logging.getLogger(__name__)

FORMAT_VERSION = validation.FORMAT_VERSION
VECTORS_FILE = "vectors.npy"
CATALOG_FILE = "catalog.npz"
ITEM_WEIGHTS_FILE = "item_weights.npz"
METADATA_FILE = "metadata.json"
MODEL_FILES = (METADATA_FILE, VECTORS_FILE, CATALOG_FILE, ITEM_WEIGHTS_FILE)
#: The files whose SHA-256 metadata.json records.
ARRAY_FILES = (VECTORS_FILE, CATALOG_FILE, ITEM_WEIGHTS_FILE)
REBUILD_HINT = "rebuild it with: python train_item2vec.py --data DIR --out {folder}"


class Model:
    """A loaded model: vectors, catalogue, item-item weights and metadata. Read-only."""

    def __init__(self, vectors, catalog, metadata, path=None, item_weights=None):
        self.vectors = vectors
        self.catalog = catalog
        self.metadata = metadata
        self.path = path
        #: The measured confidence of answers by listener band
        #: (:class:`~item2vec.model.confidence.ConfidenceTable`), or None when not measured.
        self.confidence = parse_confidence(metadata["confidence"]) if "confidence" in metadata else None
        #: :class:`~item2vec.model.item_weights.ItemWeights` of the vector rows (none: an empty table).
        if item_weights is None and vectors is not None:
            item_weights = empty_item_weights(len(vectors.ids))
        self.item_weights = item_weights

    @property
    def min_count(self):
        return int(self.metadata.get("hyperparameters", {}).get("min_count", 1))


# -- writing --------------------------------------------------------------------------------


#: What :func:`save_model` says before a problem the loader would refuse.
REFUSED = "refusing to write a model this program could not load"


def _write_npz(path, arrays):
    """Like ``np.savez`` but byte-reproducible: fixed member order and timestamps.

    A :class:`~item2vec.model.catalog.StreamedArray` is written chunk by chunk, byte for
    byte what ``np.save`` writes for the whole array, each chunk checked as the loader
    would check it (:class:`~item2vec.model.validation.StreamedCheck`).
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as member:
                if isinstance(arrays[name], StreamedArray):
                    _write_streamed(member, arrays[name], validation.StreamedCheck(arrays["listen_indptr"]))
                else:
                    np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]), allow_pickle=False)


def _write_streamed(handle, streamed, check):
    """The ``.npy`` bytes of a :class:`~item2vec.model.catalog.StreamedArray`: header, then its
    chunks, each passed to ``check`` (a problem stops the write)."""
    dtype = np.dtype(streamed.dtype)
    header = np.lib.format.header_data_from_array_1_0(np.empty(0, dtype=dtype))
    header["shape"] = (int(streamed.length),)
    np.lib.format.write_array_header_1_0(handle, header)
    written = 0
    for chunk in streamed.chunks():
        chunk = np.ascontiguousarray(chunk, dtype=dtype)
        problem = check(chunk)
        if problem is not None:
            raise ModelError(f"{REFUSED}: {CATALOG_FILE}: {problem}")
        handle.write(chunk.tobytes())
        written += len(chunk)
    if written != streamed.length:
        raise ModelError(f"a streamed array gave {written} values, {streamed.length} were announced")


def empty_item_weights(n):
    """A table with no partners for ``n`` artists: the dial's familiar end then adds nothing."""
    return ItemWeights(np.zeros((n, 0), dtype=np.int32), np.zeros((n, 0), dtype=np.float32))


def save_model(out_dir, artist_ids, vectors, catalog, metadata, item_weights=None):
    """Write a model folder atomically and durably.

    The files go to a temporary sibling folder, each is fsynced, then the folder itself
    (its entries), before the folder is renamed into place; the parent is fsynced after
    the rename (:func:`~item2vec.model.replace.swap_into_place`). A power cut therefore
    leaves the previous model or the new one, each complete.

    Parameters
    ----------
    out_dir : str
        Target folder; replaced as a whole if it exists.
    artist_ids : ndarray of int64
        Artist id of each vector row, increasing.
    vectors : ndarray, shape (n, d)
        Raw embeddings; stored unit-normalised.
    catalog : Catalog or CatalogParts
        What ``catalog.npz`` holds comes from its ``arrays()``
        (:func:`~item2vec.model.catalog.catalog_arrays`).
    metadata : dict
        JSON-serialisable facts about the run, only fields of
        :data:`item2vec.model.validation.METADATA`; ``format_version``, the counts and
        the file checksums are added here.
    item_weights : ItemWeights, optional
        One row per vector row (:func:`item2vec.training.ease.ease_weights`); without
        it the folder holds an empty table.

    Returns
    -------
    dict
        The metadata as written.

    Raises
    ------
    ModelError
        When the model could not be written, or would not load (non-finite vectors, a
        field or array the loader refuses); the previous model is then untouched.
    """
    out_dir = os.path.abspath(os.fspath(out_dir))
    parent = check_writable(out_dir)
    # An infinite row becomes NaN, a row whose norm overflows float32 becomes zeros: both
    # are refused just below, without numpy's warnings on the way.
    with np.errstate(invalid="ignore", over="ignore"):
        unit = unit_rows(vectors)
        norms_finite = np.isfinite(np.linalg.norm(np.asarray(vectors, dtype=np.float32), axis=1)).all()
    if not (norms_finite and np.isfinite(unit).all()):
        raise ModelError("training produced non-finite vectors; refusing to save them")
    arrays = {**catalog.arrays(), "vector_ids": np.asarray(artist_ids, dtype=np.int64)}
    weights = _item_weights_arrays(item_weights, len(arrays["vector_ids"]))
    metadata = dict(
        metadata,
        format_version=FORMAT_VERSION,
        n_vectors=int(unit.shape[0]),
        vector_size=int(unit.shape[1]),
        n_artists=len(catalog),
        files=dict.fromkeys(ARRAY_FILES, "0" * 64),  # the real ones once written
    )
    _refuse_unloadable(unit, arrays, weights, metadata)
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
        _write_files(tmp, unit, arrays, weights, metadata)
        # mkdtemp made it 0o700: the model is for every user of the machine to read.
        os.chmod(tmp, 0o755)
        replace.fsync_dir(tmp, strict=True)  # its entries, before it is renamed into place
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


def _item_weights_arrays(item_weights, n_vectors):
    """The arrays of ``item_weights.npz`` (:data:`item2vec.model.validation.ITEM_WEIGHTS`)."""
    if item_weights is None:
        item_weights = empty_item_weights(n_vectors)
    return {
        # int16 while the rows fit (32,767 artists with a vector): a quarter less to read.
        "rows": item_weights.rows.astype(np.int16 if n_vectors < 2**15 else np.int32),
        "weights": item_weights.weights.astype(np.float32),
    }


def _refuse_unloadable(unit, arrays, weights, metadata):
    """The loader's own checks, before anything is written: never save what would not load."""
    problem = validation.metadata_problem(metadata)
    if problem is not None:
        problem = f"{METADATA_FILE}: {problem}"
    else:
        problem = validation.catalog_problem(arrays, unit, metadata)
        problem = problem and f"{CATALOG_FILE}: {problem}"
    if problem is None:
        problem = validation.item_weights_problem(weights, unit)
        problem = problem and f"{ITEM_WEIGHTS_FILE}: {problem}"
    if problem is not None:
        raise ModelError(f"{REFUSED}: {problem}")


def _write_files(tmp, unit, arrays, weights, metadata):
    """The four files into ``tmp``, each fsynced; fills in ``metadata["files"]``."""
    np.save(os.path.join(tmp, VECTORS_FILE), unit, allow_pickle=False)
    _write_npz(os.path.join(tmp, CATALOG_FILE), arrays)
    _write_npz(os.path.join(tmp, ITEM_WEIGHTS_FILE), weights)
    metadata["files"] = {name: sha256_file(os.path.join(tmp, name)) for name in ARRAY_FILES}
    with open(os.path.join(tmp, METADATA_FILE), "w", encoding="utf-8") as handle:
        json.dump(metadata, handle, indent=2, sort_keys=True, ensure_ascii=False)
        handle.write("\n")
    for name in (*ARRAY_FILES, METADATA_FILE):
        with open(os.path.join(tmp, name), "rb") as handle:
            os.fsync(handle.fileno())


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


def _load(folder, verify):
    """Read a model folder that is in place, checking each step; raises ModelError."""
    fail = _Failure(folder)
    _check_model_files(folder, fail)
    metadata = _read_metadata(folder, fail)
    if verify:
        _verify_checksums(folder, metadata, fail)
    unit, arrays = _read_arrays(folder, fail)
    _check_arrays(unit, arrays, metadata, fail)
    _check_vectors(unit, fail)
    names = _decode_names(arrays, fail)
    item_weights = _read_item_weights(folder, unit, fail)
    catalog = Catalog(
        arrays["artist_ids"],
        names,
        arrays["listeners"],
        arrays["listen_indptr"],
        arrays["listen_users"],
        _romanized(arrays, len(names), fail),
    )
    vectors = ArtistVectors(arrays["vector_ids"], unit)
    return Model(vectors, catalog, metadata, path=folder, item_weights=item_weights)


class _Failure:
    """Builds the one-line ModelError of a folder: the problem, then what to do about it."""

    def __init__(self, folder):
        self.folder = folder
        self.hint = REBUILD_HINT.format(folder=folder)

    def __call__(self, problem, advice=None):
        return ModelError(f"model {self.folder}: {problem}; {advice or self.hint}")


def _check_model_files(folder, fail):
    """The folder exists and holds the model's files (a foreign folder is told apart from a damaged model)."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise fail("is a file, not a model folder")
    if not os.path.isdir(folder):
        raise fail("folder not found")
    entries = replace.list_folder(folder) or []
    # item_weights.npz is checked after the format version (_read_item_weights): a folder
    # written before it existed is told it is of an older format, not that a file is missing.
    missing = [
        name
        for name in MODEL_FILES
        if name != ITEM_WEIGHTS_FILE and not os.path.isfile(os.path.join(folder, name))
    ]
    if missing and not replace.only_ours(entries, MODEL_FILES):
        # Not a damaged model but some other folder: advising --out here would have
        # the trainer refuse it (it never replaces files it did not write).
        foreign = sorted(set(entries) - set(MODEL_FILES))
        raise fail(
            f"not a model folder (no {missing[0]}; it holds {', '.join(repr(n) for n in foreign[:3])})",
            "give --model the folder that train_item2vec.py wrote",
        )
    if missing:
        gone = [name for name in missing if not os.path.lexists(os.path.join(folder, name))]
        # Something else under the name (a folder, a FIFO that would block the read): not ours.
        raise fail(f"{gone[0]} is missing" if gone else f"{missing[0]} is not a regular file")


def _read_metadata(folder, fail):
    """``metadata.json`` as a dict of a format version this program reads, every field checked."""
    path = os.path.join(folder, METADATA_FILE)
    if os.path.getsize(path) > validation.MAX_METADATA_BYTES:
        raise fail(f"{METADATA_FILE} is larger than any model's ({os.path.getsize(path)} bytes)")
    try:
        with open(path, encoding="utf-8") as handle:
            metadata = json.load(handle)
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(f"{METADATA_FILE} is not valid JSON ({exc})") from None
    except RecursionError:  # no checksum covers this file: it can be anything
        raise fail(f"{METADATA_FILE} is nested too deeply to be a model's") from None
    if not isinstance(metadata, dict):
        raise fail(f"{METADATA_FILE} is not a JSON object")
    version = metadata.get("format_version")
    if validation.Exactly(FORMAT_VERSION)(version) is not None:
        raise fail(
            f"format version {validation.shown(version)} is not supported "
            f"(this program reads version {FORMAT_VERSION})"
        )
    problem = validation.metadata_problem(metadata)
    if problem is not None:
        raise fail(f"{METADATA_FILE}: {problem}")
    return metadata


def _verify_checksums(folder, metadata, fail):
    """The array files are the ones ``metadata.json`` was written with."""
    expected = metadata["files"]  # validated: every checksum is there
    _check_item_weights_file(folder, fail)
    for name in ARRAY_FILES:
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
        raise fail(f"cannot read arrays ({_first_line(exc)})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise fail(f"cannot read arrays ({_first_line(exc)})") from None
    except Exception as exc:  # noqa: BLE001
        # numpy's header parser lets its tokenizer's errors through (TokenError, SyntaxError)
        # and a header declaring a huge shape asks for that much memory (MemoryError).
        raise fail(f"cannot read arrays ({type(exc).__name__}: {_first_line(exc)})") from None
    return unit, arrays


def _first_line(exc, limit=200):
    """An exception's message fit for a one-line error."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return lines[0][:limit]


def _check_arrays(unit, arrays, metadata, fail):
    """Shapes, types and ranges of every array, and their consistency (:mod:`.validation`)."""
    if unit.ndim != 2 or unit.dtype != np.float32:
        raise fail(f"{VECTORS_FILE} holds {unit.dtype} of shape {unit.shape}, expected 2-D float32")
    problem = validation.catalog_problem(arrays, unit, metadata)
    if problem is not None:
        raise fail(f"{CATALOG_FILE}: {problem}")


def _check_vectors(unit, fail):
    """Finite rows of unit length (a zero row stays zero); anything else is not our file."""
    if not np.isfinite(unit).all():
        raise fail(f"{VECTORS_FILE} contains NaN or infinite values")
    with np.errstate(over="ignore"):  # huge finite values: an infinite norm, refused below
        norms = np.linalg.norm(unit, axis=1)
    if not bool(np.all((np.abs(norms - 1) < 1e-3) | (norms == 0))):
        raise fail(f"{VECTORS_FILE} holds vectors that are not unit length")


#: What a romanised key is: lower-case ASCII words separated by single spaces.
_ROMANIZED_KEY = re.compile(r"[0-9a-z]+(?: [0-9a-z]+)*")


def _romanized(arrays, n, fail):
    """``(rows, keys)`` of the Latin keys (:attr:`Catalog.romanized_rows`), checked; empty when absent.

    The three arrays (:data:`item2vec.model.validation.ROMANIZED`) come together or not at
    all (a folder written before them lacks them); their dtypes and ranges are checked
    with the other arrays'.
    """
    present = [k for k in validation.ROMANIZED if k in arrays]
    if not present:
        return None
    if len(present) < len(validation.ROMANIZED):
        missing = sorted(set(validation.ROMANIZED) - set(present))
        raise fail(f"{CATALOG_FILE} lacks {', '.join(missing)}")
    blob, offsets, rows = (arrays[k] for k in validation.ROMANIZED)
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


def _check_item_weights_file(folder, fail):
    """``item_weights.npz`` is there, a regular file (the others are checked before the metadata)."""
    path = os.path.join(folder, ITEM_WEIGHTS_FILE)
    if not os.path.isfile(path):
        raise fail(
            f"{ITEM_WEIGHTS_FILE} is missing"
            if not os.path.lexists(path)
            else f"{ITEM_WEIGHTS_FILE} is not a regular file"
        )


def _read_item_weights(folder, unit, fail):
    """``item_weights.npz`` as :class:`ItemWeights`, every array checked; never unpickled."""
    _check_item_weights_file(folder, fail)
    path = os.path.join(folder, ITEM_WEIGHTS_FILE)
    if not zipfile.is_zipfile(path):
        raise fail(f"{ITEM_WEIGHTS_FILE} is not a NumPy archive")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except ValueError as exc:
        if "pickle" in str(exc) or "Python objects" in str(exc):
            raise fail(
                f"{ITEM_WEIGHTS_FILE} holds Python objects (pickle), which are never loaded: "
                "they could run code"
            ) from None
        raise fail(f"cannot read {ITEM_WEIGHTS_FILE} ({_first_line(exc)})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise fail(f"cannot read {ITEM_WEIGHTS_FILE} ({_first_line(exc)})") from None
    except Exception as exc:  # noqa: BLE001  (as _read_arrays: numpy's header parser)
        raise fail(f"cannot read {ITEM_WEIGHTS_FILE} ({type(exc).__name__}: {_first_line(exc)})") from None
    problem = validation.item_weights_problem(arrays, unit)
    if problem is not None:
        raise fail(f"{ITEM_WEIGHTS_FILE}: {problem}")
    return ItemWeights(arrays["rows"], arrays["weights"])


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
