#!/usr/bin/env python3
"""Scaling benchmark: the whole training pipeline on synthetic Last.fm-360K data at several sizes.

For each number of users it writes (once, cached) a synthetic file in the
Last.fm-360K format with planted genres (``item2vec.research.synthetic``), then runs,
in a fresh child process per size and mode so that peak RSS is that run's
alone: load the file, train one member with the current ``TrainConfig`` defaults (and
``--epochs``), in memory or streamed from a corpus file, build the catalogue,
save the model folder. It reports wall and CPU seconds (the machine may be
shared), peak RSS (``ru_maxrss`` of the child), tokens per CPU second (corpus
tokens x epochs / training CPU seconds) and the planted-genre neighbour
accuracy (share of each artist's 10 nearest artists, among those with at
least 5 listeners, that are in its genre; chance is 1/genres). The
``corpus-*`` modes measure only loading plus building the corpus, to compare
the memory of the two corpus paths without training.

  python benchmarks/scaling.py --sizes 2000 20000 --modes stream memory --epochs 3 --json scaling.json
  python benchmarks/scaling.py --sizes 200000 --modes stream --epochs 1 --json scaling.json
  python benchmarks/scaling.py --sizes 2000 20000 200000 --modes corpus-memory corpus-stream \\
      --json scaling.json --plot docs/scaling.png

Results accumulate in the ``--json`` file (a rerun replaces its size and
mode; results of other hyperparameters are dropped) and are printed as
tables, with the training CPU time per row and epoch relative to the
smallest size (1.00 = exactly linear).

``--events`` runs listening events (LFM-1b layout) through the pandas engine and the Spark
engine on ``local[2]`` and on standalone clusters of 2 and 1 workers of one core, the bag of
``--members`` trained with ``--train-epochs`` epochs (``benchmarks/scaling_events.py`` says what
is measured):

  python benchmarks/scaling.py --events 1000000 10000000 --setups pandas local cluster-2 cluster-1 \\
      --train-epochs 2 --json docs/scaling.json
  python benchmarks/scaling.py --events 100000000 --setups pandas local cluster-2 \\
      --train-epochs 1 --json docs/scaling.json --plot docs/scaling.png

``--performance docs/PERFORMANCE.md`` rewrites the measured part of that page's Spark
section from the events results (``--report-only`` renders it without running anything).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from item2vec.errors import ExitCode

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def corpus_child(path, mode):
    """Peak RSS of loading plus building the corpus only (``memory``: Python lists; ``stream``: a file)."""
    from item2vec.ingest.formats import load_dataset
    from item2vec.training.corpus import build_sentences, write_corpus
    from item2vec.training.trainer import TrainConfig, vocabulary

    config = TrainConfig()
    dataset = load_dataset(path, "lastfm360k")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    vocab = vocabulary(dataset, config.min_count)
    if mode == "memory":
        sentences = build_sentences(dataset.plays, vocab, config.weighting, config.max_repeat, config.seed)
        tokens = sum(len(s) for s in sentences)
    else:
        with tempfile.TemporaryDirectory() as folder:
            tokens = write_corpus(
                os.path.join(folder, "corpus.txt"),
                dataset.plays,
                vocab,
                config.weighting,
                config.max_repeat,
                config.seed,
            )[1]
    print(
        json.dumps(
            {
                "users": dataset.n_users,
                "rows": int(len(dataset.plays)),
                "tokens": int(tokens),
                "mode": "corpus-" + mode,
                "corpus_s": time.perf_counter() - start,
                "peak_rss_after_load_mb": before,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "config": dict(vars(config), epochs=None),
            }
        )
    )


def child(path, mode, epochs, workers):
    """One measured run; prints a JSON line."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    if mode.startswith("corpus-"):
        return corpus_child(path, mode[len("corpus-") :])
    from item2vec.ingest.formats import load_dataset
    from item2vec.model.storage import load_model
    from item2vec.research.synthetic import genre_accuracy
    from item2vec.training.trainer import TrainConfig, save_trained, train

    # One member, as these results were measured before the shipped model became a bag of
    # TrainConfig().members of them: a bag costs that many times the training time.
    config = TrainConfig(epochs=epochs, workers=workers, members=1)
    t0, c0 = time.perf_counter(), time.process_time()
    dataset = load_dataset(path, "lastfm360k")
    t1, c1 = time.perf_counter(), time.process_time()
    trained = train(dataset, config, progress=False, stream=(mode == "stream"))
    t2, c2 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as folder:
        save_trained(os.path.join(folder, "model"), trained, dataset)
        catalog = load_model(os.path.join(folder, "model")).catalog
    t3 = time.perf_counter()
    names = dict(zip(catalog.ids.tolist(), catalog.names, strict=True))
    listeners = dict(zip(catalog.ids.tolist(), catalog.listeners.tolist(), strict=True))
    accuracy, evaluated = genre_accuracy(trained.artist_ids, trained.vectors, names, listeners)
    result = {
        "users": dataset.n_users,
        "rows": int(len(dataset.plays)),
        "artists": int(len(dataset.artists)),
        "vectors": int(len(trained.artist_ids)),
        "tokens": int(trained.n_tokens),
        "mode": mode,
        "epochs": epochs,
        "load_s": t1 - t0,
        "train_s": t2 - t1,
        "catalog_save_s": t3 - t2,
        "total_s": t3 - t0,
        "tokens_per_s": trained.n_tokens * epochs / (t2 - t1),
        # CPU seconds: the machine is shared, so wall times carry other people's load.
        "load_cpu_s": c1 - c0,
        "train_cpu_s": c2 - c1,
        "tokens_per_cpu_s": trained.n_tokens * epochs / (c2 - c1),
        # Linux reports ru_maxrss in KiB.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "genre_accuracy": accuracy,
        "evaluated_artists": evaluated,
        "config": {k: v for k, v in vars(config).items()},
    }
    print(json.dumps(result))


