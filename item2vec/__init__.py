"""item2vec: similar music artists from Last.fm listening histories.

The public query API is small and never imports gensim or pandas::

    from item2vec import load_model, Recommender
    model = load_model("models")
    answer = Recommender(model).answer("Rosetta")

Training lives in :mod:`item2vec.train` (gensim) and reading data in
:mod:`item2vec.data` (pandas); import them explicitly.
"""

__version__ = "1.2.0"

from .errors import DataError, Item2VecError, ModelError, NotInModelError, UnknownArtistError
from .storage import Model, load_model

__all__ = [
    "DataError",
    "Item2VecError",
    "ModelError",
    "NotInModelError",
    "UnknownArtistError",
    "Model",
    "load_model",
    "Recommender",
    "__version__",
]


def __getattr__(name):
    # Recommender pulls in the name index; keep "import item2vec" itself minimal.
    if name == "Recommender":
        from .query import Recommender

        return Recommender
    raise AttributeError(name)
