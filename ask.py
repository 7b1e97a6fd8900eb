#!/usr/bin/env python3
"""Which music artists are similar to this one? See ``python ask.py --help``.

A thin launcher for :mod:`item2vec.cli.ask_command` (also installed as ``item2vec-ask``),
so the tool runs straight from a checkout.
"""

from item2vec.cli.ask_command import main, run

__all__ = ["main"]

if __name__ == "__main__":
    run()
