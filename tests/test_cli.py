"""ask.py through its real entry point main(argv), on the synthetic model."""

import io
import json
import os
import subprocess
import sys

import pytest
from terminal import Terminal

from conftest import REPO, Stdin
from item2vec.cli import ask_command as ask
from item2vec.research.synthetic import genre_of_name


def run(argv, stdin=b""):
    out, err = io.StringIO(), io.StringIO()
    code = ask.main(argv, stdin=Stdin(stdin), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_one_shot_prints_a_table_of_same_genre_artists(synthetic_model_dir):
    code, out, err = run(["g1-a3", "--model", synthetic_model_dir])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Artists similar to g1-a3 (")
    rows = [line.split() for line in lines[3:]]
    assert [int(r[0]) for r in rows] == list(range(1, 11))
    assert all(genre_of_name(r[1]) == 1 for r in rows)
    assert "g1-a3" not in [r[1] for r in rows]


def test_json_matches_the_schema(synthetic_model_dir):
    code, out, _ = run(["g2-a1", "--json", "-k", "3", "--explain", "--model", synthetic_model_dir])
    assert code == 0
    answer = json.loads(out)
    assert answer["query"] == "g2-a1" and answer["artist"] == "g2-a1"
    assert len(answer["results"]) == 3
    assert answer["evidence"] == "vector" and answer["rank"] == "evidence"
    for result in answer["results"]:
        assert list(result) == ["artist", "artist_id", "score", "similarity", "listeners", "shared_listeners"]
        assert isinstance(result["score"], float) and isinstance(result["listeners"], int)
        assert isinstance(result["similarity"], float) and -1 <= result["similarity"] <= 1
        assert 0 <= result["shared_listeners"] <= result["listeners"]
    scores = [r["score"] for r in answer["results"]]
    assert scores == sorted(scores, reverse=True)


def test_shared_listeners_are_counted_with_or_without_explain(synthetic_model_dir, synthetic_dataset):
    code, out, _ = run(["g0-a1", "--json", "--model", synthetic_model_dir])
    assert out == run(["g0-a1", "--json", "--explain", "--model", synthetic_model_dir])[1]
    answer = json.loads(out)
    plays = synthetic_dataset.plays
    users = set(plays[plays.artist_id == answer["artist_id"]].user)
    for result in answer["results"]:
        theirs = set(plays[plays.artist_id == result["artist_id"]].user)
        assert result["shared_listeners"] == len(users & theirs)


def test_minus_and_plus_change_the_answer_and_exclude_queries(synthetic_model_dir):
    # Mid-popularity artists: the head of each genre is also co-listened across genres.
    _, plain, _ = run(["g0-a6", "--json", "-k", "20", "--model", synthetic_model_dir])
    code, mixed, _ = run(
        ["g0-a6", "--plus", "g3-a5", "--minus", "g0-a7", "--json", "-k", "20", "--model", synthetic_model_dir]
    )
    assert code == 0
    plain, mixed = json.loads(plain), json.loads(mixed)
    names = [r["artist"] for r in mixed["results"]]
    assert not {"g0-a6", "g3-a5", "g0-a7"} & set(names)
    assert mixed["plus"] == ["g3-a5"] and mixed["minus"] == ["g0-a7"]
    in_genre_3 = sum(genre_of_name(r["artist"]) == 3 for r in plain["results"])
    assert sum(genre_of_name(n) == 3 for n in names) > in_genre_3


def test_unknown_artist_suggests_and_exits_1(synthetic_model_dir):
    code, out, err = run(["g1-a33", "--model", synthetic_model_dir])
    assert code == 1 and out == ""
    assert err.startswith("error: Unknown artist 'g1-a33'. Did you mean: g1-a3")
    code, out, _ = run(["g1-a33", "--json", "--model", synthetic_model_dir])
    record = json.loads(out)
    assert code == 1 and record["query"] == "g1-a33" and "g1-a3" in record["suggestions"]
    assert "error" in record


def test_batch_answers_each_line_and_goes_on_after_a_bad_one(synthetic_model_dir, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("g0-a1\nnot an artist\ng2-a2\n")
    code, out, err = run(["--batch", str(names), "--json", "-k", "2", "--model", synthetic_model_dir])
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [r["query"] for r in records] == ["g0-a1", "not an artist", "g2-a2"]
    assert "error" in records[1] and len(records[2]["results"]) == 2
    assert "line 2" in err
    code, out, _ = run(["--batch", "-", "-k", "2", "--model", synthetic_model_dir], stdin=b"g0-a1\ng3-a4\n")
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == ["g0-a1", "g3-a4"]


def test_usage_errors_exit_2_on_one_line(synthetic_model_dir):
    for argv in (["x", "--top", "0"], ["x", "--top", "many"], ["x", "--bogus"], []):
        code, out, err = run(argv + ["--model", synthetic_model_dir])
        assert code == 2, argv
        assert len(err.strip().splitlines()) == 1 and "error:" in err


def test_missing_model_exits_3_with_rebuild_hint(tmp_path):
    code, _, err = run(["Rosetta", "--model", str(tmp_path / "none")])
    assert code == 3
    assert "python train_item2vec.py" in err


def test_help_explains_the_options(capsys):
    try:
        ask.main(["--help"])
    except SystemExit as stop:
        assert stop.code == 0
    text = capsys.readouterr().out
    for option in (
        "--top",
        "--minus",
        "--plus",
        "--explain",
        "--json",
        "--batch",
        "--model",
        "--min-listeners",
        "--rank",
        "Exit codes",
    ):
        assert option in text


def test_interactive_prompt_with_tab_completion(synthetic_model_dir, tmp_path):
    """A real terminal: type a prefix, press Tab, get the answer, quit with an empty line."""
    env = dict(os.environ, HOME=str(tmp_path), TERM="dumb")
    with Terminal(
        [sys.executable, os.path.join(REPO, "ask.py"), "--model", synthetic_model_dir], env
    ) as term:
        term.expect("artist> ")
        # Tab twice lists the completions of an ambiguous prefix (g2-a2, g2-a20..g2-a29).
        term.type("g2-a2\t\t")
        term.expect("g2-a29")
        term.type("\x15g2-a1\r")  # Ctrl-U clears the line, then a full query
        term.expect("Artists similar to g2-a1 (")
        term.expect("artist> ")
        term.type("\r")
        assert term.wait() == 0


def test_model_path_that_is_a_file_says_so(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"x")
    code, _, err = run(["Rosetta", "--model", str(path)])
    assert code == 3 and "is a file, not a model folder" in err


def test_help_names_the_program_as_it_was_started():
    """item2vec-ask --help shows item2vec-ask in its usage and examples; ask.py shows python ask.py."""
    console = os.path.join(os.path.dirname(sys.executable), "item2vec-ask")
    if not os.path.exists(console):
        pytest.skip("the package is not installed with its console scripts")
    text = subprocess.run([console, "--help"], capture_output=True, text=True, check=True).stdout
    assert text.startswith("usage: item2vec-ask ") and "  item2vec-ask Rosetta --minus Metallica" in text
    assert "python ask.py" not in text
    text = subprocess.run(
        [sys.executable, os.path.join(REPO, "ask.py"), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert text.startswith("usage: python ask.py ") and "  python ask.py Rosetta" in text


@pytest.mark.parametrize(
    ("argv0", "name"),
    [
        ("/home/me/.venv/bin/item2vec-ask", "item2vec-ask"),
        ("ask.py", "python ask.py"),
        ("/work/repo/ask.py", "python ask.py"),
        ("", "python ask.py"),
    ],
)
def test_the_console_entry_answers_as_the_program_was_started(
    synthetic_model_dir, monkeypatch, capsys, argv0, name
):
    # run() is what the item2vec-ask script calls: sys.argv in, sys.exit out.
    monkeypatch.setattr(sys, "argv", [argv0, "g1-a3", "-k", "2", "--model", synthetic_model_dir])
    with pytest.raises(SystemExit) as stop:
        ask.run()
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("Artists similar to g1-a3 (")
    monkeypatch.setattr(sys, "argv", [argv0, "g1-a3", "--top", "0"])
    with pytest.raises(SystemExit) as stop:
        ask.run()
    assert stop.value.code == 2
    assert capsys.readouterr().err.startswith(f"{name}: error: argument -k/--top: --top must be between")


def test_the_console_entry_ends_quietly_when_its_reader_goes_away(synthetic_model_dir, monkeypatch, tmp_path):
    # `item2vec-ask ... | head -0`: the pipe closes; the exit is 0 and later writes go nowhere.
    fd = os.open(tmp_path / "stdout", os.O_RDWR | os.O_CREAT)

    class ClosedPipe(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            return fd

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    monkeypatch.setattr(sys, "argv", ["item2vec-ask", "g1-a3", "--model", synthetic_model_dir])
    try:
        with pytest.raises(SystemExit) as stop:
            ask.run()
        assert stop.value.code == 0
        assert os.write(fd, b"more") == 4  # now /dev/null, open for writing
    finally:
        os.close(fd)
    assert os.path.getsize(tmp_path / "stdout") == 0
