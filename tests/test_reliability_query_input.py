"""Bad query input through ask.main: empty, huge and hostile names, bad options, Ctrl-C.

Part of the fault-injection suite; see tests/reliability.py and docs/RELIABILITY.md.
"""

import io
import json

import model_cache
import pytest
from reliability import assert_no_raw_controls, one_error_line, run

from conftest import SMALL_CONFIG, Stdin
from item2vec.cli import ask_command as ask
from item2vec.cli import train_command as train_item2vec
from item2vec.ingest.formats import load_dataset
from item2vec.model.storage import load_model
from item2vec.research.synthetic import make_plays, write_kaggle
from item2vec.training.trainer import TrainConfig, train_and_save

# -- a model whose catalogue holds hostile names --------------------------------------------

HOSTILE = {2: "\x1b[2Jevil\x07", 3: "!!!", 4: "#1", 5: "\u202eRed", 6: "\u202eRed", 7: "\u009b31mcsi"}


@pytest.fixture(scope="module")
def hostile_model_dir(tmp_path_factory):
    """Synthetic data whose artist names carry escape sequences, bidi overrides and punctuation."""
    plays, artists = make_plays(n_users=400, seed=7)
    for artist_id, name in HOSTILE.items():
        artists.loc[artists["artist_id"] == artist_id, "name"] = name
    data = tmp_path_factory.mktemp("hostile-data")
    write_kaggle(str(data), plays, artists)
    dataset = load_dataset(str(data))
    assert set(HOSTILE.values()) <= set(dataset.artists["name"])
    folder = str(tmp_path_factory.mktemp("hostile-model") / "model")

    def build(out):
        train_and_save(dataset, out, TrainConfig(**SMALL_CONFIG), progress=False)

    model_cache.provide(folder, {"fixture": model_cache.file_digest(__file__), "config": SMALL_CONFIG}, build)
    return folder


# == query input ============================================================================


@pytest.mark.parametrize("argv", [[""], ["   "], ["\t", " "]])
def test_empty_or_blank_name_is_a_usage_error(synthetic_model_dir, argv):
    code, out, err = run(argv + ["--model", synthetic_model_dir])
    assert code == 2 and out == ""
    assert "empty" in one_error_line(err)


def test_a_1mb_name_is_refused_in_one_short_line(synthetic_model_dir):
    huge = "x" * (1 << 20)
    code, out, err = run([huge, "--model", synthetic_model_dir])
    assert code == 1
    assert len(one_error_line(err)) < 300
    # The same line in --batch: reported briefly, and the next line is still answered.
    code, out, err = run(["--batch", "-", "--model", synthetic_model_dir], stdin=huge.encode() + b"\ng0-a1\n")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2 and all(len(line) < 400 for line in lines)
    assert "error" in lines[0] and lines[1].startswith("g0-a1: ")
    assert all(len(line) < 300 for line in err.splitlines())


HOSTILE_TEXT = ["\x1b[31mred\x07", "\x1b]0;owned\x07", "\u009b2J", "\u202eevil", "a\nb", "\x00"]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
@pytest.mark.parametrize(
    "where", ["artist", "plus", "minus", "model", "top", "unknown-option", "batch-line", "batch-file", "json"]
)
def test_control_characters_in_any_input_are_never_echoed_raw(synthetic_model_dir, tmp_path, text, where):
    model = ["--model", synthetic_model_dir]
    stdin = b""
    argv = {
        "artist": [text] + model,
        "plus": ["g0-a1", "--plus", text] + model,
        "minus": ["g0-a1", "--minus", text] + model,
        "model": ["g0-a1", "--model", str(tmp_path / text)],
        "top": ["g0-a1", "--top", text] + model,
        "unknown-option": ["g0-a1", "--x" + text] + model,
        "batch-line": ["--batch", "-"] + model,
        "batch-file": ["--batch", str(tmp_path / text)] + model,
        "json": [text, "--json"] + model,
    }[where]
    if where == "batch-line":
        stdin = b"g0-a1\n" + text.encode("utf-8", "surrogateescape") + b"\n"
    code, out, err = run(argv, stdin=stdin)
    assert code in (1, 2, 3)
    assert "Traceback" not in err
    assert_no_raw_controls(out)
    assert_no_raw_controls(err)


