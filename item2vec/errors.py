"""Exceptions raised by the package, and the exit codes the programs return for them.

Every error a user can cause derives from :class:`Item2VecError`, so the
command-line scripts can print its message on one line and exit with the code
it carries, instead of a traceback.
"""

import enum


class ExitCode(enum.IntEnum):
    """What every program of the package returns (README, "Exit codes")."""

    OK = 0
    #: The question could not be answered (an unknown artist), or the run failed for a
    #: reason that is not the input's (the Spark engine).
    FAILED = 1
    #: Bad arguments or bad input data.
    USAGE = 2
    #: The model folder is missing or damaged.
    MODEL = 3
    #: Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
    INTERRUPTED = 130


class Item2VecError(Exception):
    """Base class of the errors a user can cause; ``exit_code`` is what the CLI returns."""

    exit_code = ExitCode.FAILED


class DataError(Item2VecError):
    """An input data file is missing, unreadable or malformed."""

    exit_code = ExitCode.USAGE


class ModelError(Item2VecError):
    """A model folder is missing, damaged, or from an incompatible version."""

    exit_code = ExitCode.MODEL


class UnknownArtistError(Item2VecError, KeyError):
    """A name matches no artist; ``suggestions`` holds close names."""

    def __init__(self, query, suggestions=()):
        self.query = query
        self.suggestions = list(suggestions)
        super().__init__(query)

    def __str__(self):
        if not str(self.query).strip():
            return "Empty artist name: type the name of an artist."
        msg = f"Unknown artist {_quote(self.query)}."
        if self.suggestions:
            msg += " Did you mean: " + ", ".join(self.suggestions) + "?"
        return msg


class NotInModelError(Item2VecError, KeyError):
    """The artist exists in the data but the model cannot answer for it.

    Since the fold-in (``item2vec.query.ranking.fold_in``) that means: it has no vector (too
    few listeners) and none of its listeners lists an artist that has one. ``reason``
    says which of that applies; without it the message is the older "too few listeners".
    """

    def __init__(self, name, listeners, min_count, better=None, reason=None):
        self.name = name
        self.listeners = listeners
        self.min_count = min_count
        self.better = better  # "'Zемфира' (21 listeners)": a near-identical, better-known spelling
        self.reason = reason  # "its only listener lists no other artist the model knows"
        self.suggestions = [better] if better else []
        super().__init__(name)

    def __str__(self):
        message = (
            f"{_quote(self.name)} has {self.listeners} listener"
            f"{'' if self.listeners == 1 else 's'} in the data; the model only has vectors "
            f"for artists with at least {self.min_count}"
        )
        if self.reason:
            message += f", and {self.reason}"
        message += ", so it cannot answer for it."
        if self.better:
            message += f" Did you mean {self.better}? It is spelled almost the same."
        return message


def _quote(text):
    # repr() escapes control characters and terminal escape sequences, so a
    # hostile name can never drive the user's terminal through an error message.
    text = str(text)
    if len(text) > 80:
        text = text[:77] + "..."
    return repr(text)


class MissingExtraError(Item2VecError):
    """An optional part of the package (an extra, e.g. ``spark``) is used but not installed."""

    exit_code = ExitCode.USAGE


class EngineError(Item2VecError):
    """The data engine (Spark) could not start or failed for a reason that is not the data's."""


class OutputFolderError(Item2VecError):
    """``--out`` names a folder holding files that are not a model's: replacing it would delete them."""

    exit_code = ExitCode.USAGE
