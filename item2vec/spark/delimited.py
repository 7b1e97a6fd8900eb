"""Delimited text in Spark, read under the pandas readers' rules.

The pandas readers parse with pandas' C parser and clean with
:func:`~item2vec.ingest.cleaning.as_int`; the Spark engine must cut lines into fields and
turn text into integers exactly as they do, or the two engines would keep
different rows. What these functions reproduce, and why:

* lines holding only spaces (and tabs, unless tab is the delimiter) are skipped,
  as pandas skips them; every other line is a row;
* a field is text between delimiters (``split`` with no limit, so trailing empty
  fields count); a missing field reads as empty text, as with pandas'
  ``keep_default_na=False``;
* :func:`as_int` is the integer rule of :func:`item2vec.ingest.cleaning.as_int` as a column:
  it strips the blanks Python's ``str.strip`` strips (Spark's ``trim`` only strips spaces),
  accepts only text matching :data:`~item2vec.ingest.cleaning.NUMBER` (Java's parser would
  also take ``5d`` or ``0x1p3``), reads it as a double and keeps finite integral values below
  :data:`~item2vec.ingest.cleaning.INT_LIMIT`; a bare ``cast`` would truncate ``5.7`` to 5;
* Spark's readers never fail on bytes that are not UTF-8: they decode them as
  U+FFFD, which is counted per table and checked (:func:`item2vec.spark.paths.utf8_problem`).
"""

import csv
import os
import sys

from pyspark.sql import functions as F

from ..errors import DataError
from ..ingest import cleaning
from . import paths


def _java_class(characters):
    """A Java regex character-class body matching exactly ``characters`` (as ``\\uXXXX`` escapes)."""
    return "".join(f"\\u{ord(c):04X}" for c in sorted(characters))


