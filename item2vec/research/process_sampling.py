"""Memory and CPU of process trees on this machine, sampled from ``/proc`` (Linux), for the benchmarks.

A benchmark that samples the processes it measures shares the machine's cores with them,
so the sampling must cost little. Per tick it makes one pass over ``/proc/*/stat`` (the
process tree and every process's CPU seconds, :func:`process_table`) and reads each
tree process's resident pages from ``/proc/PID/statm``: both are counters the kernel keeps,
cheap to read. The memory reported is PSS (shared pages divided among the processes that
share them: a process forked by a JVM shares all of the JVM's pages until it runs its
program, and would count them twice as plain RSS), but ``/proc/PID/smaps_rollup``, the only
place the kernel tells a process's PSS, walks the process's page tables: about 15 ms of CPU
per GB resident, so reading it every 0.2 s for a cluster's executors (several GB) kept about
a fifth of a core busy, taken from the executors being measured. :class:`Tree` reads it
only when what is shared may have changed, or every few seconds, and in between reports
the RSS less the shared part found at that read.
"""

import contextlib
import os
import threading
import time

__all__ = ["Sampler", "Tree", "cpu_seconds", "descendants", "process_table"]

#: The kernel's units: clock ticks per second (CPU times) and bytes per page (statm).
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
#: Seconds between two PSS reads of one process (:class:`Tree`).
PSS_REFRESH_S = 5.0
#: A process whose RSS moved by more than this share since its last PSS read has its tree's PSS
#: read again.
MOVED_SHARE = 0.25


def _stat(pid):
    """The fields of ``/proc/PID/stat`` after the command name (the state is field 0)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        return handle.read().rsplit(")", 1)[1].split()


def _cpu(fields):
    # utime and stime of the process itself: a parent's count of its reaped children
    # (cutime, cstime) would count them twice in a tree.
    return sum(int(f) for f in fields[11:13]) / CLOCK_TICKS


def process_table():
    """Every live process in one pass over ``/proc``: ``{pid: (parent pid, start time, CPU seconds)}``.

    The start time (clock ticks after boot) tells a process from a later one that got its
    process id again.
    """
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = _stat(name)
                table[int(name)] = (int(fields[1]), int(fields[19]), _cpu(fields))
    return table


def descendants(pid, table=None):
    """The live descendants of ``pid``, children before grandchildren (``table``: :func:`process_table`,
    read now if not given)."""
    table = process_table() if table is None else table
    children = {}
    for child, (parent, *_) in table.items():
        children.setdefault(parent, []).append(child)
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop(0)
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def cpu_seconds(pid):
    """CPU seconds (user and system) of ``pid`` itself, from ``/proc``; None once it ended.

    Its children are not included (a parent counts its reaped children, which would count
    them twice in a tree)."""
    try:
        return _cpu(_stat(pid))
    except (OSError, IndexError):
        return None


def _rss_mb(pid):
    """Resident memory of ``pid`` in MB (``/proc/PID/statm``), None once it ended."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * PAGE_BYTES / 2**20
    except (OSError, IndexError, ValueError):
        return None


