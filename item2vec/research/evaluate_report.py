"""The text of ``docs/EVALUATION.md``, and the issue's target checks it states.

:func:`targets` computes the checks from the evaluation's numbers; :mod:`.evaluate` stores
them in ``evaluation.json``, so the verdicts are data like every other number.
:func:`render` fills ``templates/EVALUATION.md.j2`` from that dict; the words are in the template.
"""

from ..query.recommender import HIGH_CONFIDENCE, LOW_CONFIDENCE
from . import report


def undominated(points, by):
    """The points of ``points`` that no point of ``by`` matches or beats on both HR@10 and IPS-recall@10."""
    return [
        pt
        for pt in points
        if not any(q["hr"] >= pt["hr"] and q["ips_recall"] >= pt["ips_recall"] for q in by)
    ]


def below_curve(points, curve):
    """The points of ``points`` the polyline through ``curve`` does not reach.

    A point is reached when a point of ``curve`` matches or beats it on both metrics, or
    when, at its HR@10, the line between the two ``curve`` points around it is at least as
    high on IPS-recall@10 (the curve the dial walks, between two of its positions).
    """
    line = sorted(curve, key=lambda q: q["hr"])
    out = []
    for pt in undominated(points, curve):
        reached = False
        for a, b in zip(line, line[1:], strict=False):
            if a["hr"] <= pt["hr"] <= b["hr"] and b["hr"] > a["hr"]:
                share = (pt["hr"] - a["hr"]) / (b["hr"] - a["hr"])
                reached = (
                    reached
                    or a["ips_recall"] + share * (b["ips_recall"] - a["ips_recall"]) >= pt["ips_recall"]
                )
        if not reached:
            out.append(pt)
    return out


def dial_points(result, kind):
    """The dial's positions on ``kind`` folds as points (``position``, ``hr``, ``ips_recall``)."""
    return [
        {"position": x["position"], "hr": x["hr"]["mean"], "ips_recall": x["ips_recall"]["mean"]}
        for x in result["dial"][kind]
    ]


def tuned_curve(method, kind):
    """A baseline's discount curve at its validation-chosen hyperparameters, on ``kind`` folds."""
    if kind == "test":
        return method["test"]["curve"]
    chosen = dict(method["validation"]["chosen"]["params"])
    chosen.pop("c")
    return [
        pt for pt in method["validation"]["grid"] if all(pt["params"].get(k) == v for k, v in chosen.items())
    ]


def _shipped(result):
    return next(row for row in result["ablation"] if row["key"] == "shipped")


def shipped_check(result, kind):
    """The shipped setting against the best tuned baseline at HR@10 >= the target, on ``kind`` folds.

    On validation the baselines' whole grids compete; on test, their tuned curves
    (hyperparameters chosen on validation, every discount strength), so the rival is the
    best any tuned baseline reaches on the test folds themselves.
    """
    p = result["protocol"]
    mine = _shipped(result)[kind]
    points = []
    for key, method in result["methods"].items():
        pts = method["validation"]["grid"] if kind == "validation" else method["test"]["curve"]
        points.extend((key, pt) for pt in pts if pt["hr"] >= p["hr_target"])
    out = {
        "hr": mine["hr"]["mean"],
        "hr_low": mine["hr"]["low"],
        "hr_met": mine["hr"]["mean"] >= p["hr_target"],
        "ips": mine["ips_recall"]["mean"],
        "ips_low": mine["ips_recall"]["low"],
        "ips_high": mine["ips_recall"]["high"],
        "rival": None,
    }
    if not points:
        return out | {"ratio_met": True, "interval_met": True}
    key, best = max(points, key=lambda x: x[1]["ips_recall"])
    ratio = mine["ips_recall"]["mean"] / best["ips_recall"]
    return out | {
        "rival": key,
        "rival_params": best["params"],
        "rival_hr": best["hr"],
        "rival_ips": best["ips_recall"],
        "needed": p["ips_factor"] * best["ips_recall"],
        "ratio": ratio,
        "ratio_met": out["hr_met"] and ratio >= p["ips_factor"],
        "interval_met": mine["ips_recall"]["low"] > best["ips_recall"],
    }


