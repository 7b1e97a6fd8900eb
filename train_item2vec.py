#!/usr/bin/env python3
"""Train item2vec artist embeddings and write a model folder. See ``python train_item2vec.py --help``.

A thin launcher for :mod:`item2vec.cli.train_command` (also installed as ``item2vec-train``),
so the tool runs straight from a checkout.
"""

from item2vec.cli.train_command import main, run

__all__ = ["main"]

if __name__ == "__main__":
    run()
