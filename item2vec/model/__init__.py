"""The model folder: what a trained model is on disk, and reading it back.

* :mod:`.storage`: saving and validated, checksummed, pickle-free loading (:class:`Model`);
* :mod:`.validation`: what each field of ``metadata.json`` and array of ``catalog.npz`` may hold;
* :mod:`.catalog`: the artist catalogue (ids, names, listeners, who listens to what);
* :mod:`.vectors`: read-only unit vectors and ``most_similar`` in numpy alone;
* :mod:`.item_weights`: the item-item weights of the ``--discover`` dial's familiar end;
* :mod:`.replace`: replacing a folder atomically, under locks, recoverably after a kill;
* :mod:`.arrays`: id lookup and top-k, shared by every model here.

Only numpy: the query path imports this package, never gensim or pandas.
"""

from .catalog import Catalog
from .item_weights import ItemWeights
from .storage import Model, check_writable, load_model, save_model
from .vectors import ArtistVectors

__all__ = ["ArtistVectors", "Catalog", "ItemWeights", "Model", "check_writable", "load_model", "save_model"]
