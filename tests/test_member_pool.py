"""The members' processes (training/member_pool.py) and the BLAS pin (training/blas.py), in-process.

The spawned processes themselves are exercised by the slow tests (tests/test_bagging.py,
tests/test_blas_kernels.py); these fast ones pin what the parent asks of them, with stand-ins
for the pool, libc and the CPU.
"""

import concurrent.futures
import logging
import os
import signal

import pytest

from item2vec.training import blas, member_pool


class Process:
    def __init__(self, events, name, fail=False):
        self.events, self.name, self.fail = events, name, fail

    def terminate(self):
        self.events.append(("terminate", self.name))
        if self.fail:
            raise OSError("already gone")

    def join(self):
        self.events.append(("join", self.name))


class Pool:
    """A ProcessPoolExecutor stand-in that runs each call at once, in this process."""

    made = []

    def __init__(self, workers, mp_context, initializer, initargs):
        self.made.append(self)
        self.setup = (workers, mp_context.get_start_method(), initializer, initargs)
        self.events = []
        self._processes = {1: Process(self.events, "a", fail=True), 2: Process(self.events, "b")}

    def submit(self, function, *args):
        future = concurrent.futures.Future()
        try:
            future.set_result(function(*args))
        except Exception as exc:  # noqa: BLE001 - handed to the caller as the pool would
            future.set_exception(exc)
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        self.events.append(("shutdown", wait, cancel_futures))


@pytest.fixture
def pool(monkeypatch):
    Pool.made = []
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(blas, "pin_kernels", lambda: os.environ.__setitem__("ITEM2VEC_TEST_PINNED", "1"))
    monkeypatch.delenv("ITEM2VEC_TEST_PINNED", raising=False)
    return Pool


def _divide(a, b):
    return a / b


def test_the_pool_spawns_at_most_one_process_per_job_after_pinning_the_kernels(pool):
    results = dict(member_pool.run_in_processes(_divide, [(6, 3), (1, 4), (9, 9)], 8))
    assert results == {0: 2.0, 1: 0.25, 2: 1.0}
    [made] = pool.made
    assert made.setup == (3, "spawn", member_pool._member_init, (os.getpid(),))
    assert os.environ["ITEM2VEC_TEST_PINNED"] == "1"  # before the processes start: they inherit it
    assert made.events == [("shutdown", True, False)]
    assert dict(member_pool.run_in_processes(_divide, [(1, 1)], 1)) == {0: 1.0}
    assert pool.made[1].setup[0] == 1
    assert dict(member_pool.run_in_processes(_divide, [], 4)) == {} and pool.made[2].setup[0] == 1


@pytest.mark.parametrize("how", ["a call fails", "the caller stops early"])
def test_a_failure_or_an_early_stop_terminates_and_reaps_every_process(pool, how):
    jobs = [(1, 0), (2, 1)] if how == "a call fails" else [(2, 1), (4, 1)]
    results = member_pool.run_in_processes(_divide, jobs, 2)
    if how == "a call fails":
        with pytest.raises(ZeroDivisionError):
            dict(results)
    else:
        next(results)
        results.close()
    # Every process terminated (one that is already gone does not stop the others), the
    # work not started cancelled, then every process reaped.
    assert pool.made[0].events == [
        ("terminate", "a"),
        ("terminate", "b"),
        ("shutdown", True, True),
        ("join", "a"),
        ("join", "b"),
    ]


def test_a_member_ignores_ctrl_c_and_stops_with_its_parent(monkeypatch):
    calls = []
    monkeypatch.setattr(signal, "signal", lambda *args: calls.append(("signal", *args)))
    monkeypatch.setattr(member_pool, "_stop_with_parent", lambda parent: calls.append(("parent", parent)))
    member_pool._member_init(1234)
    assert calls == [("signal", signal.SIGINT, signal.SIG_IGN), ("parent", 1234)]


