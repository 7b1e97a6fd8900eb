"""Every bad input, one table, both engines: the contract any engine of train_item2vec.py must keep.

:data:`BAD_INPUTS` lists each input the readers must refuse (a file or folder that cannot
be used, as opposed to faulty rows that are repaired and counted, which
tests/test_spark_data.py compares between the engines). :class:`BadInputContract` runs
every case through ``train_item2vec.main(argv)`` and checks what a user gets: exit code 2,
one line on stderr, the table's message, the previous model in ``--out`` byte for byte.
Each engine is a subclass that says how it runs (in the spirit of implicit's
``RecommenderBaseTestMixin``): a rule added to one engine's readers only, or a message
worded differently by one of them, fails here.
"""

import contextlib
import dataclasses
import gzip
import io
import os
import re
import shutil

import pytest
from reliability import time_limit
from test_events import DIRTY_LINES
from test_formats import write_360k, write_hetrec

from item2vec.cli import train_command as train_item2vec
from item2vec.ingest.formats import KAGGLE_ARTISTS, KAGGLE_PLAYS, LFM1B_ARTISTS, LFM1B_EVENTS

GOOD_EVENTS = ["1\t1\t1\t1\t1200000000", "1\t2\t1\t1\t1200000001", "2\t1\t1\t1\t1200000002"] * 30
EVENT_ARTISTS = "1\tA\n2\tB\n3\t\n5\tE\n"


@dataclasses.dataclass
class BadInput:
    """One refused input: how to make it, the arguments, and the error line both engines print.

    ``files`` maps file names (in the case's folder) to their bytes or text, or to a
    function of the synthetic Kaggle file's text; ``data`` is the ``--data`` path inside
    the case's folder (``""``: the folder itself). ``message`` is a regular expression of
    the line after ``error: ``, in which ``{data}`` stands for the ``--data`` path.
    """

    name: str
    files: dict
    message: str
    data: str = ""
    args: tuple = ()


def _edit_lines(edit):
    """A Kaggle file edit: ``edit(lines)`` on its lines (header first)."""
    return lambda text: "\n".join(edit(text.splitlines())) + "\n"


def _bad_counts(n):
    """The plays file with the play count of its first ``n`` rows made unusable."""

    def edit(lines):
        return [lines[0], *[line.rsplit(",", 1)[0] + ",x" for line in lines[1 : n + 1]], *lines[n + 1 :]]

    return _edit_lines(edit)


class Special(str):
    """A file of a case that is not a regular file: ``Special("fifo")``, or a link to a device."""


FIFO = Special("fifo")
DEVICE = Special("/dev/zero")  # a character device, and endless: reading it would never end


def _latin1_artist(text):
    return text.encode("utf-8") + "999,Bj\u00f6rk\n".encode("latin-1")


ONE_COLUMN = r" \(only one column: is the delimiter ','\?\)"
NUMBERS_IN_HEADER = r" \(the first line holds numbers: is the header line missing\?\)"
TOO_MANY = (
    r", more than the 1% a sound file loses; the file looks damaged or truncated "
    r"\(see the warnings above\)\. Fix it, or pass --max-dropped-share 1 to train on the rest anyway"
)
PLAYS = "{data}/" + KAGGLE_PLAYS
ARTISTS = "{data}/" + KAGGLE_ARTISTS

