"""The programs' shared argument parsing (cli/parser.py): one-line errors, --help, --version, models."""

import argparse
import os
import sys

import pytest

from item2vec.cli import parser as cli
from item2vec.version import __version__

DOC = "First paragraph\nof the description.\n\nExamples:\n  prog x\n\nExit codes: 0."


def test_a_usage_error_raises_instead_of_exiting_and_help_returns_its_status(capsys):
    parser = cli.command_parser(DOC, "prog")
    parser.add_argument("--n", type=cli.int_in(1, 5, "--n"))
    with pytest.raises(cli.UsageError, match=r"^argument --n: --n must be between 1 and 5, got 9$"):
        parser.parse_args(["--n", "9"])
    with pytest.raises(cli.HelpShown) as shown:
        parser.parse_args(["--help"])
    assert shown.value.args == (0,)
    text = capsys.readouterr().out
    # The docstring's first paragraph above the options, the rest (from its third line) below, as written.
    assert text.startswith("usage: prog [-h] [--n N]\n\nFirst paragraph\nof the description.\n\noptions:")
    assert text.endswith("\n\nExamples:\n  prog x\n\nExit codes: 0.\n")


def test_version_names_the_program_and_the_package(capsys):
    parser = cli.command_parser(DOC, "python ask.py")
    cli.add_version(parser)
    with pytest.raises(cli.HelpShown):
        parser.parse_args(["--version"])
    assert capsys.readouterr().out == f"python ask.py (item2vec) {__version__}\n"


@pytest.mark.parametrize(
    ("text", "value", "error"),
    [
        ("1", 1, None),
        ("5", 5, None),
        (" 3 ", 3, None),
        ("0", None, "--k must be between 1 and 5, got 0"),
        ("6", None, "--k must be between 1 and 5, got 6"),
        ("2.5", None, "--k must be a whole number, got '2.5'"),
        ("x" * 50, None, f"--k must be a whole number, got {'x' * 40!r}"),
    ],
)
def test_whole_numbers_in_a_closed_range(text, value, error):
    parse = cli.int_in(1, 5, "--k")
    if error is None:
        assert parse(text) == value and isinstance(parse(text), int)
    else:
        with pytest.raises(argparse.ArgumentTypeError) as raised:
            parse(text)
        assert str(raised.value) == error


@pytest.mark.parametrize(
    ("text", "value", "error"),
    [
        ("0", 0.0, None),
        ("1", 1.0, None),
        ("0.25", 0.25, None),
        ("-0.01", None, "--x must be between 0 and 1, got -0.01"),
        ("1.5", None, "--x must be between 0 and 1, got 1.5"),
        ("nan", None, "--x must be between 0 and 1, got nan"),
        ("inf", None, "--x must be between 0 and 1, got inf"),
        ("half", None, "--x must be a number, got 'half'"),
        ("9" * 41, None, f"--x must be between 0 and 1, got {'9' * 40}"),
        ("y" * 41, None, f"--x must be a number, got {'y' * 40!r}"),
    ],
)
def test_numbers_in_a_closed_range_never_nan(text, value, error):
    parse = cli.number_in(0, 1, "--x")
    if error is None:
        assert parse(text) == value and isinstance(parse(text), float)
    else:
        with pytest.raises(argparse.ArgumentTypeError) as raised:
            parse(text)
        assert str(raised.value) == error


def test_the_model_folder_is_the_variable_then_the_checkout_then_the_installed_copy(tmp_path, monkeypatch):
    checkout = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(cli.__file__))), "models")
    installed = tmp_path / "share" / "item2vec" / "models"
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setenv("ITEM2VEC_MODEL", str(tmp_path / "mine"))
    assert cli.default_model_dir() == str(tmp_path / "mine")
    monkeypatch.setenv("ITEM2VEC_MODEL", "")  # set but empty: as if unset
    real_isfile = os.path.isfile
    present = set()
    monkeypatch.setattr(os.path, "isfile", lambda p: p in present or (real_isfile(p) and "models" not in p))
    assert cli.default_model_dir() == checkout  # none holds a model: the usual place, for the error
    present.add(os.path.join(str(installed), "metadata.json"))
    assert cli.default_model_dir() == str(installed)
    present.add(os.path.join(checkout, "metadata.json"))
    assert cli.default_model_dir() == checkout
