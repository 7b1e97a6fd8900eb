"""train_item2vec.py --engine spark through its real entry point, main(argv), on a local Spark.

The Spark engine must write the model the pandas engine writes (same corpus, same
seed: same bytes), MLlib must write a model ask.py answers from, and bad input
must end the same way in both engines: one line, the same exit code, the previous
model untouched.
"""

import builtins
import contextlib
import filecmp
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from test_events import DIRTY_LINES

from conftest import REPO
from item2vec.cli import ask_command as ask
from item2vec.cli import train_command as train_item2vec
from item2vec.ingest.formats import LFM1B_EVENTS
from item2vec.query.recommender import DEFAULT_TOP
from item2vec.research.synthetic import write_lfm1b

SPARK = ["--engine", "spark", "--spark-master", "local[2]"]


def run(argv):
    """(exit code, standard error) of one main(argv) run."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = train_item2vec.main(argv)
    return code, err.getvalue().strip()


def same_files(a, b, names=("vectors.npy", "catalog.npz", "item_weights.npz")):
    return all(filecmp.cmp(os.path.join(a, n), os.path.join(b, n), shallow=False) for n in names)


@pytest.fixture
def previous_model(tmp_path, synthetic_model_dir):
    """A model folder that failed runs must leave as it is."""
    out = tmp_path / "model"
    shutil.copytree(synthetic_model_dir, out)
    return out


@pytest.mark.spark
def test_mllib_model_answers_through_ask(spark, synthetic_dir, tmp_path):
    out = tmp_path / "mllib"
    args = ["--trainer", "mllib", "--epochs", "3", "--data", synthetic_dir, "--out", str(out)]
    code, err = run(SPARK + args)
    assert code == 0, err
    meta = json.loads((out / "metadata.json").read_text())
    assert (meta["engine"], meta["trainer"], meta["training_corpus"]) == ("spark", "mllib", "spark")
    assert meta["mllib"]["maxIter"] == 3 and meta["mllib"]["windowSize"] == 20
    assert meta["hyperparameters"]["members"] == 1  # MLlib's default: it trains one model
    assert "negative" in meta["mllib"]["ignored_hyperparameters"]
    answer = io.StringIO()
    assert ask.main(["g1-a3", "--json", "--explain", "--model", str(out)], out=answer, err=io.StringIO()) == 0
    results = json.loads(answer.getvalue())["results"]
    assert len(results) == DEFAULT_TOP
    # Neighbours from the planted genre (chance: a quarter), and sharing listeners with it.
    assert sum(r["artist"].startswith("g1-") for r in results) >= DEFAULT_TOP // 2
    assert all(r["shared_listeners"] > 0 for r in results)


@pytest.fixture(scope="module")
def events_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-events")
    write_lfm1b(str(folder), 30_000, n_users=150, n_genres=4, artists_per_genre=30, seed=9)
    with open(folder / LFM1B_EVENTS, "a", encoding="utf-8") as handle:
        handle.write("\n".join(DIRTY_LINES) + "\n")
    return folder


@pytest.mark.spark
def test_the_executors_python_is_checked_by_one_job_once_per_application(spark):
    from item2vec.spark import member_training

    sc = spark.sparkContext
    member_training._CHECKED_APPLICATIONS.discard(sc.applicationId)  # earlier runs of this session

    def jobs():
        return len(sc.statusTracker().getJobIdsForGroup())

    before = jobs()
    member_training.check_executor_python(spark)
    assert jobs() == before + 1
    member_training.check_executor_python(spark)
    assert jobs() == before + 1


@pytest.mark.spark
def test_a_streamed_bag_on_events_is_the_same_in_both_engines(spark, events_dir, tmp_path):
    args = ["--data", str(events_dir), "--quiet", "--stream", "--max-dropped-share", "1", "--epochs", "2"]
    args += ["--members", "2", "--vector-size", "8"]
    assert run(args + ["--out", str(tmp_path / "pandas")])[0] == 0
    assert run(SPARK + args + ["--out", str(tmp_path / "spark")])[0] == 0
    assert same_files(tmp_path / "pandas", tmp_path / "spark")
    meta = json.loads((tmp_path / "spark" / "metadata.json").read_text())
    assert (meta["training_corpus"], meta["data"]["repairs"]["play_rows_malformed"]) == ("file", 3)


@pytest.mark.spark
def test_ctrl_c_during_a_spark_run_leaves_the_previous_model(
    spark, synthetic_dir, previous_model, monkeypatch
):
    from item2vec.spark import pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "train_bag", interrupted)
    before = {p.name: p.read_bytes() for p in previous_model.iterdir()}
    code, err = run(SPARK + ["--data", synthetic_dir, "--out", str(previous_model), "--quiet"])
    assert code == 130 and err.endswith("was not changed")
    assert {p.name: p.read_bytes() for p in previous_model.iterdir()} == before
    assert spark.range(3).count() == 3  # the shared session is still alive


def test_without_pyspark_the_spark_engine_says_how_to_install_it(monkeypatch, synthetic_dir, tmp_path):
    real_import = builtins.__import__

    def no_spark(name, *args, **kwargs):
        if name.split(".")[0] in ("pyspark", "pyarrow"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_spark)
    code, err = run(["--engine", "spark", "--data", synthetic_dir, "--out", str(tmp_path / "m")])
    assert code == 2
    assert err == (
        "error: --engine spark needs pyspark and pyarrow, which are not installed: "
        "install it with pip install -e .[spark]"
    )
    assert not (tmp_path / "m").exists()


def test_engine_options_that_do_not_go_together_are_usage_errors(synthetic_dir, tmp_path):
    out = ["--data", synthetic_dir, "--out", str(tmp_path / "m")]
    for argv, message in (
        (["--trainer", "mllib"], "--trainer mllib trains inside Spark: it needs --engine spark"),
        (["--spark-master", "local[2]"], "are only used with --engine spark"),
        (
            ["--spark-work", "/tmp"],
            "--spark-master, --spark-conf and --spark-work are only used with --engine",
        ),
        (["--engine", "spark", "--trainer", "mllib", "--members", "2"], "--trainer mllib trains one model"),
        (["--engine", "spark", "--processes", "2"], "--processes is for --engine pandas"),
        (
            ["--engine", "spark", "--spark-work", "/no/such/folder"],
            "--spark-work /no/such/folder: no such folder",
        ),
        (["--engine", "spark", "--spark-conf", "novalue"], "must be KEY=VALUE"),
    ):
        code, err = run(argv + out)
        assert code == 2 and message in err and "\n" not in err, argv
    assert not (tmp_path / "m").exists()
    help_text = io.StringIO()
    with contextlib.redirect_stdout(help_text):
        train_item2vec.main(["--help"])
    words = " ".join(help_text.getvalue().split())  # argparse wraps lines
    for flag in (
        "--engine",
        "--trainer",
        "--spark-master",
        "--spark-conf",
        "--spark-work",
        "hierarchical softmax",
    ):
        assert flag in words


def test_the_pandas_engine_and_the_query_path_never_import_pyspark():
    code = (
        "import sys, item2vec.cli.train_command, item2vec.cli.ask_command, item2vec.spark, "
        "item2vec.training.trainer, item2vec.ingest.formats; "
        "sys.exit(' '.join(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j')) or None)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_without_java_the_spark_engine_fails_in_one_line(synthetic_dir, tmp_path):
    pytest.importorskip("pyspark")
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java")}  # spark-submit runs $JAVA_HOME/bin/java
    command = [sys.executable, "train_item2vec.py", "--engine", "spark", "--data", synthetic_dir]
    done = subprocess.run(
        command + ["--out", str(tmp_path / "m")], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"error: could not start Spark: JAVA_HOME={tmp_path / 'no-java'} has no bin/java; "
        "it needs Java 17 or newer\n"
    )
    assert not (tmp_path / "m").exists()


@pytest.mark.spark
def test_a_failing_spark_job_ends_in_one_line_and_keeps_the_previous_model(synthetic_dir, previous_model):
    # A run that starts its own Spark (as users run it, not the tests' shared session) and
    # whose job fails: its first job, the check of the executors' Python, needs a Python
    # worker, and there is none. The message must be read before the JVM is ended (reading
    # it after raised a ConnectionRefusedError traceback), and Spark's own log lines carry no
    # Java stack trace.
    before = {p.name: p.read_bytes() for p in previous_model.iterdir()}
    env = {**os.environ, "PYSPARK_PYTHON": os.path.join(str(previous_model), "no-python")}
    command = [sys.executable, "train_item2vec.py", "--engine", "spark", "--spark-master", "local[1]"]
    command += ["--data", synthetic_dir, "--out", str(previous_model), "--quiet"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: Spark failed: ") and "Cannot run program" in last, done.stderr
    assert "Traceback" not in done.stderr and "\tat " not in done.stderr, done.stderr
    assert {p.name: p.read_bytes() for p in previous_model.iterdir()} == before


class _Java:
    """A stand-in for a py4j Java throwable: toString() and getCause()."""

    def __init__(self, text, cause=None):
        self.text, self.cause = text, cause

    def toString(self):  # noqa: N802 (Java's name)
        return self.text

    def getCause(self):  # noqa: N802
        return self.cause


class _Py4JJavaError(Exception):
    def __init__(self, java):
        self.java_exception = java

    def __str__(self):  # as after the JVM ended
        raise ConnectionRefusedError(111, "Connection refused")


def test_spark_failures_are_told_by_their_stage_failure_with_a_way_out():
    from item2vec.spark.session import failure_message

    limit = (
        "org.apache.spark.SparkException: Job aborted due to stage failure: Total size of serialized "
        "results of 1 tasks (1112.3 KiB) is bigger than spark.driver.maxResultSize (1024.0 KiB)\n\tat x"
    )
    wrapped = _Py4JJavaError(
        _Java("org.apache.spark.SparkException: Exception thrown in awaitResult: ", _Java(limit))
    )
    assert failure_message(wrapped) == (
        "SparkException: Job aborted due to stage failure: Total size of serialized results of 1 tasks "
        "(1112.3 KiB) is bigger than spark.driver.maxResultSize (1024.0 KiB) "
        "(raise it: --spark-conf spark.driver.maxResultSize=8g, see docs/PERFORMANCE.md)"
    )
    root = _Java("java.io.IOException: error=2, No such file or directory")
    plain = _Py4JJavaError(
        _Java("java.lang.IllegalStateException: Cannot call methods on a stopped SparkContext.", root)
    )
    assert failure_message(plain) == "IllegalStateException: Cannot call methods on a stopped SparkContext."
    assert failure_message(_Py4JJavaError(None)) == "_Py4JJavaError"  # str() fails too: the type's name
    # A task's Python failure: the exception line of its traceback, inside Spark's stage failure.
    python = _Java(
        "org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 3.0 failed "
        "4 times, most recent failure: Lost task 0.3 (TID 9): org.apache.spark.api.python.PythonException: "
        'Traceback (most recent call last):\n  File "/x/worker.py", line 1, in main\n    f = read()\n'
        "ModuleNotFoundError: No module named 'numpy'\n\n\tat org.apache.spark.api.python.X.y(X.scala:1)\n"
    )
    assert failure_message(_Py4JJavaError(_Java("java.lang.RuntimeException: wrapper", python))) == (
        "ModuleNotFoundError: No module named 'numpy' (the executors' Python lacks a library: see "
        "docs/PERFORMANCE.md, Running on a cluster)"
    )


@pytest.mark.spark
def test_ctrl_c_inside_a_jvm_call_prints_no_py4j_traceback(synthetic_dir, previous_model):
    # Ctrl-C while Spark works interrupts a py4j call, and py4j then logs the interruption
    # with its traceback through the root logger. A run that starts its own Spark (so that
    # its logging is the program's, not pytest's) is cut inside a real JVM call, its first
    # step's (the check of the executors' Python): the steps after it would only add seconds.
    code = (
        "import sys\n"
        "import py4j.clientserver as cs\n"
        "from item2vec.cli import train_command as train\n"
        "from item2vec.spark import member_training\n"
        "real = cs.ClientServerConnection.send_command\n"
        "def cut(self, command):\n"
        "    cs.ClientServerConnection.send_command = real\n"
        "    raise KeyboardInterrupt\n"
        "def check(spark):\n"
        "    cs.ClientServerConnection.send_command = cut\n"
        "    spark.range(3).count()\n"
        "member_training.check_executor_python = check\n"
        "sys.exit(train.main(sys.argv[1:]))\n"
    )
    before = {p.name: p.read_bytes() for p in previous_model.iterdir()}
    command = [sys.executable, "-c", code, "--engine", "spark", "--spark-master", "local[1]"]
    command += ["--data", synthetic_dir, "--out", str(previous_model)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr and "while sending command" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1] == f"interrupted: {previous_model} was not changed"
    assert {p.name: p.read_bytes() for p in previous_model.iterdir()} == before


@pytest.mark.spark
def test_an_executor_without_gensim_ends_the_run_in_one_line(synthetic_dir, previous_model, tmp_path):
    # The executors' Python finds a gensim that cannot be imported (spark.executorEnv reaches the
    # Python workers only); the driver's Python is the test's, with gensim. The run says so
    # before it reads the data (on a cluster: seconds, not the catalogue's and corpora's minutes).
    blocker = tmp_path / "blocker" / "gensim"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'gensim'\", name='gensim')\n"
    )
    before = {p.name: p.read_bytes() for p in previous_model.iterdir()}
    command = [sys.executable, "train_item2vec.py", "--engine", "spark", "--spark-master", "local[1]"]
    command += ["--spark-conf", f"spark.executorEnv.PYTHONPATH={blocker.parent}", "--members", "1"]
    command += ["--epochs", "1", "--data", synthetic_dir, "--out", str(previous_model)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "session on local[1] started" in done.stderr and "read and cleaned" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: Spark failed: ImportError: an executor's Python ({sys.executable}) cannot import gensim: "
        "the executors need numpy, scipy and gensim (pip install 'item2vec-artists[train]' on every node, "
        "or ship a packed environment with spark.archives; see docs/PERFORMANCE.md)"
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert {p.name: p.read_bytes() for p in previous_model.iterdir()} == before


def _python_worker(pid):
    """Whether ``pid`` is one of Spark's Python workers (False once it ended)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"pyspark.daemon" in handle.read()
    except OSError:
        return False


