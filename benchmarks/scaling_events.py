"""Listening events at scale through both engines: the ``--events`` part of ``benchmarks/scaling.py``.

It measures; :mod:`item2vec.research.scaling_report` turns its results into the documents.

For each number of events a synthetic LFM-1b-layout folder is written once and
cached (``python -m item2vec.research.synthetic --events N``: lognormal user
activity, long-tailed lists and plays, 20 planted genres). Then, in a fresh child
process per engine and size, the stages ``train_item2vec.py`` runs:

* ``startup`` (Spark only): start a local session and run one tiny job;
* ``aggregate``: read and clean the events into per-user play counts on the
  driver (``load_dataset`` / ``pipeline.load`` + ``driver_dataset``), SHA-256 of
  the input files included in both;
* ``corpus``: vocabulary, weighted repeats and the keyed order, written to one
  local file (``write_corpus`` / ``pipeline.write_corpus_file``);
* ``train`` (optional, once per size, in the Spark child after Spark is stopped,
  as the CLI does): gensim on that file with the shipped hyperparameters and
  ``--train-epochs`` epochs, in memory or ``corpus_file`` mode by the CLI's rule.

With ``--repeat N`` the Spark child runs aggregate and corpus N times in the same
session (``aggregate (run 2)``, ...): the first run pays Spark's query compilation
and JIT warm-up, the later ones show the per-row cost. The parent samples the resident memory of the child and
all its descendants (Python driver, JVM, Python workers) every 0.1 s: peak RSS
per stage and overall. CPU seconds are those of the process tree (the machine may
be shared, so wall times carry other people's load).
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLOCK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        return handle.read().rsplit(")", 1)[1].split()


def tree_pids(root):
    """``root`` and all its live descendants (from /proc)."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                children.setdefault(int(_stat(name)[1]), []).append(int(name))
            except (OSError, IndexError):
                continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_rss_mb(root):
    """Resident memory of ``root`` and its descendants, MB."""
    total = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as handle:
                total += next((int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0)
        except OSError:
            continue
    return total / 1024


def tree_cpu_s(root=None):
    """CPU seconds (user + system) of ``root`` (default: this process), its live descendants and
    the children they have reaped (the JVM after Spark is stopped, Python workers)."""
    total = 0.0
    for pid in tree_pids(root or os.getpid()):
        try:
            fields = _stat(pid)
            total += sum(int(f) for f in fields[11:15]) / CLOCK
        except (OSError, IndexError):
            continue
    return total


class TreeSampler(threading.Thread):
    """Samples (time, RSS of the process tree) of ``pid`` every ``interval`` seconds until stopped."""

    def __init__(self, pid, interval=0.1):
        super().__init__(daemon=True)
        self.pid, self.interval, self.samples = pid, interval, []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            self.samples.append((time.time(), tree_rss_mb(self.pid)))
            self.done.wait(self.interval)

    def peak(self, start=None, end=None):
        """Largest sample between ``start`` and ``end``, and the first one after ``end``
        (a stage shorter than the interval has no sample of its own)."""
        inside = [m for t, m in self.samples if (start is None or t >= start) and (end is None or t <= end)]
        after = next((m for t, m in self.samples if end is not None and t > end), None)
        return max(inside + ([after] if after is not None else []), default=0.0)


class Stages:
    """Timed stages of one child run: wall and tree-CPU seconds, with time stamps for the parent."""

    def __init__(self):
        self.done = []

    def run(self, name, function):
        start, cpu = time.time(), tree_cpu_s()
        value = function()
        self.done.append({"stage": name, "start": start, "end": time.time(), "cpu_s": tree_cpu_s() - cpu})
        self.done[-1]["wall_s"] = self.done[-1]["end"] - start
        return value


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def child(folder, engine, repeat, train_epochs, master):
    """One engine on one events folder; prints a JSON line (see the module docstring)."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    from item2vec.ingest.formats import load_dataset
    from item2vec.training.corpus import write_corpus
    from item2vec.training.trainer import TrainConfig, should_stream, train_corpus_file, vocabulary

    # One member: the shipped bag is eight of these, and the Spark engine trains one.
    config = TrainConfig(epochs=max(1, train_epochs), members=1)
    stages = Stages()
    work = tempfile.mkdtemp(prefix="item2vec-bench-")
    path = os.path.join(work, "corpus.txt")
    if engine == "pandas":
        dataset = stages.run("aggregate", lambda: load_dataset(folder, "lfm1b"))
        vocab = vocabulary(dataset, config.min_count)
        counts = stages.run(
            "corpus",
            lambda: write_corpus(
                path, dataset.plays, vocab, config.weighting, config.max_repeat, config.seed
            ),
        )
        n_artists = len(vocab)
    else:
        from item2vec.spark import pipeline
        from item2vec.spark.session import get_spark

        spark = stages.run("startup", lambda: _started(get_spark(master)))
        for i in range(repeat):
            suffix = "" if i == 0 else f" (run {i + 1})"
            clean, dataset = stages.run("aggregate" + suffix, lambda: _spark_load(pipeline, spark, folder))
            counts, n_artists = stages.run(
                "corpus" + suffix, lambda c=clean: pipeline.write_corpus_file(spark, c, config, path)
            )
            clean.pairs.unpersist()
        from item2vec.spark.session import shutdown_jvm

        stages.run("stop", lambda: (spark.stop(), shutdown_jvm()))
    result = {
        "kind": "events",
        "engine": engine,
        "master": master if engine == "spark" else None,
        # Every event is a play of a kept pair or a counted repair.
        "events": int(
            dataset.plays["plays"].sum() + sum(v for k, v in dataset.repairs.items() if k.startswith("play"))
        ),
        "pairs": int(len(dataset.plays)),
        "users": dataset.n_users,
        "artists": int(len(dataset.artists)),
        "vocabulary": int(n_artists),
        "sentences": int(counts[0]),
        "tokens": int(counts[1]),
        "corpus_sha256": sha256(path),
        "corpus_mb": os.path.getsize(path) / 1e6,
    }
    if train_epochs:
        stream = should_stream(len(dataset.plays))
        trained = stages.run(
            "train", lambda: train_corpus_file(path, counts, n_artists, config, False, stream)
        )
        names = dict(
            zip(dataset.artists["artist_id"].tolist(), dataset.artists["name"].tolist(), strict=True)
        )
        listeners = dataset.listeners(heard_only=True).to_dict()
        from item2vec.research.synthetic import genre_accuracy

        accuracy, evaluated = genre_accuracy(trained.artist_ids, trained.vectors, names, listeners)
        result.update(
            {
                "train_epochs": train_epochs,
                "train_mode": "corpus_file" if stream else "memory",
                "genre_accuracy": accuracy,
                "evaluated_artists": evaluated,
                "config": {k: v for k, v in vars(config).items()},
            }
        )
    os.remove(path)
    os.rmdir(work)
    result["stages"] = stages.done
    print(json.dumps(result))


def _spark_load(pipeline, spark, folder):
    clean = pipeline.load(spark, folder, "lfm1b")
    return clean, pipeline.driver_dataset(clean)


def _started(spark):
    spark.range(1000).selectExpr("sum(id)").collect()  # the first job pays the executor's start
    return spark


def ensure_events(events, folder):
    """The synthetic events folder for ``events`` events, written by a child process if missing."""
    path = os.path.join(folder, f"events-{events}")
    if not os.path.exists(os.path.join(path, "LFM-1b_LEs.txt")):
        tmp = path + ".part"
        command = [sys.executable, "-m", "item2vec.research.synthetic", "--events", str(events), "--out", tmp]
        subprocess.run(command, check=True, cwd=REPO)
        os.replace(tmp, path)
    return path


def measure(folder, engine, repeat, train_epochs, master):
    """Run :func:`child` in a fresh process, sampling its tree's memory; returns its result."""
    command = [
        sys.executable,
        os.path.abspath(__file__),
        folder,
        engine,
        str(repeat),
        str(train_epochs),
        master,
    ]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    sampler.start()
    out, err = process.communicate()
    sampler.done.set()
    sampler.join()
    if process.returncode:
        raise RuntimeError(f"{engine} on {folder} failed:\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    for stage in result["stages"]:
        stage["peak_rss_mb"] = sampler.peak(stage["start"], stage["end"])
    result["peak_rss_mb"] = sampler.peak()
    result["load_average"] = os.getloadavg()
    return result


if __name__ == "__main__":
    # The child run of :func:`measure`: FOLDER ENGINE REPEAT TRAIN_EPOCHS MASTER.
    child(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
