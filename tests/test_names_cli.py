"""Name lookup through ask.main on a model whose catalogue holds the real data's awkward names.

The synthetic artists are renamed by popularity, so that each case is reproduced: a
better-known near-identical spelling, names without their article, a name among whole words,
letters that do not decompose (ø), same names in several forms, singular and plural counts,
punctuation people leave out, names in other scripts typed in Latin letters, quotes, batch
lines that look like comments. The model is written by the real training path
(``train_and_save``), so its Latin keys are the ones ``train_item2vec.py`` computes.
"""

import errno
import io
import json
import os
import subprocess
import sys
import types

import model_cache
import pandas as pd
import pytest
from reliability import one_error_line, run
from terminal import Terminal

from conftest import REPO, SMALL_CONFIG, Stdin
from item2vec.cli import ask_command as ask
from item2vec.ingest.formats import load_dataset
from item2vec.model.storage import load_model
from item2vec.query.names import NameIndex
from item2vec.research.synthetic import make_plays, write_kaggle
from item2vec.training.trainer import TrainConfig, train_and_save

POPULAR = [
    "P!Nk",
    "Blink-182",
    "The Beatles",
    "Wolfgang Amadeus Mozart",
    "Kanye West",
    "Björk",
    "Zемфира",
    "Jay-Z",
    "Ac/Dc",
    "Guns N' Roses",
    "浜崎あゆみ",
    "宇多田ヒカル",
    "倖田來未",
    "Мумий Тролль",
    "嵐",
]
MIDDLE = ["Pink", "Keane", "Bjornstad", "Erlend Øye", "Red", "Cult Of Luna"]
# One listener each: no vector, folded in.
RARE = [
    "Blink 182",
    "Земфира",
    "ＲＥＤ",
    "Red",
    "Arashi",
    "Guns N Roses &Alice Cooper",
    "#2 Orchestra",
    "#####",
]
#: One listener whose list holds nothing the model knows: cannot be answered at all.
LONE = ["Kanye-West"]


@pytest.fixture(scope="module")
def names_model_dir(tmp_path_factory):
    plays, artists = make_plays(n_users=400, seed=7)
    order = plays.groupby("artist_id")["user"].nunique().sort_values(ascending=False).index.tolist()
    for artist_id, name in zip(order[: len(POPULAR)], POPULAR, strict=True):
        artists.loc[artists["artist_id"] == artist_id, "name"] = name
    for artist_id, name in zip(order[-len(MIDDLE) :], MIDDLE, strict=True):
        artists.loc[artists["artist_id"] == artist_id, "name"] = name
    rare_ids = list(range(1001, 1001 + len(RARE) + len(LONE)))
    artists = pd.concat(
        [artists, pd.DataFrame({"artist_id": rare_ids, "name": RARE + LONE})], ignore_index=True
    )
    users = [1] * len(RARE) + [100_000] * len(LONE)
    plays = pd.concat(
        [plays, pd.DataFrame({"user": users, "artist_id": rare_ids, "plays": [1] * len(rare_ids)})],
        ignore_index=True,
    )
    data = tmp_path_factory.mktemp("names-data")
    write_kaggle(str(data), plays, artists)
    folder = str(tmp_path_factory.mktemp("names-model") / "model")

    def build(out):
        train_and_save(load_dataset(str(data)), out, TrainConfig(**SMALL_CONFIG), progress=False)

    model_cache.provide(folder, {"fixture": model_cache.file_digest(__file__), "config": SMALL_CONFIG}, build)
    return folder


def catalogue_id(folder, name):
    catalog = load_model(folder).catalog
    return int(catalog.ids[catalog.names.index(name)])


