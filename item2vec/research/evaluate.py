"""Regenerate docs/EVALUATION.md, docs/evaluation.json and docs/tradeoff.png.

  python -m item2vec.research.evaluate --data ../shared/data --out docs/
  python -m item2vec.research.evaluate --render-only --out docs/   # EVALUATION.md from evaluation.json

The report's words are ``templates/EVALUATION.md.j2`` (filled by :mod:`.evaluate_report`), its
figure is drawn by :mod:`.evaluate_figures`, and every number comes from ``evaluation.json``.

Phases (see :mod:`.splits` and :mod:`.metrics` for the protocol):

1. validation: EASE's lambda, the item2vec result filter (min listeners), and
   the quality / training-time trade-off over epochs and vector size;
2. test: item2vec as shipped (``TrainConfig()`` defaults and the
   ``DEFAULT_MIN_LISTENERS`` filter) against the baselines, on the test folds;
3. query latency of every method, measured side by side;
4. the example query (Rosetta), on models trained on all users.
"""

import argparse
import dataclasses
import logging
import os
import platform
import sys
import time

import numpy as np

from ..train import TrainConfig  # isort: skip  (first: pins OpenBLAS's kernels)
from ..data import load_dataset
from ..errors import DataError
from ..query import DEFAULT_MIN_LISTENERS
from . import baselines, evaluate_figures, report
from .evaluate_report import ORDER, render
from .metrics import bootstrap, evaluate_filters, evaluate_model, rank_of
from .splits import SET_MIN_LISTENERS, full_split, make_split

logger = logging.getLogger(__name__)

EASE_LAMBDAS = (50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0)
FILTER_GRID = (3, 4, 5, 6, 7, 10, 15, 20)
#: The product cannot filter above this: the README's example answer for Rosetta, Cult Of
#: Luna, has 7 listeners, and a higher default would hide it (tests/ check the example).
SHIPPABLE_MAX = 7
HR_FLOOR = 0.75
#: The floor used when *choosing* on validation (benchmarks/tune.py uses the same): a margin
#: over the 0.75 target for the validation-to-test shift, fixed before any run.
CHOICE_HR_FLOOR = 0.77
#: The tuning's time budget: benchmarks/tune.py keeps configurations whose training
#: extrapolates to under this many seconds on the full data (its --max-seconds default).
CHOICE_MAX_SECONDS = 45.0
#: The issue's targets besides HR_FLOOR: results' mean listeners below this multiple of
#: item-kNN's, and training (median of the test seeds, workers=1) under these seconds.
TARGET_LISTENERS_FACTOR = 3
TARGET_TRAIN_SECONDS = 60
#: The report names the baselines whose IPS-recall@10 reaches this share of item2vec's.
CLOSE_SHARE = 0.9
#: A trade-off knee is the cheapest value reaching this share of its sweep's best IPS-recall@10.
KNEE_SHARE = 0.95
INTERVAL_LEVEL = 0.95
#: Test folds of the split layout (make_split's n_seeds): validation folds are cut after them.
TEST_FOLDS = 3
FOLD_SHARE = 0.1
EXAMPLE = ("Rosetta", ("Cult Of Luna", "Pelican", "The Ocean"))
#: The TrainConfig defaults before tuning (version 1.0 of the shipped model), kept as a
#: row of the test table so the gain from tuning is measured, not asserted.
UNTUNED = {
    "vector_size": 64,
    "window": 0,
    "shrink_windows": False,
    "epochs": 10,
    "negative": 5,
    "ns_exponent": 0.75,
    "sample": 1e-4,
    "alpha": 0.025,
    "min_alpha": 0.0001,
    "min_count": 3,
    "weighting": "none",
    "max_repeat": 4,
}


