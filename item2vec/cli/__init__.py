"""The command-line programs, one module each.

* :mod:`.ask_command`: ``ask.py`` / ``item2vec-ask``;
* :mod:`.train_command`: ``train_item2vec.py`` / ``item2vec-train``;
* :mod:`.explore_command`: ``item2vec-explore``;
* :mod:`.export_command`: ``item2vec-export``;
* :mod:`.parser`: what they share (a parser that returns instead of exiting, ``--version``).

Each ``main(argv)`` parses arguments, calls the package and prints; it returns
the exit code (:class:`~item2vec.errors.ExitCode`) instead of exiting, so tests and
other programs can run it in-process. The modules load on first use: asking never
imports the training program's gensim.
"""

import importlib

__all__ = ["ask_command", "explore_command", "export_command", "parser", "train_command"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(name)
