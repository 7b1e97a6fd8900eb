"""The figures of docs/PERFORMANCE.md's Spark section, from ``benchmarks/scaling.py --events`` results.

The benchmark (``benchmarks/scaling_events.py``) measures; this module only reads its result
dicts (one per setup and number of events, with timed ``stages``) and computes the tables,
the targets, the LFM-1b estimate and the ``scaling.png`` panels from them, so the documents
can be regenerated, and tested, without running anything.
"""

from . import report

#: The setups of the events benchmark, in the order the documents show them.
SETUPS = ("pandas", "local", "cluster-2", "cluster-1")
SETUP_NAMES = {
    "pandas": "pandas engine (2 processes)",
    "local": "Spark `local[2]`",
    "cluster-2": "Spark cluster, 2 workers x 1 core",
    "cluster-1": "Spark cluster, 1 worker x 1 core",
}
#: Stages of a Spark setup, in run order (``startup`` and ``stop`` are Spark's own overhead).
#: (``item weights``: EASE in one task on an executor; older runs computed it in ``save``.)
SPARK_STAGES = ("startup", "load", "catalogue", "corpora", "train", "item weights", "save")
#: The pandas engine's stages under the Spark stage they compare with (its ``corpus`` is member 0's
#: file alone, for the bytes check: its members build their own while they train).
PANDAS_AS_SPARK = {
    "aggregate": "load",
    "catalogue": "catalogue",
    "corpus": "corpora",
    "train": "train",
    "save": "save",
}
#: The issue's targets.
DRIVER_LIMIT_MB = 1536
DRIVER_TARGET_EVENTS = 100_000_000  # the size the driver's limit is set at
SPEEDUP_TARGET = 1.7
#: LFM-1b as published (Schedl 2016): listening events, users, artists.
LFM1B = {"events": 1_088_161_692, "users": 120_322, "artists": 3_190_371}
#: The cluster of the estimate.
NODES, CORES_PER_NODE = 16, 4


def _stage(result, name):
    return next((s for s in result["stages"] if s["stage"] == name), None)


def _wall(result, name):
    stage = _stage(result, name)
    return stage["wall_s"] if stage else None


def _cpu(stage):
    """CPU seconds of a stage: the driver's and, on a cluster, the executors'."""
    return stage["driver_cpu_s"] + (stage.get("executor_cpu_s") or 0.0)


def _of(results, events, setup):
    return next((r for r in results if r["events"] == events and r.get("setup") == setup), None)


def rows(results):
    """One row per number of events and setup, in order: stage walls, peaks, the model's checksum."""
    out = []
    for n in sorted({r["events"] for r in results}):
        reference = _of(results, n, "pandas") or next(r for r in results if r["events"] == n)
        for setup in SETUPS:
            r = _of(results, n, setup)
            if r is None:
                continue
            names = PANDAS_AS_SPARK if setup == "pandas" else {s: s for s in SPARK_STAGES}
            out.append(
                {
                    "events": n,
                    "setup": setup,
                    "name": SETUP_NAMES[setup],
                    "pairs": r["pairs"],
                    "tokens": r["tokens"],
                    "vocabulary": r["vocabulary"],
                    "epochs": r["train_epochs"],
                    "members": r["members"],
                    "walls": {as_spark: _wall(r, name) for name, as_spark in names.items()},
                    "total_s": sum(st["wall_s"] for st in r["stages"]),
                    "driver_peak_mb": run_peak(r),
                    "check_peak_mb": _check_peak(r),
                    "executor_peak_mb": r.get("executor_peak_mb"),
                    # Without a pandas run at this size, the setups are compared with the first one.
                    "reference": reference["setup"],
                    "same_corpus": r["corpus_sha256"] == reference["corpus_sha256"],
                    "vectors_sha256": r.get("vectors_sha256"),
                    "same_model": all(
                        r.get(key) == reference.get(key)
                        for key in ("vectors_sha256", "catalog_sha256", "item_weights_sha256")
                    ),
                    "genre_accuracy": r.get("genre_accuracy"),
                    "load_average": r.get("load_average"),
                }
            )
    return out