def test_a_far_better_known_near_identical_spelling_is_answered_with_a_note(names_model_dir):
    code, out, err = run(["Pink", "--model", names_model_dir, "-k", "2"])
    assert code == 0 and out.startswith("Artists similar to P!Nk (")
    assert "'Pink'" in err and "far better known" in err and "answers for 'P!Nk'" in err
    # The rarely listened spelling, folded in: the famous one is answered, the note names the other's id.
    rare = catalogue_id(names_model_dir, "Blink 182")
    code, out, err = run(["Blink 182", "--model", names_model_dir, "-k", "2"])
    assert code == 0 and out.startswith("Artists similar to Blink-182 (") and "Thin evidence" not in out
    assert "'Blink 182' (1 listener) is spelled almost like 'Blink-182'" in err and f"id:{rare}" in err
    # id:N still gets exactly that artist, without a note.
    code, out, err = run([f"id:{rare}", "--model", names_model_dir, "-k", "2"])
    assert (
        code == 0 and out.startswith("Artists similar to Blink 182 (1 listener)") and "Thin evidence" in out
    )
    assert "note" not in err
    code, out, err = run(["земфира", "--model", names_model_dir, "-k", "2"])  # Cyrillic З vs Latin Z
    assert (
        code == 0
        and "is spelled almost like 'Zемфира'" in err
        and out.startswith("Artists similar to Zемфира")
    )
    # A spelling the model cannot answer at all: the better-known one answers.
    code, out, err = run(["Kanye-West", "--model", names_model_dir, "-k", "2"])
    assert code == 0 and out.startswith("Artists similar to Kanye West (") and "'Kanye-West'" in err
    code, out, err = run(["P!Nk", "--model", names_model_dir, "-k", "2"])  # the popular one: no note
    assert code == 0 and "note" not in err


@pytest.mark.parametrize(
    "typed, found",
    [
        ("Jay Z", "Jay-Z"),
        ("JayZ", "Jay-Z"),
        ("jay z", "Jay-Z"),
        ("ACDC", "Ac/Dc"),
        ("AC DC", "Ac/Dc"),
        ("Guns N Roses", "Guns N' Roses"),
        ("Guns n' Roses", "Guns N' Roses"),
    ],
)
def test_punctuation_people_leave_out_still_finds_the_artist(names_model_dir, typed, found):
    code, out, err = run([typed, "--model", names_model_dir, "-k", "1"])
    assert code == 0 and out.startswith(f"Artists similar to {found} (") and "note" not in err


@pytest.mark.parametrize(
    "typed, found",
    [
        ("Ayumi Hamasaki", "浜崎あゆみ"),
        ("Hamasaki Ayumi", "浜崎あゆみ"),
        ("AYUMI HAMASAKI", "浜崎あゆみ"),
        ("Utada Hikaru", "宇多田ヒカル"),
        ("Hikaru Utada", "宇多田ヒカル"),
        ("Koda Kumi", "倖田來未"),
        ("Kumi Koda", "倖田來未"),
        ("Mumiy Troll", "Мумий Тролль"),
        ("Mumii Troll", "Мумий Тролль"),
        ("Mumij Troll'", "Мумий Тролль"),
    ],
)
def test_names_in_other_scripts_are_found_by_their_latin_spellings(names_model_dir, typed, found):
    code, out, err = run([typed, "--model", names_model_dir, "-k", "1"])
    assert code == 0 and out.startswith(f"Artists similar to {found} ("), err


def test_a_latin_name_of_a_far_better_known_artist_in_another_script_answers_for_it(names_model_dir):
    rare = catalogue_id(names_model_dir, "Arashi")
    code, out, err = run(["Arashi", "--model", names_model_dir, "-k", "1"])
    assert code == 0 and out.startswith("Artists similar to 嵐 (") and f"id:{rare}" in err


def test_a_misspelt_latin_spelling_is_suggested(names_model_dir):
    code, out, err = run(["Ayumi Hamasak", "--model", names_model_dir])
    assert code == 1 and "Did you mean: 浜崎あゆみ" in err


def test_completion_knows_the_latin_spellings(names_model_dir):
    index = NameIndex(load_model(names_model_dir).catalog)
    assert index.complete("hamas") == ["浜崎あゆみ"]


@pytest.mark.parametrize("typed", ['"Jay-Z"', "'Jay-Z'", "“Jay-Z”", "«Jay Z»", ' " Jay-Z " '])
def test_quotes_around_a_name_are_not_part_of_it(names_model_dir, typed):
    code, out, err = run([typed, "--model", names_model_dir, "-k", "1"])
    assert code == 0 and out.startswith("Artists similar to Jay-Z ("), err
    code, out, err = run(["--batch", "-", "--model", names_model_dir, "-k", "1"], stdin=f"{typed}\n".encode())
    assert code == 0 and out.startswith("Jay-Z:")


