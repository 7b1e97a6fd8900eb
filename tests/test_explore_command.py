"""item2vec-explore's command line in-process, with a stand-in page (test_explore.py builds real ones)."""

import io
import logging
import re

import pytest

import item2vec.explore
from item2vec.cli import explore_command as explore_cli


def explore(argv):
    out, err = io.StringIO(), io.StringIO()
    code = explore_cli.main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def quick_page(monkeypatch):
    """build_page replaced by a stand-in that logs a progress line and returns a tiny page."""

    def build(model):
        logging.getLogger("item2vec.explore").info("building the page")
        return "<html>" + item2vec.explore.MARKER + "</html>"

    monkeypatch.setattr(item2vec.explore, "build_page", build)


def test_help_names_every_option():
    code, out, _ = explore(["--help"])
    words = " ".join(out.split())
    assert code == 0 and out.startswith(
        "usage: item2vec-explore [-h] --out FILE [--model DIR] [--force] [--quiet]"
    )
    for text in (
        "--out FILE the HTML page to write",
        "--model DIR model folder (default: as ask.py: $ITEM2VEC_MODEL, else models/, else the installed"
        " model)",
        "--force replace --out even if it is not a page this tool wrote",
        "--quiet no progress messages",
    ):
        assert text in words


def test_usage_errors_are_one_cut_line():
    assert explore([]) == (
        2,
        "",
        "item2vec-explore: error: the following arguments are required: --out (see --help)\n",
    )
    code, _, err = explore(["--out", "x.html", "-" + "y" * 2100])
    message = ("unrecognized arguments: -" + "y" * 2100)[:1999] + "…"
    assert code == 2 and err == f"item2vec-explore: error: {message} (see --help)\n"


def test_a_page_written_says_so_and_progress_goes_to_stderr_unless_quiet(
    synthetic_model_dir, tmp_path, quick_page
):
    level = logging.getLogger("item2vec").level
    handlers = list(logging.getLogger("item2vec").handlers)
    path = tmp_path / "explorer.html"
    code, out, err = explore(["--model", synthetic_model_dir, "--out", str(path)])
    assert code == 0 and re.fullmatch(rf"wrote {re.escape(str(path))} \(0\.0 MB\) in [0-9] s\n", out), out
    assert err == "building the page\n"
    code, out, err = explore(["--model", synthetic_model_dir, "--out", str(path), "--quiet"])
    assert code == 0 and err == ""  # the tool's own page is replaced
    assert logging.getLogger("item2vec").level == level and logging.getLogger("item2vec").handlers == handlers


def test_an_interrupted_build_writes_nothing(synthetic_model_dir, tmp_path, monkeypatch):
    def interrupted(model):
        raise KeyboardInterrupt

    monkeypatch.setattr(item2vec.explore, "build_page", interrupted)
    path = tmp_path / "explorer.html"
    assert explore(["--model", synthetic_model_dir, "--out", str(path)]) == (
        130,
        "",
        "interrupted: nothing written\n",
    )
    assert not path.exists()


def test_the_console_entry_names_the_program_by_its_command(monkeypatch, capsys):
    for argv0, prog in (
        ("/usr/bin/item2vec-explore", "item2vec-explore"),
        ("explore_command.py", "python -m item2vec.cli.explore_command"),
        ("", "python -m item2vec.cli.explore_command"),
    ):
        monkeypatch.setattr("sys.argv", [argv0])
        with pytest.raises(SystemExit) as stopped:
            explore_cli.run()
        assert stopped.value.code == 2
        assert capsys.readouterr().err.startswith(
            f"{prog}: error: the following arguments are required: --out"
        )
    monkeypatch.setattr("sys.argv", ["item2vec-explore", "--help"])
    with pytest.raises(SystemExit) as stopped:
        explore_cli.run()
    assert stopped.value.code == 0 and capsys.readouterr().out.startswith("usage: item2vec-explore [-h]")


def test_a_long_out_is_cut_at_300_characters_in_the_wrote_line_and_megabytes_are_millions_of_bytes(
    synthetic_model_dir, tmp_path, monkeypatch
):
    # 1,050,001 bytes: 1.1 MB in millions of bytes, 1.0 had the divisor been any larger.
    head, tail = "<html>" + item2vec.explore.MARKER, "</html>"
    monkeypatch.setattr(
        item2vec.explore, "build_page", lambda model: head + "x" * (1_050_001 - len(head) - len(tail)) + tail
    )
    (tmp_path / ("d" * 150)).mkdir()
    path = str(tmp_path / ("d" * 150) / ("e" * 150 + ".html"))
    assert len(path) > 301
    code, out, _ = explore(["--model", synthetic_model_dir, "--out", path, "--quiet"])
    assert code == 0 and re.fullmatch(rf"wrote {re.escape(path[:299])}… \(1\.1 MB\) in [0-9] s\n", out), out
    assert (tmp_path / ("d" * 150) / ("e" * 150 + ".html")).stat().st_size == 1_050_001


def test_a_long_error_is_cut_at_2000_characters(synthetic_model_dir, tmp_path, monkeypatch):
    def refused(model):
        raise item2vec.explore.ExploreError("z" * 2100)

    monkeypatch.setattr(item2vec.explore, "build_page", refused)
    path = tmp_path / "explorer.html"
    code, out, err = explore(["--model", synthetic_model_dir, "--out", str(path)])
    assert (code, out, err) == (2, "", "error: " + "z" * 1999 + "…\n")
    assert not path.exists()


def test_progress_shown_is_the_tools_own_not_other_libraries_logging(
    synthetic_model_dir, tmp_path, monkeypatch
):
    def build(model):
        logging.getLogger("item2vec.explore").info("building the page")
        logging.getLogger("elsewhere").warning("another library's warning")
        return "<html>" + item2vec.explore.MARKER + "</html>"

    monkeypatch.setattr(item2vec.explore, "build_page", build)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    code, _, err = explore(["--model", synthetic_model_dir, "--out", str(tmp_path / "explorer.html")])
    assert code == 0 and err == "building the page\n"
    assert root.handlers == handlers and root.level == level
