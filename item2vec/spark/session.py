"""Starting (or joining) the Spark session the engine runs in.

Only :mod:`item2vec.spark` imports this, after :func:`~item2vec.spark.require_spark`.
"""

import contextlib
import logging
import os
import re
import shutil
import sys
import threading
import time
import warnings
import zipfile

from ..errors import EngineError

logger = logging.getLogger(__name__)

#: Default master when neither ``--spark-master`` nor spark-submit names one.
DEFAULT_MASTER = "local[*]"
LOG4J_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "log4j2.properties")


def local_cores(master):
    """Cores of a ``local``/``local[N]``/``local[*]`` master, or None for a cluster master."""
    match = re.fullmatch(r"local(?:\[(\*|\d+)(?:,\s*\d+)?\])?", master or "")
    if not match:
        return None
    return os.cpu_count() or 1 if match.group(1) in (None, "*") else int(match.group(1))


def settings(master, conf=None):
    """The Spark configuration of a session for ``master``, as a dict of strings.

    Parameters
    ----------
    master : str
        Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``, ...).
    conf : dict, optional
        The user's settings (``--spark-conf``); they win over every default here.

    Returns
    -------
    dict
    """
    values = {
        "spark.app.name": "item2vec",
        "spark.ui.showConsoleProgress": "false",
        # Spark 4 runs SQL in ANSI mode, where a wrapping long multiply raises. The corpus
        # order (item2vec.spark.corpus_columns.token_key) needs Java's two's-complement wrapping,
        # exactly what numpy's uint64 arithmetic does.
        "spark.sql.ansi.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.adaptive.enabled": "true",
        # The cleaned pairs are cached (read by every later step): let adaptive execution merge
        # the small partitions of the cached table too, not only those of plain shuffles.
        # Otherwise each step over them runs spark.sql.shuffle.partitions (200) tasks, whatever
        # the size of the data.
        "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
    }
    cores = local_cores(master)
    if cores is not None:
        values.update(
            {
                "spark.ui.enabled": "false",
                # 200 shuffle partitions (Spark's default, sized for clusters) are 200 tasks of
                # fixed overhead per shuffle on a laptop; two per core keep both busy.
                "spark.sql.shuffle.partitions": str(2 * cores),
                "spark.default.parallelism": str(2 * cores),
                # 32 MB input splits instead of 128 MB: a 360 MB events file is 12 tasks, not 3,
                # so every core stays busy to the end of the scan.
                "spark.sql.files.maxPartitionBytes": str(32 << 20),
                # Local mode runs the executors inside the driver's JVM; only read at its start.
                "spark.driver.memory": "2g",
            }
        )
    else:
        # On a cluster the driver (this program's JVM, in client mode) holds per-artist data and
        # one member's vectors at a time, never the plays: Spark's 1 GB heap would mostly sit
        # unused (and its JVM then takes about 1.2 GB). Raise it for millions of vocabulary
        # artists (docs/PERFORMANCE.md, "Memory settings"). Spark refuses less than 450 MB.
        values["spark.driver.memory"] = "512m"
    # The driver's JVM, started by this program in client mode, logs errors only, in one line each.
    java = [f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}"]
    if cores is None:
        # A cluster's driver JVM schedules and passes small results: the serial collector's
        # bookkeeping is about 140 MB smaller than G1's (measured on the events benchmark)
        # and its pauses on a 512 MB heap are short. Local mode keeps G1: its executors
        # (sorts, shuffles) run in that JVM.
        java.append("-XX:+UseSerialGC")
    values["spark.driver.extraJavaOptions"] = " ".join(java)
    values.update(conf or {})
    return values


