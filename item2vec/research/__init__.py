"""The research behind the tool, kept apart from it: the product never imports this package.

* :mod:`.splits`: held-out users (validation and test folds);
* :mod:`.metrics`: HR@k, precision, IPS-recall and bootstrap intervals;
* :mod:`.baselines`: popularity, item-kNN (shrinkage), RP3beta, EASE, ALS, default Word2Vec,
  behind one query shape;
* :mod:`.tuning`: the evidence discount applied to every method, its validation grid and Pareto frontier;
* :mod:`.methods`: the evaluation's model table (item2vec scored by the product's ranking, registered
  baselines); :mod:`.members`: the evaluation's item2vec members, cached on disk;
  :mod:`.rare`: held-out queries about artists too rare for a vector;
* :mod:`.synthetic`: synthetic listening data with planted genres, for tests and benchmarks;
* :mod:`.evaluate` and :mod:`.eda`: the commands that regenerate docs/EVALUATION.md and docs/EDA.md.
"""

import importlib

__all__ = [
    "baselines",
    "eda",
    "eda_figures",
    "eda_stats",
    "evaluate",
    "evaluate_figures",
    "evaluate_report",
    "members",
    "methods",
    "metrics",
    "rare",
    "report",
    "scaling_report",
    "splits",
    "synthetic",
    "tuning",
]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(name)