def _same_setup(a, b):
    """Whether two results used the same hyperparameters (epochs aside); results of the other
    benchmark (events / 360K format) are kept as they are."""
    if a.get("kind") != b.get("kind"):
        return True
    return {**a.get("config", {}), "epochs": None} == {**b.get("config", {}), "epochs": None}


def ensure_data(users, folder, genres, artists_per_genre):
    """Path of the synthetic file for ``users`` users, written by a child process if missing."""
    path = os.path.join(folder, f"synthetic-{users}-{genres}x{artists_per_genre}.tsv")
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        tmp = path + ".part"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "item2vec.research.synthetic",
                "--users",
                str(users),
                "--out",
                tmp,
                "--genres",
                str(genres),
                "--artists-per-genre",
                str(artists_per_genre),
            ],
            check=True,
            cwd=REPO,
        )
        os.replace(tmp, path)
    return path


def table(results):
    """Markdown table; CPU time per row and epoch is relative to the smallest run of the same mode
    (1.00 = linear)."""
    lines = [
        "| users | rows | tokens | mode | epochs | load s | train s (wall) | train s (CPU) | total s | "
        "tokens/CPU s | train CPU per row and epoch vs smallest | peak RSS MB | vectors | "
        "genre accuracy@10 |",
        "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ref = min(
            (b for b in results if b["mode"] == r["mode"] and "train_cpu_s" in b),
            key=lambda b: b["rows"],
            default=None,
        )
        cpu = r.get("train_cpu_s")
        per_row = (
            (cpu / r["epochs"] / r["rows"]) / (ref["train_cpu_s"] / ref["epochs"] / ref["rows"])
            if cpu and ref
            else float("nan")
        )
        lines.append(
            f"| {r['users']:,} | {r['rows']:,} | {r['tokens']:,} | {r['mode']} | {r['epochs']} | "
            f"{r['load_s']:.1f} | {r['train_s']:.1f} | {cpu or float('nan'):.1f} | {r['total_s']:.1f} | "
            f"{r.get('tokens_per_cpu_s', float('nan')):,.0f} | {per_row:.2f} | "
            f"{r['peak_rss_mb']:,.0f} | {r['vectors']:,} | {r['genre_accuracy']:.3f} |"
        )
    return "\n".join(lines)