def training(results):
    """The bag's training per size and setup: wall, CPU, tokens x epochs per CPU second and member."""
    out = []
    for r in sorted(results, key=lambda r: (r["events"], SETUPS.index(r["setup"]))):
        stage = _stage(r, "train")
        if not stage:
            continue
        cpu = _cpu(stage)
        out.append(
            {
                "events": r["events"],
                "setup": r["setup"],
                "name": SETUP_NAMES[r["setup"]],
                "members": r["members"],
                "epochs": r["train_epochs"],
                "mode": r["train_mode"],
                "tokens": r["tokens"],
                "wall_s": stage["wall_s"],
                "cpu_s": cpu,
                "member_cpu_s": cpu / r["members"],
                "token_epochs_per_cpu_s": r["tokens"] * r["train_epochs"] * r["members"] / cpu
                if cpu
                else None,
                "genre_accuracy": r.get("genre_accuracy"),
            }
        )
    return out


def speedups(results):
    """Per size with both clusters: the bag's training wall on 1 worker over that on 2, and the cores
    the executors had on average while it trained (their CPU seconds over the wall: up to the
    number of workers on an otherwise idle machine); on 2 workers also the driver's and the
    benchmark's sampler's (None in runs that did not record it), which share those 2 cores."""
    out = []
    for n in sorted({r["events"] for r in results}):
        one, two = _of(results, n, "cluster-1"), _of(results, n, "cluster-2")
        one_stage, two_stage = (_stage(r, "train") if r else None for r in (one, two))
        if one_stage and two_stage:
            one_s, two_s = one_stage["wall_s"], two_stage["wall_s"]
            sampler = two_stage.get("sampler_cpu_s")
            out.append(
                {
                    "events": n,
                    "one_s": one_s,
                    "two_s": two_s,
                    "ratio": one_s / two_s,
                    "one_cores": one_stage["executor_cpu_s"] / one_s,
                    "two_cores": two_stage["executor_cpu_s"] / two_s,
                    "two_driver_cores": two_stage["driver_cpu_s"] / two_s,
                    "two_sampler_cores": None if sampler is None else sampler / two_s,
                }
            )
    return out


def targets(results):
    """The targets: the driver's peak at 100M events on a cluster, the 2-worker speedup at 10M.

    When the largest 2-worker run is smaller than :data:`DRIVER_TARGET_EVENTS`, the driver's
    target is not judged: ``measured`` is False and ``bound_mb`` is :func:`_per_artist`'s fit
    with every artist of the data in the vocabulary (what the driver holds grows with the
    vocabulary, not with the events).
    """
    cluster = [r for r in results if r.get("setup") == "cluster-2"]
    largest = max(cluster, key=lambda r: r["events"], default=None)
    ten = next((s for s in speedups(results) if round(s["events"], -6) == 10_000_000), None)
    driver = None
    if largest:
        measured = round(largest["events"], -6) >= DRIVER_TARGET_EVENTS
        fit = _per_artist(results)
        bound = fit and fit["fixed_mb"] + fit["bytes_per_artist"] * largest["artists"] / 1e6
        ease = item_weights_peak(results)
        if bound and ease and ease["capped"]:
            bound += ease["extra_mb"]
        driver = {
            "events": largest["events"],
            "peak_mb": run_peak(largest),
            "check_peak_mb": _check_peak(largest),
            "measured": measured,
            "met": measured and run_peak(largest) <= DRIVER_LIMIT_MB,
            "artists": largest["artists"],
            "bound_mb": None if measured else bound,
        }
    return {"driver": driver, "speedup": ten and {**ten, "met": ten["ratio"] >= SPEEDUP_TARGET}}


