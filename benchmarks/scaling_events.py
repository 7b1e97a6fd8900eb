"""Listening events at scale through both engines: the ``--events`` part of ``benchmarks/scaling.py``.

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
    from item2vec.train import STREAM_ABOVE_ROWS, TrainConfig, train_corpus_file  # isort: skip
    from item2vec.corpus import write_corpus
    from item2vec.data import load_dataset
    from item2vec.train import vocabulary

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
        stream = len(dataset.plays) > STREAM_ABOVE_ROWS
        trained = stages.run(
            "train", lambda: train_corpus_file(path, counts, n_artists, config, False, stream)
        )
        names = dict(
            zip(dataset.artists["artist_id"].tolist(), dataset.artists["name"].tolist(), strict=True)
        )
        listeners = dataset.listeners(heard_only=True).to_dict()
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from scaling import genre_accuracy

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
        "-c",
        "import sys; sys.path.insert(0, sys.argv[1]); import scaling_events as s; "
        "s.child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])",
        os.path.dirname(os.path.abspath(__file__)),
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


def _stage(result, name):
    return next((s for s in result["stages"] if s["stage"] == name), None)


def _later(result, name):
    """The repeated runs of stage ``name`` (``name (run 2)``, ...), in order."""
    return [s for s in result["stages"] if s["stage"].startswith(name + " (")]


def _best_later(result, name):
    """The fastest repeated run of stage ``name``, or None when it ran once."""
    return min(_later(result, name), key=lambda s: s["wall_s"], default=None)


def table(results):
    """Markdown tables of the events results: one row per engine, size and stage."""
    lines = [
        "| events | engine | stage | wall s | CPU s | rows/s (wall) | peak RSS MB (tree) |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in sorted(results, key=lambda r: (r["events"], r["engine"])):
        for s in r["stages"]:
            name = s["stage"]
            if name.startswith("aggregate"):
                rate = f"{r['events'] / s['wall_s'] / 1e6:.2f}M events/s"
            elif name.startswith("corpus"):
                rate = f"{r['pairs'] / s['wall_s'] / 1e6:.2f}M pairs/s"
            elif name == "train":
                rate = f"{r['tokens'] * r['train_epochs'] / s['wall_s'] / 1e3:.1f}K tokens x epochs/s"
            else:
                rate = ""
            if name == "train":
                name = f"train ({r['train_epochs']} epochs, {r['train_mode']})"
            lines.append(
                f"| {r['events']:,} | {r['engine']} | {name} | {s['wall_s']:.1f} | {s['cpu_s']:.1f} | "
                f"{rate} | {s['peak_rss_mb']:,.0f} |"
            )
    return "\n".join(lines)


def summary(results):
    """Markdown: per size, the aggregation ratio Spark/pandas and whether the corpora are identical."""
    lines = [
        "| events | pairs | tokens | pandas aggregate s | Spark aggregate s (first; later runs) | "
        "Spark / pandas (first; later) | pandas peak MB | Spark peak MB | same corpus |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in _sizes(results):
        pa, sa, later = row["pandas_aggregate_s"], row["spark_first_s"], row["spark_later_s"]
        seconds = f"{sa:.1f}" + ("; " + ", ".join(f"{w:.1f}" for w in later) if later else "")
        ratio = f"{sa / pa:.2f}x" + ("; " + ", ".join(f"{w / pa:.2f}x" for w in later) if later else "")
        lines.append(
            f"| {row['events']:,} | {row['pairs']:,} | {row['tokens']:,} | {pa:.1f} | {seconds} | {ratio} | "
            f"{row['pandas_peak_mb']:,.0f} | {row['spark_peak_mb']:,.0f} | "
            f"{'yes' if row['same_corpus'] else 'NO'} ({row['corpus_sha256'][:12]}) |"
        )
    return "\n".join(lines)


def _sizes(results):
    """One row (:func:`_size_row`) per number of events measured with both engines."""
    rows = []
    for n in sorted({r["events"] for r in results}):
        p = next((r for r in results if r["events"] == n and r["engine"] == "pandas"), None)
        s = next((r for r in results if r["events"] == n and r["engine"] == "spark"), None)
        if p and s:
            rows.append(_size_row(p, s))
    return rows


#: LFM-1b as the issue that asked for the estimate describes it: 1 billion listening events.
LFM1B_EVENTS = 1_000_000_000


def _size_row(p, s):
    pa = _stage(p, "aggregate")
    first, best = _stage(s, "aggregate"), _best_later(s, "aggregate")
    corpus_first, corpus_best = _stage(s, "corpus"), _best_later(s, "corpus")
    return {
        "events": p["events"],
        "pairs": p["pairs"],
        "tokens": p["tokens"],
        "pandas_aggregate_s": pa["wall_s"],
        "pandas_aggregate_cpu_s": pa["cpu_s"],
        "pandas_corpus_s": _stage(p, "corpus")["wall_s"],
        "spark_startup_s": _stage(s, "startup")["wall_s"],
        "spark_first_s": first["wall_s"],
        "spark_later_s": [st["wall_s"] for st in _later(s, "aggregate")],
        "spark_best_s": best["wall_s"] if best else None,
        "spark_best_cpu_s": (best or first)["cpu_s"],
        "spark_corpus_first_s": corpus_first["wall_s"],
        "spark_corpus_best_s": corpus_best["wall_s"] if corpus_best else None,
        "spark_corpus_best_cpu_s": (corpus_best or corpus_first)["cpu_s"],
        "ratio_first": first["wall_s"] / pa["wall_s"],
        "ratio_best": best["wall_s"] / pa["wall_s"] if best else None,
        "pandas_peak_mb": p["peak_rss_mb"],
        "spark_peak_mb": s["peak_rss_mb"],
        "same_corpus": p["corpus_sha256"] == s["corpus_sha256"],
        "corpus_sha256": s["corpus_sha256"],
    }


def performance(results, lfm1b_events=LFM1B_EVENTS):
    """The figures of the Spark section of ``docs/PERFORMANCE.md``, from the events results.

    Parameters
    ----------
    results : list of dict
        Events results as :func:`measure` returns them (both engines at each size).
    lfm1b_events : int, optional
        Events of the data set the cost estimate is for.

    Returns
    -------
    dict
        ``sizes`` (one row per size measured with both engines), ``training`` (the
        Spark children's gensim runs), ``targets`` (peak RSS at the largest size, the
        aggregation ratio at 10M events) and ``estimate`` (per-row rates of the
        largest trained size, scaled linearly to ``lfm1b_events``).
    """
    sizes = _sizes(results)
    training = [
        {
            "events": r["events"],
            "tokens": r["tokens"],
            "vocabulary": r["vocabulary"],
            "epochs": r["train_epochs"],
            "mode": r["train_mode"],
            "wall_s": _stage(r, "train")["wall_s"],
            "cpu_s": _stage(r, "train")["cpu_s"],
            "peak_mb": _stage(r, "train")["peak_rss_mb"],
            "genre_accuracy": r["genre_accuracy"],
            "token_epochs_per_cpu_s": r["tokens"] * r["train_epochs"] / _stage(r, "train")["cpu_s"],
            "config": r["config"],
        }
        for r in sorted(results, key=lambda r: r["events"])
        if r["engine"] == "spark" and _stage(r, "train")
    ]
    largest = sizes[-1] if sizes else None
    ten = next((row for row in sizes if round(row["events"], -6) == 10_000_000), None)
    targets = {
        "rss": largest and {"events": largest["events"], "peak_mb": largest["spark_peak_mb"],
                            "met": largest["spark_peak_mb"] < 4096},
        "ratio": ten and {"first": ten["ratio_first"], "best": ten["ratio_best"],
                          "met": min(filter(None, (ten["ratio_first"], ten["ratio_best"]))) <= 3},
    }  # fmt: skip
    # The slower engine's data stages (first runs) at each size, to compare training with.
    data_s = {
        row["events"]: max(
            row["pandas_aggregate_s"] + row["pandas_corpus_s"],
            row["spark_first_s"] + row["spark_corpus_first_s"],
        )
        for row in sizes
    }
    return {
        "sizes": sizes,
        "training": training,
        # Sizes at which training took longer than the slower engine's data stages.
        "training_dominates": [
            t["events"] for t in training if t["wall_s"] > data_s.get(t["events"], float("inf"))
        ],
        "cluster_cores": 16,
        "shipped_epochs": _shipped_epochs(),
        "targets": targets,
        "estimate": _estimate(sizes, training, lfm1b_events),
    }


def _shipped_epochs():
    from item2vec.train import TrainConfig

    return TrainConfig().epochs


def _estimate(sizes, training, events):
    """Per-row rates of the largest size (with its training run) scaled linearly to ``events``."""
    trained = {t["events"]: t for t in training}
    rows = [row for row in sizes if row["events"] in trained]
    if not rows:
        return None
    row, t = rows[-1], trained[rows[-1]["events"]]
    scale = events / row["events"]
    # Memory: the marginal bytes per (user, artist) pair between the two largest sizes, so
    # that the fixed cost (interpreter, libraries, the JVM) is not scaled with the data.
    smaller = [r for r in sizes if r["events"] < row["events"]]
    per_pair = (
        (row["pandas_peak_mb"] - smaller[-1]["pandas_peak_mb"]) * 1e6 / (row["pairs"] - smaller[-1]["pairs"])
        if smaller
        else None
    )
    pairs, tokens = row["pairs"] * scale, row["tokens"] * scale
    per_million = [(r["events"], r["spark_best_cpu_s"] * 1e6 / r["events"]) for r in sizes]
    return {
        "events": events,
        "from_events": row["events"],
        # Spark aggregation CPU seconds per million events at each size: the linearity check.
        "spark_cpu_s_per_million": per_million,
        "falling": all(a[1] > b[1] for a, b in zip(per_million, per_million[1:], strict=False)),
        "pairs_per_event": row["pairs"] / row["events"],
        "tokens_per_pair": row["tokens"] / row["pairs"],
        "pairs": pairs,
        "tokens": tokens,
        "spark_aggregate_cpu_h": row["spark_best_cpu_s"] * scale / 3600,
        "spark_corpus_cpu_h": row["spark_corpus_best_cpu_s"] * scale / 3600,
        "pandas_aggregate_cpu_h": row["pandas_aggregate_cpu_s"] * scale / 3600,
        "pandas_bytes_per_pair": per_pair,
        "driver_plays_gb": per_pair * pairs / 1e9 if per_pair else None,
        "epochs": t["epochs"],
        "train_cpu_h": tokens * t["epochs"] / t["token_epochs_per_cpu_s"] / 3600,
        "token_epochs_per_cpu_s": t["token_epochs_per_cpu_s"],
    }


def render_performance(results):
    """The generated block of ``docs/PERFORMANCE.md`` section 6 (``PERFORMANCE_spark.md.j2``)."""
    from item2vec.research import report

    return report.render("PERFORMANCE_spark.md.j2", **performance(results))


def plot(axes, results):
    """Three panels: stage wall time, peak RSS of the process tree, aggregation rows/s; per engine."""
    # One colour per engine in every panel; the line style tells the stage or run apart.
    for engine, marker, color in (("pandas", "s", "tab:blue"), ("spark", "o", "tab:orange")):
        rs = sorted((r for r in results if r["engine"] == engine), key=lambda r: r["events"])
        if not rs:
            continue
        events = [r["events"] for r in rs]
        for stage, style in (("aggregate", "-"), ("corpus", "--")):
            axes[0].loglog(events, [_stage(r, stage)["wall_s"] for r in rs], marker=marker, linestyle=style,
                           color=color, label=f"{engine}: {stage}")  # fmt: skip
        axes[1].loglog(events, [r["peak_rss_mb"] for r in rs], marker=marker, color=color, label=engine)
        axes[2].semilogx(
            events, [r["events"] / _stage(r, "aggregate")["wall_s"] / 1e6 for r in rs], marker=marker,
            color=color, label=f"{engine} (first run)",
        )  # fmt: skip
        warm = [r for r in rs if _best_later(r, "aggregate")]
        if warm:
            axes[2].semilogx(
                [r["events"] for r in warm],
                [r["events"] / _best_later(r, "aggregate")["wall_s"] / 1e6 for r in warm],
                marker=marker, linestyle=":", color=color, label=f"{engine} (best later run)",
            )  # fmt: skip
    axes[1].axhline(4096, color="red", linestyle=":", label="4 GB target")
    axes[0].set(xlabel="listening events", ylabel="wall seconds", title="events: stage time")
    axes[1].set(xlabel="listening events", ylabel="MB", title="events: peak RSS (process tree)")
    axes[2].set(xlabel="listening events", ylabel="million events / s", title="events: aggregation speed")