def test_hostile_names_from_the_data_are_shown_escaped(hostile_model_dir):
    model = ["--model", hostile_model_dir]
    # Results, suggestions, ambiguity notes, batch lines and JSON all carry catalogue names.
    for argv, stdin in [
        (["g0-a1", "--top", "1000"], b""),
        (["g0-a1", "--top", "1000", "--explain"], b""),
        (["evil"], b""),
        (["\u202ered"], b""),
        (["g0-a1", "--top", "1000", "--json"], b""),
        (["--batch", "-", "--top", "1000"], b"g0-a1\nevi\n\xe2\x80\xaeRed\n"),
        (["--batch", "-", "--json", "--top", "1000"], b"g0-a1\nevi\n"),
    ]:
        code, out, err = run(argv + model, stdin=stdin)
        assert code in (0, 1), (argv, err)
        assert_no_raw_controls(out)
        assert_no_raw_controls(err)
    code, out, _ = run(["g0-a1", "--top", "1000"] + model)
    assert "\\x1b[2Jevil\\x07" in out  # shown, escaped, not dropped
    code, out, err = run(["\u202eRed"] + model)
    assert code == 0 and "2 artists are named" in err


def test_json_survives_a_strict_utf8_stdout_and_undecodable_arguments(synthetic_model_dir):
    # Undecodable bytes in argv arrive as lone surrogates (surrogateescape); a real
    # stdout with errors="strict" cannot encode them raw.
    buffer = io.BytesIO()
    out = io.TextIOWrapper(buffer, encoding="utf-8", errors="strict")
    code, _, err = run(["\udcff", "--json", "--model", synthetic_model_dir], out=out)
    out.flush()
    assert code == 1 and "Traceback" not in err
    record = json.loads(buffer.getvalue().decode("utf-8"))
    assert record["query"] == "\udcff" and "Unknown artist" in record["error"]


def test_batch_reports_an_invalid_utf8_line_and_goes_on(synthetic_model_dir):
    code, out, err = run(
        ["--batch", "-", "--model", synthetic_model_dir], stdin=b"g0-a1\n\xff\xfe bad \x1b\nG1-A1\n"
    )
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("g0-a1: ") and lines[2].startswith("g1-a1: ")
    assert "\\xff\\xfe bad" in lines[1] and "not valid UTF-8" in lines[1]
    assert one_error_line(err).startswith("error: line 2:")
    assert_no_raw_controls(out)


def test_batch_accepts_a_text_stream_without_a_binary_buffer(synthetic_model_dir):
    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO("g0-a1\nnobody\n")  # no .buffer, e.g. a caller's StringIO
    code = ask.main(["--batch", "-", "--model", synthetic_model_dir], stdin=stdin, out=out, err=err)
    assert code == 1
    assert out.getvalue().splitlines()[0].startswith("g0-a1: ")
    assert "line 2" in one_error_line(err.getvalue())


def test_names_of_only_punctuation(synthetic_model_dir, hostile_model_dir):
    for name in ("!!!", "...", "?", "-", "#"):
        code, out, err = run([name, "--model", synthetic_model_dir])
        assert code == 1 and out == ""
        assert "Unknown artist" in one_error_line(err)
    # An artist really called "!!!" is found, and one called "#1" by its name, not as id 1.
    code, out, err = run(["!!!", "--json", "--model", hostile_model_dir])
    assert code == 0 and json.loads(out)["artist_id"] == 3
    code, out, err = run(["#1", "--json", "--model", hostile_model_dir])
    assert code == 0 and json.loads(out)["artist_id"] == 4


