"""Saving and loading a model folder, atomically and without pickle.

A model folder holds:

``vectors.npy``
    float32 (n, d) unit-length artist vectors, memory-mapped at load.
``catalog.npz``
    the :class:`~item2vec.catalog.Catalog` as plain arrays (names as UTF-8
    bytes plus offsets) and ``vector_ids``, the artist id of each vector row.
``metadata.json``
    format version, hyperparameters, data checksums, library versions,
    training time, and the SHA-256 of the two array files, checked at load so
    that a truncated or mismatched file is reported instead of used.

Writing goes to a temporary sibling folder that replaces the target in one
rename, under a lock on the parent folder, so an interrupted run leaves the
previous model intact and two concurrent runs cannot mix their files.
"""

import contextlib
import datetime
import errno
import hashlib
import json
import os
import shutil
import tempfile
import zipfile

import numpy as np

from .catalog import Catalog
from .errors import ModelError
from .vectors import ArtistVectors, unit_rows

FORMAT_VERSION = 1
VECTORS_FILE = "vectors.npy"
CATALOG_FILE = "catalog.npz"
METADATA_FILE = "metadata.json"
REBUILD_HINT = "rebuild it with: python train_item2vec.py --data DIR --out {folder}"


class Model:
    """A loaded model: vectors, catalogue and metadata. Read-only."""

    def __init__(self, vectors, catalog, metadata, path=None):
        self.vectors = vectors
        self.catalog = catalog
        self.metadata = metadata
        self.path = path

    @property
    def min_count(self):
        return int(self.metadata.get("hyperparameters", {}).get("min_count", 1))


