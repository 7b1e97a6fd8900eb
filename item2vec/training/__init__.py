"""Training: play counts to item2vec sentences, sentences to a bag of gensim Word2Vec models.

* :mod:`.corpus`: play counts to per-user sentences, in memory or as a corpus file;
* :mod:`.trainer`: :class:`TrainConfig`, training one member (:func:`train_member`) or the bag,
  writing a model folder;
* :mod:`.member_pool`: members trained in spawned processes, one per core;
* :mod:`.blas`: the OpenBLAS kernels training runs on (one seed, the same bytes on every CPU).
* :mod:`.ease`: the EASE item-item weights of the ``--discover`` dial, from the catalogue
  (scipy and numpy; :func:`~.trainer.save_trained` writes them into the model folder).

The only product package that imports gensim (and only :mod:`.trainer` does, when it trains).
The names below load :mod:`.trainer` on first use, so that reading the corpus rules does not
import it.
"""

__all__ = [
    "CorpusFile",
    "TrainConfig",
    "TrainedModel",
    "save_trained",
    "should_stream",
    "train",
    "train_and_save",
    "train_member",
]


def __getattr__(name):
    if name in __all__:
        from . import trainer

        return getattr(trainer, name)
    raise AttributeError(name)
