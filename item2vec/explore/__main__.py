"""``python -m item2vec.explore``: see :mod:`item2vec.cli.explore`."""

from ..cli.explore import run

if __name__ == "__main__":
    run()
