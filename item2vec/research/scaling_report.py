"""The figures of docs/PERFORMANCE.md's Spark section, from ``benchmarks/scaling.py --events`` results.

The benchmark (``benchmarks/scaling_events.py``) measures; this module only reads its
result dicts (one per engine and size, with timed ``stages``) and computes the tables,
the LFM-1b estimate and the ``scaling.png`` panels from them, so the documents can be
regenerated, and tested, without running anything.
"""

from . import report


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
    from ..training.trainer import TrainConfig

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
