"""Listening events at scale through both engines: the ``--events`` part of ``benchmarks/scaling.py``.

It measures; :mod:`item2vec.research.scaling_report` turns its results into the documents.

For each number of events a synthetic LFM-1b-layout folder is written once and cached
(``python -m item2vec.research.synthetic --events N``: lognormal user activity, long-tailed
lists and plays, 20 planted genres). Then each *setup* runs in a fresh child process:

* ``pandas``: the pandas engine: ``aggregate`` (``load_dataset``), ``catalogue``
  (``Catalog.from_dataset``), ``corpus`` (member 0's corpus file, for the bytes check) and,
  with ``--train-epochs``, ``train``: the bag in member processes (``trainer.train``,
  ``--processes 2``);
* ``local``, ``cluster-2``, ``cluster-1``: ``train_item2vec.py --engine spark``'s run, stage by
  stage, on ``local[2]`` or on a standalone cluster of 2 or 1 workers of one core each
  (started by this process for the run, :class:`item2vec.research.spark_cluster.StandaloneCluster`):
  ``startup`` (session, the package shipped, one tiny job), ``load`` (read, clean, count:
  the plays stay in Spark), ``catalogue`` (listeners, user numbers, the listen incidence
  spilled to the driver's disk), ``corpora`` (each member's corpus file, written by Spark),
  ``train`` (one Spark task per member on the executors), ``item weights`` (EASE, in one
  Spark task on an executor), ``stop``, ``save`` (the model folder, the incidence copied in chunks).

This process samples every 0.2 s the resident memory (PSS: shared pages divided among the
processes sharing them) and the CPU time of the child's process tree (the driver: Python and
its JVM; in local mode the executors run inside that JVM) and, on a cluster, of each worker's
descendants (its executor JVM and the executor's Python workers): peak memory per stage and
overall, CPU seconds per stage (:class:`item2vec.research.process_sampling.Sampler`, built to
cost little: its own CPU seconds are recorded too, since on 2 cores they come out of the
executors'). The machine may be shared, so wall times carry other people's load; the load
average is recorded with each result.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETUPS = ("pandas", "local", "cluster-2", "cluster-1")


class Stages:
    """Timed stages of one child run: wall seconds, with time stamps for the parent."""

    def __init__(self):
        self.done = []

    def run(self, name, function):
        start = time.time()
        value = function()
        self.done.append({"stage": name, "start": start, "end": time.time(), "wall_s": time.time() - start})
        return value


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _quality(ids, vectors, catalog):
    """Planted-genre accuracy@10 of the vectors (:func:`item2vec.research.synthetic.genre_accuracy`)."""
    from item2vec.research.synthetic import genre_accuracy

    names = dict(zip(catalog.ids.tolist(), catalog.names, strict=True))
    listeners = dict(zip(catalog.ids.tolist(), catalog.listeners.tolist(), strict=True))
    return genre_accuracy(ids, vectors, names, listeners)


def _model_facts(folder, trained, catalog):
    accuracy, evaluated = _quality(trained.artist_ids, trained.vectors, catalog)
    return {
        "vectors_sha256": sha256(os.path.join(folder, "vectors.npy")),
        "catalog_sha256": sha256(os.path.join(folder, "catalog.npz")),
        "item_weights_sha256": sha256(os.path.join(folder, "item_weights.npz")),
        "vocabulary": int(len(trained.artist_ids)),
        "genre_accuracy": accuracy,
        "evaluated_artists": evaluated,
    }


def pandas_child(folder, members, epochs, work):
    """The pandas engine's stages on one events folder (see the module docstring)."""
    from item2vec.ingest.formats import load_dataset
    from item2vec.model.catalog import Catalog
    from item2vec.training.corpus import write_corpus
    from item2vec.training.trainer import TrainConfig, save_trained, should_stream, train, vocabulary

    config = TrainConfig(epochs=max(1, epochs), members=members)
    stages = Stages()
    dataset = stages.run("aggregate", lambda: load_dataset(folder, "lfm1b"))
    catalog = stages.run("catalogue", lambda: Catalog.from_dataset(dataset))
    vocab = vocabulary(dataset, config.min_count)
    path = os.path.join(work, "corpus.txt")
    counts = stages.run(
        "corpus",
        lambda: write_corpus(path, dataset.plays, vocab, config.weighting, config.max_repeat, config.seed),
    )
    result = {
        "setup": "pandas",
        "engine": "pandas",
        "master": None,
        "pairs": int(len(dataset.plays)),
        "users": dataset.n_users,
        "artists": int(len(dataset.artists)),
        "vocabulary": int(len(vocab)),
        "sentences": int(counts[0]),
        "tokens": int(counts[1]),
        "corpus_sha256": sha256(path),
    }
    os.remove(path)
    if epochs:
        stream = should_stream(len(dataset.plays))
        trained = stages.run(
            "train", lambda: train(dataset, config, progress=False, stream=stream, tmp_dir=work, processes=2)
        )
        model = os.path.join(work, "model")
        stages.run("save", lambda: save_trained(model, trained, dataset, catalog=catalog))
        result.update(_model_facts(model, trained, catalog), train_mode="corpus_file" if stream else "memory")
    return result, stages


