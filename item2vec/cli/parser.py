"""What the two command-line programs share: an argument parser that returns instead of exiting.

``main(argv)`` of each program must return an exit code (so tests and callers can
run it in-process), and a usage error must be one line, not argparse's usage block.
"""

import argparse
import os
import sys


class UsageError(Exception):
    """Bad command-line arguments; the script prints the message and returns 2."""


class HelpShown(Exception):
    """``--help`` was printed; the script returns ``args[0]`` (0)."""


class Parser(argparse.ArgumentParser):
    """``ArgumentParser`` that raises :class:`UsageError` / :class:`HelpShown` instead of exiting."""

    def error(self, message):
        raise UsageError(message)

    def exit(self, status=0, message=None):
        raise HelpShown(status)


def command_parser(doc, prog):
    """A :class:`Parser` whose ``--help`` shows the program's docstring: first paragraph, then the rest."""
    return Parser(
        prog=prog,
        description=doc.split("\n\n")[0],
        epilog=doc.split("\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def int_in(low, high, what):
    """An argparse ``type`` accepting whole numbers in ``[low, high]``, with a one-line error."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, got {text[:40]!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be between {low} and {high}, got {value}")
        return value

    return parse


def number_in(low, high, what):
    """An argparse ``type`` accepting numbers in ``[low, high]`` (not ``nan``), with a one-line error."""

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, got {text[:40]!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be between {low:g} and {high:g}, got {text[:40]}")
        return value

    return parse


def add_version(parser):
    """``--version``: the program and package version."""
    from ..version import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s (item2vec) {__version__}")


def default_model_dir():
    """The model folder used when ``--model`` is not given.

    ``$ITEM2VEC_MODEL`` if set; else ``models/`` of the checkout the package
    runs from (``python ask.py``, an editable install); else the copy that
    ``pip install .`` puts in ``<prefix>/share/item2vec/models``. When none
    holds a model, the checkout's path, so the error names the usual place.
    """
    if os.environ.get("ITEM2VEC_MODEL"):
        return os.environ["ITEM2VEC_MODEL"]
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    checkout = os.path.join(os.path.dirname(package), "models")
    installed = os.path.join(sys.prefix, "share", "item2vec", "models")
    for candidate in (checkout, installed):
        if os.path.isfile(os.path.join(candidate, "metadata.json")):
            return candidate
    return checkout
