"""Shared fixtures: a small synthetic data set with planted genres and a model trained on it."""

import collections
import contextlib
import io
import json
import os

import model_cache
import pytest

from item2vec.ingest.formats import load_dataset
from item2vec.research.synthetic import make_plays, write_kaggle
from item2vec.training.trainer import TrainConfig, train_and_save

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Where the real-data tests look for the Kaggle files, first match wins: $ITEM2VEC_DATA,
#: data/ of the checkout (where README tells users to put them), ../shared/data.
DATA_PLACES = [p for p in (os.environ.get("ITEM2VEC_DATA"), os.path.join(REPO, "data")) if p] + [
    os.path.join(REPO, "..", "shared", "data")
]
SHARED_DATA = next(
    (p for p in DATA_PLACES if os.path.isfile(os.path.join(p, "lastfm_user_scrobbles.csv"))), DATA_PLACES[-1]
)

#: Spark's defaults for the applications the tests start, and the options of every JVM they
#: start, written once in its spark-defaults.conf: Spark's drivers (``SPARK_SUBMIT_OPTS``),
#: the standalone cluster's master and workers (``SPARK_DAEMON_JAVA_OPTS``) and their
#: executors (``spark.executor.extraJavaOptions``). A test's JVM works for seconds on small
#: data, where the optimising compiler's threads cost more CPU than they save: with C1 alone
#: and one garbage-collector thread, a run that ends at its first Spark job takes 14 CPU
#: seconds instead of 24. What the tests check (exit codes, messages, model bytes) does not
#: depend on how Java compiles Spark. Users' runs keep Java's defaults; a variable already
#: set is left as it is.
TEST_SPARK_CONF = os.path.join(REPO, "tests", "spark-conf")
with open(os.path.join(TEST_SPARK_CONF, "spark-defaults.conf"), encoding="utf-8") as _defaults:
    TEST_JVM_OPTIONS = dict(
        line.split(None, 1) for line in _defaults.read().splitlines() if line.strip() and line[0] != "#"
    )["spark.executor.extraJavaOptions"].strip()
os.environ.setdefault("SPARK_CONF_DIR", TEST_SPARK_CONF)
for _variable in ("SPARK_SUBMIT_OPTS", "SPARK_DAEMON_JAVA_OPTS"):
    os.environ.setdefault(_variable, TEST_JVM_OPTIONS)
#: The options of the shared session's JVM (the ``spark`` fixture) instead. It lives for
#: the whole of :data:`SHARED_SPARK_FILES` and trains MLlib's Word2Vec, whose BLAS is written
#: with Java's Vector API: only the optimising compiler (C2) turns that into vector
#: instructions, and C1 alone runs it as objects (the three MLlib tests: 63 CPU s instead of
#: 47). C2 compiles only the hottest methods here (thresholds 20 times Java's), so the rest
#: of Spark stays at C1's cost.
SHARED_SESSION_JVM_OPTIONS = (
    "-XX:+UseSerialGC -XX:Tier4InvocationThreshold=100000 -XX:Tier4MinInvocationThreshold=60000 "
    "-XX:Tier4CompileThreshold=150000 -XX:Tier4BackEdgeThreshold=400000"
)

#: Small but real: 4 genres x 30 artists, 400 users; trains in about a second.
SMALL_CONFIG = dict(
    vector_size=16, epochs=5, negative=5, sample=1e-3, min_count=3, seed=1, workers=1, members=1
)


#: The synthetic data set of the session's fixtures (make_plays' arguments).
SYNTHETIC_DATA = dict(n_users=400, seed=7)


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory):
    """A folder holding the Kaggle CSV pair of the synthetic data set."""
    folder = tmp_path_factory.mktemp("synthetic-data")
    plays, artists = make_plays(**SYNTHETIC_DATA)
    write_kaggle(str(folder), plays, artists)
    return str(folder)