def _ints(text):
    return tuple(int(x) for x in text.split(",") if x.strip())


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m item2vec.research.evaluate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", default="data", help="data folder (default: data/)")
    parser.add_argument(
        "--out", default="docs", help="folder for EVALUATION.md, evaluation.json, tradeoff.png"
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=3,
        choices=(1, 2, 3),
        help="validation and test splits to average over (default 3)",
    )
    parser.add_argument("--boot", type=int, default=1000, help="bootstrap replicates (default 1000)")
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="override the shipped epochs (for quick runs; the docs then say so)",
    )
    parser.add_argument(
        "--tradeoff-epochs",
        type=_ints,
        default=(1, 2, 5, 10, 20, 40),
        help="epochs of the trade-off sweep (comma-separated)",
    )
    parser.add_argument(
        "--tradeoff-sizes",
        type=_ints,
        default=(8, 16, 32, 64, 128, 256),
        help="vector sizes of the trade-off sweep (comma-separated)",
    )
    parser.add_argument("--latency-queries", type=int, default=200)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite EVALUATION.md from the evaluation.json in --out, computing nothing",
    )
    return parser


class Runner:
    """Carries the data, options and progress bar through the phases."""

    def __init__(self, args):
        from tqdm.auto import tqdm

        self.args = args
        self.dataset = load_dataset(args.data)
        self.config = TrainConfig()
        if args.epochs is not None:
            self.config = dataclasses.replace(self.config, epochs=args.epochs)
        self.bar = tqdm(total=self._steps(), desc="evaluate", unit="step", disable=args.quiet)

    def _steps(self):
        a = self.args
        return (
            a.seeds * len(EASE_LAMBDAS)
            + a.seeds
            + len(a.tradeoff_epochs)
            + len(a.tradeoff_sizes)
            + a.seeds * 7
            + 6
        )

    def step(self, what):
        self.bar.set_postfix_str(what[:40])
        self.bar.update(1)

    def item2vec(self, split, **changes):
        config = dataclasses.replace(self.config, seed=split.seed, workers=1, **changes)
        return baselines.fit_item2vec(split, config)

    # -- phase 1 ---------------------------------------------------------------------------

    def validation(self):
        splits = [
            make_split(self.dataset, "validation", s, TEST_FOLDS, FOLD_SHARE) for s in range(self.args.seeds)
        ]
        lists = [s.user_lists() for s in splits]
        out = {"users": [len(x) for x in lists]}
        ease = {}
        for lam in EASE_LAMBDAS:
            per_seed = []
            for split, ul in zip(splits, lists, strict=True):
                per_seed.append(
                    evaluate_filters(
                        baselines.fit_ease(split, lam), split, [SET_MIN_LISTENERS], user_lists=ul
                    )[SET_MIN_LISTENERS]
                )
                self.step(f"EASE lambda {lam:g}")
            ease[lam] = bootstrap(per_seed, self.args.boot, level=INTERVAL_LEVEL)
        # EASE is tuned for the metric item2vec is asked to win on, which makes it the strongest rival there.
        best_lam = max(ease, key=lambda lam: ease[lam]["ips_recall"]["mean"])
        out["ease"] = {"grid": {f"{lam:g}": ease[lam] for lam in ease}, "lambda": best_lam}

        per_filter = {f: [] for f in FILTER_GRID}
        for split, ul in zip(splits, lists, strict=True):
            model = self.item2vec(split)
            for f, sums in evaluate_filters(model, split, FILTER_GRID, user_lists=ul).items():
                per_filter[f].append(sums)
            self.step("item2vec filters")
        filters = {f: bootstrap(per_filter[f], self.args.boot, level=INTERVAL_LEVEL) for f in FILTER_GRID}
        ok = [f for f in FILTER_GRID if filters[f]["hr"]["mean"] >= CHOICE_HR_FLOOR]
        best = max(ok, key=lambda f: filters[f]["ips_recall"]["mean"]) if ok else None
        shippable = [f for f in ok if f <= SHIPPABLE_MAX]
        out["min_listeners"] = {
            "grid": {str(f): filters[f] for f in FILTER_GRID},
            "best": best,
            "best_shippable": (
                max(shippable, key=lambda f: filters[f]["ips_recall"]["mean"]) if shippable else None
            ),
            "shippable_max": SHIPPABLE_MAX,
            "rule": f"highest IPS-recall@10 with HR@10 >= {CHOICE_HR_FLOOR}",
            "shipped": DEFAULT_MIN_LISTENERS,
        }

        split, ul = splits[0], lists[0]
        allowed = split.listeners >= DEFAULT_MIN_LISTENERS
        sweep = []
        for key, values in (("epochs", self.args.tradeoff_epochs), ("vector_size", self.args.tradeoff_sizes)):
            for value in values:
                model = self.item2vec(split, **{key: value})
                sums = evaluate_filters(model, split, [SET_MIN_LISTENERS], user_lists=ul)[SET_MIN_LISTENERS]
                shipped = evaluate_model(model, split, allowed=allowed, user_lists=ul)
                sweep.append(
                    {
                        "vary": key,
                        "value": value,
                        "seconds": model.fit_seconds,
                        "unfiltered": sums.point(),
                        "filtered": shipped.point(),
                    }
                )
                self.step(f"trade-off {key}={value}")
        out["tradeoff"] = {"sweep": sweep, "knee": knees(sweep, CHOICE_HR_FLOOR)}
        return out

    # -- phase 2 ---------------------------------------------------------------------------

    def test(self, lam):
        results = {}
        models0 = None
        for seed in range(self.args.seeds):
            split = make_split(self.dataset, "test", seed, TEST_FOLDS, FOLD_SHARE)
            ul = split.user_lists()
            models = fit_all(split, self.item2vec, lam, self.step)
            untuned = dataclasses.replace(TrainConfig(**UNTUNED), epochs=self.config.epochs)
            models["item2vec_untuned"] = baselines.fit_item2vec(
                split, dataclasses.replace(untuned, seed=split.seed, workers=1)
            )
            models["item2vec_untuned"].name = "item2vec, untuned v1.0 defaults"
            self.step(f"test {seed} item2vec untuned")
            if seed == 0:
                models0 = (split, models)
            for key, model in models.items():
                sums = evaluate_filters(
                    model, split, [SET_MIN_LISTENERS, DEFAULT_MIN_LISTENERS], user_lists=ul
                )
                entry = results.setdefault(key, {"name": model.name, "seconds": [], "per_seed": {}})
                entry["seconds"].append(model.fit_seconds)
                for f, s in sums.items():
                    entry["per_seed"].setdefault(f, []).append(s)
        table = {}
        for key, entry in results.items():
            table[key] = {
                "name": entry["name"],
                "train_seconds": float(np.median(entry["seconds"])),
                "unfiltered": bootstrap(
                    entry["per_seed"][SET_MIN_LISTENERS], self.args.boot, level=INTERVAL_LEVEL
                ),
                "filtered": bootstrap(
                    entry["per_seed"][DEFAULT_MIN_LISTENERS], self.args.boot, level=INTERVAL_LEVEL
                ),
            }
        return table, models0

    # -- phase 3 ---------------------------------------------------------------------------

    def latency(self, split, models):
        """Median seconds of one ``similar(id, 10)`` per method, interleaved so load hits all alike."""
        rng = np.random.default_rng(0)
        queries = rng.choice(split.ids, size=min(self.args.latency_queries, len(split.ids)), replace=False)
        allowed = split.listeners >= DEFAULT_MIN_LISTENERS
        times = {key: [] for key in models}
        for q in queries:
            for key, model in models.items():
                start = time.perf_counter()
                model.similar(int(q), 10, allowed=allowed)
                times[key].append(time.perf_counter() - start)
        return {
            key: {"median_ms": 1000 * float(np.median(t)), "p90_ms": 1000 * float(np.quantile(t, 0.9))}
            for key, t in times.items()
        }

    # -- phase 4 ---------------------------------------------------------------------------

    def example(self, lam):
        names = self.dataset.artists.set_index("name")["artist_id"]
        query, targets = EXAMPLE
        if query not in names.index or any(t not in names.index for t in targets):
            for _ in range(6):
                self.step("example skipped")
            return None
        split = full_split(self.dataset)
        models = fit_all(split, self.item2vec, lam, self.step)
        qid = int(names[query])
        tids = [int(names[t]) for t in targets]
        allowed = split.listeners >= DEFAULT_MIN_LISTENERS
        listeners = dict(zip(split.ids.tolist(), split.listeners.tolist(), strict=True))
        out = {
            "query": query,
            "query_id": qid,
            "targets": dict(zip(targets, tids, strict=True)),
            "listeners": {
                n: listeners.get(i, 0) for n, i in [(query, qid), *zip(targets, tids, strict=True)]
            },
            "ranks": {},
        }
        for key, model in models.items():
            if qid not in set(model.ids.tolist()):
                out["ranks"][key] = None
                continue
            out["ranks"][key] = {
                "unfiltered": dict(zip(targets, rank_of(model, qid, tids), strict=True)),
                "filtered": dict(zip(targets, rank_of(model, qid, tids, allowed), strict=True)),
            }
        return out


