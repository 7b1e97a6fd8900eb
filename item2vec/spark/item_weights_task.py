"""The model's item-item weights computed in one Spark task on an executor, not on the driver.

EASE (:func:`item2vec.training.ease.ease_weights`) inverts an artists x artists matrix:
up to :data:`~item2vec.training.ease.EASE_MAX_ARTISTS` squared float64 numbers, three
times over (about 3.4 GB at 10,000 artists), where the rest of the driver's work needs a
few hundred MB. So the Spark engine runs that same function in one task on an executor:

* the listen incidence the catalogue step spilled to the driver's disk
  (:func:`item2vec.spark.catalog_columns.data_facts`) is served to the executors by Spark's
  own file server (``SparkContext.addFile``: any cluster can fetch it, no shared storage
  needed);
* the task (:func:`weights_task`) reads it in chunks, as the pandas engine's model writer
  would, computes the weights with OpenBLAS's kernels pinned as for the members
  (:mod:`item2vec.training.blas`), and returns only the table (artists x
  :data:`~item2vec.training.ease.EASE_TOP`, small).

The weights are those the pandas engine computes from the same catalogue, byte for byte:
the computation is the same function, and it ranks and stores float32 values, whatever
the float64 solve's last bits on another machine's BLAS threads.
"""

import functools
import logging
import os
import socket
import sys
import time

import numpy as np

from ..model.catalog import CatalogParts, StreamedArray
from ..model.item_weights import ItemWeights
from .catalog_columns import incidence_chunks
from .jobs import run_jobs
from .member_training import MISSING_LIBRARY

logger = logging.getLogger(__name__)


def weights_task(_, name, ids, listeners, vector_ids):
    """Compute the item weights on this executor (one Spark task); yields the table as bytes.

    Parameters
    ----------
    _ : iterator
        The task's (empty) input partition.
    name : str
        The incidence file's name, as ``SparkContext.addFile`` registered it.
    ids, listeners : ndarray of int64
        The catalogue's artist ids and listeners.
    vector_ids : ndarray of int64
        The artists with a vector.

    Yields
    ------
    tuple
        ``(rows bytes, weights bytes, shape, seconds, host)``.
    """
    start = time.perf_counter()
    try:
        from ..training import blas

        blas.pin_kernels()  # as for the members: any BLAS this worker loads from now on
        import scipy.sparse  # noqa: F401

        from ..training.ease import ease_weights
    except ImportError as exc:
        raise ImportError(MISSING_LIBRARY.format(python=sys.executable, module=exc.name or exc)) from None
    from pyspark import SparkFiles

    path, length = SparkFiles.get(name), int(np.sum(listeners))
    if os.path.getsize(path) != 4 * length:
        raise ValueError(f"the listen incidence an executor fetched is not the {length} numbers written")
    incidence = StreamedArray(np.int32, length, incidence_chunks(path))
    # Names are not read by EASE: an empty list keeps the task's input small.
    table = ease_weights(CatalogParts(ids, [], listeners, incidence), vector_ids)
    rows = np.ascontiguousarray(table.rows, dtype=np.int32)
    yield (
        rows.tobytes(),
        np.ascontiguousarray(table.weights, dtype=np.float32).tobytes(),
        rows.shape,
        time.perf_counter() - start,
        socket.gethostname(),
    )


def item_weights(spark, facts, vector_ids, progress=True):
    """The item-item weights of the model folder, computed in one Spark task on an executor.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    facts : item2vec.spark.catalog_columns.DataFacts
        The catalogue, whose incidence the driver spilled to its disk.
    vector_ids : ndarray of int64
        The artists with a vector (the trained model's ``artist_ids``).
    progress : bool

    Returns
    -------
    item2vec.model.item_weights.ItemWeights
        Byte for byte :func:`item2vec.training.ease.ease_weights` of the same catalogue on
        the driver.
    """
    start = time.perf_counter()
    sc = spark.sparkContext
    # The file name is unique per catalogue (data_facts): a session that built another one
    # before keeps that one registered under its own name.
    sc.addFile(facts.incidence)
    catalog = facts.catalog
    task = functools.partial(
        weights_task,
        name=os.path.basename(facts.incidence),
        ids=np.asarray(catalog.ids, dtype=np.int64),
        listeners=np.asarray(catalog.listeners, dtype=np.int64),
        vector_ids=np.asarray(vector_ids, dtype=np.int64),
    )
    job = sc.parallelize([0], 1).mapPartitions(task)
    (results,) = run_jobs(sc, [job.collect], "item weights", "task", progress)
    rows, weights, shape, seconds, host = results[0]
    table = ItemWeights(
        np.frombuffer(rows, dtype=np.int32).reshape(shape),
        np.frombuffer(weights, dtype=np.float32).reshape(shape),
    )
    logger.info(
        "item-item weights computed on %s in %.1f s (%.1f s with the task's start)",
        host,
        seconds,
        time.perf_counter() - start,
    )
    return table
