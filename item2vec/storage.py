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
import errno
import json
import logging
import os
import re
import shutil
import stat
import zipfile

import numpy as np

from .catalog import Catalog
from .errors import ModelError, OutputFolderError
from .files import sha256_file
from .vectors import ArtistVectors, unit_rows

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
VECTORS_FILE = "vectors.npy"
CATALOG_FILE = "catalog.npz"
METADATA_FILE = "metadata.json"
MODEL_FILES = (METADATA_FILE, VECTORS_FILE, CATALOG_FILE)
#: The swap moves the previous model aside under this suffix; only folders named so (and
#: holding only model files) are ever deleted, so a user's own "models.old-backup" is safe.
ASIDE_INFIX = ".old-item2vec-"
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
def _locked(folder, shared=False):
    """Lock ``folder`` (a directory fd): exclusive for a swap, shared for a reader.

    Writers swap under the exclusive lock and readers load under the shared one, so a
    reader never sees the instant between the two renames when the target is missing.
    A folder that cannot be opened (no permission) is not locked: the renames are
    still atomic one by one.
    """
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - not POSIX: no lock, rename is still atomic per file
            pass
        yield
    finally:
        os.close(fd)


def _entries(folder):
    """Names in ``folder``; None when it does not exist, ``False`` when it is not a folder."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return False
    try:
        return os.listdir(folder)
    except FileNotFoundError:  # renamed away between the two calls: as good as absent
        return None


def _only_ours(names):
    """Whether a folder's entries are all files this tool writes into a model folder."""
    return set(names) <= set(MODEL_FILES)


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
    vector_ids = np.asarray(artist_ids, dtype=np.int64)
    try:
        import tempfile  # write path only: keeps ask.py's start-up lean

        # Created and locked under the shared parent lock: a later save deletes a temp
        # folder only when it can lock it, i.e. when the run that wrote it is dead.
        with _locked(parent, shared=True):
            tmp = tempfile.mkdtemp(prefix=os.path.basename(out_dir) + ".tmp-", dir=parent)
            held = _hold(tmp)
    except OSError as exc:
        raise _write_error(out_dir, exc) from None
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
        _swap_into_place(tmp, out_dir, parent)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _write_error(out_dir, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if held is not None:
            os.close(held)
    return metadata


def _hold(folder):
    """An fd holding an exclusive lock on ``folder`` while this process lives (None without flock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    fd = os.open(folder, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _remove_dead_temps(out_dir):
    """Delete ``NAME.tmp-*`` folders of saves that were killed; call under the exclusive lock.

    A live save holds a lock on its temp folder (:func:`_hold`), released by the kernel
    when its process dies; a folder that can be locked has no writer left. Only folders
    named by ``mkdtemp`` and holding nothing but model files are considered.
    """
    import fcntl
    import glob

    pattern = re.compile(re.escape(os.path.basename(out_dir)) + r"\.tmp-[a-z0-9_]{8}")
    for path in glob.glob(glob.escape(out_dir) + ".tmp-*"):
        entries = _entries(path)
        if (
            not pattern.fullmatch(os.path.basename(path))
            or entries in (None, False)
            or not _only_ours(entries)
        ):
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live save is writing it
        else:
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _interrupts_deferred():
    """Hold Ctrl-C (SIGINT, SIGTERM) until the block ends, then deliver it.

    The swap is two renames; a signal between them would leave no model at the
    target name, and a second Ctrl-C could stop the restore. Python runs signal
    handlers in the main thread only, so elsewhere there is nothing to defer.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []
    saved = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is None:  # installed outside Python: cannot be restored
            continue
        with contextlib.suppress(OSError, ValueError):
            saved[signum] = signal.signal(signum, lambda number, frame: pending.append(number))
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        if pending:
            handler = saved.get(pending[0])
            if callable(handler):
                handler(pending[0], None)  # the default SIGINT handler raises KeyboardInterrupt
            else:
                signal.raise_signal(pending[0])


def _write_error(out_dir, exc):
    if exc.errno == errno.ENOSPC:
        return ModelError(
            f"{out_dir}: disk full while writing the model; the previous model (if any) is untouched"
        )
    return ModelError(
        f"{out_dir}: cannot write the model: {exc.strerror or exc}; the previous model (if any) is untouched"
    )


def _check_replaceable(out_dir):
    """Refuse an ``out_dir`` that is a file, or a folder holding anything this tool did not write."""
    entries = _entries(out_dir)
    if entries is False:
        raise ModelError(f"{out_dir}: exists and is not a folder")
    foreign = sorted(set(entries or ()) - set(MODEL_FILES))
    if foreign:
        shown = ", ".join(repr(n) for n in foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise OutputFolderError(
            f"{out_dir}: is not a model folder (it holds {shown}) and training replaces the whole "
            f"--out folder; give --out a new or empty folder, or a folder this program wrote"
        )


def check_writable(out_dir):
    """Create the parent of ``out_dir`` if needed and prove a model can be written there.

    Called before training, so that a bad ``--out`` fails in a second, not after
    the whole run. Returns the parent folder; raises ModelError, or
    OutputFolderError when ``out_dir`` holds files that are not a model's.
    """
    out_dir = os.path.abspath(os.fspath(out_dir))
    parent = os.path.dirname(out_dir)
    try:
        # One lstat under the lock: a concurrent save renames the folder aside and back,
        # and two separate checks could see it exist and then not be a folder.
        with _locked(parent, shared=True):
            _check_replaceable(out_dir)
        os.makedirs(parent, exist_ok=True)
        import tempfile

        with _locked(parent, shared=True):
            os.rmdir(tempfile.mkdtemp(prefix=os.path.basename(out_dir) + ".tmp-", dir=parent))
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        if isinstance(exc, OSError):
            raise _write_error(out_dir, exc) from None
        raise ModelError(f"{out_dir}: not a usable folder name ({exc})") from None
    return parent


def _asides(out_dir):
    """Folders beside ``out_dir`` that a swap moved the previous model into, newest first.

    Returns (complete, stale): ``complete`` hold the three model files and only them;
    ``stale`` are named by this program's swap and hold nothing but model files (a run
    killed after its second rename, or while deleting the previous model). Older
    versions named the aside folder ``NAME.old-XXXXXXXX``: those count as complete, never
    as stale, so a user's own ``NAME.old-something`` is never deleted.
    """
    import glob

    base = re.escape(os.path.basename(out_dir))
    ours = re.compile(base + re.escape(ASIDE_INFIX) + r"[a-z0-9_]{8}")
    earlier = re.compile(base + r"\.old-[a-z0-9_]{8}")  # tempfile.mkdtemp's 8 random characters
    complete, stale = [], []
    for path in glob.glob(glob.escape(out_dir) + ".old-*"):
        name = os.path.basename(path)
        if not (ours.fullmatch(name) or earlier.fullmatch(name)):
            continue
        entries = _entries(path)
        if entries is None or entries is False or not _only_ours(entries):
            continue
        if set(entries) == set(MODEL_FILES):
            complete.append(path)
        if ours.fullmatch(name):
            stale.append(path)
    complete.sort(key=lambda p: os.path.getmtime(os.path.join(p, METADATA_FILE)), reverse=True)
    return complete, stale


def _recover(out_dir):
    """Undo what a swap killed between its renames left; call under the exclusive lock.

    The target missing and a complete previous model aside: rename it back. Returns the
    folder to read the model from: ``out_dir``, or the aside folder when it cannot be
    renamed (no write permission), or None when there is nothing to recover.
    """
    if os.path.lexists(out_dir):
        return out_dir
    complete, _ = _asides(out_dir)
    if not complete:
        return None
    try:
        os.rename(complete[0], out_dir)
    except OSError as exc:
        logger.warning(
            "a run killed while replacing %s left the previous model in %s; cannot rename it back (%s): "
            "reading it from there",
            out_dir,
            complete[0],
            exc.strerror or exc,
        )
        return complete[0]
    logger.warning("put back the previous model that a killed run left in %s", complete[0])
    _fsync_dir(os.path.dirname(out_dir))
    return out_dir


def _swap_into_place(tmp, out_dir, parent):
    with _locked(parent), _interrupts_deferred():
        _recover(out_dir)
        _check_replaceable(out_dir)  # again: files may have appeared during training
        for path in _asides(out_dir)[1]:
            shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(ImportError):
            _remove_dead_temps(out_dir)
        old = None
        try:
            if os.path.lexists(out_dir):
                import tempfile

                old = tempfile.mkdtemp(prefix=os.path.basename(out_dir) + ASIDE_INFIX, dir=parent)
                os.rmdir(old)
                os.rename(out_dir, old)
            os.rename(tmp, out_dir)
        except BaseException:
            # Put the previous model back, whichever step failed.
            if old is not None and os.path.isdir(old) and not os.path.lexists(out_dir):
                os.rename(old, out_dir)
            raise
        _fsync_dir(parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


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
    with _locked(parent, shared=True):
        if os.path.lexists(target) or not _asides(target)[0]:
            return _load(folder, verify)
    # A run killed between the renames left no model here and the previous one aside.
    with _locked(parent):
        source = _recover(target)
        return _load(folder if source in (None, target) else source, verify)


def _load(folder, verify):
    hint = REBUILD_HINT.format(folder=folder)

    def fail(problem, advice=hint):
        return ModelError(f"model {folder}: {problem}; {advice}")

    if os.path.exists(folder) and not os.path.isdir(folder):
        raise fail("is a file, not a model folder")
    if not os.path.isdir(folder):
        raise fail("folder not found")
    entries = _entries(folder) or []
    missing = [name for name in MODEL_FILES if not os.path.isfile(os.path.join(folder, name))]
    if missing and not _only_ours(entries):
        # Not a damaged model but some other folder: advising --out here would have
        # the trainer refuse it (it never replaces files it did not write).
        foreign = sorted(set(entries) - set(MODEL_FILES))
        raise fail(
            f"not a model folder (no {missing[0]}; it holds {', '.join(repr(n) for n in foreign[:3])})",
            "give --model the folder that train_item2vec.py wrote",
        )
    if missing:
        raise fail(f"{missing[0]} is missing")
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
    if verify:
        expected = metadata.get("files")
        if not isinstance(expected, dict):
            raise fail(f"{METADATA_FILE} lists no file checksums")
        for name in (VECTORS_FILE, CATALOG_FILE):
            if sha256_file(os.path.join(folder, name)) != expected.get(name):
                raise fail(
                    f"{name} does not match its checksum in {METADATA_FILE} "
                    f"(truncated, damaged, or from another training run)"
                )
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
    required = (
        "artist_ids",
        "listeners",
        "names_utf8",
        "names_offsets",
        "listen_indptr",
        "listen_users",
        "vector_ids",
    )
    missing = [k for k in required if k not in arrays]
    if missing:
        raise fail(f"{CATALOG_FILE} lacks {', '.join(missing)}")
    if unit.ndim != 2 or unit.dtype != np.float32:
        raise fail(f"{VECTORS_FILE} holds {unit.dtype} of shape {unit.shape}, expected 2-D float32")
    for key in required:
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
    if not np.isfinite(unit).all():
        raise fail(f"{VECTORS_FILE} contains NaN or infinite values")
    # Rows are stored unit-length (a zero row stays zero); anything else is not our file.
    norms = np.linalg.norm(unit, axis=1)
    if not bool(np.all((np.abs(norms - 1) < 1e-3) | (norms == 0))):
        raise fail(f"{VECTORS_FILE} holds vectors that are not unit length")
    try:
        blob = arrays["names_utf8"].tobytes()
        names = [
            blob[a:b].decode("utf-8")
            for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
        ]
    except UnicodeDecodeError:
        raise fail("names table is not valid UTF-8") from None
    catalog = Catalog(ids, names, arrays["listeners"], arrays["listen_indptr"], arrays["listen_users"])
    return Model(ArtistVectors(vector_ids, unit), catalog, metadata, path=folder)