def _pss_mb(pid):
    """PSS of ``pid`` in MB (``/proc/PID/smaps_rollup``: costly, see the module docstring), None once
    it ended."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            return next((int(line.split()[1]) for line in handle if line.startswith("Pss:")), 0) / 1024
    except (OSError, IndexError, ValueError):
        return None


class Tree:
    """The processes under one root: their memory now, and CPU seconds that never go down (a process's
    last reading is kept after it ends).

    Memory is each process's PSS, read at most every ``refresh`` s (and at once for the whole
    tree when a process joins or leaves it, or a process's RSS moved by more than
    :data:`MOVED_SHARE` since its read: a fork shares its parent's pages, an exec or a growing
    heap changes what is shared); in between, its RSS less the part of it that was shared at
    the last read.
    """

    def __init__(self, root, refresh=PSS_REFRESH_S):
        self.root, self.refresh = root, refresh
        self.cpu = {}  # (pid, start) -> CPU seconds
        self.read = {}  # (pid, start) -> (time of the PSS read, RSS then, RSS - PSS then)
        self.members = set()

    def sample(self, table, now):
        """``(MB of the tree, MB of the root, CPU seconds of the tree, CPU seconds of the root)``, from
        ``table`` (:func:`process_table`)."""
        keys = {pid: table[pid][1] for pid in [self.root, *descendants(self.root, table)] if pid in table}
        for pid, start in keys.items():
            self.cpu[(pid, start)] = max(table[pid][2], self.cpu.get((pid, start), 0.0))
        memory = self._memory(keys, now)
        root = (self.root, keys.get(self.root))
        root_cpu = max((c for (pid, _), c in self.cpu.items() if pid == self.root), default=0.0)
        return sum(memory.values()), memory.get(root, 0.0), sum(self.cpu.values()), root_cpu

    def _memory(self, keys, now):
        rss = {}
        for pid, start in keys.items():
            value = _rss_mb(pid)
            if value is not None:
                rss[(pid, start)] = value
        changed = set(rss) != self.members or any(
            key not in self.read or abs(value - self.read[key][1]) > MOVED_SHARE * self.read[key][1]
            for key, value in rss.items()
        )
        self.members = set(rss)
        memory = {}
        for key, value in rss.items():
            if changed or key not in self.read or now - self.read[key][0] >= self.refresh:
                pss = _pss_mb(key[0])
                # None: it ended (or is ending) since: counted as nothing, and not read again.
                self.read[key] = (now, value, value if pss is None else max(0.0, value - pss))
            memory[key] = max(0.0, value - self.read[key][2])
        return memory


class Sampler(threading.Thread):
    """Every ``interval`` s, a sample ``(time, driver MB, driver CPU s, [MB of each worker's executors],
    executors' CPU s, the sampler's own CPU s)``.

    ``driver_pid``'s tree is the driver; each of ``worker_pids`` is a Spark worker's JVM, whose
    descendants (not itself) are its executors. The sampler's own CPU seconds (this thread's)
    are kept so a result can tell what measuring took from the machine. An exception that
    stopped the sampling is kept in ``error``.
    """

    def __init__(self, driver_pid, worker_pids=(), interval=0.2, refresh=PSS_REFRESH_S):
        super().__init__(daemon=True)
        self.driver = Tree(driver_pid, refresh)
        self.workers = [Tree(pid, refresh) for pid in worker_pids]
        self.interval, self.samples, self.done = interval, [], threading.Event()
        self.own_cpu, self.error = 0.0, None

    def run(self):
        try:
            self._sample()
        except BaseException as exc:  # told by the caller (measure) instead of dying unseen
            self.error = exc

    def _sample(self):
        while not self.done.is_set():
            own, now = time.thread_time(), time.time()
            table = process_table()
            driver_mb, _, driver_cpu, _ = self.driver.sample(table, now)
            executors, executor_cpu = [], 0.0
            for worker in self.workers:
                mb, worker_mb, cpu, worker_cpu = worker.sample(table, now)
                executors.append(mb - worker_mb)
                executor_cpu += cpu - worker_cpu
            self.own_cpu += time.thread_time() - own
            self.samples.append((now, driver_mb, driver_cpu, executors, executor_cpu, self.own_cpu))
            self.done.wait(self.interval)

    def between(self, start=None, end=None):
        """Samples from ``start`` to ``end``, and the first after ``end`` (a short stage may have none)."""
        inside = [
            s for s in self.samples if (start is None or s[0] >= start) and (end is None or s[0] <= end)
        ]
        after = [s for s in self.samples if end is not None and s[0] > end][:1]
        return inside + after

    def figures(self, start=None, end=None):
        """Driver peak MB, executor peak MB (largest one executor's tree), the CPU seconds of each and
        the sampler's own CPU seconds, from ``start`` to ``end``."""
        got = self.between(start, end)
        if not got:
            return {
                "driver_peak_mb": 0.0,
                "executor_peak_mb": None,
                "driver_cpu_s": 0.0,
                "executor_cpu_s": None,
                "sampler_cpu_s": 0.0,
            }
        before = [s for s in self.samples if start is not None and s[0] < start][-1:] or got[:1]
        executors = [max(s[3]) for s in got if s[3]]
        return {
            "driver_peak_mb": max(s[1] for s in got),
            "executor_peak_mb": max(executors) if executors else None,
            "driver_cpu_s": got[-1][2] - before[0][2],
            "executor_cpu_s": got[-1][4] - before[0][4] if self.workers else None,
            "sampler_cpu_s": got[-1][5] - before[0][5],
        }
