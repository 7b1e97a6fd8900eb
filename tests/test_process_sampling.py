"""The benchmarks' sampler of process trees (item2vec.research.process_sampling), on real processes."""

import subprocess
import sys
import time

import pytest

from item2vec.research.process_sampling import Sampler, descendants, process_table

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

#: A process that holds MB megabytes (touched) and forks a child that shares them (copy on write),
#: burns CPU and says so; both then wait for their standard input to close.
SHARING = """
import os, sys, time
block = bytearray(MB << 20)
for i in range(0, len(block), 4096):
    block[i] = 1
if os.fork() == 0:
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    print("ready", flush=True)
    sys.stdin.read()
    os._exit(0)
sys.stdin.read()
"""


def _sampled(megabytes):
    child = subprocess.Popen(
        [sys.executable, "-c", SHARING.replace("MB", str(megabytes))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    sampler = Sampler(child.pid, interval=0.05)
    try:
        sampler.start()
        assert child.stdout.readline() == "ready\n"
        time.sleep(0.2)
        tree = [child.pid, *descendants(child.pid)]
    finally:
        child.stdin.close()
        child.wait()
        child.stdout.close()
        sampler.done.set()
        sampler.join()
    return sampler.figures(), tree


def test_shared_pages_count_once_and_cpu_is_the_trees():
    figures, tree = _sampled(200)
    assert len(tree) == 2  # the process and its fork, found under the root
    # Plain RSS would count the 200 MB twice (over 400 MB): PSS shares them out.
    assert 200 <= figures["driver_peak_mb"] < 300
    assert figures["driver_cpu_s"] >= 0.25  # the fork's busy loop, counted in the tree
    assert figures["executor_cpu_s"] is None and figures["executor_peak_mb"] is None
    assert 0 < figures["sampler_cpu_s"] < figures["driver_cpu_s"]


def test_process_table_knows_this_process_and_its_parent():
    import os

    table = process_table()
    parent, start, cpu = table[os.getpid()]
    assert parent == os.getppid() and start > 0 and cpu > 0
    assert os.getpid() in descendants(os.getppid(), table)


def test_pss_is_read_again_only_when_the_tree_may_share_otherwise(monkeypatch):
    """smaps_rollup (costly: it walks the page tables) is read at first sight, every PSS_REFRESH_S,
    or when the tree changes, not at every sample."""
    from item2vec.research import process_sampling

    reads = []
    real = process_sampling._pss_mb
    monkeypatch.setattr(process_sampling, "_pss_mb", lambda pid: reads.append(pid) or real(pid))
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline() == "ready\n"  # started: its memory holds still
        tree = process_sampling.Tree(child.pid, refresh=5.0)
        for tick in range(10):  # 2 s of samples 0.2 s apart
            mb, root_mb, _, _ = tree.sample(process_table(), 1000.0 + 0.2 * tick)
            assert mb == root_mb > 0
        assert reads == [child.pid]
        tree.sample(process_table(), 1005.0)
        assert reads == [child.pid] * 2
    finally:
        child.stdin.close()
        child.wait()
        child.stdout.close()
    tree.sample(process_table(), 1005.2)  # the process left: nothing to read
    assert reads == [child.pid] * 2