def find_java():
    """The java Spark's launcher would run (``$JAVA_HOME/bin/java``, else java on PATH), or None."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    return java if java and os.access(java, os.X_OK) else None


def _active_session():
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession()


def get_spark(master=None, conf=None):
    """Start a Spark session, or return the one already running in this process.

    Parameters
    ----------
    master : str, optional
        Spark master URL. Default: the one spark-submit was given, else
        :data:`DEFAULT_MASTER`.
    conf : dict, optional
        Extra Spark settings (see :func:`settings`); ignored when a session already
        runs, because most of them (memory, Java options) only apply to a new JVM.

    Returns
    -------
    pyspark.sql.SparkSession

    Raises
    ------
    EngineError
        Spark could not start (most often: no Java on PATH or JAVA_HOME).
    """
    from pyspark.sql import SparkSession

    running = _active_session()
    if running is not None:
        return running
    submitted = bool(os.environ.get("PYSPARK_GATEWAY_PORT"))  # started by spark-submit: its JVM is up
    if master is None and not submitted:
        master = DEFAULT_MASTER
    if local_cores(master) is not None:
        # Python workers are started by the JVM with "python3" from PATH unless told
        # otherwise, and do not see this process's sys.path: point them at this
        # interpreter and this checkout, as a cluster would get them from --py-files.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        paths = [package_root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    # pyspark 4.3 warns on every pandas conversion that it does not fully support pandas 3;
    # the conversions this package uses are checked by its tests (same bytes as pandas).
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    # When a job fails inside toPandas, pyspark also warns with the whole Java stack trace;
    # the failure itself reaches the caller, which says why in one line (failure_message).
    warnings.filterwarnings("ignore", message="toPandas attempted Arrow optimization", category=UserWarning)
    if not submitted and find_java() is None:
        # Checked here: pyspark's launcher would print shell errors and a Python traceback.
        home = os.environ.get("JAVA_HOME")
        where = f"JAVA_HOME={home} has no bin/java" if home else "no java on PATH and JAVA_HOME is not set"
        raise EngineError(f"could not start Spark: {where}; it needs Java 17 or newer")
    builder = SparkSession.builder
    if master:
        builder = builder.master(master)
    for key, value in settings(master, conf).items():
        builder = builder.config(key, value)
    start = time.perf_counter()
    try:
        with _quiet_jvm_start():
            spark = builder.getOrCreate()
    except Exception as exc:  # pyspark raises its own runtime errors when the JVM does not start
        if getattr(exc, "java_exception", None) is not None:
            # The JVM runs and Spark refused to start (a setting it rejects, say): Java is fine.
            raise EngineError(f"could not start Spark: {failure_message(exc)}") from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EngineError(
            f"could not start Spark ({first[:300]}); it needs Java 17 or newer on PATH or in JAVA_HOME"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    logger.info(
        "Spark %s session on %s started in %.1f s",
        spark.version,
        spark.sparkContext.master,
        time.perf_counter() - start,
    )
    return spark


#: Lines the JVM and Spark print at every start (and MLlib when it falls back to Java's own
#: BLAS), which say nothing to the user.
JVM_NOISE = (
    "WARNING: Using incubator modules",
    'Setting default log level to "WARN"',
    "To adjust logging level use sc.setLogLevel",
    "netlib-blas: JNI_OnLoad: dlopen(",
)


@contextlib.contextmanager
def _quiet_jvm_start():
    """Start the JVM with its standard error passed through a filter that drops :data:`JVM_NOISE`.

    The JVM inherits file descriptor 2 when pyspark launches it, so for that moment
    descriptor 2 is a pipe; a daemon thread forwards every other line (errors
    included, for the JVM's whole life) to the real standard error.
    """
    try:
        saved = os.dup(2)
        read_end, write_end = os.pipe()
    except OSError:  # no standard error to filter
        yield
        return
    os.dup2(write_end, 2)
    os.close(write_end)
    threading.Thread(target=_forward, args=(read_end, saved), daemon=True).start()
    try:
        yield
    finally:
        os.dup2(saved, 2)


#: Set once a run has failed or been interrupted and said so: what the JVM then prints while it
#: stops (tasks cut short, thread pools refusing work, with Java stack traces) is dropped.
_STOPPING_AFTER_FAILURE = threading.Event()


def _forward(read_end, target):
    with os.fdopen(read_end, "rb") as lines:
        for line in lines:
            if _STOPPING_AFTER_FAILURE.is_set() or line.decode("utf-8", "replace").startswith(JVM_NOISE):
                continue
            with contextlib.suppress(OSError):
                os.write(target, line)


def shutdown_jvm():
    """End the JVM pyspark started for this process (``SparkSession.stop`` leaves it running).

    The JVM of a local session holds the driver's heap (``spark.driver.memory``, 2 GB
    here) until the process ends; gensim trains for hours after Spark is done, so the
    engine ends it. pyspark launched it with a pipe on its standard input and the JVM
    exits when that pipe closes. A later session starts a new JVM.
    """
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    if gateway is None:
        return
    process = getattr(gateway, "proc", None)
    with contextlib.suppress(Exception):
        gateway.shutdown()
    if process is not None:
        with contextlib.suppress(Exception):
            process.stdin.close()
        try:
            process.wait(timeout=30)
        except Exception:
            process.kill()
    SparkContext._gateway = None
    SparkContext._jvm = None


def _java_chain(java, depth=20):
    """Texts of a Java throwable and of its causes, outermost first."""
    texts = []
    while java is not None and len(texts) < depth:
        texts.append(str(java.toString()).strip())
        java = java.getCause()
    return texts


def python_error(text):
    """The exception line of the last Python traceback in ``text`` (a task's Python failure), or None."""
    if "Traceback (most recent call last):" not in text:
        return None
    tail = text.rsplit("Traceback (most recent call last):", 1)[1]
    lines = [line.strip() for line in tail.splitlines() if line.strip() and not line[0].isspace()]
    return lines[-1] if lines else None


#: Hints appended to a failure's line, by what the line holds.
FAILURE_HINTS = {
    "spark.driver.maxResultSize": (
        " (raise it: --spark-conf spark.driver.maxResultSize=8g, see docs/PERFORMANCE.md)"
    ),
    "ModuleNotFoundError": (
        " (the executors' Python lacks a library: see docs/PERFORMANCE.md, Running on a cluster)"
    ),
}


def failure_message(exc, limit=500):
    """One line saying why a Spark call failed, for the user.

    A ``Py4JJavaError`` builds its text by asking the JVM, so this must run while the
    JVM is up. Its own first line ("An error occurred while calling o212.toPythonIterator.")
    says nothing, and Spark wraps failures ("Exception thrown in awaitResult:"), so the
    line used is: the exception line of a task's Python traceback if there is one (an
    executor that cannot import a library, say); else the cause chain's stage failure;
    else its first line that is not a bare wrapper. A known limit gets the setting that
    raises it.
    """
    texts = []
    with contextlib.suppress(Exception):  # a dead JVM or gateway: fall back to the type's name
        java = getattr(exc, "java_exception", None)
        texts = _java_chain(java) if java is not None else [str(exc).strip()]
    python = next(filter(None, map(python_error, texts)), None)
    lines = [python] if python else [text.splitlines()[0] for text in texts if text]
    lines = [re.sub(r"^(?:[a-z_][a-z0-9_]*\.)+(?=[A-Z])", "", line.strip()) for line in lines if line.strip()]
    stage = [line for line in lines if "stage failure" in line]
    told = [line for line in lines if not line.endswith(":")]
    first = (stage or told or lines or [type(exc).__name__])[0][:limit]
    return first + "".join(hint for key, hint in FAILURE_HINTS.items() if key in first)


def ship_package(spark, folder):
    """Send this package to the executors of a cluster, as a zip of its modules (``addPyFile``).

    The executors then run the driver's own code (the corpus rules, the member training)
    whatever they have installed; they need only its libraries (see
    :mod:`item2vec.spark.member_training`). A local master's executors find the package
    already (:func:`get_spark` puts it on their path). Once per Spark context.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    folder : str
        A local folder of the driver's that lives as long as the session (Spark serves the
        zip from there).

    Returns
    -------
    str or None
        The zip shipped, or None when nothing was.
    """
    context = spark.sparkContext
    if local_cores(context.master) is not None or getattr(context, "_item2vec_shipped", None):
        return None
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(folder, "item2vec.zip")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for root, dirs, files in os.walk(package):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(f for f in files if f.endswith(".py")):
                full = os.path.join(root, name)
                archive.write(full, os.path.relpath(full, os.path.dirname(package)))
    context.addPyFile(path)
    context._item2vec_shipped = path
    logger.info("shipped the item2vec package to the executors (%d KB)", os.path.getsize(path) // 1024)
    return path


@contextlib.contextmanager
def spark_session(master=None, conf=None):
    """:func:`get_spark` as a context: if this call started the session, it is stopped at the
    end and its JVM ended (:func:`shutdown_jvm`).

    A Spark failure inside the block becomes an :class:`~item2vec.errors.EngineError`
    ("Spark failed: ..."), its message read before the JVM is ended. After a failure or an
    interruption the JVM's own output while it stops is dropped (jobs cut short print Java
    stack traces): the program has said why it stops.
    """
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    started = _active_session() is None
    spark = get_spark(master, conf)
    failed = True
    try:
        yield spark
        failed = False
    except (PySparkException, Py4JError) as exc:
        raise EngineError(f"Spark failed: {failure_message(exc)}") from None
    finally:
        if started:
            if failed:  # the reason is told (or Ctrl-C was pressed): the JVM's shutdown is noise
                _STOPPING_AFTER_FAILURE.set()
            try:
                spark.stop()
                shutdown_jvm()
            finally:
                _STOPPING_AFTER_FAILURE.clear()