class Libc:
    def __init__(self, calls, fail=None):
        self.calls, self.fail = calls, fail

    def prctl(self, *args):
        if self.fail:
            raise self.fail
        self.calls.append(("prctl", *args))


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_linux_asks_to_stop_a_member_with_its_parent_and_a_parent_already_gone_ends_it(monkeypatch, platform):
    calls = []
    monkeypatch.setattr(member_pool.sys, "platform", platform)
    monkeypatch.setattr(
        member_pool.ctypes,
        "CDLL",
        lambda name, use_errno: calls.append(("CDLL", name, use_errno)) or Libc(calls),
    )
    monkeypatch.setattr(member_pool.os, "_exit", lambda code: calls.append(("exit", code)))
    member_pool._stop_with_parent(os.getppid())
    if platform != "linux":
        assert calls == []
        return
    assert calls == [("CDLL", None, True), ("prctl", 1, int(signal.SIGTERM), 0, 0, 0)]
    calls.clear()
    member_pool._stop_with_parent(os.getppid() + 1)  # the parent died before the request
    assert calls[-1] == ("exit", 1)


@pytest.mark.parametrize("error", [OSError("no libc"), AttributeError("no prctl")])
def test_without_prctl_a_member_carries_on(monkeypatch, error):
    calls = []
    monkeypatch.setattr(member_pool.sys, "platform", "linux")
    monkeypatch.setattr(member_pool.ctypes, "CDLL", lambda name, use_errno: Libc(calls, fail=error))
    monkeypatch.setattr(member_pool.os, "_exit", lambda code: calls.append(("exit", code)))
    member_pool._stop_with_parent(os.getppid() + 1)
    assert calls == []


# -- the BLAS pin --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("machine", "flags", "wanted"),
    [
        ("x86_64", {"avx2", "fma", "sse4_2"}, "Haswell"),
        ("AMD64", {"avx2", "fma"}, "Haswell"),
        ("x86_64", {"avx2"}, None),  # no FMA: the CPU's own kernels
        ("x86_64", {"fma"}, None),
        ("aarch64", {"avx2", "fma"}, None),
    ],
)
def test_the_kernels_wanted_are_haswell_on_an_x86_cpu_with_avx2_and_fma(monkeypatch, machine, flags, wanted):
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    monkeypatch.setattr(blas.platform, "machine", lambda: machine)
    monkeypatch.setattr(blas, "_cpu_flags", lambda: flags)
    assert blas.wanted_kernels() == wanted
    assert blas.pin_kernels() == wanted
    assert os.environ.get("OPENBLAS_CORETYPE") == wanted
    monkeypatch.setenv("OPENBLAS_CORETYPE", "SkylakeX")  # the user's choice is kept
    assert blas.wanted_kernels() == blas.pin_kernels() == "SkylakeX" == os.environ["OPENBLAS_CORETYPE"]


def test_the_cpu_flags_come_from_proc_cpuinfo(monkeypatch, tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nmodel name\t: x\nflags\t\t: fpu avx2 fma\nflags\t\t: other\n", encoding="utf-8"
    )
    real_open = open
    monkeypatch.setattr(blas, "open", lambda path, **kw: real_open(info, **kw), raising=False)
    assert blas._cpu_flags() == {"fpu", "avx2", "fma"}  # the first flags line
    info.write_text("processor\t: 0\n", encoding="utf-8")
    assert blas._cpu_flags() == set()

    def unreadable(path, **kw):
        raise PermissionError(path)

    monkeypatch.setattr(blas, "open", unreadable, raising=False)
    assert blas._cpu_flags() == set()


def test_the_loaded_kernels_are_scipy_s_openblas_ones_not_numpy_s(monkeypatch, caplog):
    import threadpoolctl

    libraries = [
        {
            "internal_api": "openblas",
            "architecture": "Haswell",
            "filepath": "/v/scipy.libs/libscipy_openblas.so",
        },
        {
            "internal_api": "openblas",
            "architecture": "SkylakeX",
            "filepath": "/v/numpy.libs/libscipy_openblas.so",
        },
        {"internal_api": "openmp", "architecture": "x", "filepath": "/v/scipy.libs/libgomp.so"},
        {"internal_api": "openblas", "architecture": None, "filepath": "/v/lib/libopenblas.so"},
    ]
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: libraries)
    assert blas.loaded_kernels() == ["Haswell", ""]
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    with caplog.at_level(logging.DEBUG, logger="item2vec.training.blas"):
        assert not blas.kernels_ready()  # an OpenBLAS whose kernels are unknown is not the pinned one
    assert caplog.messages == ["scipy's OpenBLAS runs Haswell,  kernels, training wants Haswell"]