#: The characters Python's ``str.isspace`` accepts (what ``str.strip`` strips in the pandas
#: engine), as a Java regex class body: derived from Python, so the engines cannot drift.
WHITESPACE = _java_class(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
#: :data:`item2vec.ingest.cleaning.NUMBER`, anchored for ``rlike``.
NUMBER = f"^{cleaning.NUMBER}$"
#: What Java decodes an invalid UTF-8 sequence into (Spark keeps a line's raw bytes until a
#: function such as a regular expression needs Java text).
REPLACEMENT = "\ufffd"


def strip(column):
    """``str.strip()`` of a string column (all of Python's whitespace, both ends)."""
    return F.regexp_replace(column, f"^[{WHITESPACE}]+|[{WHITESPACE}]+$", "")


def as_int(column):
    """A long column: the integer ``column`` holds by the pandas rule (``cleaning.as_int``), or null.

    Parameters
    ----------
    column : pyspark.sql.Column
        Text.

    Returns
    -------
    pyspark.sql.Column
        LongType; null where the text is not a usable integer.
    """
    text = strip(column)
    number = F.when(text.rlike(NUMBER), text.try_cast("double"))
    usable = (
        number.isNotNull()
        & (F.abs(number) < F.lit(float(cleaning.INT_LIMIT)))
        & (number == F.floor(number).cast("double"))
    )
    # Plain digits are nearly every value and cost a sixth of the general rule (measured);
    # up to 15 digits a double holds them exactly, so the plain cast gives pandas' value.
    plain = column.rlike("^[0-9]{1,15}$")
    return F.when(plain, column.cast("long")).otherwise(F.when(usable, number.cast("long")))


def _blank(value, sep):
    # pandas' tokenizer skips a line of spaces, and of tabs too when tab is not the delimiter.
    return value.rlike("^ *$" if sep == "\t" else "^[ \t]*$")


def read_lines(spark, path, sep, positions=False):
    """The non-blank lines of a text file (or folder of part files) as DataFrame[value].

    With ``positions``, a column ``pos`` orders the lines as they are in the file:
    Spark splits one file into byte ranges kept in file order (partition i holds
    the i-th range), and ``monotonically_increasing_id`` numbers rows by partition,
    then row. The Last.fm-360K reader numbers users and artists by first appearance
    with it, as the pandas reader does.
    """
    frame = spark.read.text(path)
    if positions:
        frame = frame.select(F.monotonically_increasing_id().alias("pos"), "value")
    return frame.where(~_blank(F.col("value"), sep))


def fields(value, sep):
    """Array column of the fields of a line cut at every ``sep`` (no quoting)."""
    return F.split(value, "\t" if sep == "\t" else sep, -1)


def field(parts, i):
    """Field ``i`` of a :func:`fields` array, or empty text when the line is shorter."""
    return F.when(F.size(parts) > i, parts[i]).otherwise(F.lit(""))


def csv_fields(value, n):
    """(array of ``n`` fields, number of fields) of a comma-separated line with ``"`` quoting.

    A line without a quote is cut at its commas, which is exactly what pandas does.
    A line with quotes goes through Spark's CSV parser (``from_csv``, doubled quotes
    as escapes) for the values; its field count is the number of commas outside
    quoted fields plus one (a quote opens a quoted field only at the field's start,
    as in pandas).
    """
    plain = fields(value, ",")
    schema = ", ".join(f"c{i} STRING" for i in range(n + 1))
    parsed = F.from_csv(value, schema, {"quote": '"', "escape": '"', "mode": "PERMISSIVE"})
    quoted = F.array(*[F.coalesce(parsed[f"c{i}"], F.lit("")) for i in range(n)])
    unquoted_rest = F.regexp_replace(value, '(^|,)"([^"]|"")*"', "$1")
    has_quote = F.instr(value, '"') > 0
    values = F.when(has_quote, quoted).otherwise(F.array(*[field(plain, i) for i in range(n)]))
    count = F.when(has_quote, F.size(fields(unquoted_rest, ","))).otherwise(F.size(plain))
    return values, count


def first_line(spark, path, sep):
    """The first non-blank line of a file (its header), or None.

    Read directly for a local file (a Spark job costs a second or more); through
    Spark for any other file system. A line that is not UTF-8 reads with U+FFFD
    here, as in Spark, and is reported by the reader's UTF-8 check.
    """
    blank = " " if sep == "\t" else " \t"
    if paths.is_local(path):
        local = paths.local_path(path)
        parts = paths.part_files(local) if os.path.isdir(local) else [local]
        for part in parts:
            # utf-8-sig: Hadoop's line reader drops a byte-order mark at the start of a file too.
            with open(part, encoding="utf-8-sig", errors="replace", newline="") as handle:
                for line in handle:
                    line = line.rstrip("\r\n")  # newline="": split at \n, \r and \r\n, as pandas does
                    if line.strip(blank):
                        return line
        return None
    row = read_lines(spark, path, sep).select("value").first()
    return None if row is None else row.value


def _header_fields(line, sep):
    if sep == "\t":
        return line.split("\t")
    return next(csv.reader([line]))


def read_headed(spark, path, required, sep, positions=False):
    """A delimited file with a header line, as raw text columns (like ``cleaning.read_table``).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    path : str
    required : list of str
        Column names that must be in the header; they are the columns returned.
    sep : {",", "\\t"}
        Comma: ``"``-quoted CSV (Kaggle). Tab: no quoting (HetRec).
    positions : bool
        Keep the file-order column ``pos`` (see :func:`read_lines`).

    Returns
    -------
    rows : pyspark.sql.DataFrame
        One row per data line: the ``required`` columns as text (empty when missing),
        ``long`` (the line has more fields than the header: pandas skips it) and
        ``bad_text`` (the line holds U+FFFD), plus ``pos`` if asked.
    header : list of str
        The header's column names.

    Raises
    ------
    DataError
        Missing file, empty file, missing columns: the pandas reader's messages.
    """
    paths.check_data_file(spark, path)
    lines = read_lines(spark, path, sep, positions)
    first = first_line(spark, path, sep)
    if first is None:
        raise DataError(f"{path}: file is empty")
    header = cleaning.header_names(_header_fields(first, sep))
    try:
        cleaning.check_columns(path, header, required, sep)
    except DataError:
        # pandas decodes the whole file before it looks at the header: a file that is not
        # UTF-8 is that, before it is a file with the wrong columns.
        check_utf8(spark, path, lines.where(~F.is_valid_utf8("value")).limit(1).count())
        raise
    n = len(header)
    # Every file of a folder of part files starts with the header: drop the header line wherever it is.
    body = lines.where(F.col("value") != F.lit(first))
    if sep == ",":
        values, count = csv_fields(F.col("value"), n)
    else:
        parts = fields(F.col("value"), sep)
        values, count = F.array(*[field(parts, i) for i in range(n)]), F.size(parts)
    keep = ["pos"] if positions else []
    rows = body.select(*keep, values.alias("f"), (count > n).alias("long"), not_utf8("value"))
    rows = rows.select(
        *keep,
        *[F.col("f")[header.index(name)].alias(name) for name in required],
        "long",
        "bad_text",
    )
    return rows, header


def not_utf8(column):
    """``bad_text``: whether the line's bytes are not valid UTF-8 (Spark's readers never fail on them)."""
    return (~F.is_valid_utf8(F.col(column))).alias("bad_text")


def check_utf8(spark, path, bad_lines):
    """The pandas reader's DataError (:func:`item2vec.ingest.cleaning.utf8_error`) when ``bad_lines``
    lines of ``path`` are not UTF-8 (see :func:`item2vec.spark.paths.utf8_problem`)."""
    if bad_lines:
        problem = paths.utf8_problem(spark, path)
        if problem:
            raise cleaning.utf8_error(path, problem)


def collect_artist_table(spark, rows, path):
    """The raw artist table on the driver (pandas, text columns), ready for
    :func:`item2vec.ingest.cleaning.clean_artists`, which then applies its rules exactly.

    ``rows`` has columns artist_id, name, long, bad_text. Artist tables are small
    next to play data (LFM-1b: about 3M artists), and the first of two rows with the
    same id wins, so the rows must arrive in file order: ``toPandas`` returns
    partitions in order, and a file's partitions are in file order.

    Returns
    -------
    pandas.DataFrame
        Columns artist_id, name (text, empty when missing) of the rows that are not
        too long; ``attrs["rows_too_long"]`` counts the others.
    """
    frame = rows.select("artist_id", "name", "long", "bad_text").toPandas()
    check_utf8(spark, path, int(frame["bad_text"].sum()))
    long_rows = frame["long"].to_numpy(dtype=bool)
    frame = frame.loc[~long_rows, ["artist_id", "name"]].reset_index(drop=True)
    frame = frame.astype({"artist_id": object, "name": object}).fillna("")
    frame.attrs["rows_too_long"] = int(long_rows.sum())
    return frame
