"""Training members in other processes: fresh interpreters on the pinned BLAS kernels, one clean stop.

Word2Vec with one worker thread is single-threaded, so a bag's members run in parallel
processes, one per core. The processes are *spawned*, not forked: fresh interpreters with
no copied gensim, BLAS or thread state, whose environment carries the pinned
``OPENBLAS_CORETYPE`` from their start (:mod:`.blas`), so a member's bytes do not depend on
which process trains it or on what the parent imported before. Ctrl-C reaches the parent
alone, which terminates the members; a parent killed outright takes them with it (Linux).
"""

import concurrent.futures
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys

from . import blas

logger = logging.getLogger(__name__)

__all__ = ["run_in_processes"]


#: Linux's prctl option that sends this process a signal when its parent dies.
PR_SET_PDEATHSIG = 1


def _member_init(parent):
    """Set up a member process: no Ctrl-C of its own, and no life after its parent's."""
    # Ctrl-C in a terminal reaches the whole process group: the parent alone handles it
    # (and terminates the members), so they print no tracebacks of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _stop_with_parent(parent)


def _stop_with_parent(parent):
    # A parent killed outright (SIGKILL, or SIGTERM, which it does not catch) cannot stop
    # its members; Linux can, when asked. Elsewhere a member finishes its current job and
    # exits when it finds the parent gone.
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _stop(pool):
    """Shut ``pool`` down now: cancel what has not started, terminate and reap its processes."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.join()


def run_in_processes(function, jobs, processes):
    """``function(*job)`` for every job, in at most ``processes`` spawned processes at once.

    Parameters
    ----------
    function : callable
        A module-level function (the processes import it by name).
    jobs : list of tuple
        Arguments of each call (pickled to the processes).
    processes : int

    Yields
    ------
    index, result
        As each call finishes: its index in ``jobs`` and what it returned. An exception in
        a call, an interrupt (KeyboardInterrupt) or closing the generator terminates every
        process: nothing is left running. Callers wrap it in :func:`contextlib.closing`, so
        that leaving their loop early (an exception of their own) closes it at once.
    """
    blas.pin_kernels()  # before the processes start: they inherit the environment
    pool = concurrent.futures.ProcessPoolExecutor(
        max(1, min(processes, len(jobs))),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_member_init,
        initargs=(os.getpid(),),
    )
    try:
        futures = {pool.submit(function, *job): i for i, job in enumerate(jobs)}
        for future in concurrent.futures.as_completed(futures):
            yield futures[future], future.result()
    except BaseException:  # KeyboardInterrupt and GeneratorExit too
        _stop(pool)
        raise
    pool.shutdown(wait=True)