@pytest.mark.parametrize("minus", ["g0-a1", " G0-A1 ", "id:1"])
def test_minus_equal_to_the_query(synthetic_model_dir, minus):
    code, out, err = run(["g0-a1", "--minus", minus, "--model", synthetic_model_dir])
    assert code == 1 and out == ""
    assert "--minus" in one_error_line(err)
    # In --batch that line fails and the others are answered.
    code, out, err = run(
        ["--batch", "-", "--minus", minus, "--model", synthetic_model_dir], stdin=b"g0-a1\ng0-a2\n"
    )
    assert code == 1
    lines = out.splitlines()
    assert "error" in lines[0] and lines[1].startswith("g0-a2 - g0-a1: ")


@pytest.mark.parametrize("option", ["--minus", "--plus"])
def test_minus_or_plus_without_an_artist(synthetic_model_dir, option):
    code, out, err = run([option, "g0-a1", "--model", synthetic_model_dir])
    assert code == 2 and out == ""
    assert "no artist given" in one_error_line(err)


@pytest.mark.parametrize("option", ["--minus", "--plus"])
def test_unknown_minus_or_plus_names_the_unknown_artist(synthetic_model_dir, option):
    code, out, err = run(["g0-a1", option, "g0-a11x", "--model", synthetic_model_dir])
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert "'g0-a11x'" in line and "Did you mean: g0-a11" in line


@pytest.mark.parametrize("top", ["0", "-3", "abc", "1.5", "", "1001", "99999999999999999999", "9" * 5000])
def test_bad_top_is_a_usage_error(synthetic_model_dir, top):
    code, out, err = run(["g0-a1", "--top", top, "--model", synthetic_model_dir])
    assert code == 2 and out == ""
    assert "--top" in one_error_line(err)


def test_largest_top_returns_every_candidate(synthetic_model_dir):
    code, out, err = run(
        ["g0-a1", "--top", "1000", "--json", "--min-listeners", "1", "--model", synthetic_model_dir]
    )
    assert code == 0
    results = json.loads(out)["results"]
    assert len(results) == len(load_model(synthetic_model_dir).vectors) - 1


def test_help_returns_0_through_main_and_prints_to_out(synthetic_model_dir):
    for flag in ("--help", "-h", "--he"):
        code, out, err = run([flag])
        assert code == 0 and "Exit codes" in out and err == ""


def test_trainer_help_returns_0_through_main(capsys):
    assert train_item2vec.main(["--help"]) == 0
    assert "--epochs" in capsys.readouterr().out


def test_ctrl_c_during_a_batch_exits_130_after_the_answers_so_far(synthetic_model_dir, monkeypatch):
    real = ask.Recommender.answer
    calls = []

    def answer(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ask.Recommender, "answer", answer)
    code, out, err = run(["--batch", "-", "--model", synthetic_model_dir], stdin=b"g0-a1\ng0-a2\ng0-a3\n")
    assert code == 130
    assert out.splitlines()[0].startswith("g0-a1: ") and len(out.splitlines()) == 1
    assert one_error_line(err) == "interrupted"


# == answers and exit codes (issue 11) ======================================================


def test_no_artist_passing_the_filter_is_not_an_answer(synthetic_model_dir):
    code, out, err = run(["g0-a1", "--model", synthetic_model_dir, "--min-listeners", "100000"])
    assert code == 1 and out == ""
    assert "no artist besides the query has at least 100000 listeners" in one_error_line(err)
    code, out, err = run(["g0-a1", "--model", synthetic_model_dir, "--min-listeners", "100000", "--json"])
    assert code == 1 and "error" in json.loads(out)


def test_fewer_results_than_asked_for_are_announced(synthetic_model_dir):
    model = load_model(synthetic_model_dir)
    listeners = sorted(model.catalog.listeners.tolist(), reverse=True)
    bar = listeners[3]  # 4 artists at least this popular: 3 besides the query at most
    code, out, err = run(["g0-a1", "--model", synthetic_model_dir, "--min-listeners", str(bar), "-k", "10"])
    rows = [line for line in out.splitlines() if line[:5].strip().isdigit()]
    assert code == 0 and 0 < len(rows) < 10
    assert f"only {len(rows)} of the 10 asked for have at least {bar} listeners" in err


