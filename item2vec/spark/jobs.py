"""Spark jobs started from threads of the driver: several at once, a progress bar, Ctrl-C cancels them.

Spark runs the jobs of several driver threads side by side, each in as many tasks as its
stages have partitions: a short job's fixed costs (planning, the sampling a sort needs,
a single-task write) then overlap with the others' work instead of leaving cores idle.
"""

import os
import threading
import time


def completed_tasks(sc, group):
    """Tasks finished so far by the jobs of ``group`` (Spark's status tracker)."""
    tracker = sc.statusTracker()
    done = 0
    for job in tracker.getJobIdsForGroup(group):
        info = tracker.getJobInfo(job)
        for stage in info.stageIds if info else ():
            stage_info = tracker.getStageInfo(stage)
            done += stage_info.numCompletedTasks if stage_info else 0
    return done


def run_jobs(sc, calls, desc, unit, progress=True, total=None, count_tasks=False):
    """Run each of ``calls`` (functions running Spark jobs) in a thread of its own, all at once.

    Parameters
    ----------
    sc : pyspark.SparkContext
    calls : list of callable
    desc, unit : str
        The progress bar's label and unit.
    progress : bool
    total : int, optional
        The bar's total (default: one per call).
    count_tasks : bool
        Advance the bar per finished Spark task of these jobs, not per finished call.

    Returns
    -------
    list
        What each call returned, in order.

    Raises
    ------
    The first call's exception (the other jobs are then cancelled); KeyboardInterrupt after
    cancelling every job.
    """
    from tqdm.auto import tqdm

    group = f"item2vec-{os.getpid()}-{time.monotonic_ns()}"
    results, errors = [None] * len(calls), []

    def run(index, call):
        sc.setJobGroup(group, desc, interruptOnCancel=True)
        try:
            results[index] = call()
        except BaseException as exc:  # handed to the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    with tqdm(total=total or len(calls), desc=desc, unit=unit, disable=not progress) as bar:
        try:
            while any(t.is_alive() for t in threads) and not errors:
                next(t for t in threads if t.is_alive()).join(0.5)
                done = completed_tasks(sc, group) if count_tasks else sum(not t.is_alive() for t in threads)
                if min(done, bar.total) > bar.n:
                    bar.update(min(done, bar.total) - bar.n)
        except KeyboardInterrupt:
            _cancel(sc, group, threads)
            raise
    if errors:
        _cancel(sc, group, threads)
        raise errors[0]
    return results


def _cancel(sc, group, threads):
    sc.cancelJobGroup(group)
    for thread in threads:
        thread.join(30)