def _epoch_cpu(result):
    """Training CPU seconds per epoch (wall seconds for results without CPU times)."""
    return result.get("train_cpu_s", result["train_s"]) / result["epochs"]


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Fonts of at least 11 pt: the figure is read at page width in docs/PERFORMANCE.md.
    plt.rcParams.update({"font.size": 12, "legend.fontsize": 11, "axes.titlesize": 13})
    events = [r for r in results if r.get("kind") == "events"]
    results = [r for r in results if r.get("kind") != "events"]
    rows = 2 if events and results else 1
    fig, grid = plt.subplots(rows, 3, figsize=(17, 5.2 * rows), squeeze=False)
    if events:
        from item2vec.research import scaling_report

        scaling_report.plot(grid[-1], events)
        for ax in grid[-1]:
            ax.legend()
    if not results:
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        return
    axes = grid[0]
    for mode, marker in (("stream", "o"), ("memory", "s")):
        rs = sorted((r for r in results if r["mode"] == mode), key=lambda r: r["rows"])
        if not rs:
            continue
        rows = [r["rows"] for r in rs]
        axes[0].loglog(rows, [_epoch_cpu(r) for r in rs], marker=marker, label=f"{mode}: training")
        axes[1].loglog(rows, [r["peak_rss_mb"] for r in rs], marker=marker, label=mode)
        axes[2].semilogx(rows, [r["genre_accuracy"] for r in rs], marker=marker, label=mode)
    rs = sorted((r for r in results if r["mode"] == "stream"), key=lambda r: r["rows"])
    if rs:
        r0 = rs[0]
        xs = [r0["rows"], rs[-1]["rows"]]
        axes[0].loglog(
            xs, [_epoch_cpu(r0), _epoch_cpu(r0) * xs[1] / xs[0]], color="grey", linestyle=":", label="linear"
        )
    axes[1].axhline(4096, color="red", linestyle=":", label="4 GB target")
    axes[0].set(
        xlabel="(user, artist) rows", ylabel="CPU seconds per epoch", title="360K format: training time"
    )
    axes[1].set(xlabel="(user, artist) rows", ylabel="MB", title="360K format: peak RSS of the run")
    axes[2].set(
        xlabel="(user, artist) rows",
        ylabel="share in planted genre",
        title="360K format: genre accuracy@10",
        ylim=(0, 1.05),
    )
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[2000, 20000, 200000], help="numbers of users"
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["stream", "memory"],
        choices=["stream", "memory", "corpus-stream", "corpus-memory"],
        help="stream/memory: the whole pipeline; corpus-*: only load + corpus building "
        "(peak RSS of the two corpus paths without training)",
    )
    parser.add_argument(
        "--memory-up-to",
        type=int,
        default=20000,
        help="run the in-memory mode only up to this many users (default 20000)",
    )
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    parser.add_argument("--workers", type=int, default=1, help="training threads (default 1)")
    parser.add_argument("--genres", type=int, default=20)
    parser.add_argument("--artists-per-genre", type=int, default=500)
    parser.add_argument(
        "--data-dir",
        default=os.path.join(tempfile.gettempdir(), "item2vec-scaling"),
        help="cache of the synthetic files",
    )
    parser.add_argument(
        "--json", help="also write the results here (appends to earlier results of other runs)"
    )
    parser.add_argument("--plot", help="write a PNG plot here")
    parser.add_argument(
        "--performance",
        metavar="MARKDOWN",
        help="rewrite the generated Spark block of this file (docs/PERFORMANCE.md, between "
        "'<!-- begin spark -->' and '<!-- end spark -->') from the events results of --json",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="print and plot the --json results, run nothing"
    )
    parser.add_argument(
        "--events", type=int, nargs="+", help="numbers of listening events: run the events benchmark instead"
    )
    parser.add_argument(
        "--setups",
        nargs="+",
        default=["pandas", "local", "cluster-2"],
        choices=["pandas", "local", "cluster-2", "cluster-1"],
        help="events: the pandas engine, the Spark engine on local[2], on a standalone cluster of 2 or "
        "of 1 workers of one core (started for the run)",
    )
    parser.add_argument("--members", type=int, default=8, help="events: members of the bag (default 8)")
    parser.add_argument(
        "--train-epochs",
        type=int,
        default=0,
        help="events: also train the bag, this many epochs per member (default 0: data stages only)",
    )
    parser.add_argument("--child", nargs=2, metavar=("FILE", "MODE"), help=argparse.SUPPRESS)
    return parser


