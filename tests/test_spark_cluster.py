"""train_item2vec.py --engine spark on a real Spark standalone cluster: a master and two workers.

The cluster (conftest's ``spark_cluster``) runs on 127.0.0.1 from the pyspark package; its
executors are separate JVMs with Python workers of their own, which train the members. The
program runs as users run it, in a process of its own, with the executors' Python set as on
a cluster (``PYSPARK_PYTHON``: here this virtual environment's, the cluster's own install);
the package itself is shipped to the executors by the run.
"""

import io
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import REPO, shared_data_or_skip
from item2vec.cli import ask_command as ask
from item2vec.research.spark_cluster import descendants, free_port

pytestmark = pytest.mark.spark

SHIPPED = os.path.join(REPO, "models")


def command(cluster, argv):
    return [sys.executable, "train_item2vec.py", "--engine", "spark", "--spark-master", cluster.url, *argv]


def environment():
    """The executors' Python is this environment's (the cluster's own install); the driver listens on
    127.0.0.1, where the cluster is."""
    return {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}


def same_files(a, b, names=("vectors.npy", "catalog.npz", "item_weights.npz")):
    return all(open(os.path.join(a, n), "rb").read() == open(os.path.join(b, n), "rb").read() for n in names)


def answers(model, names=("Rosetta", "Sister Rosetta Tharpe", "Metallica")):
    """What ask.py answers from ``model`` for ``names`` (evidence ranking, fold-in, explain)."""
    out = io.StringIO()
    for name in names:
        assert ask.main([name, "--json", "--explain", "--model", str(model)], out=out, err=io.StringIO()) == 0
    return out.getvalue()


def _get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/applications{path}", timeout=5) as answer:
        return json.load(answer)


def _executor_of(pid):
    """The executor id of the executor JVM among ``pid``'s descendants, or None."""
    for child in descendants(pid):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as handle:
                args = handle.read().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        if "--executor-id" in args:
            return args[args.index("--executor-id") + 1]
    return None


def wait_for_member_task(port, worker_pid, process, timeout=600):
    """Wait until the members' training job runs and the executor of ``worker_pid`` is running one
    of its tasks (Spark's REST API on the driver's UI port); returns False if the run ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            (app,) = _get(port, "")
            training = any(
                job.get("description") == "training members"
                for job in _get(port, f"/{app['id']}/jobs?status=running")
            )
            busy = {e["id"]: e["activeTasks"] for e in _get(port, f"/{app['id']}/executors")}
            if training and busy.get(_executor_of(worker_pid), 0) > 0:
                return True
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    return False


@pytest.mark.realdata
@pytest.mark.slow
def test_the_default_run_on_a_standalone_cluster_rebuilds_the_shipped_model_though_a_worker_dies(
    spark_cluster, tmp_path
):
    """The suite's one Spark run on the Kaggle data: the catalogue built in Spark, 8 corpora
    written by Spark, 8 members trained in Spark tasks on the executors. While a member trains
    on worker 1, the worker is killed with its executor (a machine lost in the middle of a job)
    and comes back; Spark runs the lost member again. The files are still the shipped ones
    byte for byte, so the catalogue, the corpora and the item-item weights are the pandas
    engine's (the same run on ``local[2]`` gives the same bytes: PERFORMANCE.md, section 6,
    and the synthetic-data tests of tests/test_spark_cli.py)."""
    data = shared_data_or_skip()
    out = tmp_path / "model"
    port = free_port()  # the driver's UI, whose REST API tells where the members' tasks run
    argv = ["--data", data, "--out", str(out), "--quiet", "--spark-conf", f"spark.ui.port={port}"]
    process = subprocess.Popen(
        command(spark_cluster, argv), cwd=REPO, env=environment(), stderr=subprocess.PIPE, text=True
    )
    try:
        caught = wait_for_member_task(port, spark_cluster.workers[1].pid, process)
        if caught:
            spark_cluster.kill_worker(1)  # the machine goes, with its executor and its member's task
            spark_cluster.restart_worker(1)  # and comes back: the cluster has two workers again
        _, err = process.communicate(timeout=900)
    finally:
        if process.poll() is None:
            process.kill()
        if spark_cluster.workers[1].poll() is not None:
            spark_cluster.restart_worker(1)
    assert caught, "the run ended before worker 1 trained a member"
    assert process.returncode == 0, err
    assert "Lost executor" in err
    assert same_files(SHIPPED, out)
    meta = json.loads((out / "metadata.json").read_text())
    expected = json.loads(open(os.path.join(SHIPPED, "metadata.json"), encoding="utf-8").read())
    assert (meta["engine"], meta["trainer"], meta["training_corpus"]) == ("spark", "gensim", "memory")
    assert meta["data"] == expected["data"] and meta["hyperparameters"] == expected["hyperparameters"]
    assert meta["hyperparameters"]["members"] == 8 and meta["item_weights"] == expected["item_weights"]
    assert meta["blas_kernels"] == expected["blas_kernels"] and "pyspark" in meta["library_versions"]
    assert answers(out) == answers(SHIPPED)