#: Every input both engines must refuse. Kaggle cases start from the synthetic data set's files.
BAD_INPUTS = [
    BadInput(
        "no such folder", {}, r"{data}: no such data folder\. Download the Kaggle data set .*", "nowhere"
    ),
    BadInput(
        "a folder of unknown files",
        {"notes.txt": "x"},
        r"{data}: found neither the Kaggle files \(lastfm_user_scrobbles\.csv, lastfm_artist_list\.csv\) "
        r"nor .*",
    ),
    BadInput(
        "a file that is not a data folder",
        {"notes.txt": "x"},
        r"{data}: not a data folder; give the folder that holds lastfm_user_scrobbles\.csv and .*",
        "notes.txt",
    ),
    BadInput(
        "plays: semicolons",
        {KAGGLE_PLAYS: lambda t: t.replace(",", ";")},
        PLAYS
        + r": missing columns user_id, artist_id, scrobbles; found 'user_id;artist_id;scrobbles'"
        + ONE_COLUMN,
    ),
    BadInput(
        "plays: tabs",
        {KAGGLE_PLAYS: lambda t: t.replace(",", "\t")},
        PLAYS
        + r": missing columns user_id, artist_id, scrobbles; found 'user_id\\tartist_id\\tscrobbles'"
        + ONE_COLUMN,
    ),
    BadInput(
        "artists: semicolons",
        {KAGGLE_ARTISTS: lambda t: t.replace(",", ";")},
        ARTISTS + r": missing columns artist_id, artist_name; found 'artist_id;artist_name'" + ONE_COLUMN,
    ),
    BadInput(
        "plays: no header line",
        {KAGGLE_PLAYS: _edit_lines(lambda lines: lines[1:])},
        PLAYS
        + r": missing columns user_id, artist_id, scrobbles; found '\d+', '\d+', '\d+'"
        + NUMBERS_IN_HEADER,
    ),
    BadInput(
        "artists: no header line",
        {KAGGLE_ARTISTS: _edit_lines(lambda lines: lines[1:])},
        ARTISTS + r": missing columns artist_id, artist_name; found '1', 'g0-a1'" + NUMBERS_IN_HEADER,
    ),
    BadInput(
        "plays: a missing column",
        {KAGGLE_PLAYS: _edit_lines(lambda lines: [line.rsplit(",", 1)[0] for line in lines])},
        PLAYS + r": missing column scrobbles; found 'user_id', 'artist_id'",
    ),
    BadInput("plays: empty", {KAGGLE_PLAYS: b""}, PLAYS + ": file is empty"),
    BadInput("artists: empty", {KAGGLE_ARTISTS: b""}, ARTISTS + ": file is empty"),
    BadInput(
        "plays: a header, no rows",
        {KAGGLE_PLAYS: "user_id,artist_id,scrobbles\n"},
        PLAYS + ": has a header but no rows",
    ),
    BadInput(
        "artists: a header, no rows",
        {KAGGLE_ARTISTS: "artist_id,artist_name\n"},
        ARTISTS + ": has a header but no rows",
    ),
    BadInput(
        "artists: gzip",
        {KAGGLE_ARTISTS: lambda t: gzip.compress(t.encode("utf-8"), mtime=0)},
        ARTISTS + r": not a text file \(contains NUL bytes\)",
    ),
    BadInput(
        "artists: UTF-16",
        {KAGGLE_ARTISTS: lambda t: t.encode("utf-16-le")},
        ARTISTS + r": not a text file \(contains NUL bytes\)",
    ),
    BadInput(
        "artists: a PNG",
        {KAGGLE_ARTISTS: b"\x89PNG\r\n\x1a\n" + bytes(range(1, 256)) * 8},
        ARTISTS + r": not UTF-8 text \(invalid start byte at line 1 \(byte 0\)\)",
    ),
    BadInput(
        "artists: a Latin-1 line",
        {KAGGLE_ARTISTS: _latin1_artist},
        ARTISTS + r": not UTF-8 text \(invalid start byte at line 122 \(byte \d+\)\)",
    ),
    BadInput(
        "plays: no usable row",
        {
            KAGGLE_PLAYS: _edit_lines(
                lambda lines: [lines[0]] + [re.sub(",[0-9]+,", ",777777,", x) for x in lines[1:]]
            )
        },
        PLAYS + r": none of its \d+ rows is usable \(see the warnings above for what was wrong\)",
    ),
    BadInput(
        "artists: truncated",
        {KAGGLE_ARTISTS: _edit_lines(lambda lines: lines[:61])},
        PLAYS
        + r": \d+ of its \d+ rows \(\d+\.\d%\) cannot be used \(\d+ of them name an artist id missing from "
        + ARTISTS
        + r"\)"
        + TOO_MANY,
    ),
    BadInput(
        "plays: one row over the 1% limit",
        {KAGGLE_PLAYS: _bad_counts(116)},
        PLAYS + r": 116 of its 11489 rows \(1\.0%\) cannot be used" + TOO_MANY,
    ),
    BadInput(
        "hetrec: an unknown artist in 6 rows",
        {"hetrec": write_hetrec},
        r"{data}/user_artists\.dat: 1 of its 6 rows \(16\.7%\) cannot be used "
        r"\(1 of them name an artist id missing from {data}/artists\.dat\)" + TOO_MANY,
        "hetrec",
    ),
    BadInput(
        "360K: empty", {"plays.tsv": ""}, r"{data}: file is empty", "plays.tsv", ("--format", "lastfm360k")
    ),
    BadInput(
        "360K: no usable row",
        {"plays.tsv": "u1\t\t\t3\nu2\tm\tA\t-1\n"},
        r"{data}: no usable rows \(see the warnings above for what was wrong\)",
        "plays.tsv",
        ("--format", "lastfm360k"),
    ),
    BadInput(
        "360K: not UTF-8",
        {"plays.tsv": "u1\t\tD\xe9j\xe0 Vu\t3\n".encode("latin-1")},
        r"{data}: not UTF-8 text \(invalid continuation byte at line 1 \(byte 5\)\)",
        "plays.tsv",
        ("--format", "lastfm360k"),
    ),
    BadInput(
        "360K: no such file",
        {"other.txt": "x"},
        r"{data}: file not found",
        "usersha1-artmbid-artname-plays.tsv",
        ("--format", "lastfm360k"),
    ),
    BadInput(
        "360K: too many faulty rows",
        {"360k": lambda folder: write_360k(folder / "plays.tsv")},
        r"{data}: \d+ of its \d+ rows \(\d+\.\d%\) cannot be used" + TOO_MANY,
        "360k/plays.tsv",
        ("--format", "lastfm360k"),
    ),
    BadInput(
        "events: no events file",
        {LFM1B_ARTISTS: EVENT_ARTISTS},
        r"{data}/LFM-1b_LEs\.txt: file not found",
        args=("--format", "lfm1b"),
    ),
    BadInput(
        "events: no artist file",
        {LFM1B_EVENTS: "1\t1\t1\t1\t5\n"},
        r"{data}/LFM-1b_artists\.txt: file not found",
        args=("--format", "lfm1b"),
    ),
    # A FIFO used to hang the trainer (open() waits for a writer); /dev/zero is endless.
    BadInput(
        "plays: a FIFO",
        {KAGGLE_PLAYS: FIFO},
        PLAYS + r": is a FIFO \(named pipe\), not a regular file; give the data file itself",
    ),
    BadInput(
        "plays: a character device",
        {KAGGLE_PLAYS: DEVICE},
        PLAYS + r": is a character device, not a regular file; give the data file itself",
    ),
    BadInput(
        "--data: a FIFO",
        {"events.tsv": FIFO},
        r"{data}: is a FIFO \(named pipe\), not a data folder or file",
        "events.tsv",
    ),
    BadInput(
        "events: empty",
        {LFM1B_EVENTS: "", LFM1B_ARTISTS: EVENT_ARTISTS},
        r"{data}/LFM-1b_LEs\.txt: file is empty",
    ),
    BadInput(
        "events: not UTF-8",
        {LFM1B_EVENTS: b"1\t1\t1\t1\t5\n1\t2\tD\xe9j\xe0\t1\t6\n", LFM1B_ARTISTS: EVENT_ARTISTS},
        r"{data}/LFM-1b_LEs\.txt: not UTF-8 text \(invalid continuation byte at line 2 \(byte 15\)\)",
    ),
    BadInput(
        "events: NUL bytes",
        {LFM1B_EVENTS: b"\x00\x00\x01", LFM1B_ARTISTS: EVENT_ARTISTS},
        r"{data}/LFM-1b_LEs\.txt: not a text file \(contains NUL bytes\)",
    ),
    BadInput(
        "events: none usable",
        {LFM1B_EVENTS: "1\t9\t1\t1\t5\n", LFM1B_ARTISTS: EVENT_ARTISTS},
        r"{data}/LFM-1b_LEs\.txt: none of its 1 lines is a usable event "
        r"\(see the warnings above for what was wrong\)",
        args=("--max-dropped-share", "1"),
    ),
    BadInput(
        "events: too many faulty lines",
        {LFM1B_EVENTS: "\n".join(GOOD_EVENTS + DIRTY_LINES) + "\n", LFM1B_ARTISTS: EVENT_ARTISTS},
        r"{data}/LFM-1b_LEs\.txt: 10 of its 101 rows \(9\.9%\) cannot be used "
        r"\(1 of them name an artist id missing from {data}/LFM-1b_artists\.txt\)" + TOO_MANY,
    ),
]


