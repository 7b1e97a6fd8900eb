"""The text of ``docs/EVALUATION.md``: ``templates/EVALUATION.md.j2`` filled from the result
dict of :mod:`item2vec.research.evaluate` (the dict saved as ``evaluation.json``).

Only numbers and booleans are computed here; the words are in the template.
"""

from . import report

ORDER = ("item2vec", "itemknn", "ease", "als", "popularity", "word2vec_default", "item2vec_untuned")


def targets(result):
    """The issue's targets: the numbers each is judged on and whether it is met.

    Parameters
    ----------
    result : dict
        As saved in ``evaluation.json``, with its protocol completed by :func:`render`.

    Returns
    -------
    dict
        ``ips``, ``rival`` (key of the best baseline), ``rival_ips``, ``ips_gain_pct``, ``hr``,
        ``knn_listeners``, ``listeners``, ``listeners_limit``, ``train_seconds``, and one
        boolean per target: ``ips_met``, ``hr_met``, ``listeners_met``, ``train_met``.
    """
    p, test = result["protocol"], result["test"]
    mine = test["item2vec"]["filtered"]
    rivals = {
        k: max(v["filtered"]["ips_recall"]["mean"], v["unfiltered"]["ips_recall"]["mean"])
        for k, v in test.items()
        if not k.startswith("item2vec")
    }
    rival = max(rivals, key=rivals.get)
    knn = min(
        test["itemknn"]["filtered"]["mean_listeners"]["mean"],
        test["itemknn"]["unfiltered"]["mean_listeners"]["mean"],
    )
    ips, hr, listeners = mine["ips_recall"]["mean"], mine["hr"]["mean"], mine["mean_listeners"]["mean"]
    seconds = test["item2vec"]["train_seconds"]
    limit = p["target_listeners_factor"] * knn
    return {
        "ips": ips,
        "rival": rival,
        "rival_ips": rivals[rival],
        "ips_gain_pct": (ips / rivals[rival] - 1) * 100,
        "ips_met": ips > rivals[rival],
        "hr": hr,
        "hr_met": hr >= p["hr_floor"],
        "knn_listeners": knn,
        "listeners": listeners,
        "listeners_limit": limit,
        "listeners_met": listeners < limit,
        "train_seconds": seconds,
        "train_met": seconds < p["target_train_seconds"],
    }


def close_rivals(result):
    """Baseline rows whose IPS-recall@10 is within ``close_share`` of item2vec's as shipped.

    Returns
    -------
    list of dict
        ``key``, ``which`` ("filtered" or "unfiltered"), ``ips_recall`` (mean, low, high) and
        ``overlap`` (do the intervals overlap), in the order of the results tables.
    """
    test, share = result["test"], result["protocol"]["close_share"]
    mine = test["item2vec"]["filtered"]["ips_recall"]
    out = []
    for key in (k for k in ORDER if k in test and not k.startswith("item2vec")):
        for which in ("filtered", "unfiltered"):
            other = test[key][which]["ips_recall"]
            if other["mean"] >= share * mine["mean"]:
                overlap = other["low"] <= mine["high"] and mine["low"] <= other["high"]
                out.append({"key": key, "which": which, "ips_recall": other, "overlap": overlap})
    return out


def render(result):
    """The text of ``EVALUATION.md``: ``templates/EVALUATION.md.j2`` filled from ``result``.

    Parameters
    ----------
    result : dict
        As written to ``evaluation.json`` by :func:`main`.

    Returns
    -------
    str
    """
    # Protocol keys that evaluation.json files written before the report templates lack. The
    # values are those that run used (docs/evaluation.json of d3859e6, 2026-11-28), so it re-renders without
    # recomputing; a file that has the keys always wins.
    legacy = {
        "choice_hr_floor": 0.77,
        "choice_max_seconds": 45.0,
        "target_listeners_factor": 3,
        "target_train_seconds": 60,
        "close_share": 0.9,
        "knee_share": 0.95,
        "interval_level": 0.95,
        "test_folds": 3,
    }
    result = {**result, "protocol": {**legacy, **result["protocol"]}}
    p, test = result["protocol"], result["test"]
    mine, knn = test["item2vec"]["filtered"], test["itemknn"]["filtered"]
    untuned = test.get("item2vec_untuned", {}).get("filtered")
    return report.render(
        "EVALUATION.md.j2",
        r=result,
        p=p,
        val=result["validation"],
        test=test,
        lat=result["latency"],
        ex=result["example"],
        order=[k for k in ORDER if k in test],
        order_all=ORDER,
        t=targets(result),
        close=close_rivals(result),
        close_within_pct=(1 - p["close_share"]) * 100,
        knee_within_pct=(1 - p["knee_share"]) * 100,
        untuned=untuned,
        untuned_not_worse=bool(untuned) and untuned["ips_recall"]["mean"] >= mine["ips_recall"]["mean"],
        meaning_near=mine["mean_listeners"]["mean"]
        < p["target_listeners_factor"] * knn["mean_listeners"]["mean"],
        train_share=1 - p["fold_share"],
        # Validation folds come after all test folds; a validation model also leaves out its own fold.
        validation_train_share=1 - (p["test_folds"] + 1) * p["fold_share"],
        shipped_config={k: v for k, v in result["item2vec_config"].items() if k not in ("seed", "workers")},
    )
