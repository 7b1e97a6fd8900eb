"""Training runs on the pinned OpenBLAS kernels whatever was imported first, and importing pins nothing."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, SMALL_CONFIG
from item2vec.training import blas
from item2vec.training import trainer as train_module
from item2vec.training.trainer import TrainConfig, train_member

SMALL = TrainConfig(**SMALL_CONFIG)


def _python(code, **env):
    """Run ``code`` in a fresh interpreter without the user's OPENBLAS_CORETYPE; its stdout."""
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=environment, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_the_training_code_leaves_the_environment_alone():
    # Pinning happens when training starts, so no import order matters anywhere.
    out = _python(
        "import os, item2vec.cli.train_command, item2vec.training.trainer, item2vec.research.evaluate\n"
        "print(os.environ.get('OPENBLAS_CORETYPE'))"
    )
    assert out.strip() == "None"


def test_kernels_are_ready_unless_scipy_loaded_other_ones(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    for loaded, ready in (([], True), (["Haswell"], True), (["haswell"], True), (["SkylakeX"], False)):
        monkeypatch.setattr(blas, "loaded_kernels", lambda loaded=loaded: loaded)
        assert blas.kernels_ready() is ready, loaded
    # No particular kernels wanted (another CPU, none chosen): whatever is loaded is right.
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    monkeypatch.setattr(blas, "wanted_kernels", lambda: None)
    assert blas.kernels_ready() is True


@pytest.mark.skipif(not os.path.isfile("/proc/cpuinfo"), reason="reads Linux's /proc/cpuinfo")
def test_the_cpu_flags_are_those_of_proc_cpuinfo():
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        flags = next(line for line in info if line.startswith("flags")).split(":", 1)[1].split()
    assert flags and blas._cpu_flags() == set(flags)


@pytest.mark.slow
def test_a_member_trains_in_a_fresh_process_when_this_ones_kernels_are_not_the_pinned_ones(
    synthetic_dataset, monkeypatch
):
    here = train_member(synthetic_dataset, SMALL)
    started, real = [], train_module.run_in_processes

    def spy(function, jobs, processes):
        started.append(processes)
        return real(function, jobs, processes)

    monkeypatch.setattr(train_module, "run_in_processes", spy)
    monkeypatch.setattr(blas, "kernels_ready", lambda: False)
    elsewhere = train_member(synthetic_dataset, SMALL)
    assert started == [1]
    assert elsewhere.vectors.tobytes() == here.vectors.tobytes()
    assert elsewhere.config == here.config


@pytest.mark.slow
def test_scipy_loaded_before_training_still_gives_the_pinned_bytes(synthetic_dataset, synthetic_dir):
    # scipy's OpenBLAS loaded first reads no pin: it runs this CPU's own kernels. The
    # trainer then trains in a fresh process on the pinned ones, so the bytes are those
    # of a process where nothing came first (this one: train_member pins or moves too).
    code = (
        "import scipy.linalg, json, hashlib, sys\n"
        "from item2vec.training import blas\n"
        "own = blas.loaded_kernels()\n"
        "from item2vec.ingest.formats import load_dataset\n"
        "from item2vec.training.trainer import TrainConfig, train_member\n"
        f"trained = train_member(load_dataset({synthetic_dir!r}), TrainConfig(**{SMALL_CONFIG!r}))\n"
        "print(json.dumps({'own': own, 'wanted': blas.wanted_kernels(),"
        " 'sha': hashlib.sha256(trained.vectors.tobytes()).hexdigest()}))"
    )
    result = json.loads(_python(code).strip().splitlines()[-1])
    if not result["wanted"] or all(k.lower() == result["wanted"].lower() for k in result["own"]):
        pytest.skip(f"this CPU's own kernels ({result['own']}) are the pinned ones: nothing to tell apart")
    expected = hashlib.sha256(train_member(synthetic_dataset, SMALL).vectors.tobytes()).hexdigest()
    assert result["sha"] == expected