def make(case, root, synthetic_dir):
    """Write ``case``'s folder under ``root``; returns its ``--data`` path."""
    folder = root / re.sub(r"[^a-z0-9]+", "-", case.name.lower())
    if any(name in (KAGGLE_PLAYS, KAGGLE_ARTISTS) for name in case.files):
        shutil.copytree(synthetic_dir, folder)
    folder.mkdir(exist_ok=True)
    for name, content in case.files.items():
        if name in ("hetrec", "360k"):
            (folder / name).mkdir()
            content(folder / name)
            continue
        path = folder / name
        if isinstance(content, Special):
            path.unlink(missing_ok=True)
            if content == FIFO:
                os.mkfifo(path)
            else:
                os.symlink(content, path)
            continue
        if callable(content):
            content = content(path.read_text(encoding="utf-8"))
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(folder / case.data) if case.data else str(folder)


@pytest.fixture(scope="module")
def bad_data(tmp_path_factory, synthetic_dir):
    """The ``--data`` path of every case, written once for both engines (read-only)."""
    root = tmp_path_factory.mktemp("bad-inputs")
    return {case.name: make(case, root, synthetic_dir) for case in BAD_INPUTS}


class BadInputContract:
    """What every engine does with every bad input; a subclass sets :attr:`engine` (its arguments)."""

    engine = ()

    def run(self, argv):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = train_item2vec.main([*self.engine, *argv])
        return code, err.getvalue()

    @pytest.mark.parametrize("case", BAD_INPUTS, ids=[case.name for case in BAD_INPUTS])
    def test_a_bad_input_ends_in_one_line_and_keeps_the_previous_model(
        self, case, bad_data, synthetic_model_dir, tmp_path
    ):
        model = tmp_path / "model"
        shutil.copytree(synthetic_model_dir, model)
        before = {p.name: p.read_bytes() for p in model.iterdir()}
        data = bad_data[case.name]
        with time_limit(120):  # a reader waiting on a FIFO or reading a device fails, never hangs
            code, err = self.run(["--data", data, "--out", str(model), "--quiet", *case.args])
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1, err
        expected = "error: " + case.message.replace("{data}", re.escape(data))
        assert re.fullmatch(expected, lines[0]), lines[0]
        assert {p.name: p.read_bytes() for p in model.iterdir()} == before


class TestPandasEngine(BadInputContract):
    engine = ()


@pytest.mark.spark
class TestSparkEngine(BadInputContract):
    engine = ("--engine", "spark", "--spark-master", "local[2]")

    @pytest.fixture(autouse=True)
    def _session(self, spark):
        """The session's shared local Spark, which the engine joins."""
