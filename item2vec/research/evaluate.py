"""Regenerate docs/EVALUATION.md, docs/evaluation.json and docs/frontier.png.

  python -m item2vec.research.evaluate --data ../shared/data --out docs/
  python -m item2vec.research.evaluate --render-only --out docs/   # EVALUATION.md from evaluation.json
  python -m item2vec.research.evaluate --data DIR --out DIR --quick  # tiny grids and models (tests)

The report's words are ``templates/EVALUATION.md.j2`` (filled by :mod:`.evaluate_report`), its
figure is drawn by :mod:`.evaluate_figures`, and every number comes from ``evaluation.json``.

What is evaluated (protocol: :mod:`.splits`, :mod:`.metrics`):

1. item2vec as it ships: the bag :data:`SHIPPED_CHANGES` (TrainConfig defaults otherwise),
   ranked by the product's :data:`~item2vec.query.ranking.DEFAULT_RANKING`, scored with the
   product's own functions (:mod:`.methods`); its ablation (one seed with the old hard
   listener filter, bagging, discount and co-listen evidence alone and together) and its
   discount curves, on the validation and the test folds;
2. the baselines of :data:`.methods.METHODS`, each with the same discount family tuned
   on the validation folds, then evaluated once on the test folds;
3. rare query artists (1-2 training listeners) answered by the product's fold-in, against
   co-listen counts (:mod:`.rare`);
   the confidence of an answer by the asked-for artist's listener band, on the validation
   folds only (:mod:`.confidence_bands`), which the training command copies into the model;
4. the README's example query (Rosetta) on models trained on all users, reported, never tuned on;
5. the issue's targets, computed from the numbers above (:func:`.evaluate_report.targets`).

Trained item2vec members are cached in ``<out>/cache`` (:mod:`.members`): a second run, or one
after a change that does not touch the data, the splits, the member config or the training
code, trains nothing. ``--no-cache`` retrains everything.
"""

import argparse
import dataclasses
import logging
import os
import platform
import sys
import time

import numpy as np

from ..errors import DataError, ExitCode
from ..ingest.formats import load_dataset
from ..query.ranking import COSINE_RANKING, DEFAULT_RANKING, RARE_EVIDENCE_WEIGHT, Ranking
from ..training.trainer import TrainConfig
from . import confidence_bands, evaluate_figures, report
from .baselines import MethodUnavailable, fit_itemknn
from .evaluate_report import render, render_method, render_readme, targets
from .members import MemberStore, one_seed_requests
from .methods import METHODS, EvidenceRanked, choose, colisten_counts
from .metrics import bootstrap, evaluate_model, rank_of
from .rare import RARE_RANKING, RareQueries, answerable, paired
from .splits import SET_MIN_LISTENERS, full_split, make_split
from .tuning import Discounted, validation_grid

logger = logging.getLogger(__name__)

#: The bag that ships (issue 10): TrainConfig defaults except these. Stated here, in one place,
#: so the evaluation says what it measured even after train.py's defaults change.
SHIPPED_CHANGES = {"members": 8, "negative": 5}
#: The model shipped before issue 10 (one seed, the 1.x defaults) and its hard result filter:
#: the first row of the ablation.
PREVIOUS_CHANGES = {"members": 1, "negative": 10}
PREVIOUS_MIN_LISTENERS = 5
#: Issue 10's targets: HR@10 at least HR_TARGET, and IPS-recall@10 at least IPS_FACTOR times
#: the best tuned baseline's at that hit-rate. The baselines are chosen on validation by the same floor.
HR_TARGET = 0.80
IPS_FACTOR = 1.05
INTERVAL_LEVEL = 0.95
#: Test folds of the split layout (make_split's n_seeds): validation folds are cut after them.
TEST_FOLDS = 3
FOLD_SHARE = 0.1
#: item2vec's own curves: co-listen weights x discount strengths (the shipped shrink and power).
I2V_WEIGHTS = tuple(sorted({DEFAULT_RANKING.weight, 0.1, 0.25, 0.5, 1.0}))
I2V_STRENGTHS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.6, 1.0, 1.5)
QUICK_I2V_STRENGTHS = (0.0, 0.2, 0.6)
EXAMPLE = ("Rosetta", ("Cult Of Luna", "Pelican", "Shels", "The Ocean"))
#: ``--quick``: tiny models for tests on synthetic data (never the documented numbers).
QUICK_CHANGES = {"epochs": 2, "vector_size": 8}
QUICK_MEMBERS = 2

