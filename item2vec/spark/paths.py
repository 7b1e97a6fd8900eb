"""The input paths of the Spark engine: local ones like the pandas path, others through Hadoop.

A local path (no scheme, or ``file://``) gets exactly the checks and messages of
the pandas readers (:func:`item2vec.ingest.cleaning.check_text_file`,
:func:`item2vec.ingest.formats.detect_format`), so a missing or empty file says the same in
both engines. Any other path (``hdfs://``, ``s3a://``, ...) is checked through
Hadoop's FileSystem API of the running session, which knows every scheme the
cluster is configured for.

Spark also reads a folder of part files as one input; such a folder is accepted
wherever a data file is expected (``LFM-1b_LEs.txt/part-00000``, ...), as long as
it holds data.
"""

import contextlib
import os
import re
import shutil
import tempfile
import uuid

from ..checksums import sha256_file
from ..errors import DataError, EngineError
from ..ingest import cleaning, formats

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def is_local(path):
    """Whether ``path`` is on the local file system (no URI scheme, or ``file:``)."""
    return not _SCHEME.match(path) or path.startswith("file:")


def local_path(path):
    """The OS path of a local ``path`` (``file:///x`` -> ``/x``)."""
    if path.startswith("file://"):
        return path[len("file://") :]
    return path[len("file:") :] if path.startswith("file:") else path


def join(folder, name):
    """``folder``/``name`` for a local folder or a URI."""
    if is_local(folder):
        return os.path.join(folder, name)
    return folder.rstrip("/") + "/" + name


def _hadoop(spark, path):
    """(Hadoop FileSystem, Path) of a URI."""
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    return hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hpath


def _status(spark, path):
    """("missing" | "file" | "folder", bytes of data) of ``path``; a folder's bytes are its data files'."""
    if is_local(path):
        path = local_path(path)
        if not os.path.exists(path):
            return "missing", 0
        if not os.path.isdir(path):
            return "file", os.path.getsize(path)
        return "folder", sum(os.path.getsize(p) for p in part_files(path))
    fs, hpath = _hadoop(spark, path)
    if not fs.exists(hpath):
        return "missing", 0
    status = fs.getFileStatus(hpath)
    if not status.isDirectory():
        return "file", int(status.getLen())
    return "folder", int(fs.getContentSummary(hpath).getLength())


def part_files(folder):
    """Data files of a local folder Spark would read, in name order (hidden and ``_`` files skipped)."""
    return sorted(
        os.path.join(folder, name)
        for name in os.listdir(folder)
        if not name.startswith((".", "_")) and os.path.isfile(os.path.join(folder, name))
    )


def check_data_file(spark, path):
    """DataError unless ``path`` is a readable, non-empty data file (or a folder of part files).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    path : str

    Raises
    ------
    DataError
        The same one-line messages as the pandas readers: file not found, file is
        empty, not a text file (NUL bytes at the start of a local file).
    """
    kind, size = _status(spark, path)
    if kind == "missing":
        raise DataError(f"{path}: file not found")
    if kind == "file" and is_local(path):
        cleaning.check_text_file(local_path(path))
    elif size == 0:
        raise DataError(f"{path}: file is empty" if kind == "file" else f"{path}: folder holds no data")


def kind(spark, path):
    """``"missing"``, ``"file"`` or ``"folder"``: what ``path`` is."""
    return _status(spark, path)[0]


def exists(spark, path):
    """Whether ``path`` (a file or a folder) exists."""
    return _status(spark, path)[0] != "missing"


def is_folder(spark, path):
    """Whether ``path`` is a folder."""
    return _status(spark, path)[0] == "folder"


def detect_format(spark, path):
    """The input format at ``path``: :func:`item2vec.ingest.formats.detect_format` itself, which
    looks at a URI through Hadoop's file system API."""
    if is_local(path):
        return formats.detect_format(local_path(path))
    return formats.detect_format(path, kind=lambda p: kind(spark, p), join=join)


def checksums(paths):
    """SHA-256 of each local input file, by base name (for ``metadata.json``).

    Files on other file systems are not hashed: reading terabytes back through the
    driver to hash them would cost more than the whole job. A local folder of part
    files is hashed part by part.
    """
    sums = {}
    for path in paths:
        if not is_local(path):
            continue
        path = local_path(path)
        if os.path.isdir(path):
            for part in part_files(path):
                sums[f"{os.path.basename(path)}/{os.path.basename(part)}"] = sha256_file(part)
        else:
            sums[os.path.basename(path)] = sha256_file(path)
    return sums


def utf8_problem(spark, path):
    """Where ``path``, which holds lines that are not valid UTF-8, first goes wrong.

    Spark's readers never fail on such bytes, so the engine counts the lines and
    asks this function what to report: for a local file the place, found as the
    pandas reader finds it (:func:`item2vec.ingest.cleaning.utf8_problem`); for other file
    systems only that it happens.
    """
    if not is_local(path):
        return "some lines hold bytes that are not UTF-8"
    path = local_path(path)
    for part in part_files(path) if os.path.isdir(path) else [path]:
        problem = cleaning.utf8_problem(part)
        if problem:
            return problem if part == path else f"{problem} in {os.path.basename(part)}"
    return "some lines hold bytes that are not UTF-8"


def _default_work_base(spark):
    """Where a run's work folder goes by default: the system's temporary folder when Hadoop's
    default file system is the local one (local Spark, a cluster on one machine), else ``/tmp``
    of the cluster's default file system (HDFS on most clusters)."""
    default = spark.sparkContext._jsc.hadoopConfiguration().get("fs.defaultFS") or "file:///"
    return tempfile.gettempdir() if default.startswith("file:") else default.rstrip("/") + "/tmp"


@contextlib.contextmanager
def work_folder(spark, base=None):
    """A new folder for the run's intermediate files (the members' corpora), removed at the end.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    base : str, optional
        A local folder or a URI (``hdfs://``, ``s3a://``) every executor reads
        (``--spark-work``); default :func:`_default_work_base`. Only the folder created
        here is ever removed.

    Yields
    ------
    str
        The folder, as a URI (``file://`` for a local one, so that a cluster whose default
        file system is HDFS still writes it locally).
    """
    base = base or _default_work_base(spark)
    name = f"item2vec-spark-{uuid.uuid4().hex[:12]}"
    if is_local(base):
        parent = local_path(base)
        if not os.path.isdir(parent):
            raise ValueError(f"--spark-work {base}: no such folder")
        folder = tempfile.mkdtemp(prefix=name, dir=parent)
        try:
            yield "file://" + os.path.abspath(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    uri = join(base, name)
    fs, hpath = _hadoop(spark, uri)
    fs.mkdirs(hpath)
    try:
        yield uri
    finally:
        with contextlib.suppress(Exception):  # the JVM may be gone after a failure
            fs.delete(hpath, True)


def check_written(spark, folders):
    """EngineError unless each of ``folders`` (written by the executors) holds data the driver sees.

    A local work folder on a cluster of several machines is written on each executor's own
    disk: say so instead of training on nothing.
    """
    for folder in folders:
        kind, size = _status(spark, folder)
        if kind != "folder" or not size:
            raise EngineError(
                f"{folder}: the executors' output is missing here; on a cluster of several machines give "
                f"--spark-work a folder every machine shares (hdfs://..., s3a://...)"
            )
