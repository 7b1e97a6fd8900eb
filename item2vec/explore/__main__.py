"""``python -m item2vec.explore``: see :mod:`item2vec.cli.explore_command`."""

from ..cli.explore_command import run

if __name__ == "__main__":
    run()