def members_train(pid, members, seconds=1.5, timeout=300):
    """Wait until ``members`` of Spark's Python workers under ``pid`` have each worked ``seconds``
    of CPU since the call (importing gensim and training, not waiting): True, or False on timeout."""
    from item2vec.research.spark_cluster import cpu_seconds, descendants

    start = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = 0
        for child in descendants(pid):
            cpu = cpu_seconds(child)
            if cpu is not None and _python_worker(child):
                busy += cpu - start.setdefault(child, cpu) >= seconds
        if busy >= members:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.spark
def test_ctrl_c_while_members_train_ends_in_one_line_and_cleans_up(synthetic_dir, previous_model, tmp_path):
    # Ctrl-C in a terminal reaches the whole process group (Python, the JVM, the Python workers)
    # while Spark tasks run: the jobs are cut short, and the JVM must not print their stack traces.
    work = tmp_path / "work"
    work.mkdir()
    before = {p.name: p.read_bytes() for p in previous_model.iterdir()}
    command = [sys.executable, "train_item2vec.py", "--engine", "spark", "--spark-master", "local[2]"]
    command += ["--spark-work", str(work), "--members", "2", "--epochs", "5000", "--data", synthetic_dir]
    command += ["--out", str(previous_model)]
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True, start_new_session=True)
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "training 2 members on the executors" in line:
            break
    assert members_train(process.pid, 2), "".join(seen)
    os.killpg(process.pid, signal.SIGINT)
    rest = process.stderr.read()
    process.wait(120)
    err = "".join(seen) + rest
    assert process.returncode == 130, err
    assert rest.strip().splitlines()[-1] == f"interrupted: {previous_model} was not changed", err
    assert "\tat " not in rest and "Exception" not in rest and "Traceback" not in rest, rest
    assert {p.name: p.read_bytes() for p in previous_model.iterdir()} == before
    assert list(work.iterdir()) == []  # the run's own work folder is removed