def test_quotes_typed_at_the_prompt_are_not_part_of_the_name(names_model_dir, tmp_path):
    """A real terminal: the prompt reads '"Jay Z"' and answers Jay-Z."""
    env = dict(os.environ, HOME=str(tmp_path), TERM="dumb")
    argv = [sys.executable, os.path.join(REPO, "ask.py"), "--model", names_model_dir, "-k", "1"]
    with Terminal(argv, env) as term:
        term.expect("artist> ")
        term.type('"Jay Z"\r')
        term.expect("Artists similar to Jay-Z (")
        term.expect("artist> ")
        term.type("\r")
        assert term.wait() == 0


@pytest.mark.parametrize(
    "typed, found", [("BEATLES", "The Beatles"), ("beatles", "The Beatles"), ("Erlend Oye", "Erlend Øye")]
)
def test_articles_and_letters_without_decomposition_resolve(names_model_dir, typed, found):
    code, out, err = run([typed, "--model", names_model_dir, "-k", "1"])
    assert code == 0 and out.startswith(f"Artists similar to {found} ")


@pytest.mark.parametrize("typed, first", [("Mozart", "Wolfgang Amadeus Mozart"), ("Kanye", "Kanye West")])
def test_a_name_among_whole_words_is_suggested_first(names_model_dir, typed, first):
    code, out, err = run([typed, "--model", names_model_dir])
    assert code == 1 and f"Did you mean: {first}" in err


def test_completion_uses_the_lookup_rules(names_model_dir):
    index = NameIndex(load_model(names_model_dir).catalog)
    assert index.complete("bjo")[0] == "Björk" and "Bjornstad" in index.complete("bjo")
    assert index.complete("cult") == ["Cult Of Luna"]
    assert index.complete("erlend o") == ["Erlend Øye"]


@pytest.mark.parametrize("typed", ["red", "Red", "RED", "ＲＥＤ"])
def test_one_rule_for_same_names_however_typed(names_model_dir, typed):
    code, out, err = run([typed, "--model", names_model_dir, "-k", "1"])
    assert code == 0 and "3 artists are named 'Red'" in err and "'ＲＥＤ' (1 listener)" in err


def test_counts_of_one_are_singular(names_model_dir):
    code, out, err = run(["Red", "--model", names_model_dir, "-k", "1", "--min-listeners", "1"])
    assert "at least 1 listener:" in out and " 1 listeners" not in out + err


def test_batch_lines_starting_with_a_hash_are_comments_only_when_no_artist_is_so_named(
    names_model_dir, tmp_path
):
    batch = tmp_path / "names.txt"
    batch.write_text("# my list\n#2 Orchestra\nJay Z\n#####\n  # indented comment\n\n")
    code, out, err = run(["--batch", str(batch), "--model", names_model_dir, "-k", "1"])
    assert code == 0, err
    lines = out.splitlines()
    # One answer line per catalogue name, in order; the comments give none.
    assert [line.split(":")[0] for line in lines] == [
        "#2 Orchestra [thin evidence]",
        "Jay-Z",
        "##### [thin evidence]",
    ]


