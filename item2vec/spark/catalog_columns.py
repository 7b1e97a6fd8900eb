"""The model folder's catalogue computed in Spark: listeners, user numbers, the listen incidence.

These are the inputs the pandas engine hands :func:`item2vec.model.catalog.catalog_arrays`
(through :meth:`~item2vec.model.catalog.Catalog.from_dataset`), computed from the cleaned
pairs without bringing them to the driver:

* the listeners of each artist of the artist table (0 for an artist nobody played): one
  number per artist comes to the driver;
* users numbered 0..U-1 in the order of their ids (one Spark partition holds the U
  distinct users while they are numbered: millions at most in these data sets);
* the listen incidence: each artist's user numbers, sorted, artists in id order. Spark
  sorts the pairs and packs runs of them into int32 bytes on the executors
  (:func:`_pack`); the driver appends them to a local spill file one partition at a time,
  and the model folder's writer copies that file into ``catalog.npz`` in chunks (a
  :class:`~item2vec.model.catalog.StreamedArray`).

The driver thus holds per-artist arrays and at most two partitions of packed numbers
(:data:`PARTITION_VALUES` each), never a table of pairs.
"""

import dataclasses
import logging
import os
import time
import uuid

import numpy as np
from pyspark.sql import Window
from pyspark.sql import functions as F

from ..errors import EngineError
from ..model.arrays import rows_of
from ..model.catalog import CatalogParts, StreamedArray
from . import paths

logger = logging.getLogger(__name__)

#: User numbers per packed chunk (4 MB of int32), on the executors and when copying the spill file.
CHUNK_VALUES = 1 << 20
#: User numbers per partition fetched by the driver (64 MB of int32).
PARTITION_VALUES = 1 << 24
#: The spill file of the incidence, in the driver's local folder given to :func:`data_facts`
#: (with a unique part: Spark's file server, which serves it to the executors, names files by
#: their names, once per session).
SPILL_FILE = "listen_users-{unique}.int32"


@dataclasses.dataclass
class DataFacts:
    """What the model folder needs from the Spark engine's data: its catalogue and its facts.

    ``summary()`` is the ``data`` entry of ``metadata.json``, as
    :meth:`item2vec.ingest.cleaning.Dataset.summary` gives it for the pandas engine.
    """

    catalog: CatalogParts
    facts: dict
    #: The driver's local file of the catalogue's listen incidence (int32), which the
    #: catalogue's ``listen_users`` reads in chunks.
    incidence: str | None = None

    @property
    def rows(self):
        """Distinct (user, artist) pairs."""
        return self.facts["rows"]

    @property
    def n_users(self):
        return self.facts["users"]

    @property
    def checksums(self):
        """SHA-256 of the local input files, as :attr:`item2vec.ingest.cleaning.Dataset.checksums`."""
        return self.facts["sha256"]

    def summary(self):
        return dict(self.facts)


def _pack(batches):
    """mapInArrow function (runs on the executors): a partition's user numbers as int32 bytes.

    Yields one ``blob`` per :data:`CHUNK_VALUES` numbers or fewer, in the partition's order.
    """
    import pyarrow as pa

    pending, held = [], 0
    for batch in batches:
        pending.append(batch.column(0).to_numpy(zero_copy_only=False).astype("<i4"))
        held += len(pending[-1])
        if held >= CHUNK_VALUES:
            yield pa.RecordBatch.from_arrays(
                [pa.array([np.concatenate(pending).tobytes()], pa.binary())], ["blob"]
            )
            pending, held = [], 0
    if held:
        yield pa.RecordBatch.from_arrays(
            [pa.array([np.concatenate(pending).tobytes()], pa.binary())], ["blob"]
        )


def listeners_of(pairs, artist_ids):
    """Distinct users of each artist of ``artist_ids`` (increasing), 0 for the unheard (numpy int64)."""
    heard = pairs.groupBy("artist_id").agg(F.count(F.lit(1)).alias("n")).toPandas()
    listeners = np.zeros(len(artist_ids), dtype=np.int64)
    at = rows_of(artist_ids, heard["artist_id"].to_numpy(dtype=np.int64))
    if (at < 0).any():  # the readers drop plays of unknown artists: this would be a bug
        raise EngineError("the cleaned plays name artists missing from the artist table")
    listeners[at] = heard["n"].to_numpy(dtype=np.int64)
    return listeners


def user_numbers(pairs):
    """DataFrame[user, code]: the distinct users numbered 0..U-1 in the order of their ids."""
    users = pairs.select("user").distinct()
    return users.select("user", (F.row_number().over(Window.orderBy("user")) - 1).cast("int").alias("code"))


def spill_incidence(pairs, codes, rows, path):
    """Write each artist's user numbers (sorted, artists in id order) as int32 to the local file ``path``.

    The sorted pairs are merged into partitions of about :data:`PARTITION_VALUES` (``coalesce``
    keeps their order); the driver then fetches one partition per Spark job.

    Returns
    -------
    int
        Numbers written (``rows`` expected).
    """
    incidence = pairs.select("user", "artist_id").join(codes, "user").select("artist_id", "code")
    ordered = incidence.orderBy("artist_id", "code").coalesce(max(1, -(-rows // PARTITION_VALUES)))
    blobs = ordered.select("code").mapInArrow(_pack, "blob binary")
    written = 0
    with open(path, "wb") as handle:
        for row in blobs.toLocalIterator(prefetchPartitions=True):
            handle.write(row.blob)
            written += len(row.blob) // 4
    return written


def incidence_chunks(path):
    """The spill file's numbers, :data:`CHUNK_VALUES` at a time (a :class:`StreamedArray`'s ``chunks``)."""

    def read():
        with open(path, "rb") as handle:
            while block := handle.read(4 * CHUNK_VALUES):
                yield np.frombuffer(block, dtype="<i4")

    return read


def data_facts(spark, clean, folder):
    """The catalogue and the metadata facts of cleaned data, computed in Spark.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    clean : item2vec.spark.readers.CleanPlays
    folder : str
        A local folder of the driver's for the incidence's spill file; it must live
        until the model folder is written.

    Returns
    -------
    DataFacts
    """
    start = time.perf_counter()
    artists = clean.artists
    ids = artists["artist_id"].to_numpy(dtype=np.int64)
    listeners = listeners_of(clean.pairs, ids)
    rows = int(listeners.sum())
    codes = user_numbers(clean.pairs).persist()
    spill = os.path.join(folder, SPILL_FILE.format(unique=uuid.uuid4().hex))
    written = spill_incidence(clean.pairs, codes, rows, spill)
    n_users = codes.count()
    codes.unpersist()
    if written != rows:
        raise EngineError(f"the listen incidence has {written} entries for {rows} (user, artist) pairs")
    catalog = CatalogParts(
        ids, artists["name"].tolist(), listeners, StreamedArray(np.int32, rows, incidence_chunks(spill))
    )
    facts = {
        "format": clean.format,
        "sha256": paths.checksums(clean.inputs),
        "repairs": clean.repairs,
        "rows": rows,
        "users": int(n_users),
        "artists": int(len(ids)),
    }
    logger.info(
        "loaded %s data: %d rows, %d users, %d artists (catalogue built in Spark in %.1f s)",
        clean.format,
        rows,
        n_users,
        len(ids),
        time.perf_counter() - start,
    )
    return DataFacts(catalog, facts, spill)