def fit_all(split, item2vec, lam, step):
    """Every method on one split, in a fixed order, keyed for the results table."""
    models = {}
    for key, fit in (
        ("item2vec", lambda: item2vec(split)),
        ("popularity", lambda: baselines.fit_popularity(split)),
        ("itemknn", lambda: baselines.fit_itemknn(split)),
        ("ease", lambda: baselines.fit_ease(split, lam)),
        ("als", lambda: baselines.fit_als(split, seed=split.seed)),
        ("word2vec_default", lambda: baselines.fit_default_word2vec(split, seed=split.seed)),
    ):
        models[key] = fit()
        step(f"{split.kind} {split.seed} {key}")
    return models


def knees(sweep, hr_floor):
    """Per swept parameter, the cheapest value reaching KNEE_SHARE of that sweep's best filtered
    IPS-recall@10, and the cheapest that also reaches ``hr_floor`` (None when none does)."""
    out = {}
    for key in ("epochs", "vector_size"):
        points = sorted((p for p in sweep if p["vary"] == key), key=lambda p: p["value"])
        if not points:
            continue
        best = max(p["filtered"]["ips_recall"] for p in points)
        near = [p for p in points if p["filtered"]["ips_recall"] >= KNEE_SHARE * best]
        with_hr = [p for p in near if p["filtered"]["hr"] >= hr_floor]
        out[key] = {
            "value": near[0]["value"],
            "seconds": near[0]["seconds"],
            "ips_recall": near[0]["filtered"]["ips_recall"],
            "hr": near[0]["filtered"]["hr"],
            "best_ips_recall": best,
            "hr_floor": hr_floor,
            "value_with_hr": with_hr[0]["value"] if with_hr else None,
            "seconds_with_hr": with_hr[0]["seconds"] if with_hr else None,
        }
    return out