def test_batch_into_a_closed_pipe_ends_quietly(names_model_dir, tmp_path):
    """`ask.py --batch FILE | head -1`: the file was fine, stdout closed; no error, exit 0."""
    batch = tmp_path / "many.txt"
    batch.write_text("Jay-Z\n" * 2000)
    for source in (str(batch), "-"):
        reader = subprocess.Popen(
            [
                sys.executable,
                os.path.join(REPO, "ask.py"),
                "--batch",
                source,
                "--model",
                names_model_dir,
                "-k",
                "1",
            ],
            stdin=open(batch, "rb"),  # noqa: SIM115  (closed with the process)
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        first = reader.stdout.readline()
        reader.stdout.close()  # as `head -1` does
        code = reader.wait(timeout=60)
        reader.stdin.close() if reader.stdin else None
        err = reader.stderr.read().decode()
        reader.stderr.close()
        assert first.startswith(b"Jay-Z:")
        assert code == 0 and err == "", (source, code, err)


def test_a_batch_file_that_cannot_be_read_is_said_so_and_a_write_error_is_not(names_model_dir, tmp_path):
    code, out, err = run(["--batch", str(tmp_path), "--model", names_model_dir])
    assert code == 2 and "cannot read" in err and "Is a directory" in err
    # Writing the answers fails (a full disk under a redirection): the file was fine.
    batch = tmp_path / "ok.txt"
    batch.write_text("Jay-Z\n")
    code, out, err = run(["--batch", str(batch), "--model", names_model_dir], out=FullDisk())
    assert code == 1 and "cannot read" not in err
    assert one_error_line(err) == "error: cannot write the answers: No space left on device"


class FullDisk(io.StringIO):
    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")


def test_json_makes_every_error_json_on_stdout(names_model_dir, tmp_path):
    cases = [
        (["", "--json", "--model", names_model_dir], 2, "the artist name is empty"),
        (["Jay-Z", "--json", "--top", "0", "--model", names_model_dir], 2, "--top must be between"),
        (["Jay-Z", "--jso", "--model", str(tmp_path / "nowhere")], 3, "folder not found"),
        (["--json", "--batch", str(tmp_path), "--model", names_model_dir], 2, "cannot read"),
        (["Nobody At All Xq", "--json", "--model", names_model_dir], 1, "Unknown artist"),
    ]
    for argv, code_wanted, message in cases:
        code, out, err = run(argv)
        assert code == code_wanted, (argv, err)
        record = json.loads(out.strip().splitlines()[-1])
        assert message in record["error"] and set(record) == {"query", "error", "suggestions"}
        assert message in err and "Traceback" not in err
    # Without --json, errors stay on stderr alone.
    code, out, err = run(["", "--model", names_model_dir])
    assert code == 2 and out == "" and "the artist name is empty" in err


# The interactive prompt in this process: what a terminal types comes from a stand-in
# stdin, and readline is a stand-in that records how the prompt set it up (the launched
# tests above drive the real one in a terminal; these are fast, and the mutation runs see them).
class Readline(types.ModuleType):
    """Records the prompt's readline set-up; ``buffer`` is the line as typed so far."""

    def __init__(self, fail=()):
        super().__init__("readline")
        self.calls, self.buffer, self.completer, self.fail = [], "", None, fail

    def _call(self, *call):
        self.calls.append(call)
        if call[0] in self.fail:
            raise self.fail[call[0]]

    def set_completer_delims(self, delims):
        self._call("delims", delims)

    def set_completer(self, completer):
        self.completer = completer

    def parse_and_bind(self, line):
        self._call("bind", line)

    def read_history_file(self, path):
        self._call("read", path)

    def write_history_file(self, path):
        self._call("write", path)

    def get_line_buffer(self):
        return self.buffer


class Typed(io.StringIO):
    """A terminal's stdin: each item a line typed, or an exception (Ctrl-C) raised reading it."""

    def __init__(self, *typed):
        super().__init__()
        self.typed = list(typed)

    def readline(self, size=-1):
        if not self.typed:
            return ""  # Ctrl-D
        line = self.typed.pop(0)
        if isinstance(line, BaseException):
            raise line
        return line

    def isatty(self):
        return True


def prompt(monkeypatch, tmp_path, argv, *typed, readline=None):
    """Run ask.main without an artist, as at a terminal.

    Returns the exit code, the answers (main's ``out``), the prompts (``input()`` writes them
    on sys.stdout), stderr, the readline stand-in and the stdin with the lines not read.
    """
    readline = readline or Readline()
    monkeypatch.setitem(sys.modules, "readline", readline)
    monkeypatch.setattr(ask, "HISTORY", str(tmp_path / "history"))
    stdin = Typed(*typed)
    monkeypatch.setattr(sys, "stdin", stdin)
    screen = io.StringIO()
    monkeypatch.setattr(sys, "stdout", screen)
    out, err = io.StringIO(), io.StringIO()
    code = ask.main(argv, stdin=stdin, out=out, err=err)
    return code, out.getvalue(), screen.getvalue(), err.getvalue(), readline, stdin


def test_the_prompt_answers_each_line_until_an_empty_one(names_model_dir, monkeypatch, tmp_path):
    code, out, screen, err, readline, stdin = prompt(
        monkeypatch,
        tmp_path,
        ["--model", names_model_dir, "-k", "2"],
        "Jay Z\n",
        KeyboardInterrupt(),  # Ctrl-C clears the line, the prompt stays
        "Nobody At All Xq\n",
        "  bjork  \n",
        "\n",
        "never read\n",
    )
    assert code == 0
    assert err.startswith("Type an artist name (Tab completes; empty line or Ctrl-D quits).\n\n")
    assert "error: Unknown artist" in err and err.count("\n") == 3
    assert screen == "artist> " * 5 and stdin.typed == ["never read\n"]
    # Each answer and each failed line is followed by a blank line.
    assert out.startswith("Artists similar to Jay-Z (") and out.endswith("\n\n")
    assert out.count("Artists similar to") == 2 and "\n\n\nArtists similar to Björk (" in out
    # History from ~/.item2vec_history, and back to it; Tab completes whole names, any case.
    assert readline.calls == [
        ("delims", ""),
        ("bind", "tab: complete"),
        ("bind", "set completion-ignore-case on"),
        ("bind", "set show-all-if-ambiguous on"),
        ("read", str(tmp_path / "history")),
        ("write", str(tmp_path / "history")),
    ]


def test_ctrl_d_quits_the_prompt_and_the_options_apply_to_each_line(names_model_dir, monkeypatch, tmp_path):
    code, out, screen, err, readline, _ = prompt(
        monkeypatch,
        tmp_path,
        ["--model", names_model_dir, "-k", "1", "--json", "--minus", "Keane"],
        "Jay-Z\n",
    )
    assert code == 0
    assert err.endswith("quits).\n\n")  # Ctrl-D leaves the terminal on a new line
    assert screen == "artist> " * 2 and out.endswith("}\n\n") and out.count("\n") == 2
    record = json.loads(out)
    assert record["artist"] == "Jay-Z" and record["minus"] == ["Keane"] and len(record["results"]) == 1
    assert readline.calls[-1] == ("write", str(tmp_path / "history"))


def test_the_prompt_works_without_a_readable_or_writable_history(names_model_dir, monkeypatch, tmp_path):
    for failure in (OSError(13, "Permission denied"), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad")):
        failing = Readline(fail={"read": failure, "write": OSError(28, "No space left on device")})
        code, out, _, err, readline, _ = prompt(
            monkeypatch, tmp_path, ["--model", names_model_dir], "Jay-Z\n", readline=failing
        )
        assert code == 0 and "Artists similar to Jay-Z (" in out
        assert [c[0] for c in readline.calls][-2:] == ["read", "write"] and "Traceback" not in err


def test_tab_completes_names_and_takes_the_best_known_when_the_matches_share_less(
    names_model_dir, monkeypatch, tmp_path
):
    readline = prompt(monkeypatch, tmp_path, ["--model", names_model_dir], "\n")[4]
    index = NameIndex(load_model(names_model_dir).catalog)

    def completions(typed):
        readline.buffer = typed
        found = []
        while (match := readline.completer(typed, len(found))) is not None:
            found.append(match)
        return found

    # "bjo": Björk and Bjornstad share only "bj", which would erase a letter typed: the best-known.
    assert len(index.complete("bjo")) > 1
    assert completions("bjo") == [index.complete("bjo")[0]] == ["Björk"]
    # "g1-a1": every match starts with what was typed, so readline lists them all.
    assert completions("g1-a1") == index.complete("g1-a1") and len(completions("g1-a1")) > 2
    assert completions("  jay-") == ["Jay-Z"]
    assert completions("zzzz") == []


class Writer:
    """An output stream with no isatty (a wrapper some callers pass)."""

    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


class OnScreen(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(
    ("out", "err", "echoed"),
    [
        (io.StringIO, io.StringIO, True),  # both redirected: stdout's reader sees the failure too
        (OnScreen, OnScreen, False),  # one screen: said once, on stderr
        (OnScreen, io.StringIO, True),  # stderr to a log: the screen still shows it
        (io.StringIO, OnScreen, True),
        (Writer, Writer, True),  # no isatty: not a terminal
    ],
)
def test_a_failed_batch_line_is_echoed_on_stdout_unless_both_are_one_terminal(
    names_model_dir, out, err, echoed
):
    out, err = out(), err()
    code = ask.main(
        ["--batch", "-", "--model", names_model_dir, "-k", "1"],
        stdin=Stdin(b"Nobody At All Xq\n"),
        out=out,
        err=err,
    )
    text = out.text if isinstance(out, Writer) else out.getvalue()
    assert code == 1
    assert text.startswith("Nobody At All Xq: error: Unknown artist") is echoed and (text == "") is not echoed


def test_a_batch_line_is_the_query_as_written_but_its_line_end(names_model_dir):
    lines = "Nobody At All X \t\r\nNobody XX\n"
    for stdin in (Stdin(lines.encode()), io.StringIO(lines)):  # a binary stdin, or a text one
        code, out, _ = run_with(["--batch", "-", "--json", "--model", names_model_dir], stdin)
        assert code == 1
        assert [json.loads(line)["query"] for line in out.splitlines()] == ["Nobody At All X \t", "Nobody XX"]


def run_with(argv, stdin):
    out, err = io.StringIO(), io.StringIO()
    return ask.main(argv, stdin=stdin, out=out, err=err), out.getvalue(), err.getvalue()


def test_a_batch_file_with_a_bad_line_answers_the_others(names_model_dir, tmp_path):
    batch = tmp_path / "names.txt"
    batch.write_bytes(b"Jay-Z\n\xffBj\xc3\n Keane\n")
    code, out, err = run(["--batch", str(batch), "--model", names_model_dir, "-k", "1"])
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines()] == ["Jay-Z", "\\xffBj\\xc3", "Keane"]
    assert one_error_line(err) == "error: line 2: not valid UTF-8 (byte 0 of the line)"


def test_cannot_read_names_the_program_and_the_file(names_model_dir, tmp_path):
    for path, reason in (
        (tmp_path / "none.txt", "No such file or directory"),
        ("/proc/self/mem", "Input/output error"),
    ):
        out, err = io.StringIO(), io.StringIO()
        code = ask.main(
            ["--batch", str(path), "--model", names_model_dir],
            stdin=Stdin(),
            out=out,
            err=err,
            prog="item2vec-ask",
        )
        assert code == 2 and err.getvalue() == f"item2vec-ask: error: cannot read {path}: {reason}\n"


class Flushed(io.StringIO):
    """Records what had been written each time it was flushed."""

    def __init__(self):
        super().__init__()
        self.flushed = []

    def flush(self):
        self.flushed.append(self.getvalue())


@pytest.mark.parametrize("as_json", [False, True])
def test_each_batch_answer_and_failure_is_flushed_as_it_is_written(names_model_dir, as_json):
    # A program reading the answers line by line (a pipe, a coprocess) gets each at once.
    out, err = Flushed(), io.StringIO()
    argv = ["--batch", "-", "--model", names_model_dir, "-k", "1"] + (["--json"] if as_json else [])
    code = ask.main(argv, stdin=Stdin(b"Jay-Z\nNobody At All Xq\nKeane\n"), out=out, err=err)
    lines = out.getvalue().splitlines(keepends=True)
    assert code == 1 and len(lines) == 3
    assert out.flushed[:3] == ["".join(lines[:1]), "".join(lines[:2]), "".join(lines[:3])]
    if as_json:
        assert json.loads(lines[1])["error"].startswith("Unknown artist 'Nobody At All Xq'")


def test_a_batch_line_s_notes_are_said_in_full_on_stderr(names_model_dir):
    out, err = io.StringIO(), io.StringIO()
    code = ask.main(
        ["--batch", "-", "--json", "--model", names_model_dir],
        stdin=Stdin(b"\n\nBlink 182\n"),
        out=out,
        err=err,
    )
    notes = json.loads(out.getvalue())["notes"]
    assert code == 0 and len(notes[0]) > 120
    assert err.getvalue().splitlines() == [f"note: line 3: {note}" for note in notes]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([" "], "the artist name is empty"),
        (["Jay-Z", "--batch", "-"], "give either an artist or --batch, not both"),
        ([], "no artist given (use --batch - to read names from standard input)"),
        (["Jay-Z", "--minus", " "], "a --plus/--minus name is empty"),
        (["Jay-Z", "--plus", ""], "a --plus/--minus name is empty"),
        (["Jay-Z", "--discover", "1.5"], "argument --discover: --discover must be between 0 and 1, got 1.5"),
        (["Jay-Z", "--discover", "x"], "argument --discover: --discover must be a number, got 'x'"),
        (
            ["Jay-Z", "--discover", "0.5", "--rank", "cosine"],
            "--discover moves the evidence ranking; --rank cosine has no dial",
        ),
    ],
)
def test_each_usage_error_says_what_is_wrong_on_one_line(names_model_dir, argv, message):
    out, err = io.StringIO(), io.StringIO()
    # No stdin given: the process's, here not a terminal.
    code = ask.main([*argv, "--model", names_model_dir], out=out, err=err)
    assert code == 2 and out.getvalue() == ""
    assert err.getvalue() == f"python ask.py: error: {message} (see --help)\n"


