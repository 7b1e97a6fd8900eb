"""Regenerate docs/EVALUATION.md, docs/evaluation.json and docs/tradeoff.png.

  python -m item2vec.research.evaluate --data ../shared/data --out docs/

Phases (see :mod:`item2vec.evaluation` for the protocol):

1. validation: EASE's lambda, the item2vec result filter (min listeners), and
   the quality / training-time trade-off over epochs and vector size;
2. test: item2vec as shipped (``TrainConfig()`` defaults and the
   ``DEFAULT_MIN_LISTENERS`` filter) against the baselines, on the test folds;
3. query latency of every method, measured side by side;
4. the example query (Rosetta), on models trained on all users.
"""

import argparse
import dataclasses
import json
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
from . import baselines
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
        splits = [make_split(self.dataset, "validation", s) for s in range(self.args.seeds)]
        lists = [s.user_lists() for s in splits]
        out = {"users": [len(x) for x in lists]}
        ease = {}
        for lam in EASE_LAMBDAS:
            per_seed = []
            for split, ul in zip(splits, lists):
                per_seed.append(
                    evaluate_filters(
                        baselines.fit_ease(split, lam), split, [SET_MIN_LISTENERS], user_lists=ul
                    )[SET_MIN_LISTENERS]
                )
                self.step(f"EASE lambda {lam:g}")
            ease[lam] = bootstrap(per_seed, self.args.boot)
        # EASE is tuned for the metric item2vec is asked to win on, which makes it the strongest rival there.
        best_lam = max(ease, key=lambda lam: ease[lam]["ips_recall"]["mean"])
        out["ease"] = {"grid": {f"{lam:g}": ease[lam] for lam in ease}, "lambda": best_lam}

        per_filter = {f: [] for f in FILTER_GRID}
        for split, ul in zip(splits, lists):
            model = self.item2vec(split)
            for f, sums in evaluate_filters(model, split, FILTER_GRID, user_lists=ul).items():
                per_filter[f].append(sums)
            self.step("item2vec filters")
        filters = {f: bootstrap(per_filter[f], self.args.boot) for f in FILTER_GRID}
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
            split = make_split(self.dataset, "test", seed)
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
                "unfiltered": bootstrap(entry["per_seed"][SET_MIN_LISTENERS], self.args.boot),
                "filtered": bootstrap(entry["per_seed"][DEFAULT_MIN_LISTENERS], self.args.boot),
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
        listeners = dict(zip(split.ids.tolist(), split.listeners.tolist()))
        out = {
            "query": query,
            "query_id": qid,
            "targets": dict(zip(targets, tids)),
            "listeners": {n: listeners.get(i, 0) for n, i in [(query, qid), *zip(targets, tids)]},
            "ranks": {},
        }
        for key, model in models.items():
            if qid not in set(model.ids.tolist()):
                out["ranks"][key] = None
                continue
            out["ranks"][key] = {
                "unfiltered": dict(zip(targets, rank_of(model, qid, tids))),
                "filtered": dict(zip(targets, rank_of(model, qid, tids, allowed))),
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
    """Per swept parameter, the cheapest value within 5% of that sweep's best filtered IPS-recall@10,
    and the cheapest that also reaches ``hr_floor`` (None when none does)."""
    out = {}
    for key in ("epochs", "vector_size"):
        points = sorted((p for p in sweep if p["vary"] == key), key=lambda p: p["value"])
        if not points:
            continue
        best = max(p["filtered"]["ips_recall"] for p in points)
        near = [p for p in points if p["filtered"]["ips_recall"] >= 0.95 * best]
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
            "fold_share": 0.1,
            "seeds": args.seeds,
            "bootstrap": args.boot,
            "k": 10,
            "set_min_listeners": SET_MIN_LISTENERS,
            "shipped_min_listeners": DEFAULT_MIN_LISTENERS,
            "hr_floor": HR_FLOOR,
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
    with open(os.path.join(args.out, "evaluation.json"), "w") as handle:
        json.dump(result, handle, indent=1, default=_json_default)
    plot(result, os.path.join(args.out, "tradeoff.png"))
    with open(os.path.join(args.out, "EVALUATION.md"), "w") as handle:
        handle.write(markdown(result))
    print(f"wrote {args.out}/EVALUATION.md, evaluation.json, tradeoff.png in {result['seconds']:.0f} s")
    return 0


ORDER = ("item2vec", "itemknn", "ease", "als", "popularity", "word2vec_default", "item2vec_untuned")


def plot(result, path):
    """The trade-off figure: quality against epochs, vector size and training time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep = result["validation"]["tradeoff"]["sweep"]
    knee = result["validation"]["tradeoff"]["knee"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    for ax, key, label in ((axes[0], "epochs", "epochs"), (axes[1], "vector_size", "vector size")):
        pts = sorted((p for p in sweep if p["vary"] == key), key=lambda p: p["value"])
        xs = [p["value"] for p in pts]
        ax.plot(xs, [p["filtered"]["ips_recall"] for p in pts], "o-", color="C0", label="IPS-recall@10")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(f"{label} (training seconds in brackets)")
        ax.set_ylabel("IPS-recall@10", color="C0")
        for p in pts:
            ax.annotate(
                f"{p['seconds']:.0f}s",
                (p["value"], p["filtered"]["ips_recall"]),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=7,
            )
        twin = ax.twinx()
        twin.plot(xs, [p["filtered"]["hr"] for p in pts], "s--", color="C1", label="HR@10")
        twin.set_ylabel("HR@10", color="C1")
        if key in knee:
            k = knee[key]
            ax.axvline(k["value"], color="grey", lw=0.8, ls=":")
            title = f"item2vec vs {label} (validation)\nIPS knee {k['value']}"
            if k["value_with_hr"] is not None:
                ax.axvline(k["value_with_hr"], color="black", lw=0.8, ls="--")
                title += f"; with HR@10 >= {k['hr_floor']}: {k['value_with_hr']}"
            ax.set_title(title, fontsize=10)
    ax = axes[2]
    test = result["test"]
    for i, key in enumerate(k for k in ORDER if k in test):
        row = test[key]
        # Popularity trains in ~0 s; clip so it shows on the log axis.
        x, y = max(row["train_seconds"], 0.01), row["filtered"]["ips_recall"]["mean"]
        ax.scatter(x, y, color=f"C{i}", s=40)
        ax.annotate(
            f"{row['name'].split(' (')[0].replace(', untuned v1.0 defaults', ' v1.0')}\n"
            f"HR {row['filtered']['hr']['mean']:.2f}",
            (x, y),
            textcoords="offset points",
            xytext=(4, -14 if key == "item2vec" else 3),
            fontsize=7,
        )
    ax.set_xscale("log")
    ax.set_xlabel("training seconds (log)")
    ax.set_ylabel(f"IPS-recall@10 (test, min listeners {result['protocol']['shipped_min_listeners']})")
    ax.set_title("methods: IPS-recall@10 (HR@10 in labels)\nvs training time, test", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _ci(metric, digits=3):
    return f"{metric['mean']:.{digits}f} [{metric['low']:.{digits}f}, {metric['high']:.{digits}f}]"


def _table(result, which):
    test, latency = result["test"], result["latency"]
    lines = [
        "| method | HR@10 | P@10 | IPS-recall@10 | coverage | mean listeners | train s | query ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key in (k for k in ORDER if k in test):
        row, m = test[key], test[key][which]
        lines.append(
            f"| {row['name']} | {_ci(m['hr'])} | {_ci(m['precision'])} | {_ci(m['ips_recall'], 4)} | "
            f"{m['coverage']['mean']:.2f} | {_ci(m['mean_listeners'], 0)} | {row['train_seconds']:.1f} | "
            f"{latency[key]['median_ms']:.2f} |"
        )
    return "\n".join(lines)


def targets(result):
    """The issue's targets, each as (text, met)."""
    test = result["test"]
    mine = test["item2vec"]["filtered"]
    rivals = {
        k: max(v["filtered"]["ips_recall"]["mean"], v["unfiltered"]["ips_recall"]["mean"])
        for k, v in test.items()
        if not k.startswith("item2vec")
    }
    best_key = max(rivals, key=rivals.get)
    knn = min(
        test["itemknn"]["filtered"]["mean_listeners"]["mean"],
        test["itemknn"]["unfiltered"]["mean_listeners"]["mean"],
    )
    ips, hr, listeners = mine["ips_recall"]["mean"], mine["hr"]["mean"], mine["mean_listeners"]["mean"]
    seconds = test["item2vec"]["train_seconds"]
    return [
        (
            f"IPS-recall@10 above every baseline (filtered or not): item2vec {ips:.4f} vs best baseline "
            f"{test[best_key]['name']} {rivals[best_key]:.4f} ({(ips / rivals[best_key] - 1) * 100:+.0f}%)",
            ips > rivals[best_key],
        ),
        (f"HR@10 >= {HR_FLOOR}: {hr:.3f}", hr >= HR_FLOOR),
        (
            f"mean listeners of results < 3x item-kNN's ({knn:.0f} x 3 = {3 * knn:.0f}): {listeners:.0f}",
            listeners < 3 * knn,
        ),
        (
            f"training < 60 s (on 90% of the users, median of the test seeds, workers=1): {seconds:.1f} s",
            seconds < 60,
        ),
    ]


def markdown(result):
    """docs/EVALUATION.md from the results; every number comes from ``result``."""
    p, val, test = result["protocol"], result["validation"], result["test"]
    ml = p["shipped_min_listeners"]
    pop = test["popularity"]["unfiltered"]
    cfg = result["item2vec_config"]
    override = (
        ""
        if result["epochs_override"] is None
        else f"\n\n**Quick run:** epochs overridden to {result['epochs_override']}; these are not the shipped model's numbers."
    )
    out = [
        f"""# Evaluation: held-out co-listens against baselines

Every number on this page is regenerated, together with `evaluation.json` and `tradeoff.png`, by

```
{result["command"]}
```

({result["seconds"] / 60:.0f} minutes on {result["machine"]["cpus"]} shared cores). The hyperparameter search that chose the
shipped configuration is `python benchmarks/tune.py --data ../shared/data --out docs/tuning.json`
(validation splits only); its results are in `docs/tuning.json`.{override}

## Headline (test folds, {p["seeds"]} seed{"s" if p["seeds"] > 1 else ""}, 95% bootstrap intervals over users)

Results filtered as the product filters them: only artists with at least {ml} listeners
(`item2vec/query.py` `DEFAULT_MIN_LISTENERS`, `ask.py --min-listeners`) may be returned,
for every method alike.

{_table(result, "filtered")}

Targets of the shipped configuration:

"""
        + "\n".join(f"- [{'x' if ok else ' '}] {text}" for text, ok in targets(result))
        + "\n\n"
        + _reading_text(result)
        + f"""

## Protocol

- **Users are held out, not rows.** A seeded permutation of the {p["users"]} users is cut into folds of
  {p["fold_share"]:.0%} of the users. The first {p["seeds"]} folds are the *test* folds: each test seed trains every method on all
  other users (90%) and asks about the held-out fold's users. Tuning never touches a test user, not even as
  training data: the *validation* folds are cut from the remaining users, and a validation model trains on
  those users minus its fold (60% of all users).
- **One artist set.** Every method queries and answers within the artists with at least
  {p["set_min_listeners"]} listeners among the training users (the item2vec vocabulary; `min_count` is in listeners).
- **Queries.** For every held-out user and every artist q of theirs in the set, take the method's top
  {p["k"]} for q (never q itself). Targets are the user's other artists in the set.
- **Metrics.** HR@10: share of queries with at least one target in the top 10. P@10: share of
  returned artists that are targets. IPS-recall@10: recall in which each target weighs 1 / (its
  listeners in training), so finding a niche neighbour counts for more than finding The Beatles.
  Coverage: distinct artists ever returned / artists in the set. Mean listeners: training listeners of
  the returned artists.
- **Intervals.** Metrics are averaged over all queries of a seed, then over seeds; the 95% interval
  is a percentile bootstrap ({p["bootstrap"]} replicates) resampling each seed's users with all their queries.
- **Same filter for everyone.** The product only shows artists with at least {ml} listeners. The
  headline table applies that filter to every method; the table below shows every method unfiltered
  (item2vec's row there is not what a user sees).

{_table(result, "unfiltered")}

## Why hit-rate alone misleads here

Recommending the same ten most-listened artists for every query, whatever it is, reaches
HR@10 {pop["hr"]["mean"]:.3f} on the test folds: most users listen to at least one of them. A model can raise its
hit-rate by drifting towards the charts, and a hit-rate leaderboard rewards it. Popularity's
IPS-recall@10 is {pop["ips_recall"]["mean"]:.4f} and its coverage {pop["coverage"]["mean"]:.3f}: it finds nothing a user could not
have guessed. That is why the target metric is IPS-recall@10, read together with HR@10 (is the answer
plausible at all?) and the mean listener count of results (is it a popularity machine?).

## Tuning, on validation only

The shipped configuration (`TrainConfig` defaults in `item2vec/train.py`):

`{json.dumps({k: v for k, v in cfg.items() if k not in ("seed", "workers")})}`

{_tuning_text(result)}

### The result filter (min listeners), item2vec as shipped, validation

Rule: {val["min_listeners"]["rule"]}. Best: **{val["min_listeners"]["best"]}**; best at or below
{val["min_listeners"]["shippable_max"]} (the README's example answer for Rosetta, Cult Of Luna, has 7 listeners, so a higher
default would hide it): **{val["min_listeners"]["best_shippable"]}**; shipped: **{val["min_listeners"]["shipped"]}**
({p["set_min_listeners"]} = no filter beyond the artist set; "None" = no value meets the rule).

| min listeners | HR@10 | IPS-recall@10 | mean listeners | coverage |
|---|---|---|---|---|
"""
        + "\n".join(
            f"| {f} | {_ci(m['hr'])} | {_ci(m['ips_recall'], 4)} | {m['mean_listeners']['mean']:.0f} | "
            f"{m['coverage']['mean']:.2f} |"
            for f, m in val["min_listeners"]["grid"].items()
        )
        + f"""

### EASE lambda, validation

Chosen for the highest IPS-recall@10 (the metric item2vec must win on): lambda = **{val["ease"]["lambda"]:g}**.

| lambda | HR@10 | IPS-recall@10 |
|---|---|---|
"""
        + "\n".join(
            f"| {lam} | {_ci(m['hr'])} | {_ci(m['ips_recall'], 4)} |"
            for lam, m in val["ease"]["grid"].items()
        )
        + "\n\n"
        + _tradeoff_text(result)
        + "\n\n"
        + _latency_text(result)
        + "\n\n"
        + _example_text(result)
        + "\n\n"
        + _meaning_text(result)
        + "\n"
    ]
    return "".join(out)


def _reading_text(result):
    """Plain words on the IPS comparison: is the difference larger than the intervals?"""
    test = result["test"]
    mine = test["item2vec"]["filtered"]["ips_recall"]
    lines = []
    for key in (k for k in ORDER if k in test and not k.startswith("item2vec")):
        for which in ("filtered", "unfiltered"):
            other = test[key][which]["ips_recall"]
            if other["mean"] >= 0.9 * mine["mean"]:
                overlap = other["low"] <= mine["high"] and mine["low"] <= other["high"]
                lines.append(
                    f"{test[key]['name']} {which}: {other['mean']:.4f} [{other['low']:.4f}, {other['high']:.4f}]"
                    f"{' (intervals overlap)' if overlap else ''}"
                )
    untuned = test.get("item2vec_untuned", {}).get("filtered")
    text = (
        f"Reading the IPS-recall@10 target: item2vec as shipped has {mine['mean']:.4f} "
        f"[{mine['low']:.4f}, {mine['high']:.4f}]. Baselines within 10% of it: "
        + ("; ".join(lines) if lines else "none")
        + "."
    )
    if untuned:
        text += (
            f" The untuned v1.0 defaults had IPS-recall@10 {untuned['ips_recall']['mean']:.4f} at HR@10 "
            f"{untuned['hr']['mean']:.3f}"
            + (
                ": tuning bought hit-rate, not debiased recall."
                if untuned["ips_recall"]["mean"] >= mine["mean"]
                else "."
            )
        )
    text += (
        " The training-time column is one run per seed on 90% of the users, on a shared machine; "
        "`python benchmarks/train_time.py` times the shipped and v1.0 configurations side by side on "
        "all users."
    )
    return text


def _tuning_text(result):
    return (
        "How it was chosen: a coordinate search over the item2vec hyperparameters of Caselles-Dupré et al. "
        "(RecSys 2018): window / whole list and shrink_windows, epochs, negative, ns_exponent (down to -1), "
        "sample, vector size, min_count, learning rate and play weighting, on validation fold 0 from the old "
        "defaults, one setting at a time; then the best few re-run on all validation folds. Selection rule: "
        "highest IPS-recall@10 with validation HR@10 >= 0.77 under a shippable filter, and training estimated "
        "under 45 s on the full data. The search and its numbers are `benchmarks/tune.py` and "
        "`docs/tuning.json` (not rerun by the command above). The row *item2vec, untuned v1.0 defaults* in "
        "the tables measures what tuning bought on the test folds."
    )


def _tradeoff_text(result):
    sweep = result["validation"]["tradeoff"]["sweep"]
    knee = result["validation"]["tradeoff"]["knee"]
    ml = result["protocol"]["shipped_min_listeners"]
    lines = [
        "## Trade-off: quality vs training time, epochs and vector size (validation fold 0)",
        "",
        f"One parameter varied at a time from the shipped configuration; results filtered at {ml} listeners.",
        "The knee is the cheapest value within 5% of the best IPS-recall@10 of its sweep.",
        "",
        "| varied | value | train s | HR@10 | IPS-recall@10 | mean listeners |",
        "|---|---|---|---|---|---|",
    ]
    for pt in sweep:
        f = pt["filtered"]
        lines.append(
            f"| {pt['vary']} | {pt['value']} | {pt['seconds']:.1f} | {f['hr']:.3f} | {f['ips_recall']:.4f} | "
            f"{f['mean_listeners']:.0f} |"
        )
    lines.append("")
    for key, k in knee.items():
        line = (
            f"- Knee for {key}: IPS-recall@10 levels off at **{k['value']}** ({k['seconds']:.1f} s, "
            f"{k['ips_recall']:.4f} of a best {k['best_ips_recall']:.4f}, HR@10 {k['hr']:.3f})"
        )
        if k["value_with_hr"] is not None:
            line += (
                f"; the cheapest value that also reaches HR@10 {k['hr_floor']} is **{k['value_with_hr']}** "
                f"({k['seconds_with_hr']:.1f} s)."
            )
        else:
            line += f"; no value reaches HR@10 {k['hr_floor']}."
        lines.append(line)
    lines += ["", "![trade-off](tradeoff.png)"]
    return "\n".join(lines)


def _latency_text(result):
    lat, test = result["latency"], result["test"]
    lines = [
        "## Query latency",
        "",
        "One `similar(artist, 10)` with the listener filter, per method, interleaved over the same random "
        "queries in one run (test fold 0 models); medians and 90th percentiles. Dense item-item methods "
        "(item-kNN, EASE) read a precomputed n x n row; vector methods do one matrix-vector product.",
        "",
        "| method | median ms | p90 ms |",
        "|---|---|---|",
    ]
    for key in (k for k in ORDER if k in lat):
        lines.append(f"| {test[key]['name']} | {lat[key]['median_ms']:.3f} | {lat[key]['p90_ms']:.3f} |")
    return "\n".join(lines)


def _example_text(result):
    ex, test = result["example"], result["test"]
    if not ex:
        return "## The example query\n\nThe example artists are not in this data set."
    t = list(ex["targets"])
    lines = [
        "## The example: Rosetta",
        "",
        f"Not tuned on. Ranks (1 = first answer) of {', '.join(t)} among all answers for {ex['query']}, "
        'from models trained on all users; "filtered" applies the shipped listener filter '
        "(— = cannot be returned). Listeners: "
        + ", ".join(f"{n} {c}" for n, c in ex["listeners"].items())
        + ".",
        "",
        "| method | " + " | ".join(t) + " | " + " | ".join(f"{x} (filtered)" for x in t) + " |",
        "|---|" + "---|" * (2 * len(t)),
    ]
    for key in (k for k in ORDER if k in ex["ranks"]):
        r = ex["ranks"][key]
        if r is None:
            lines.append(f"| {test[key]['name']} | " + " | ".join("—" for _ in range(2 * len(t))) + " |")
            continue
        cells = [r["unfiltered"][x] for x in t] + [r["filtered"][x] for x in t]
        lines.append(
            f"| {test[key]['name']} | " + " | ".join("—" if c is None else str(c) for c in cells) + " |"
        )
    return "\n".join(lines)


def _meaning_text(result):
    test = result["test"]
    mine, knn, pop = test["item2vec"]["filtered"], test["itemknn"]["filtered"], test["popularity"]["filtered"]
    return f"""## What the numbers mean for a user

- Ask about an artist you like and, {mine["hr"]["mean"]:.0%} of the time, at least one of the ten answers is an artist a
  comparable listener also has in their top 50 (the chart-toppers manage {pop["hr"]["mean"]:.0%} by being everywhere).
- On average {mine["precision"]["mean"] * 10:.1f} of the ten answers are such co-listened artists (item-kNN: {knn["precision"]["mean"] * 10:.1f}).
- The answers have {mine["mean_listeners"]["mean"]:.0f} listeners on average (item-kNN {knn["mean_listeners"]["mean"]:.0f}, popularity
  {pop["mean_listeners"]["mean"]:.0f}){": the tool points at the neighbourhood of the query rather than at the charts" if mine["mean_listeners"]["mean"] < 3 * knn["mean_listeners"]["mean"] else ": more than three times item-kNN's, so the answers lean towards the charts"};
  IPS-recall@10 ({mine["ips_recall"]["mean"]:.4f}; item-kNN {knn["ips_recall"]["mean"]:.4f}) measures whether the less-known answers are ones real
  listeners share.
- The metrics count an answer as right only if a held-out listener actually has it; a good answer that
  nobody in the small held-out fold happens to play counts as wrong, so absolute values are low for every
  method and only the comparison between methods on the same split is meaningful."""


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value).__name__)


if __name__ == "__main__":
    sys.exit(main())
