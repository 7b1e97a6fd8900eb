"""Reading listening data: every format's files, cleaned into one :class:`Dataset` with counted repairs.

* :mod:`.formats`: finding a folder's format and reading Kaggle and HetRec (:func:`load_dataset`);
* :mod:`.cleaning`: the cleaning rules and counted repairs every reader applies;
* :mod:`.lastfm360k`, :mod:`.lfm1b`: the chunked readers of Last.fm-360K and of LFM-1b events.

pandas, never gensim: the Spark engine applies these same rules.
"""

from .cleaning import MAX_DROPPED_SHARE, Dataset
from .formats import READERS, detect_format, load_dataset

__all__ = ["MAX_DROPPED_SHARE", "READERS", "Dataset", "detect_format", "load_dataset"]