def test_the_dial_with_the_evidence_ranking_is_no_usage_error(names_model_dir):
    code, out, err = run(["Jay-Z", "--discover", "0.5", "--rank", "evidence", "--model", names_model_dir])
    assert code == 0, err


def test_without_stdin_given_the_batch_reads_the_process_s_and_help_names_the_program(
    names_model_dir, monkeypatch, capsys
):
    monkeypatch.setattr(sys, "stdin", Stdin(b"Jay-Z\n"))
    assert ask.main(["--batch", "-", "--model", names_model_dir, "-k", "1"]) == 0
    assert capsys.readouterr().out.startswith("Jay-Z: ")
    assert ask.main(["--help"], prog="item2vec-ask") == 0
    assert capsys.readouterr().out.startswith("usage: item2vec-ask [-h]")


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["--json"], True),
        (["--js"], True),  # argparse takes an abbreviation of four characters or more
        (["--j"], False),
        (["x", "--", "--json"], False),  # after --, an artist's name
        (["--", "--json", "--"], False),
        (["--jso", "--", "a"], True),
        (["--jsonx"], False),
    ],
)
def test_json_errors_are_wanted_when_an_option_says_so(argv, wanted, monkeypatch):
    assert ask.wants_json(argv) is wanted
    monkeypatch.setattr(sys, "argv", ["ask.py", *argv])
    assert ask.wants_json(None) is wanted