def frontier_check(result, kind):
    """For each baseline's tuned curve: how many of its points the dial matches or beats.

    ``by_position``: points some dial position matches or beats on both metrics;
    ``by_curve``: points the curve the dial walks reaches (:func:`below_curve`); ``missed``:
    the others.
    """
    mine = dial_points(result, kind)
    out = {}
    for key, method in result["methods"].items():
        curve = tuned_curve(method, kind)
        missed = below_curve(curve, mine)
        out[key] = {
            "points": len(curve),
            "by_position": len(curve) - len(undominated(curve, mine)),
            "by_curve": len(curve) - len(missed),
            "missed": [
                {"c": pt["params"]["c"], "hr": pt["hr"], "ips_recall": pt["ips_recall"]} for pt in missed
            ],
        }
    return out


def targets(result):
    """The issue's target checks, from the evaluation's numbers.

    Parameters
    ----------
    result : dict
        As built by :func:`item2vec.research.evaluate.run` (everything but ``targets``).

    Returns
    -------
    dict
        ``test`` and ``validation`` (:func:`shipped_check`, the default position), ``fixed``
        (the validation-chosen points alone on test), ``frontier`` per kind
        (:func:`frontier_check` for every baseline) with ``met`` (the dial's curve) and
        ``met_by_positions``, ``dial_chosen`` (the shipped dial is the validation search's
        choice) and ``rare`` (the product vs co-listen counts on test).
    """
    p = result["protocol"]
    out = {kind: shipped_check(result, kind) for kind in ("test", "validation")}
    mine = _shipped(result)["test"]["ips_recall"]["mean"]
    fixed = [
        (key, m["test"]["chosen"])
        for key, m in result["methods"].items()
        if m["test"]["chosen"]["hr"]["mean"] >= p["hr_target"]
    ]
    if fixed:
        key, best = max(fixed, key=lambda x: x[1]["ips_recall"]["mean"])
        out["fixed"] = {
            "rival": key,
            "rival_ips": best["ips_recall"]["mean"],
            "ratio": mine / best["ips_recall"]["mean"],
        }
    else:
        out["fixed"] = None
    out["frontier"] = {}
    for kind in ("test", "validation"):
        counts = frontier_check(result, kind)
        out["frontier"][kind] = {
            "methods": counts,
            "met": all(c["by_curve"] == c["points"] for c in counts.values()),
            "met_by_positions": all(c["by_position"] == c["points"] for c in counts.values()),
        }
    out["dial_chosen"] = result["dial"]["search"]["shipped_is_chosen"]
    rare = result["rare"]["test"]
    out["rare"] = {
        "product": rare["methods"]["product"]["ips_recall"]["mean"],
        "colisten": rare["methods"]["colisten"]["ips_recall"]["mean"],
        "ratio": rare["ratio_colisten"],
        "met": rare["ratio_colisten"]["mean"] > 1,
        "interval_above": rare["ratio_colisten"]["low"] > 1,
    }
    return out


def render(result):
    """The text of ``EVALUATION.md``: ``templates/EVALUATION.md.j2`` filled from ``result``.

    Parameters
    ----------
    result : dict
        As written to ``evaluation.json`` by :func:`item2vec.research.evaluate.main`.

    Returns
    -------
    str
    """
    return _render("EVALUATION.md.j2", result)


def render_readme(result):
    """The README's quality section: ``templates/README_quality.md.j2`` filled from ``result``."""
    return _render("README_quality.md.j2", result)


def render_method(result):
    """METHOD.md's confidence section: ``templates/METHOD_confidence.md.j2`` filled from ``result``."""
    return _render("METHOD_confidence.md.j2", result)


def _render(template, result):
    p = result["protocol"]
    rows = {row["key"]: row for row in result["ablation"]}
    return report.render(
        template,
        r=result,
        p=p,
        t=result["targets"],
        ship=result["shipped"],
        prev=result["previous"],
        rows=rows,
        methods=result["methods"],
        rare=result["rare"],
        conf=result.get("confidence"),
        # The tool's levels are its constants, not results: taken from the code at rendering.
        levels={"low_below": LOW_CONFIDENCE, "high_from": HIGH_CONFIDENCE},
        ex=result["example"],
        train_share=1 - p["fold_share"],
        # Validation folds come after all test folds; a validation model also leaves out its own fold.
        validation_train_share=1 - (p["test_folds"] + 1) * p["fold_share"],
        member_config={
            k: v for k, v in result["shipped"]["config"].items() if k not in ("seed", "workers", "members")
        },
    )
