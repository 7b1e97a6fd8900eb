"""Replacing a folder as a whole: atomically, under locks, and recoverably after a kill.

The model folder's format is :mod:`item2vec.model.storage`; this module only knows which file
names belong in such a folder (``files``, the metadata file first) and how to swap one
folder for another safely:

* a save writes a temporary sibling folder, then, under an exclusive lock on the parent,
  renames the previous folder aside and the new one into place (two renames);
* readers load under a shared lock, so they never see the instant between the renames;
* a run killed between the renames left the previous folder aside: the next load or
  save renames it back (:func:`recover`);
* only folders holding nothing but ``files`` are ever replaced or deleted, so a user's
  own files are never touched.
"""

import contextlib
import errno
import logging
import os
import re
import shutil
import stat

from ..errors import ModelError, OutputFolderError

logger = logging.getLogger(__name__)

#: The swap moves the previous folder aside under this suffix; only folders named so (and
#: holding only model files) are ever deleted, so a user's own "models.old-backup" is safe.
ASIDE_INFIX = ".old-item2vec-"


def fsync_dir(path, strict=False):
    """Make a folder's entries (new files, renames) durable.

    Not ``strict`` (after a rename, when the model is already in place) an error is
    ignored: saying the save failed would be false. ``strict`` (the temp folder, before
    its rename) it is raised, except where the file system cannot fsync a folder at all.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        if strict and exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise


@contextlib.contextmanager
def locked(folder, shared=False):
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


def list_folder(folder):
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


def only_ours(names, files):
    """Whether a folder's entries are all among ``files``, the names this tool writes into it."""
    return set(names) <= set(files)


def hold(folder):
    """An fd holding an exclusive lock on ``folder`` while this process lives (None without flock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    fd = os.open(folder, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def remove_dead_temps(out_dir, files):
    """Delete ``NAME.tmp-*`` folders of saves that were killed; call under the exclusive lock.

    A live save holds a lock on its temp folder (:func:`hold`), released by the kernel
    when its process dies; a folder that can be locked has no writer left. Only folders
    named by ``mkdtemp`` and holding nothing but model files are considered.
    """
    import fcntl
    import glob

    pattern = re.compile(re.escape(os.path.basename(out_dir)) + r"\.tmp-[a-z0-9_]{8}")
    for path in sorted(glob.glob(glob.escape(out_dir) + ".tmp-*")):  # the same order every run
        entries = list_folder(path)
        if (
            not pattern.fullmatch(os.path.basename(path))
            or entries in (None, False)
            or not only_ours(entries, files)
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
def interrupts_deferred():
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


def write_error(out_dir, exc):
    if exc.errno == errno.ENOSPC:
        return ModelError(
            f"{out_dir}: disk full while writing the model; the previous model (if any) is untouched"
        )
    return ModelError(
        f"{out_dir}: cannot write the model: {exc.strerror or exc}; the previous model (if any) is untouched"
    )


def check_replaceable(out_dir, files):
    """Refuse an ``out_dir`` that is a file, or a folder holding anything this tool did not write."""
    entries = list_folder(out_dir)
    if entries is False:
        # A usage error (exit 2): --out names a file, which training never replaces.
        raise OutputFolderError(f"{out_dir}: exists and is a file, not a folder; give --out a folder")
    foreign = sorted(set(entries or ()) - set(files))
    if foreign:
        shown = ", ".join(repr(n) for n in foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise OutputFolderError(
            f"{out_dir}: is not a model folder (it holds {shown}) and training replaces the whole "
            f"--out folder; give --out a new or empty folder, or a folder this program wrote"
        )


def check_writable(out_dir, files):
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
        with locked(parent, shared=True):
            check_replaceable(out_dir, files)
        os.makedirs(parent, exist_ok=True)
        import tempfile

        with locked(parent, shared=True):
            os.rmdir(tempfile.mkdtemp(prefix=os.path.basename(out_dir) + ".tmp-", dir=parent))
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        if isinstance(exc, OSError):
            raise write_error(out_dir, exc) from None
        raise ModelError(f"{out_dir}: not a usable folder name ({exc})") from None
    return parent


def asides(out_dir, files):
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
        entries = list_folder(path)
        if entries is None or entries is False or not only_ours(entries, files):
            continue
        if set(entries) == set(files):
            complete.append(path)
        if ours.fullmatch(name):
            stale.append(path)
    complete.sort(key=lambda p: os.path.getmtime(os.path.join(p, files[0])), reverse=True)
    return complete, stale


def recover(out_dir, files):
    """Undo what a swap killed between its renames left; call under the exclusive lock.

    The target missing and a complete previous model aside: rename it back. Returns the
    folder to read the model from: ``out_dir``, or the aside folder when it cannot be
    renamed (no write permission), or None when there is nothing to recover.
    """
    if os.path.lexists(out_dir):
        return out_dir
    complete, _ = asides(out_dir, files)
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
    fsync_dir(os.path.dirname(out_dir))
    return out_dir


def swap_into_place(tmp, out_dir, parent, files):
    with locked(parent), interrupts_deferred():
        recover(out_dir, files)
        check_replaceable(out_dir, files)  # again: files may have appeared during training
        for path in asides(out_dir, files)[1]:
            shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(ImportError):
            remove_dead_temps(out_dir, files)
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
        fsync_dir(parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