# benchmarks/tune.py's selection rule for the member hyperparameters (the report quotes it)
# and the 1.0 defaults before that tuning (benchmarks/train_time.py times them).
CHOICE_HR_FLOOR = 0.77
CHOICE_MAX_SECONDS = 45.0
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


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m item2vec.research.evaluate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", default="data", help="data folder (default: data/)")
    parser.add_argument(
        "--out", default="docs", help="folder for EVALUATION.md, evaluation.json, frontier.png (and cache/)"
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=3,
        choices=(1, 2, 3),
        help="validation and test folds to average over (default 3)",
    )
    parser.add_argument("--boot", type=int, default=1000, help="bootstrap replicates (default 1000)")
    parser.add_argument(
        "--processes", type=int, default=2, help="item2vec members trained at once (default 2)"
    )
    parser.add_argument("--cache", default=None, help="member cache folder (default: OUT/cache)")
    parser.add_argument("--no-cache", action="store_true", help="retrain every member, ignoring the cache")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny models and grids, for tests on synthetic data (the report says so)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite EVALUATION.md from the evaluation.json in --out, computing nothing",
    )
    parser.add_argument(
        "--readme",
        default=None,
        metavar="PATH",
        help="also rewrite the quality section of this README (between its "
        "'<!-- begin quality -->' and '<!-- end quality -->' markers)",
    )
    parser.add_argument(
        "--method",
        default=None,
        metavar="PATH",
        help="also rewrite the confidence section of this METHOD.md (between its "
        "'<!-- begin confidence -->' and '<!-- end confidence -->' markers)",
    )
    return parser


def configs(quick):
    """The shipped bag's config and the previous single model's, as evaluated."""
    shipped = dataclasses.replace(TrainConfig(), **SHIPPED_CHANGES, workers=1)
    previous = dataclasses.replace(TrainConfig(), **PREVIOUS_CHANGES, workers=1)
    if quick:
        shipped = dataclasses.replace(shipped, members=QUICK_MEMBERS, **QUICK_CHANGES)
        previous = dataclasses.replace(previous, **QUICK_CHANGES)
    return shipped, previous


def ablation():
    """The ablation rows: (key, model, ranking, min listeners or None).

    ``model`` is "previous" (the single model shipped before), "one" (member 0 of the
    shipped bag, i.e. one seed of its config) or "bag". Each ranking derives from
    DEFAULT_RANKING, so the rows follow it if it changes.
    """
    ranked = DEFAULT_RANKING
    discount_only = dataclasses.replace(ranked, weight=0.0)
    evidence_only = dataclasses.replace(ranked, discount=0.0)
    return [
        ("previous", "previous", COSINE_RANKING, PREVIOUS_MIN_LISTENERS),
        ("one_seed", "one", COSINE_RANKING, PREVIOUS_MIN_LISTENERS),
        ("bagging", "bag", COSINE_RANKING, PREVIOUS_MIN_LISTENERS),
        ("discount", "one", discount_only, None),
        ("evidence", "one", evidence_only, PREVIOUS_MIN_LISTENERS),
        ("one_seed_ranked", "one", ranked, None),
        ("bag_discount", "bag", discount_only, None),
        ("shipped", "bag", ranked, None),
    ]