def run_peak(result):
    """The driver's peak over the run's stages, from its start to the model written.

    The result's own ``driver_peak_mb`` also covers what the benchmark does after the run, in
    the same process: it loads the model and scores every artist's neighbours for the
    planted-genre accuracy, which is the benchmark's check, not the engine's work.
    """
    return max((s["driver_peak_mb"] for s in result["stages"]), default=result["driver_peak_mb"])


def _check_peak(result):
    """The driver's peak after the run (the benchmark's check) when above :func:`run_peak`, else None."""
    return result["driver_peak_mb"] if result["driver_peak_mb"] > run_peak(result) else None


def _per_artist(results):
    """Driver peak (cluster-2) as ``fixed + per_artist x artists in the vocabulary``, fitted through the
    smallest and the largest size (the driver holds per-artist arrays and the bag, nothing per pair)."""
    cluster = sorted((r for r in results if r.get("setup") == "cluster-2"), key=lambda r: r["events"])
    if len(cluster) < 2 or cluster[-1]["vocabulary"] == cluster[0]["vocabulary"]:
        return None
    a, b = cluster[0], cluster[-1]
    per_artist = (_peak_before_save(b) - _peak_before_save(a)) * 1e6 / (b["vocabulary"] - a["vocabulary"])
    return {
        "peaks": [(r["events"], _peak_before_save(r), r["vocabulary"]) for r in cluster],
        "bytes_per_artist": per_artist,
        "fixed_mb": _peak_before_save(a) - per_artist * a["vocabulary"] / 1e6,
    }


def _peak_before_save(result):
    """The driver's peak over the stages before the model is written (its ``save`` stage holds the
    item-item weights' EASE solve, whose size is capped: :func:`item_weights_peak`)."""
    peaks = [s["driver_peak_mb"] for s in result["stages"] if s["stage"] != "save"]
    return max(peaks, default=result["driver_peak_mb"])


def item_weights_peak(results):
    """Where the item-item weights' EASE solve ran, and its memory, in the largest 2-worker run with them.

    :func:`~item2vec.training.ease.ease_weights` holds dense ``n x n`` float64 arrays for the
    ``n = min(vocabulary, EASE_MAX_ARTISTS)`` artists it fits, so once the vocabulary passes
    the cap its memory stops growing. The Spark engine runs it in one task on an executor
    (the ``item weights`` stage: ``on_executor``, the executor's peak, the driver's extra is
    none); runs from before that ran it on the driver while writing the model (its ``save``
    stage: the driver's extra over the stages before). Returns None without such a run.
    """
    from ..training.ease import EASE_MAX_ARTISTS

    apart = [r for r in results if r.get("setup") == "cluster-2" and _stage(r, "item weights")]
    if apart:
        r = max(apart, key=lambda r: r["events"])
        stage = _stage(r, "item weights")
        return {
            "events": r["events"],
            "on_executor": True,
            "peak_mb": stage["executor_peak_mb"],
            "driver_peak_mb": stage["driver_peak_mb"],
            "wall_s": stage["wall_s"],
            "extra_mb": 0.0,
            "artists": min(r["vocabulary"], EASE_MAX_ARTISTS),
            "capped": r["vocabulary"] >= EASE_MAX_ARTISTS,
        }
    saved = [
        r
        for r in results
        if r.get("setup") == "cluster-2" and "item_weights_sha256" in r and _stage(r, "save")
    ]
    if not saved:
        return None
    r = max(saved, key=lambda r: r["events"])
    peak = _stage(r, "save")["driver_peak_mb"]
    return {
        "events": r["events"],
        "peak_mb": peak,
        "extra_mb": max(0.0, peak - _peak_before_save(r)),
        "artists": min(r["vocabulary"], EASE_MAX_ARTISTS),
        "capped": r["vocabulary"] >= EASE_MAX_ARTISTS,
    }


