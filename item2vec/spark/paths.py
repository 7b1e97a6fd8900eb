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

import os
import re

from ..checksums import sha256_file
from ..errors import DataError
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


def exists(spark, path):
    """Whether ``path`` (a file or a folder) exists."""
    return _status(spark, path)[0] != "missing"


def is_folder(spark, path):
    """Whether ``path`` is a folder."""
    return _status(spark, path)[0] == "folder"


def detect_format(spark, path):
    """The input format at ``path``, named as :func:`item2vec.ingest.formats.detect_format` names it.

    Local paths go through that very function; for a URI the same rules are
    applied through Hadoop (a file is the Last.fm-360K or LFM-1b events file by its
    name; a folder is recognised by the files it holds).
    """
    if is_local(path):
        return formats.detect_format(local_path(path))
    kind, _ = _status(spark, path)
    base = path.rstrip("/").rsplit("/", 1)[-1]
    if kind == "file":
        if base.endswith(".tsv") and "360" in base or base == formats.LASTFM360K_PLAYS:
            return "lastfm360k"
        if base == formats.LFM1B_EVENTS:
            return "lfm1b"
        raise DataError(f"{path}: not a data folder; give the folder that holds the data files")
    if kind == "missing":
        raise DataError(f"{path}: no such data folder")
    for fmt, markers in formats.MARKERS.items():
        if all(exists(spark, join(path, m)) for m in markers):
            return fmt
    raise DataError(
        f"{path}: found none of the known data files ({', '.join(sorted(formats.READERS))} formats); "
        f"see README for their names"
    )


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