def i2v_grid(quick):
    """item2vec's settings for its curves: Ranking(weight, shipped shrink, c, shipped power)."""
    strengths = QUICK_I2V_STRENGTHS if quick else I2V_STRENGTHS
    weights = I2V_WEIGHTS[:2] if quick else I2V_WEIGHTS
    d = DEFAULT_RANKING
    return [Ranking(weight=w, shrink=d.shrink, discount=c, power=d.power) for w in weights for c in strengths]


def point(sums):
    """Fold means of the point metrics of one setting."""
    pts = [s.point() for s in sums]
    keys = ("hr", "ips_recall", "precision", "mean_listeners", "coverage")
    return {k: float(np.mean([p[k] for p in pts])) for k in keys}


class Fold:
    """One split with what every method on it shares: held-out lists, co-listens, item2vec vectors."""

    def __init__(self, split, store, shipped, previous):
        self.split = split
        self.lists = split.user_lists()
        self.shared = colisten_counts(split)
        self.bag = store.bag(split.train, shipped, split.ids)
        one = dataclasses.replace(shipped, members=1)
        self.one = store.bag(split.train, one, split.ids)
        self.previous = store.bag(split.train, previous, split.ids)

    def item2vec(self, which, ranking):
        unit = {"bag": self.bag, "one": self.one, "previous": self.previous}[which]
        return EvidenceRanked(self.split.ids, unit, self.shared, self.split.listeners, ranking)

    def evaluate(self, model, min_listeners=None):
        allowed = None if min_listeners is None else self.split.listeners >= min_listeners
        return evaluate_model(model, self.split, allowed=allowed, user_lists=self.lists)