def test_after_a_failure_the_jvms_output_while_it_stops_is_dropped(monkeypatch):
    # Jobs cut short by Ctrl-C make the JVM print Java stack traces while Spark stops (thread pools
    # refusing work, seen now and then on 1M events): the program has already said why it stops.
    # A stand-in JVM writes to the forwarded standard error as it stops, after a block that fails
    # and after one that does not.
    pytest.importorskip("pyspark")
    from item2vec.spark import session

    read_end, write_end = os.pipe()
    target_read, target_write = os.pipe()
    forwarder = threading.Thread(target=session._forward, args=(read_end, target_write), daemon=True)
    forwarder.start()

    class Jvm:
        def stop(self):
            os.write(
                write_end, b"java.util.concurrent.RejectedExecutionException: Task rejected\n\tat x.y(Z)\n"
            )
            time.sleep(0.3)  # the forwarder reads it while the flag is set, as it does in a real stop

    monkeypatch.setattr(session, "_active_session", lambda: None)
    monkeypatch.setattr(session, "get_spark", lambda master, conf: Jvm())
    monkeypatch.setattr(session, "shutdown_jvm", lambda: None)
    with pytest.raises(KeyboardInterrupt), session.spark_session("local[1]"):
        raise KeyboardInterrupt
    with session.spark_session("local[1]"):
        pass
    os.close(write_end)
    forwarder.join(5)
    os.close(target_write)
    with os.fdopen(target_read, "rb") as forwarded:
        assert (
            forwarded.read()
            == b"java.util.concurrent.RejectedExecutionException: Task rejected\n\tat x.y(Z)\n"
        )
