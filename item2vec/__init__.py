"""item2vec: similar music artists from Last.fm listening histories.

The public query API is small and never imports gensim or pandas::

    from item2vec import load_model, Recommender
    model = load_model("models")
    answer = Recommender(model).answer("Rosetta")

The stages are packages: :mod:`item2vec.ingest` reads data (pandas),
:mod:`item2vec.training` trains (gensim), :mod:`item2vec.model` is the model folder,
:mod:`item2vec.query` answers; docs/ARCHITECTURE.md draws them. Import the heavy ones explicitly.
"""

from .errors import DataError, Item2VecError, ModelError, NotInModelError, UnknownArtistError
from .model.storage import Model, load_model
from .version import __version__

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