class Runner:
    """Carries the data, options, model store and progress through the phases."""

    def __init__(self, args):
        self.args = args
        self.start = time.perf_counter()
        self.dataset = load_dataset(args.data)
        self.shipped, self.previous = configs(args.quick)
        cache = args.cache or os.path.join(args.out, "cache")
        self.store = MemberStore(cache, args.processes, use_cache=not args.no_cache)
        self.unavailable = {}

    def say(self, text):
        if not self.args.quiet:
            print(f"[{time.perf_counter() - self.start:6.0f} s] {text}", file=sys.stderr, flush=True)

    def boot(self, sums):
        return bootstrap(sums, self.args.boot, level=INTERVAL_LEVEL)

    def splits(self, kind):
        return [make_split(self.dataset, kind, s, TEST_FOLDS, FOLD_SHARE) for s in range(self.args.seeds)]

    def train_members(self, splits):
        """Every member any phase needs, trained (or loaded) in one parallel batch."""
        datasets = [s.train for s in splits]
        requests = one_seed_requests(datasets, [self.shipped, self.previous])
        self.say(f"item2vec: {len(requests)} members ({self.store.folder})")
        self.store.ensure(requests, progress=self.say)

    # -- item2vec: ablation and curves ------------------------------------------------------------

    def item2vec(self, folds):
        rows = {key: [] for key, *_ in ablation()}
        grid = i2v_grid(self.args.quick)
        curves = [[] for _ in grid]
        for fold in folds:
            for key, which, ranking, floor in ablation():
                rows[key].append(fold.evaluate(fold.item2vec(which, ranking), floor))
            for i, ranking in enumerate(grid):
                curves[i].append(fold.evaluate(fold.item2vec("bag", ranking)))
            self.say(f"{fold.split.kind} {fold.split.seed}: item2vec ablation and curves")
        table = {key: self.boot(sums) for key, sums in rows.items()}
        points = [
            {"params": {"weight": r.weight, "discount": r.discount}, **point(sums)}
            for r, sums in zip(grid, curves, strict=True)
        ]
        return table, points

    def reference(self, folds):
        """item-kNN cosine under the old hard filter: the comparison EVALUATION.md made before."""
        return self.boot([f.evaluate(fit_itemknn(f.split), PREVIOUS_MIN_LISTENERS) for f in folds])

    # -- baselines -----------------------------------------------------------------------------

    def tune(self, method, splits):
        """A baseline's validation grid and the setting the rule picks."""
        grid = validation_grid(
            method.fit,
            method.settings(self.args.quick),
            splits,
            rowmax=method.rowmax,
            discounts=method.discounts(self.args.quick),
        )
        points = [{"params": g["params"], "hr": g["hr"], "ips_recall": g["ips_recall"]} for g in grid]
        self.say(f"validation: {method.name}, {len(points)} settings")
        return {"grid": points, "chosen": choose(points, HR_TARGET)}

    def test_curve(self, method, chosen, folds):
        """The chosen setting's discount curve on the test folds, with intervals where it matters."""
        params = dict(chosen["params"])
        c0, p, rowmax = params.pop("c"), params.pop("p"), params.pop("rowmax")
        discounts = method.discounts(self.args.quick, power=p if method.powers else None)
        if (c0, p) not in discounts:
            discounts.append((c0, p))
        sums = {d: [] for d in discounts}
        seconds = []
        for fold in folds:
            base = method.fit(fold.split, **params)
            seconds.append(base.fit_seconds)
            for c, pw in discounts:
                model = Discounted(base, fold.split.listeners, c, pw, rowmax)
                sums[(c, pw)].append(fold.evaluate(model))
            del base
        pairs = sorted(
            (
                (d, {"params": {**params, "c": d[0], "p": d[1], "rowmax": rowmax}, **point(sums[d])})
                for d in sums
            ),
            key=lambda x: x[0],
        )
        ok = [(d, pt) for d, pt in pairs if pt["hr"] >= HR_TARGET]
        best = max(ok, key=lambda x: x[1]["ips_recall"]) if ok else None
        self.say(f"test: {method.name}")
        return {
            "curve": [pt for _d, pt in pairs],
            "chosen": self.boot(sums[(c0, p)]),
            "best_at_target": {"params": best[1]["params"], **self.boot(sums[best[0]])} if best else None,
            "fit_seconds": float(np.median(seconds)),
        }

    def baselines(self, validation_splits, test_folds):
        out = {}
        for key, method in METHODS.items():
            try:
                tuned = self.tune(method, validation_splits)
                tested = self.test_curve(method, tuned["chosen"], test_folds)
            except MethodUnavailable as exc:
                self.unavailable[key] = {"name": method.name, "reason": str(exc)}
                continue
            out[key] = {
                "name": method.name,
                "hyper": method.hyper,
                "powers": list(method.powers),
                "rowmax": method.rowmax,
                "validation": tuned,
                "test": tested,
            }
        return out

    # -- rare queries ----------------------------------------------------------------------------

    def rare(self, folds):
        embedding_only = dataclasses.replace(RARE_RANKING, weight=0.0)
        sums = {"product": [], "embedding": [], "colisten": []}
        counts = {"queries": 0, "one_listener": 0, "answerable": 0, "users": 0}
        for fold in folds:
            rare = RareQueries(fold.split)
            sums["product"].append(rare.evaluate(rare.product_scores(fold.bag)))
            sums["embedding"].append(rare.evaluate(rare.product_scores(fold.bag, embedding_only)))
            sums["colisten"].append(rare.evaluate(rare.colisten_scores()))
            rows = np.array([q[1] for q in rare.queries], dtype=np.int64)
            counts["queries"] += len(rows)
            counts["users"] += rare.n_users
            counts["one_listener"] += int((rare.query_listeners[rows] == 1).sum())
            counts["answerable"] += int(rare.evidence()[rows].sum())
        out = {"methods": {k: self.boot(v) for k, v in sums.items()}, **counts}
        for other in ("colisten", "embedding"):
            out[f"ratio_{other}"] = paired(
                sums["product"], sums[other], "ips_recall", self.args.boot, level=INTERVAL_LEVEL
            )
            out[f"hr_diff_{other}"] = paired(
                sums["product"], sums[other], "hr", self.args.boot, level=INTERVAL_LEVEL, ratio=False
            )
        self.say(f"{folds[0].split.kind}: rare queries")
        return out

    # -- the example -------------------------------------------------------------------------------

    def example(self, split, methods):
        names = self.dataset.artists.drop_duplicates("name").set_index("name")["artist_id"]
        query, targets = EXAMPLE
        if query not in names.index:
            return None
        fold = Fold(split, self.store, self.shipped, self.previous)
        qid = int(names[query])
        ids = {t: (int(names[t]) if t in names.index else None) for t in targets}
        listeners = dict(zip(split.ids.tolist(), split.listeners.tolist(), strict=True))
        counts = self.dataset.listeners()
        models = {
            "previous": (fold.item2vec("previous", COSINE_RANKING), PREVIOUS_MIN_LISTENERS),
            "previous_unfiltered": (fold.item2vec("previous", COSINE_RANKING), None),
            "bag_cosine": (fold.item2vec("bag", COSINE_RANKING), None),
            "shipped": (fold.item2vec("bag", DEFAULT_RANKING), None),
        }
        for key, entry in methods.items():
            params = dict(entry["validation"]["chosen"]["params"])
            c, p, rowmax = params.pop("c"), params.pop("p"), params.pop("rowmax")
            base = METHODS[key].fit(split, **params)
            models[key] = (Discounted(base, split.listeners, c, p, rowmax), None)
        ranks = {}
        known = [t for t, i in ids.items() if i is not None]
        for key, (model, floor) in models.items():
            if qid not in listeners:
                ranks[key] = None
                continue
            allowed = None if floor is None else split.listeners >= floor
            found = rank_of(model, qid, [ids[t] for t in known], allowed)
            ranks[key] = {t: found[known.index(t)] if t in known else None for t in targets}
        self.say("example: Rosetta")
        return {
            "query": query,
            "targets": list(targets),
            "listeners": {n: int(counts.get(ids[n], 0)) if ids[n] else None for n in targets}
            | {query: int(counts.get(qid, 0))},
            "in_data": {t: ids[t] is not None for t in targets},
            "ranks": ranks,
            "filters": {k: f for k, (_m, f) in models.items()},
        }