def spark_child(folder, setup, master, members, epochs, work):
    """``train_item2vec.py --engine spark``'s stages on one events folder (see the module docstring)."""
    from item2vec.model.storage import load_model
    from item2vec.spark import (
        catalog_columns,
        corpus_columns,
        item_weights_task,
        member_training,
        paths,
        pipeline,
    )
    from item2vec.spark.session import get_spark, ship_package, shutdown_jvm
    from item2vec.training.trainer import TrainConfig, save_trained, should_stream

    config = TrainConfig(epochs=max(1, epochs), members=members)
    stages = Stages()

    def start():
        spark = get_spark(master)
        ship_package(spark, work)
        spark.range(1000).selectExpr("sum(id)").collect()  # the first job pays the executors' start
        return spark

    spark = stages.run("startup", start)
    clean = stages.run("load", lambda: pipeline.load(spark, folder, "lfm1b"))
    facts = stages.run("catalogue", lambda: catalog_columns.data_facts(spark, clean, work))
    vocab = pipeline.vocabulary(facts, config)
    with paths.work_folder(spark) as corpora:
        counts = stages.run(
            "corpora",
            lambda: corpus_columns.write_member_corpora(spark, clean.pairs, vocab, config, corpora, False),
        )
        member_0 = paths.local_path(corpus_columns.member_folder(corpora, 0))
        corpus_sha = sha256(paths.part_files(member_0)[0])
        stream = should_stream(facts.rows)
        trained = None
        if epochs:
            trained = stages.run(
                "train",
                lambda: member_training.train_members(
                    spark, corpora, config, counts, len(vocab), stream, False
                ),
            )
    weights = None
    if trained is not None:
        weights = stages.run(
            "item weights", lambda: item_weights_task.item_weights(spark, facts, trained.artist_ids, False)
        )
    stages.run("stop", lambda: (spark.stop(), shutdown_jvm()))
    result = {
        "setup": setup,
        "engine": "spark",
        "master": master,
        "pairs": facts.rows,
        "users": facts.n_users,
        "artists": facts.facts["artists"],
        "vocabulary": int(len(vocab)),
        "sentences": int(counts[0]),
        "tokens": int(counts[1]),
        "corpus_sha256": corpus_sha,
    }
    if trained is not None:
        model = os.path.join(work, "model")
        stages.run("save", lambda: save_trained(model, trained, facts, None, facts.catalog, weights))
        result.update(
            _model_facts(model, trained, load_model(model).catalog),
            train_mode="corpus_file" if stream else "memory",
            blas_kernels=trained.blas_kernels,
        )
    return result, stages


def child(folder, setup, master, members, epochs):
    """One setup on one events folder; prints a JSON line (see the module docstring)."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    work = tempfile.mkdtemp(prefix="item2vec-bench-")
    try:
        if setup == "pandas":
            result, stages = pandas_child(folder, members, epochs, work)
        else:
            result, stages = spark_child(folder, setup, master, members, epochs, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.update(kind="events", members=members, train_epochs=epochs, stages=stages.done)
    print(json.dumps(result))


def ensure_events(events, folder):
    """The synthetic events folder for ``events`` events, written by a child process if missing."""
    path = os.path.join(folder, f"events-{events}")
    if not os.path.exists(os.path.join(path, "LFM-1b_LEs.txt")):
        tmp = path + ".part"
        command = [sys.executable, "-m", "item2vec.research.synthetic", "--events", str(events), "--out", tmp]
        subprocess.run(command, check=True, cwd=REPO)
        os.replace(tmp, path)
    return path


def _events_of(folder):
    """Lines of the events file (every event, counted or repaired)."""
    with open(os.path.join(folder, "LFM-1b_LEs.txt"), "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))


def measure(folder, setup, members, epochs, cluster_folder=None):
    """Run :func:`child` for ``setup`` in a fresh process (on a cluster it starts), sampling memory and
    CPU; returns its result."""
    from item2vec.research.process_sampling import Sampler
    from item2vec.research.spark_cluster import StandaloneCluster

    cluster, master, env = None, "local[2]", dict(os.environ)
    made = None
    if setup.startswith("cluster-"):
        made = None if cluster_folder else tempfile.mkdtemp(prefix="item2vec-cluster-")
        cluster = StandaloneCluster(cluster_folder or made, int(setup.split("-")[1]), 1, "3g").start()
        master = cluster.url
        env.update(PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    try:
        command = [
            sys.executable,
            os.path.abspath(__file__),
            folder,
            setup,
            master,
            str(members),
            str(epochs),
        ]
        process = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        sampler = Sampler(process.pid, [w.pid for w in cluster.workers] if cluster else ())
        sampler.start()
        out, err = process.communicate()
        sampler.done.set()
        sampler.join()
    finally:
        if cluster:
            cluster.stop()
    if sampler.error is not None:
        raise RuntimeError(f"the sampler of {setup} on {folder} stopped: {sampler.error!r}")
    if process.returncode:
        kept = f" (the cluster's logs: {cluster.folder})" if cluster else ""
        raise RuntimeError(f"{setup} on {folder} failed{kept}:\n{err[-3000:]}")
    if made:  # the logs and the executors' copies of the run's files, of a run that went well
        shutil.rmtree(made, ignore_errors=True)
    result = json.loads(out.strip().splitlines()[-1])
    result["events"] = _events_of(folder)
    for stage in result["stages"]:
        stage.update(sampler.figures(stage["start"], stage["end"]))
    result.update(sampler.figures())
    result["workers"] = len(cluster.workers) if cluster else None
    result["load_average"] = os.getloadavg()
    return result


if __name__ == "__main__":
    # The child run of :func:`measure`: FOLDER SETUP MASTER MEMBERS TRAIN_EPOCHS.
    child(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