def test_the_program_logs_its_warnings_on_its_stderr_by_level_and_name(names_model_dir, monkeypatch):
    # As in a fresh process: no logging set up yet (pytest's own handlers put aside).
    import logging

    monkeypatch.setattr(logging.root, "handlers", [])
    err = io.StringIO()
    assert ask.main(["Jay-Z", "--model", names_model_dir], out=io.StringIO(), err=err) == 0
    logging.getLogger("item2vec.somewhere").info("not said")
    logging.getLogger("item2vec.somewhere").warning("said")
    assert err.getvalue() == "WARNING: said\n"


def test_a_long_error_is_cut_to_one_line_of_2000_characters(names_model_dir):
    code, _, err = run(["Jay-Z", "--" + "x" * 3000, "--model", names_model_dir])
    message = err.removeprefix("python ask.py: error: ").removesuffix("\n")
    assert code == 2 and len(message) == 2000 and message.endswith("x…")
    assert message.startswith("unrecognized arguments: --xxx")


def test_the_dial_s_position_is_a_number_in_the_answer(names_model_dir):
    code, out, _ = run(["Jay-Z", "--discover", "0.5", "--json", "--model", names_model_dir])
    assert code == 0 and json.loads(out)["discover"] == 0.5


def test_a_note_is_cut_to_400_characters(names_model_dir, monkeypatch):
    # Notes quote names, which can be any length: one line of at most 400 characters each.
    monkeypatch.setattr(ask, "notes", lambda answer: ["n" * 450])
    code, _, err = run(["Jay-Z", "--model", names_model_dir])
    assert code == 0 and err == "note: " + "n" * 399 + "…\n"
    code, _, err = run(["--batch", "-", "--model", names_model_dir], stdin=b"Jay-Z\n")
    assert code == 0 and err == "note: line 1: " + "n" * 399 + "…\n"