def main(argv=None):
    """Run the evaluation and write the three files; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.render_only:
        return report.render_only(args.out, "evaluation.json", "EVALUATION.md", render)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("gensim").setLevel(logging.WARNING)
    start = time.perf_counter()
    try:
        runner = Runner(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    validation = runner.validation()
    lam = validation["ease"]["lambda"]
    table, (split0, models0) = runner.test(lam)
    latency = runner.latency(split0, models0)
    example = runner.example(lam)
    runner.bar.close()
    result = {
        "command": "python -m item2vec.research.evaluate "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "protocol": {
            "users": runner.dataset.n_users,
            "fold_share": FOLD_SHARE,
            "seeds": args.seeds,
            "bootstrap": args.boot,
            "k": 10,
            "set_min_listeners": SET_MIN_LISTENERS,
            "shipped_min_listeners": DEFAULT_MIN_LISTENERS,
            "hr_floor": HR_FLOOR,
            "choice_hr_floor": CHOICE_HR_FLOOR,
            "choice_max_seconds": CHOICE_MAX_SECONDS,
            "target_listeners_factor": TARGET_LISTENERS_FACTOR,
            "target_train_seconds": TARGET_TRAIN_SECONDS,
            "close_share": CLOSE_SHARE,
            "knee_share": KNEE_SHARE,
            "interval_level": INTERVAL_LEVEL,
            "test_folds": TEST_FOLDS,
        },
        "item2vec_config": dataclasses.asdict(runner.config),
        "epochs_override": args.epochs,
        "validation": validation,
        "test": table,
        "latency": latency,
        "example": example,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "seconds": time.perf_counter() - start,
    }
    os.makedirs(args.out, exist_ok=True)
    report.write_json(os.path.join(args.out, "evaluation.json"), result)
    evaluate_figures.plot(result, os.path.join(args.out, "tradeoff.png"), ORDER)
    with open(os.path.join(args.out, "EVALUATION.md"), "w", encoding="utf-8") as handle:
        handle.write(render(result))
    print(f"wrote {args.out}/EVALUATION.md, evaluation.json, tradeoff.png in {result['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