def estimate(results, lfm1b=LFM1B, nodes=NODES, cores=CORES_PER_NODE):
    """LFM-1b on a cluster of ``nodes`` x ``cores``, scaled linearly from the largest cluster-2 run.

    Data stages: CPU seconds per event (driver and executors). Training: each member's CPU
    seconds per token and epoch, for the shipped epochs; members train in parallel, one task
    each, so the bag's wall time is one member's when the cluster has a core per member.
    The driver: :func:`_per_artist`'s fit, at LFM-1b's artists (all of them in the
    vocabulary: an upper bound).
    """
    from ..training.trainer import TrainConfig

    trained = [r for r in results if r.get("setup") == "cluster-2" and _stage(r, "train")]
    if not trained:
        return None
    r = max(trained, key=lambda r: r["events"])
    scale = lfm1b["events"] / r["events"]
    data_cpu = sum(_cpu(_stage(r, s)) for s in ("load", "catalogue", "corpora"))
    config = TrainConfig()
    member_cpu = _cpu(_stage(r, "train")) / r["members"]
    per_token_epoch = member_cpu / (r["tokens"] * r["train_epochs"])
    tokens = r["tokens"] * scale
    member_h = tokens * config.epochs * per_token_epoch / 3600
    driver = _per_artist(results)
    ease = item_weights_peak(results)
    extra = ease["extra_mb"] if ease and ease["capped"] else 0.0
    return {
        "events": lfm1b["events"],
        "artists": lfm1b["artists"],
        "from_events": r["events"],
        "nodes": nodes,
        "cores": nodes * cores,
        "pairs": r["pairs"] * scale,
        "tokens": tokens,
        "pairs_per_event": r["pairs"] / r["events"],
        "tokens_per_pair": r["tokens"] / r["pairs"],
        "data_core_h": data_cpu * scale / 3600,
        "data_wall_min": data_cpu * scale / (nodes * cores) / 60,
        "members": config.members,
        "epochs": config.epochs,
        "member_h": member_h,
        "bag_core_h": member_h * config.members,
        "single_machine_bag_h": member_h * config.members / 2,
        "spill_gb": 4 * r["pairs"] * scale / 1e9,
        "driver": driver,
        "driver_lfm1b_mb": driver
        and driver["fixed_mb"] + driver["bytes_per_artist"] * lfm1b["artists"] / 1e6 + extra,
        "item_weights": ease,
        "dimensions": config.vector_size,
        "member_bytes": config.members * config.vector_size * 4,
        "results_mb": config.members * config.vector_size * 4 * lfm1b["artists"] / 1e6,
    }


def performance(results):
    """The figures of the Spark section of ``docs/PERFORMANCE.md``, from the events results.

    Returns
    -------
    dict
        ``rows`` (:func:`rows`), ``training`` (:func:`training`), ``speedups``, ``targets``,
        ``estimate`` (:func:`estimate`), ``shipped`` (the shipped bag's members and epochs).
    """
    from ..training.ease import EASE_MAX_ARTISTS
    from ..training.trainer import TrainConfig

    config = TrainConfig()
    return {
        "rows": rows(results),
        "training": training(results),
        "speedups": speedups(results),
        "targets": targets(results),
        "estimate": estimate(results),
        "shipped": {"members": config.members, "epochs": config.epochs},
        "before_item_weights": before_item_weights(results),
        "ease_max_artists": EASE_MAX_ARTISTS,
        "driver_limit_mb": DRIVER_LIMIT_MB,
        "driver_target_events": DRIVER_TARGET_EVENTS,
        "names": SETUP_NAMES,
        "speedup_target": SPEEDUP_TARGET,
    }


def before_item_weights(results):
    """The runs that saved a model before the model folder had item-item weights: ``[(events,
    [setup names])]``, by events (empty when none).

    Their stages do not include :func:`~item2vec.training.ease.ease_weights`, which the pandas
    engine now runs while it writes the model and the Spark engine in one task on an executor.
    """
    old = [r for r in results if r.get("vectors_sha256") and "item_weights_sha256" not in r]
    sizes = sorted({r["events"] for r in old})
    return [
        (n, [SETUP_NAMES[s] for s in SETUPS if any(r["events"] == n and r["setup"] == s for r in old)])
        for n in sizes
    ]