@pytest.mark.parametrize("option", ["--minus", "--plus"])
def test_an_empty_plus_or_minus_is_a_usage_error_like_an_empty_name(synthetic_model_dir, option):
    code, out, err = run(["g0-a1", option, " ", "--model", synthetic_model_dir])
    assert code == 2 and "a --plus/--minus name is empty" in one_error_line(err)


@pytest.mark.parametrize("discover", ["0", "1"])
def test_a_weak_result_says_so(synthetic_model_dir, monkeypatch, discover):
    from item2vec.query import recommender as query

    # The highest raw similarity of any artist is what is compared: the first result of the
    # cosine ranking, whatever the dial puts first.
    code, out, err = run(["g0-a1", "--model", synthetic_model_dir, "--json", "-k", "1", "--rank", "cosine"])
    best = json.loads(out)["results"][0]["similarity"]
    argv = ["g0-a1", "--model", synthetic_model_dir, "-k", "1", "--discover", discover]
    code, out, err = run([*argv, "--json"])
    assert "weak result" not in err and best != json.loads(out)["results"][0]["score"]
    monkeypatch.setattr(query, "WEAK_SCORE", best)  # at the threshold: not weak
    assert "weak result" not in run(argv)[2]
    monkeypatch.setattr(query, "WEAK_SCORE", best + 0.001)
    code, out, err = run(argv)
    assert code == 0 and f"weak result: no artist is more similar to the query than {best:.2f}" in err


def test_batch_skips_blank_lines_and_comments(synthetic_model_dir):
    code, out, err = run(
        ["--batch", "-", "--model", synthetic_model_dir, "-k", "1"], b"g0-a1\n\n   \n# a comment\ng1-a2\n"
    )
    assert code == 0 and err == ""
    assert [line.split(":")[0] for line in out.splitlines()] == ["g0-a1", "g1-a2"]


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_batch_errors_are_said_once_on_a_terminal(synthetic_model_dir):
    out, err = Terminal(), Terminal()
    code = ask.main(
        ["--batch", "-", "--model", synthetic_model_dir, "-k", "1"],
        stdin=Stdin(b"g0-a1\nnobody-at-all\n"),
        out=out,
        err=err,
    )
    assert code == 1
    assert (out.getvalue() + err.getvalue()).count("nobody-at-all") == 1
    # Piped, the error keeps its line in the output too (one line per input line).
    code, out, err = run(
        ["--batch", "-", "--model", synthetic_model_dir, "-k", "1"], b"g0-a1\nnobody-at-all\n"
    )
    assert out.splitlines()[1].startswith("nobody-at-all: error:") and "line 2" in err


def test_batch_keeps_the_same_name_note(hostile_model_dir):
    code, out, err = run(["--batch", "-", "--model", hostile_model_dir, "-k", "1"], "\u202eRed\n".encode())
    assert code == 0 and "note: line 1: 2 artists are named" in err


# -- --batch details its mutation run found unpinned ---------------------------------------------


def test_batch_file_that_fails_while_being_read_is_cannot_read_with_the_reason(synthetic_model_dir):
    # /proc/self/mem opens, and its first read fails (EIO): "cannot read", exit 2.
    for extra in ([], ["--json"]):
        code, out, err = run(["--batch", "/proc/self/mem", "--model", synthetic_model_dir, *extra])
        assert code == 2
        assert one_error_line(err).endswith("error: cannot read /proc/self/mem: Input/output error")
    assert json.loads(out)["error"] == "cannot read /proc/self/mem: Input/output error"


def test_batch_lines_ending_in_crlf_a_long_unknown_name_and_a_text_stream(synthetic_model_dir, tmp_path):
    names = tmp_path / "names.txt"
    names.write_bytes(b"g0-a1\r\n" + b"x" * 100 + b"\r\n")
    code, out, err = run(["--batch", str(names), "-k", "1", "--model", synthetic_model_dir])
    assert code == 1
    first, second = out.splitlines()
    assert first.startswith("g0-a1: ")  # the line's CR LF are not part of the name
    assert second.startswith("x" * 79 + "…: error: Unknown artist")
    text = io.StringIO("\r\ng0-a1\r\n")  # a text stream: its lines' CR LF go too, and only they
    out = io.StringIO()
    assert ask.main(["--batch", "-", "-k", "1", "--model", synthetic_model_dir], stdin=text, out=out) == 0
    assert out.getvalue().startswith("g0-a1: ")