@pytest.fixture(scope="session")
def synthetic_dataset(synthetic_dir):
    return load_dataset(synthetic_dir)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """The synthetic data with 100 users: a one-epoch model of it trains in hundredths of a second."""
    folder = tmp_path_factory.mktemp("tiny-data")
    write_kaggle(str(folder), *make_plays(n_users=100, seed=7))
    return load_dataset(str(folder))


@pytest.fixture(scope="session")
def synthetic_model_dir(tmp_path_factory, request):
    """A model folder trained on the synthetic data (read-only: copy it before damaging it).

    Trained once per session, or copied from ``$ITEM2VEC_TEST_MODEL_CACHE`` when a session
    before trained it with the same code (tests/model_cache.py; the mutation runs set it).
    """
    folder = str(tmp_path_factory.mktemp("synthetic-model") / "model")

    def build(out):
        dataset = request.getfixturevalue("synthetic_dataset")
        train_and_save(dataset, out, TrainConfig(**SMALL_CONFIG), progress=False)

    model_cache.provide(folder, {"data": SYNTHETIC_DATA, "config": SMALL_CONFIG}, build)
    return folder


@pytest.fixture(scope="session")
def spark():
    """One local Spark (2 cores) shared by every Spark test: starting one costs 15-30 s.

    Skips the test when the spark extra is not installed. The engine's own
    ``spark_session`` reuses it and leaves it running.
    """
    pytest.importorskip("pyspark")
    pytest.importorskip("pyarrow")
    from item2vec.spark.session import get_spark

    ours = os.environ.get("SPARK_SUBMIT_OPTS") == TEST_JVM_OPTIONS  # else the developer's: kept
    if ours:
        os.environ["SPARK_SUBMIT_OPTS"] = SHARED_SESSION_JVM_OPTIONS
    try:
        session = get_spark("local[2]")
    finally:
        if ours:
            os.environ["SPARK_SUBMIT_OPTS"] = TEST_JVM_OPTIONS
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory):
    """A Spark standalone cluster, a master and two workers of one core on 127.0.0.1, shared by the
    session's cluster tests (starting one costs 15-30 s) and stopped by the process ids it started.

    Skips the test when the spark extra or Java is missing (as the ``spark`` fixture does).
    """
    pytest.importorskip("pyspark")
    pytest.importorskip("pyarrow")
    from item2vec.research.spark_cluster import StandaloneCluster
    from item2vec.spark.session import find_java

    if find_java() is None:
        pytest.skip("no Java for Spark")
    cluster = StandaloneCluster(
        str(tmp_path_factory.mktemp("spark-cluster")), workers=2, cores=1, memory="2g"
    )
    with cluster:
        yield cluster


def pytest_collection_modifyitems(config, items):
    """The tiers (pyproject.toml's markers): a test that starts Spark or Chromium is slow.

    A test that opens Chromium (it uses test_explore.py's ``chrome`` fixture) is marked
    ``browser`` here, and one that builds the shipped model's explorer page (``shipped_page``,
    a t-SNE of every artist: half a minute) ``slow``, so that neither lands in the everyday
    tier by mistake.
    """
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "chrome" in fixtures:
            item.add_marker(pytest.mark.browser)
        heavy = item.get_closest_marker("spark") or item.get_closest_marker("browser")
        if heavy or "shipped_page" in fixtures or "spark_cluster" in fixtures:
            item.add_marker(pytest.mark.slow)
    _check_shared_spark_files(items)
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the full suite, -n auto
        items[:] = _heaviest_files_first(items)


#: The test files whose tests run Spark in this process, in the ``spark`` fixture's shared
#: session (test_evaluation's MLlib baseline joins it through ``get_spark``). With ``-n``
#: they run on one worker, one after another (:func:`pytest_xdist_make_scheduler`): each
#: worker that ran any of them would start a session of its own (5-10 CPU seconds), and the
#: suite is bound by its CPU.
SHARED_SPARK_FILES = (
    "tests/test_spark_cli.py",
    "tests/test_spark_data.py",
    "tests/test_spark_ease.py",
    "tests/test_bad_input_contract.py",
    "tests/research/test_evaluation.py",
)
#: The work unit of :data:`SHARED_SPARK_FILES` for xdist (not a path).
SHARED_SPARK_UNIT = "the files sharing a local Spark"


