"""Regenerate docs/EVALUATION.md, docs/evaluation.json and docs/frontier.png.

  python -m item2vec.research.evaluate --data ../shared/data --out docs/
  python -m item2vec.research.evaluate --render-only --out docs/   # EVALUATION.md from evaluation.json
  python -m item2vec.research.evaluate --data DIR --out DIR --quick  # tiny grids and models (tests)

The report's words are ``templates/EVALUATION.md.j2`` (filled by :mod:`.evaluate_report`), its
figure is drawn by :mod:`.evaluate_figures`, and every number comes from ``evaluation.json``.

What is evaluated (protocol: :mod:`.splits`, :mod:`.metrics`):

1. item2vec as it ships: the bag :data:`SHIPPED_CHANGES` (TrainConfig defaults otherwise),
   ranked by the product's ``--discover`` dial (:data:`~item2vec.query.ranking.DIAL`), scored
   with the product's own functions (:mod:`.methods`): the dial's search on the validation
   folds (:mod:`.dial`), its positions on the validation and the test folds, and the
   ablation of the default position's ingredients;
2. the leads that did not ship (:mod:`.leads`, more members, wider vectors, the weights
   around the ranking shipped before), on the validation folds only;
3. the baselines of :data:`.methods.METHODS`, each with the same discount family tuned
   on the validation folds, then evaluated once on the test folds;
4. rare query artists (1-2 training listeners) answered by the product's fold-in, against
   co-listen counts (:mod:`.rare`);
   the confidence of an answer by the asked-for artist's listener band, on the validation
   folds only (:mod:`.confidence_bands`), which the training command copies into the model;
5. the README's example query (Rosetta) on models trained on all users, reported, never tuned on;
6. the issue's targets, computed from the numbers above (:func:`.evaluate_report.targets`).

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
from ..query.ranking import (
    COSINE_RANKING,
    DEFAULT_DISCOVER,
    DEFAULT_RANKING,
    DIAL,
    RARE_EVIDENCE_WEIGHT,
    Ranking,
)
from ..training.ease import EASE_LAMBDA, EASE_TOP
from ..training.trainer import TrainConfig
from . import confidence_bands, dial, evaluate_figures, report
from .baselines import MethodUnavailable, fit_itemknn
from .evaluate_report import render, render_method, render_readme, targets
from .leads import Doc2VecMember, WalkMember
from .members import MemberStore, one_seed_requests
from .methods import METHODS, EvidenceRanked, choose, colisten_counts, item_weights
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
#: The ranking shipped before the dial: the leads are measured at it too, and the ablation
#: starts from it.
RANKING_BEFORE_DIAL = Ranking(weight=0.25, shrink=5.0, discount=0.2, power=0.5)
#: The weights around that ranking (to check that they are flat within noise).
AROUND_BEFORE_DIAL = (
    ("weight", 0.1),
    ("weight", 0.5),
    ("discount", 0.1),
    ("discount", 0.3),
    ("shrink", 2.0),
    ("shrink", 10.0),
)
#: Other vectors tried (the leads), each against the shipped vectors it would replace.
LEAD_MEMBERS = 16
LEAD_VECTOR_SIZE = 64
#: The leads that need vectors of their own are trained and measured on the first validation
#: fold only (54 more members on all three took longer than a shared machine gave a run); the
#: rankings around the one before the dial need no training and use every validation fold.
LEAD_FOLDS = 1
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


#: The terms of a ranking, by the field that weighs them.
TERMS = ("discount", "weight", "ease")


def ablation():
    """The ablation rows: (key, model, ranking, min listeners or None).

    ``model`` is "previous" (the single model shipped before issue 10), "one" (member 0 of
    the shipped bag, i.e. one seed of its config) or "bag". The rows take the default
    position's ranking apart: each of its terms alone, and the ranking without each term;
    they derive from DEFAULT_RANKING, so they follow it if it changes.
    """
    ranked = DEFAULT_RANKING
    present = [t for t in TERMS if getattr(ranked, t)]
    alone = {t: dataclasses.replace(ranked, **{o: 0.0 for o in TERMS if o != t}) for t in present}
    without = {t: dataclasses.replace(ranked, **{t: 0.0}) for t in present}
    return [
        ("previous", "previous", COSINE_RANKING, PREVIOUS_MIN_LISTENERS),
        ("before_dial", "bag", RANKING_BEFORE_DIAL, None),
        ("bag_cosine", "bag", COSINE_RANKING, None),
        *((f"{t}_alone", "bag", alone[t], None) for t in present),
        *((f"without_{t}", "bag", without[t], None) for t in present if len(present) > 1),
        ("one_seed", "one", ranked, None),
        ("shipped", "bag", ranked, None),
    ]


def point(sums):
    """Fold means of the point metrics of one setting."""
    pts = [s.point() for s in sums]
    keys = ("hr", "ips_recall", "precision", "mean_listeners", "coverage")
    return {k: float(np.mean([p[k] for p in pts])) for k in keys}


class Fold:
    """One split with what every method on it shares: held-out lists, co-listens, item-item
    weights, item2vec vectors."""

    def __init__(self, split, store, shipped, previous):
        self.split = split
        self.store = store
        self.lists = split.user_lists()
        self.shared = colisten_counts(split)
        self.weights = item_weights(split)
        self.vectors = {
            "bag": store.bag(split.train, shipped, split.ids),
            "one": store.bag(split.train, dataclasses.replace(shipped, members=1), split.ids),
            "previous": store.bag(split.train, previous, split.ids),
        }
        self.bag = self.vectors["bag"]

    def add_vectors(self, which, config, variant=None):
        """Another bag (or member) of this split's training users, under the name ``which``."""
        self.vectors[which] = self.store.bag(self.split.train, config, self.split.ids, variant)

    def item2vec(self, which, ranking):
        return EvidenceRanked(
            self.split.ids,
            self.vectors[which],
            self.shared,
            self.split.listeners,
            ranking,
            weights=self.weights,
        )

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

    def lead_configs(self):
        """The leads' vectors: (name, config, variant, the shipped vectors it is compared with)."""
        ship, quick = self.shipped, self.args.quick
        members = 2 * ship.members if quick else LEAD_MEMBERS
        width = 2 * ship.vector_size if quick else LEAD_VECTOR_SIZE
        one = dataclasses.replace(ship, members=1)
        return [
            ("members", dataclasses.replace(ship, members=members), None, "bag"),
            ("wide", dataclasses.replace(ship, vector_size=width), None, "bag"),
            ("doc2vec", one, Doc2VecMember(), "one"),
            ("walks", one, WalkMember(), "one"),
        ]

    def train_members(self, splits, validation):
        """Every member any phase needs, trained (or loaded) in one parallel batch.

        The leads' members are trained on the validation folds only: they are measured there.
        """
        datasets = [s.train for s in splits]
        requests = one_seed_requests(datasets, [self.shipped, self.previous])
        for _name, config, variant, _ref in self.lead_configs():
            requests += one_seed_requests([s.train for s in validation[:LEAD_FOLDS]], [config], variant)
        self.say(f"item2vec: {len(requests)} members ({self.store.folder})")
        self.store.ensure(requests, progress=self.say)

    # -- item2vec: the dial, its ablation and the leads ------------------------------------------

    def search(self, folds):
        """The dial's validation grid (:mod:`.dial`): every setting's fold means, and the choice."""
        points = []
        for ranking in dial.grid(self.args.quick):
            sums = [fold.evaluate(fold.item2vec("bag", ranking)) for fold in folds]
            points.append({"params": dataclasses.asdict(ranking), **point(sums)})
        chosen = dial.choose_positions(points)
        self.say(f"validation: the dial's search, {len(points)} settings")
        return {
            "grid": points,
            "chosen": [{"position": x, **chosen[x]} for x in dial.POSITIONS],
            "shipped_is_chosen": dial.shipped_matches(chosen),
            "families": dial.family_frontiers(points),
            "hr_floor": dial.DEFAULT_HR_FLOOR,
        }

    def item2vec(self, folds):
        """The ablation rows and the shipped dial's positions, with intervals."""
        rows = {key: [] for key, *_ in ablation()}
        positions = {x: [] for x in DIAL}
        for fold in folds:
            for key, which, ranking, floor in ablation():
                rows[key].append(fold.evaluate(fold.item2vec(which, ranking), floor))
            for x, ranking in DIAL.items():
                positions[x].append(fold.evaluate(fold.item2vec("bag", ranking)))
            self.say(f"{fold.split.kind} {fold.split.seed}: item2vec ablation and dial")
        table = {key: self.boot(sums) for key, sums in rows.items()}
        return table, [{"position": x, **self.boot(sums)} for x, sums in positions.items()]

    def leads(self, folds):
        """The leads on validation folds: each against what it would replace, at two rankings."""
        rankings = {"before_dial": RANKING_BEFORE_DIAL, "default": DEFAULT_RANKING}
        all_folds, folds = folds, folds[:LEAD_FOLDS]
        for fold in folds:
            for name, config, variant, _ref in self.lead_configs():
                fold.add_vectors(name, config, variant)
        out = []
        shipped = dataclasses.asdict(self.shipped)
        for name, config, variant, ref in self.lead_configs():
            changes = {
                k: v for k, v in dataclasses.asdict(config).items() if shipped[k] != v and k != "members"
            }
            entry = {
                "key": name,
                "reference": ref,
                "members": config.members,
                "changes": changes,
                "variant": None if variant is None else dataclasses.asdict(variant),
                "folds": len(folds),
                "at": {},
            }
            for at, ranking in rankings.items():
                mine = [f.evaluate(f.item2vec(name, ranking)) for f in folds]
                base = [f.evaluate(f.item2vec(ref, ranking)) for f in folds]
                entry["at"][at] = self._compare(mine, base)
            out.append(entry)
        for field, value in AROUND_BEFORE_DIAL:
            ranking = dataclasses.replace(RANKING_BEFORE_DIAL, **{field: value})
            mine = [f.evaluate(f.item2vec("bag", ranking)) for f in all_folds]
            base = [f.evaluate(f.item2vec("bag", RANKING_BEFORE_DIAL)) for f in all_folds]
            out.append(
                {
                    "key": "ranking",
                    "field": field,
                    "value": value,
                    "reference": "bag",
                    "folds": len(all_folds),
                    "at": {"before_dial": self._compare(mine, base)},
                }
            )
        self.say("validation: leads")
        return out

    def _compare(self, mine, base):
        """Point metrics of ``mine`` and ``base`` and their paired IPS-recall ratio and HR difference."""
        boot = self.args.boot
        return {
            "mine": point(mine),
            "base": point(base),
            "ips_ratio": paired(mine, base, "ips_recall", boot, level=INTERVAL_LEVEL),
            "hr_diff": paired(mine, base, "hr", boot, level=INTERVAL_LEVEL, ratio=False),
        }

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
            "familiar": (fold.item2vec("bag", DIAL[min(DIAL)]), None),
            "niche": (fold.item2vec("bag", DIAL[max(DIAL)]), None),
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
    runner.train_members(val_splits + test_splits + [full], val_splits)
    val_folds = [Fold(s, runner.store, runner.shipped, runner.previous) for s in val_splits]
    search = runner.search(val_folds)
    ablation_val, dial_val = runner.item2vec(val_folds)
    leads = runner.leads(val_folds)
    reference_val = runner.reference(val_folds)
    rare_val = runner.rare(val_folds)
    measured = confidence_bands.measure(
        val_folds, runner.shipped, runner.dataset.checksums, args.boot, level=INTERVAL_LEVEL
    )
    runner.say("validation: confidence by listener band")
    del val_folds
    test_folds = [Fold(s, runner.store, runner.shipped, runner.previous) for s in test_splits]
    ablation_test, dial_test = runner.item2vec(test_folds)
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
            "discover": DEFAULT_DISCOVER,
            "rare_weight": RARE_EVIDENCE_WEIGHT,
            "rare_ranking": dataclasses.asdict(RARE_RANKING),
            "item_weights": {"lambda": EASE_LAMBDA, "top": EASE_TOP},
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
        "dial": {
            "positions": [{"position": x, "ranking": dataclasses.asdict(r)} for x, r in DIAL.items()],
            "default": DEFAULT_DISCOVER,
            "validation": dial_val,
            "test": dial_test,
            "search": search,
        },
        "leads": leads,
        "ranking_before_dial": dataclasses.asdict(RANKING_BEFORE_DIAL),
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