def _save(args, results):
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=1)


def run_events(args, results):
    """The events benchmark at each ``--events`` size and engine; returns the updated results."""
    import scaling_events

    # Events results of the earlier benchmark (one corpus, one member, no setups) are another table.
    results = [r for r in results if r.get("kind") != "events" or "setup" in r]
    for n in args.events:
        folder = scaling_events.ensure_events(n, args.data_dir)
        for setup in args.setups:
            result = scaling_events.measure(folder, setup, args.members, args.train_epochs)
            print(f"{n} events, {setup}: {json.dumps(result)}", flush=True)
            results = [
                r
                for r in results
                if not (
                    r.get("kind") == "events" and (r["events"], r.get("setup")) == (result["events"], setup)
                )
            ] + [result]
            _save(args, results)
    return results


def run_sizes(args, results):
    """The 360K-format pipeline at each ``--sizes`` and mode, each in a child; returns the updated results."""
    for users in args.sizes:
        path = ensure_data(users, args.data_dir, args.genres, args.artists_per_genre)
        for mode in args.modes:
            if mode == "memory" and users > args.memory_up_to:  # corpus-memory runs at every size
                continue
            out = subprocess.run(
                [
                    sys.executable,
                    os.path.abspath(__file__),
                    "--child",
                    path,
                    mode,
                    "--epochs",
                    str(args.epochs),
                    "--workers",
                    str(args.workers),
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=REPO,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{users} users, {mode}: {json.dumps(result)}", flush=True)
            # Replace this size's earlier result, and drop results of other hyperparameters:
            # one table must describe one configuration.
            results = [
                r
                for r in results
                if (r["users"], r["mode"], r.get("epochs")) != (result["users"], mode, result.get("epochs"))
                and _same_setup(r, result)
            ] + [result]
            _save(args, results)
    return results


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.epochs, args.workers)
        return ExitCode.OK
    results = []
    if args.json and os.path.exists(args.json):
        with open(args.json, encoding="utf-8") as handle:
            results = json.load(handle)
    if args.events and not args.report_only:
        results = run_events(args, results)
    elif not args.report_only:
        results = run_sizes(args, results)
    events = [r for r in results if r.get("kind") == "events"]
    if events:
        from item2vec.research import report, scaling_report

        print(scaling_report.summary(events))
        print()
        print(scaling_report.table(events))
        if args.performance:
            report.replace_block(args.performance, "spark", scaling_report.render_performance(events))
            print(f"wrote the Spark section of {args.performance}")
    plotted = results
    results = [r for r in results if r.get("kind") != "events"]
    results.sort(key=lambda r: (r["mode"], r["rows"]))
    corpus = [r for r in results if r["mode"].startswith("corpus-")]
    results = [r for r in results if not r["mode"].startswith("corpus-")]
    if results:
        print(table(results))
    if corpus:
        print("\n| users | rows | corpus path | corpus build s | peak RSS after load MB | peak RSS MB |")
        print("|---:|---:|---|---:|---:|---:|")
        for r in corpus:
            print(
                f"| {r['users']:,} | {r['rows']:,} | {r['mode'][len('corpus-') :]} | {r['corpus_s']:.1f} | "
                f"{r['peak_rss_after_load_mb']:,.0f} | {r['peak_rss_mb']:,.0f} |"
            )
    if args.plot:
        plot([r for r in plotted if not r.get("mode", "").startswith("corpus-")], args.plot)
        print(f"wrote {args.plot}")
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