def render_performance(results):
    """The generated block of ``docs/PERFORMANCE.md`` section 6 (``PERFORMANCE_spark.md.j2``)."""
    return report.render("PERFORMANCE_spark.md.j2", **performance(results))


def table(results):
    """Markdown: every stage of every run, wall and CPU seconds, the driver's and executors' peaks."""
    lines = [
        "| events | setup | stage | wall s | driver CPU s | executors CPU s | driver peak MB | "
        "executor peak MB |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(results, key=lambda r: (r["events"], SETUPS.index(r["setup"]))):
        for s in r["stages"]:
            executor_cpu = "" if s.get("executor_cpu_s") is None else f"{s['executor_cpu_s']:.1f}"
            executor_peak = "" if s.get("executor_peak_mb") is None else f"{s['executor_peak_mb']:,.0f}"
            lines.append(
                f"| {r['events']:,} | {r['setup']} | {s['stage']} | {s['wall_s']:.1f} | "
                f"{s['driver_cpu_s']:.1f} | {executor_cpu} | {s['driver_peak_mb']:,.0f} | {executor_peak} |"
            )
    return "\n".join(lines)


def summary(results):
    """Markdown: per size and setup, stage walls, peaks, whether the model is the pandas engine's."""
    lines = ["| events | setup | " + " | ".join(SPARK_STAGES) + " | driver MB | executor MB | same model |"]
    lines.append("|---:|---|" + "---:|" * (len(SPARK_STAGES) + 2) + "---|")
    for row in rows(results):
        walls = [row["walls"].get(s) for s in SPARK_STAGES]
        cells = " | ".join("" if w is None else f"{w:.1f}" for w in walls)
        executor = "" if row["executor_peak_mb"] is None else f"{row['executor_peak_mb']:,.0f}"
        lines.append(
            f"| {row['events']:,} | {row['setup']} | {cells} | {row['driver_peak_mb']:,.0f} | {executor} | "
            f"{'yes' if row['same_model'] else 'NO'} |"
        )
    return "\n".join(lines)


def plot(axes, results):
    """Three panels: the whole run's wall time, the driver's and executors' peaks, the bag's training."""
    colors = {"pandas": "tab:blue", "local": "tab:orange", "cluster-2": "tab:green", "cluster-1": "tab:red"}
    for setup in SETUPS:
        rs = sorted((r for r in results if r.get("setup") == setup), key=lambda r: r["events"])
        if not rs:
            continue
        events = [r["events"] for r in rs]
        color, label = colors[setup], SETUP_NAMES[setup].replace("`", "")
        axes[0].loglog(events, [sum(s["wall_s"] for s in r["stages"]) for r in rs], marker="o", color=color,
                       label=label)  # fmt: skip
        axes[1].loglog(
            events, [r["driver_peak_mb"] for r in rs], marker="o", color=color, label=f"{label}: driver"
        )
        if setup.startswith("cluster"):
            peaks = [r["executor_peak_mb"] for r in rs]
            axes[1].loglog(
                events, peaks, marker="s", linestyle="--", color=color, label=f"{label}: one executor"
            )
        trained = [r for r in rs if _stage(r, "train")]
        if trained:
            axes[2].loglog([r["events"] for r in trained], [_wall(r, "train") for r in trained], marker="o",
                           color=color, label=label)  # fmt: skip
    axes[1].axhline(DRIVER_LIMIT_MB, color="red", linestyle=":", label="1.5 GB driver target")
    axes[0].set(xlabel="listening events", ylabel="wall seconds", title="events: the whole run")
    axes[1].set(xlabel="listening events", ylabel="MB", title="events: peak RSS")
    axes[2].set(xlabel="listening events", ylabel="wall seconds", title="events: training the bag")