def run(args):
    """Every phase; returns the result dict saved as evaluation.json."""
    runner = Runner(args)
    val_splits, test_splits = runner.splits("validation"), runner.splits("test")
    full = full_split(runner.dataset)
    runner.train_members(val_splits + test_splits + [full])
    val_folds = [Fold(s, runner.store, runner.shipped, runner.previous) for s in val_splits]
    ablation_val, curve_val = runner.item2vec(val_folds)
    reference_val = runner.reference(val_folds)
    rare_val = runner.rare(val_folds)
    measured = confidence_bands.measure(
        val_folds, runner.shipped, runner.dataset.checksums, args.boot, level=INTERVAL_LEVEL
    )
    runner.say("validation: confidence by listener band")
    del val_folds
    test_folds = [Fold(s, runner.store, runner.shipped, runner.previous) for s in test_splits]
    ablation_test, curve_test = runner.item2vec(test_folds)
    methods = runner.baselines(val_splits, test_folds)
    reference_test = runner.reference(test_folds)
    rare_test = runner.rare(test_folds)
    del test_folds
    example = runner.example(full, methods)
    result = {
        "command": "python -m item2vec.research.evaluate " + " ".join(args.argv),
        "quick": bool(args.quick),
        "protocol": {
            "users": runner.dataset.n_users,
            "fold_share": FOLD_SHARE,
            "seeds": args.seeds,
            "bootstrap": args.boot,
            "k": 10,
            "set_min_listeners": SET_MIN_LISTENERS,
            "hr_target": HR_TARGET,
            "ips_factor": IPS_FACTOR,
            "interval_level": INTERVAL_LEVEL,
            "test_folds": TEST_FOLDS,
            "choice_hr_floor": CHOICE_HR_FLOOR,
            "choice_max_seconds": CHOICE_MAX_SECONDS,
        },
        "shipped": {
            "config": dataclasses.asdict(runner.shipped),
            "changes": SHIPPED_CHANGES | (QUICK_CHANGES | {"members": QUICK_MEMBERS} if args.quick else {}),
            "ranking": dataclasses.asdict(DEFAULT_RANKING),
            "rare_weight": RARE_EVIDENCE_WEIGHT,
            "rare_ranking": dataclasses.asdict(RARE_RANKING),
        },
        "previous": {
            "config": dataclasses.asdict(runner.previous),
            "changes": PREVIOUS_CHANGES | (QUICK_CHANGES if args.quick else {}),
            "min_listeners": PREVIOUS_MIN_LISTENERS,
        },
        "ablation": [
            {
                "key": key,
                "model": which,
                "ranking": dataclasses.asdict(ranking),
                "min_listeners": floor,
                "validation": ablation_val[key],
                "test": ablation_test[key],
            }
            for key, which, ranking, floor in ablation()
        ],
        "item2vec": {"validation": curve_val, "test": curve_test, "weights": list(I2V_WEIGHTS)},
        "reference": {
            "validation": reference_val,
            "test": reference_test,
            "min_listeners": PREVIOUS_MIN_LISTENERS,
        },
        "methods": methods,
        "unavailable": runner.unavailable,
        "rare": {"validation": rare_val, "test": rare_test, "max_listeners": 2},
        "confidence": measured,
        "answerable": answerable(runner.dataset, runner.shipped.min_count),
        "example": example,
        "cache": runner.store.summary(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    result["targets"] = targets(result)
    result["seconds"] = time.perf_counter() - runner.start
    return result


def main(argv=None):
    """Run the evaluation and write EVALUATION.md, evaluation.json and frontier.png; returns the exit code."""
    args = build_parser().parse_args(argv)
    args.argv = list(argv if argv is not None else sys.argv[1:])
    if args.render_only:
        code = report.render_only(args.out, "evaluation.json", "EVALUATION.md", render)
        if code == ExitCode.OK:
            result = report.read_json(os.path.join(args.out, "evaluation.json"))
            evaluate_figures.plot(result, os.path.join(args.out, "frontier.png"))
            code = _write_readme(args.readme, result) or _write_method(args.method, result)
        return code
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("gensim").setLevel(logging.WARNING)
    try:
        result = run(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # the member processes are stopped; the cache holds whole files only
        print(f"\ninterrupted: nothing was written to {args.out}", file=sys.stderr)
        return ExitCode.INTERRUPTED
    os.makedirs(args.out, exist_ok=True)
    report.write_json(os.path.join(args.out, "evaluation.json"), result)
    evaluate_figures.plot(result, os.path.join(args.out, "frontier.png"))
    with open(os.path.join(args.out, "EVALUATION.md"), "w", encoding="utf-8") as handle:
        handle.write(render(result))
    print(f"wrote {args.out}/EVALUATION.md, evaluation.json, frontier.png in {result['seconds']:.0f} s")
    return _write_readme(args.readme, result) or _write_method(args.method, result)


def _write_method(path, result):
    """Rewrite METHOD.md's generated confidence section, if asked to; returns the exit code."""
    if path is None:
        return ExitCode.OK
    try:
        report.replace_block(path, "confidence", render_method(result))
    except (OSError, ValueError) as exc:
        print(f"error: cannot update {path}: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    print(f"rewrote the confidence section of {path}")
    return ExitCode.OK


def _write_readme(path, result):
    """Rewrite the README's generated quality section, if asked to; returns the exit code."""
    if path is None:
        return ExitCode.OK
    try:
        report.replace_block(path, "quality", render_readme(result))
    except (OSError, ValueError) as exc:
        print(f"error: cannot update {path}: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    print(f"rewrote the quality section of {path}")
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