def _check_shared_spark_files(items):
    """Stop the run when a test uses the ``spark`` fixture outside :data:`SHARED_SPARK_FILES`."""
    for item in items:
        path = os.path.relpath(str(item.path), REPO)
        if "spark" in getattr(item, "fixturenames", ()) and path not in SHARED_SPARK_FILES:
            raise pytest.UsageError(
                f"{item.nodeid} uses the shared Spark session: add {path} to conftest.SHARED_SPARK_FILES"
            )


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` (pyproject.toml), except that :data:`SHARED_SPARK_FILES` are one unit of
    work; another ``--dist`` is left to xdist."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedSparkScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid):
            path = super()._split_scope(nodeid)
            return SHARED_SPARK_UNIT if path in SHARED_SPARK_FILES else path

    return SharedSparkScheduling(config, log)


def _heaviest_files_first(items):
    """The items with the longest test files first, each file's order kept.

    Workers take whole files (``--dist loadfile``) in this order; a long file handed out
    last leaves the other cores idle while it runs, so the long ones go first. A file's
    length is the seconds its tests took in the last measurement of the suite
    (docs/suite_time.json, written by benchmarks/suite_time.py); a file it did not measure
    goes by its number of slow tests, after the measured ones.
    """
    return sorted(items, key=file_weight(items, measured_file_seconds()))


#: The suite's last measurement (benchmarks/suite_time.py).
SUITE_TIME = os.path.join(REPO, "docs", "suite_time.json")


def measured_file_seconds(path=SUITE_TIME):
    """``{"tests/test_x.py": seconds}`` of the full suite's last measurement, or {} without one."""
    from item2vec.research.suite_report import TIERS

    full = next(name for name, marker, _ in TIERS if marker is None)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, StopIteration):
        with open(path, encoding="utf-8") as handle:
            tiers = json.load(handle)["tiers"]
        return dict(next(tier for tier in tiers if tier["name"] == full)["file_seconds"])
    return {}


def file_weight(items, measured):
    """The sort key of :func:`_heaviest_files_first`: measured files by their seconds, longest
    first, then the others by their number of slow tests."""
    slow = collections.Counter(item.path for item in items if item.get_closest_marker("slow"))

    def weight(item):
        seconds = measured.get(os.path.relpath(item.path, REPO))
        return (seconds is None, -(seconds or 0.0), -slow[item.path])

    return weight


def shared_data_or_skip():
    if not os.path.isfile(os.path.join(SHARED_DATA, "lastfm_user_scrobbles.csv")):
        pytest.skip("the Kaggle data is in none of $ITEM2VEC_DATA, data/, ../shared/data")
    return SHARED_DATA


class Stdin(io.StringIO):
    """A stdin that is not a terminal, with a binary buffer like sys.stdin."""

    def __init__(self, data=b""):
        super().__init__()
        self.buffer = io.BytesIO(data)

    def isatty(self):
        return False


class Bars:
    """Stands in for tqdm: records each bar made (its settings), its updates and whether it closed."""

    def __init__(self):
        self.made = []
        recorder = self

        class Bar:
            def __init__(self, total=None, desc=None, unit="it", disable=False):
                self.settings, self.n, self.closed = (
                    dict(total=total, desc=desc, unit=unit, disable=disable),
                    0,
                    False,
                )
                recorder.made.append(self)

            def update(self, n=1):
                self.n += n

            def close(self):
                self.closed = True

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.close()

        self.Bar = Bar

    def install(self, monkeypatch):
        """Make ``tqdm.auto.tqdm`` (what the package imports at call time) this recorder's bars."""
        import tqdm.auto

        monkeypatch.setattr(tqdm.auto, "tqdm", self.Bar)
        return self

    def shown(self):
        """``(settings, updates, closed)`` of every bar not disabled."""
        return [(b.settings, b.n, b.closed) for b in self.made if not b.settings["disable"]]