# -- writing --------------------------------------------------------------------------------


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _write_npz(path, arrays):
    """Like ``np.savez`` but byte-reproducible: fixed member order and timestamps."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]), allow_pickle=False)


def _encode_names(names):
    encoded = [n.encode("utf-8") for n in names]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def _fsync_dir(path):
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _locked(folder):
    """Exclusive lock on ``folder`` (a directory fd), so swaps in it are serialised."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            import fcntl
            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - not POSIX: no lock, rename is still atomic per file
            pass
        yield
    finally:
        os.close(fd)


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
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    unit = unit_rows(vectors)
    if not np.isfinite(unit).all():
        raise ModelError("training produced non-finite vectors; refusing to save them")
    names_utf8, names_offsets = _encode_names(catalog.names)
    vector_ids = np.asarray(artist_ids, dtype=np.int64)
    tmp = tempfile.mkdtemp(prefix=os.path.basename(out_dir) + ".tmp-", dir=parent)
    try:
        np.save(os.path.join(tmp, VECTORS_FILE), unit, allow_pickle=False)
        _write_npz(os.path.join(tmp, CATALOG_FILE), {
            "artist_ids": catalog.ids, "listeners": catalog.listeners.astype(np.int64),
            "names_utf8": names_utf8, "names_offsets": names_offsets,
            "listen_indptr": catalog.listen_indptr, "listen_users": catalog.listen_users,
            "vector_ids": vector_ids,
        })
        metadata = dict(metadata)
        metadata["format_version"] = FORMAT_VERSION
        metadata["n_vectors"] = int(unit.shape[0])
        metadata["vector_size"] = int(unit.shape[1])
        metadata["n_artists"] = len(catalog)
        metadata["files"] = {name: _sha256(os.path.join(tmp, name)) for name in (VECTORS_FILE, CATALOG_FILE)}
        with open(os.path.join(tmp, METADATA_FILE), "w", encoding="utf-8") as handle:
            json.dump(metadata, handle, indent=2, sort_keys=True, ensure_ascii=False)
            handle.write("\n")
        for name in (VECTORS_FILE, CATALOG_FILE, METADATA_FILE):
            with open(os.path.join(tmp, name), "rb") as handle:
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o755)
        _swap_into_place(tmp, out_dir, parent)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno == errno.ENOSPC:
            raise ModelError(f"{out_dir}: disk full while writing the model; the previous model "
                             f"(if any) is untouched") from None
        raise ModelError(f"{out_dir}: cannot write the model: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return metadata


def _swap_into_place(tmp, out_dir, parent):
    with _locked(parent):
        old = None
        if os.path.lexists(out_dir):
            if not os.path.isdir(out_dir):
                raise ModelError(f"{out_dir}: exists and is not a folder")
            old = tempfile.mkdtemp(prefix=os.path.basename(out_dir) + ".old-", dir=parent)
            os.rmdir(old)
            os.rename(out_dir, old)
        try:
            os.rename(tmp, out_dir)
        except BaseException:
            if old is not None:
                os.rename(old, out_dir)
            raise
        _fsync_dir(parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def build_metadata(config, dataset, seconds, n_sentences, n_tokens, extra=None):
    """Facts about a training run, for ``metadata.json``."""
    import platform
    import dataclasses
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for module in ("gensim", "pandas"):
        with contextlib.suppress(ImportError):
            versions[module] = __import__(module).__version__
    meta = {
        "hyperparameters": dataclasses.asdict(config),
        "data": {"format": dataset.format, "sha256": dataset.checksums, "repairs": dataset.repairs,
                 "rows": int(len(dataset.plays)), "users": dataset.n_users,
                 "artists": int(len(dataset.artists))},
        "corpus": {"sentences": int(n_sentences), "tokens": int(n_tokens)},
        "library_versions": versions,
        "training_seconds": round(float(seconds), 2),
        "created": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
    }
    meta.update(extra or {})
    return meta


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
    hint = REBUILD_HINT.format(folder=folder)

    def fail(problem):
        return ModelError(f"model {folder}: {problem}; {hint}")

    if not os.path.isdir(folder):
        raise fail("folder not found")
    for name in (METADATA_FILE, VECTORS_FILE, CATALOG_FILE):
        if not os.path.isfile(os.path.join(folder, name)):
            raise fail(f"{name} is missing")
    try:
        with open(os.path.join(folder, METADATA_FILE), encoding="utf-8") as handle:
            metadata = json.load(handle)
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(f"{METADATA_FILE} is not valid JSON ({exc})") from None
    if not isinstance(metadata, dict):
        raise fail(f"{METADATA_FILE} is not a JSON object")
    version = metadata.get("format_version")
    if version != FORMAT_VERSION:
        raise fail(f"format version {version!r} is not supported (this program reads "
                   f"version {FORMAT_VERSION})")
    if verify:
        expected = metadata.get("files")
        if not isinstance(expected, dict):
            raise fail(f"{METADATA_FILE} lists no file checksums")
        for name in (VECTORS_FILE, CATALOG_FILE):
            if _sha256(os.path.join(folder, name)) != expected.get(name):
                raise fail(f"{name} does not match its checksum in {METADATA_FILE} "
                           f"(truncated, damaged, or from another training run)")
    try:
        unit = np.load(os.path.join(folder, VECTORS_FILE), mmap_mode="r", allow_pickle=False)
        with np.load(os.path.join(folder, CATALOG_FILE), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise fail(f"cannot read arrays ({exc})") from None
    required = ("artist_ids", "listeners", "names_utf8", "names_offsets", "listen_indptr",
                "listen_users", "vector_ids")
    missing = [k for k in required if k not in arrays]
    if missing:
        raise fail(f"{CATALOG_FILE} lacks {', '.join(missing)}")
    if unit.ndim != 2 or unit.dtype != np.float32:
        raise fail(f"{VECTORS_FILE} holds {unit.dtype} of shape {unit.shape}, expected 2-D float32")
    ids, offsets, vector_ids = arrays["artist_ids"], arrays["names_offsets"], arrays["vector_ids"]
    n = len(ids)
    problems = [
        (len(vector_ids) == unit.shape[0], f"{len(vector_ids)} vector ids for {unit.shape[0]} vectors"),
        (len(arrays["listeners"]) == n and len(offsets) == n + 1 and len(arrays["listen_indptr"]) == n + 1,
         "artist tables of different lengths"),
        (n == 0 or bool(np.all(np.diff(ids) > 0)), "artist ids not sorted"),
        (len(vector_ids) == 0 or bool(np.all(np.diff(vector_ids) > 0)), "vector ids not sorted"),
        (bool(np.isin(vector_ids, ids).all()), "vector ids missing from the artist table"),
        (offsets[-1] == len(arrays["names_utf8"]) if len(offsets) else False, "names table truncated"),
        (arrays["listen_indptr"][-1] == len(arrays["listen_users"]) if n else True,
         "listener table truncated"),
    ]
    for ok, problem in problems:
        if not ok:
            raise fail(f"inconsistent files: {problem}")
    if not np.isfinite(unit).all():
        raise fail(f"{VECTORS_FILE} contains NaN or infinite values")
    try:
        blob = arrays["names_utf8"].tobytes()
        names = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    except UnicodeDecodeError:
        raise fail("names table is not valid UTF-8") from None
    catalog = Catalog(ids, names, arrays["listeners"], arrays["listen_indptr"], arrays["listen_users"])
    return Model(ArtistVectors(vector_ids, unit), catalog, metadata, path=folder)
