"""The command-line programs: ``ask.py`` / ``item2vec-ask`` and ``train_item2vec.py`` / ``item2vec-train``.

Each ``main(argv)`` parses arguments, calls the package and prints; it returns
the exit code instead of exiting, so tests and other programs can run it in-process.
"""
