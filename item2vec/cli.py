"""What the two command-line scripts share: an argument parser that returns instead of exiting.

``main(argv)`` of each script must return an exit code (so tests and callers can
run it in-process), and a usage error must be one line, not argparse's usage block.
"""

import argparse


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
