"""The Spark engine: raw listening data to the shipped model's bag, on a Spark cluster.

``train_item2vec.py --engine spark`` reads the same formats as the pandas path
(Kaggle, HetRec, Last.fm-360K, LFM-1b events) from any path Spark can read
(local, ``hdfs://``, ``s3a://``), applies the same cleaning rules with the same
counted repairs, aggregates events into play counts, builds the model folder's
catalogue, writes each member's corpus (byte for byte the corpus the pandas path
builds for that member) and trains the members on the executors, one Spark task
each, with gensim (``--trainer gensim``): the pandas engine's model, byte for byte.
Or Spark MLlib's Word2Vec trains one model inside Spark (``--trainer mllib``).
The driver never holds a table of plays or pairs (:mod:`.pipeline` says which step does what).

Spark is an optional extra (``pip install -e .[spark]``): nothing outside this
package imports pyspark, and this module itself does not, so that
:func:`require_spark` can say how to install it.
"""

from ..errors import MissingExtraError

__all__ = ["INSTALL_HINT", "require_spark"]

#: What to run when pyspark or pyarrow is missing.
INSTALL_HINT = "pip install -e .[spark]"


def require_spark():
    """Check that the ``spark`` extra is installed.

    Raises
    ------
    MissingExtraError
        One line naming what is missing and how to install it (exit code 2).
    """
    missing = []
    for module in ("pyspark", "pyarrow"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise MissingExtraError(
            f"--engine spark needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            f"not installed: install it with {INSTALL_HINT}"
        )
