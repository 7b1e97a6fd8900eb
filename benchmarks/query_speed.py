#!/usr/bin/env python3
"""Query speed: cold start of ``ask.py``, warm per-query latency, and ``--batch`` throughput.

Cold start launches ``python ask.py QUERY`` and ``python -c "import numpy"``
alternately, so both see the same machine load, and reports the medians and
their ratio (targets: at most 0.35 s and at most 2x numpy). Warm latency times
``Recommender.answer`` (default ranking) inside one process, separately for
artists with a vector and for artists folded in from their listeners (target:
under 2 ms median). Batch runs ``ask.py --batch FILE`` over the names of every
artist with a vector (target: under 10 s), once per repeat, after checking
that the query path imported no heavy library.

  python benchmarks/query_speed.py                       # models/, 15 launches each
  python benchmarks/query_speed.py --model DIR --query NAME --launches 25
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from item2vec.errors import ExitCode

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HEAVY = ("gensim", "pandas", "scipy", "tqdm", "sklearn", "matplotlib", "implicit", "rapidfuzz")


def wall(cmd, **kwargs):
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO, **kwargs)
    return time.perf_counter() - start, done.returncode


def cold_start(model, query, launches):
    """Median wall seconds of ``ask.py QUERY`` and ``import numpy``, launched alternately."""
    ask = [sys.executable, "ask.py", query, "--model", model]
    numpy = [sys.executable, "-c", "import numpy"]
    wall(ask)  # warm the OS file cache once, as a user's second query would find it
    ask_times, numpy_times = [], []
    for _ in range(launches):
        seconds, code = wall(ask)
        if code != 0:
            raise SystemExit(f"ask.py {query!r} exited with {code}")
        ask_times.append(seconds)
        numpy_times.append(wall(numpy)[0])
    return statistics.median(ask_times), statistics.median(numpy_times)


def imported_heavy(model, query):
    """Heavy modules in ``sys.modules`` after ``ask.py QUERY`` (from ``-X importtime``)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "ask.py", query, "--model", model],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    modules = {
        line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    }
    return sorted(m for m in modules if m.split(".")[0] in HEAVY and "." not in m)


def warm_latency(model, count):
    """Median and 90th percentile seconds of one ``answer`` call, by kind of query artist.

    Returns ``{kind: (median, p90, queries)}`` for ``vector`` (artists with a vector) and
    ``folded`` (artists without one, folded in from their listeners' other artists); each
    artist is asked for by ``id:N`` and by name.
    """
    import numpy as np

    from item2vec import load_model
    from item2vec.query.recommender import Recommender

    loaded = load_model(model)
    recommender = Recommender(loaded)
    rng = np.random.default_rng(0)
    has_vector = np.isin(loaded.catalog.ids, loaded.vectors.ids)
    recommender.answer(f"id:{loaded.vectors.ids[0]}")
    timings = {}
    pools = {"vector": loaded.catalog.ids[has_vector], "folded": loaded.catalog.ids[~has_vector]}
    for kind, pool in pools.items():
        if not len(pool):
            continue
        ids = rng.choice(pool, size=min(count, len(pool)), replace=False)
        queries = [f"id:{i}" for i in ids] + [loaded.catalog.name(i) for i in ids]
        times = []
        for query in queries:
            start = time.perf_counter()
            try:
                recommender.answer(query)
            except Exception:  # a name shared with another artist, or not answerable: still timed
                pass
            times.append(time.perf_counter() - start)
        timings[kind] = (statistics.median(times), float(np.percentile(times, 90)), len(queries))
    return timings


def batch(model, repeats):
    """Median wall seconds of ``ask.py --batch`` over the names of every artist with a vector."""
    from item2vec import load_model

    loaded = load_model(model)
    names = [loaded.catalog.name(i) for i in loaded.vectors.ids]
    names = [n for n in names if "\n" not in n and "\r" not in n]
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(names) + "\n")
    try:
        times = [
            wall([sys.executable, "ask.py", "--batch", handle.name, "--model", model])[0]
            for _ in range(repeats)
        ]
    finally:
        os.unlink(handle.name)
    return statistics.median(times), len(names)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", default=os.path.join(REPO, "models"), help="model folder (default models/)"
    )
    parser.add_argument("--query", default="Rosetta", help="artist for the cold start (default Rosetta)")
    parser.add_argument("--launches", type=int, default=15, help="process launches of each kind (default 15)")
    parser.add_argument(
        "--warm-queries", type=int, default=500, help="artists timed in-process (default 500)"
    )
    parser.add_argument("--batch-repeats", type=int, default=3, help="--batch runs (default 3)")
    args = parser.parse_args(argv)

    heavy = imported_heavy(args.model, args.query)
    print(f"heavy modules imported by ask.py: {', '.join(heavy) or 'none'}")
    ask_s, numpy_s = cold_start(args.model, args.query, args.launches)
    print(
        f"cold start, median of {args.launches} interleaved launches: ask.py {args.query!r} {ask_s:.3f} s, "
        f"python -c 'import numpy' {numpy_s:.3f} s, ratio {ask_s / numpy_s:.2f}x "
        f"(targets <= 0.35 s and <= 2x)"
    )
    for kind, (median, p90, count) in warm_latency(args.model, args.warm_queries).items():
        print(
            f"warm query in one process, {count} queries, query artists {kind}: median "
            f"{median * 1000:.3f} ms, 90th percentile {p90 * 1000:.3f} ms (target < 2 ms median)"
        )
    batch_s, names = batch(args.model, args.batch_repeats)
    print(
        f"--batch over all {names} artists with a vector, median of {args.batch_repeats} runs: "
        f"{batch_s:.2f} s ({batch_s / names * 1000:.2f} ms per artist incl. start-up; target < 10 s)"
    )
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