def test_batch_lines_of_artists_named_with_a_hash_are_not_comments(hostile_model_dir):
    code, out, err = run(
        ["--batch", "-", "-k", "1", "--json", "--model", hostile_model_dir], stdin=b"#1\n #1\n# a comment\n"
    )
    assert code == 0, err
    assert [json.loads(line)["artist"] for line in out.splitlines()] == ["#1", "#1"]


def test_json_lines_keep_printable_non_ascii_names_as_they_are():
    assert ask.to_json({"artist": "Björk 浜崎"}) == '{"artist": "Björk 浜崎"}'
    # Not printable (a bidi override): the whole line in escaped ASCII.
    assert ask.to_json({"artist": "Björk \u202e"}) == '{"artist": "Bj\\u00f6rk \\u202e"}'


def test_min_listeners_is_bounded_and_named_in_its_error(synthetic_model_dir):
    code, out, err = run(["g0-a1", "--min-listeners", "1000000001", "--model", synthetic_model_dir])
    assert code == 2 and out == ""
    assert one_error_line(err).endswith(
        "error: argument --min-listeners: --min-listeners must be between 1 and 1000000000, "
        "got 1000000001 (see --help)"
    )
    code, out, err = run(["g0-a1", "--min-listeners", "1000000000", "--model", synthetic_model_dir])
    assert code == 1 and "no artist besides the query" in one_error_line(err)


def test_the_help_names_every_option_its_argument_and_what_it_does():
    # As a user reads it (line breaks aside): the interface README.md's table describes.
    text = " ".join(ask.build_parser().format_help().split())
    expected = (
        "usage: python ask.py [-h] [-k TOP] [--plus NAME] [--minus NAME] [--rank {evidence,cosine}] "
        "[--discover X] [--min-listeners N] [--explain] [--json] [--batch FILE] [--model DIR] [--version] "
        "[artist ...] "
        "Which music artists are similar to this one? Answers from a trained item2vec model. "
        "positional arguments: artist artist name (quotes optional; 'id:N' picks by id). Omit it for an "
        "interactive prompt. options: -h, --help show this help message and exit "
        "-k TOP, --top TOP number of similar artists to show (default 10) "
        "--plus NAME add this artist's vector to the query (repeatable) "
        "--minus NAME subtract this artist's vector from the query (repeatable) "
        "--rank {evidence,cosine} evidence (default): embedding similarity plus a bonus for users listing "
        "both and for the artists this one's listeners most often also list, minus a soft penalty for "
        "artists with few listeners, weighed as --discover says; cosine: embedding similarity alone, as "
        "gensim's most_similar "
        "--discover X the familiar-to-niche dial of the evidence ranking, from 0 (the well-known artists "
        "this one's listeners most often play: the highest hit rate) to 1 (the lesser-known ones they "
        "share: the most niche co- listens found). It has the positions 0, 0.25, 0.5, 0.75, 1; other "
        "values go to the nearest (default 0.75). It only reorders: every position ranks the same artists. "
        "--min-listeners N only return artists with at least N listeners in the data (default: no limit; "
        "the evidence ranking already ranks thinly heard artists lower) "
        "--explain add the raw similarity and how many users listen to both the query and each result "
        "--json print JSON (one object per answer) "
        "--batch FILE answer one artist name per line of FILE ('-' for stdin), one answer per line; a "
        "line starting with '#' is a comment unless it is an artist's name "
        "--model DIR model folder (default: $ITEM2VEC_MODEL, else models/ beside ask.py, else the model "
        "installed with the package) "
        "--version show program's version number and exit Examples:"
    )
    assert text.startswith(expected), text
