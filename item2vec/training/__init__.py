"""Training: play counts to item2vec sentences, sentences to a bag of gensim Word2Vec models.

* :mod:`.corpus`: play counts to per-user sentences, in memory or as a corpus file;
* :mod:`.trainer`: :class:`TrainConfig`, training one member or the bag, writing a model folder.

The only product package that imports gensim (and only :mod:`.trainer` does). The names
below load :mod:`.trainer` on first use, so that reading the corpus rules does not import gensim.
"""

__all__ = ["TrainConfig", "TrainedModel", "save_trained", "train", "train_and_save"]


def __getattr__(name):
    if name in __all__:
        from . import trainer

        return getattr(trainer, name)
    raise AttributeError(name)
