"""Answering a query: from what a user typed to a ranked, worded answer.

* :mod:`.names`: turning a typed name into an artist id, and suggestions;
* :mod:`.ranking`: the evidence-aware score, the ``--discover`` dial's positions and the
  fold-in of artists without a vector (the evaluation imports the very same rules);
* :mod:`.recommender`: :class:`Recommender`, one JSON-ready answer per query;
* :mod:`.formatting`: the text of an answer for a terminal.

numpy and rapidfuzz only: never gensim, pandas or the training code.
"""

from .names import NameIndex
from .ranking import DEFAULT_DISCOVER, DEFAULT_RANKING, DIAL, RANKINGS, Ranking
from .recommender import Recommender

__all__ = ["DEFAULT_DISCOVER", "DEFAULT_RANKING", "DIAL", "NameIndex", "RANKINGS", "Ranking", "Recommender"]
