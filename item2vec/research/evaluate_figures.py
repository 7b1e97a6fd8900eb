"""The evaluation's figure, ``docs/frontier.png``, drawn from the result dict of
:mod:`item2vec.research.evaluate` (the same dict saved as ``evaluation.json``).

One panel per kind of folds (validation, test): HR@10 against IPS-recall@10 for each
method as its discount strength varies (the frontier), the shipped setting marked.
Read at a glance: fonts as large as the text around the figure, a legend instead of
labels that can collide, one quantity per axis.
"""

from .evaluate_report import tuned_curve

STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
}
#: Line style and colour of each baseline; methods registered later get the next free colour.
LOOK = {
    "itemknn": ("C0", "--", "s"),
    "rp3beta": ("C2", "--", "^"),
    "als": ("C4", ":", "v"),
}
#: Methods shown as their one chosen point, not a curve.
POINTS = ("ease", "popularity")
KINDS = (("validation", "Validation folds (tuning)"), ("test", "Test folds (used once)"))


def _curve(ax, points, colour, style, marker, label):
    pts = sorted(points, key=lambda pt: pt["hr"])
    ax.plot(
        [p["hr"] for p in pts],
        [p["ips_recall"] for p in pts],
        style,
        color=colour,
        marker=marker,
        ms=6,
        lw=2,
        label=label,
    )


def plot(result, path):
    """Draw the frontier figure.

    Parameters
    ----------
    result : dict
        As saved in ``evaluation.json``.
    path : str
        The PNG to write.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shipped = next(row for row in result["ablation"] if row["key"] == "shipped")
    weight = shipped["ranking"]["weight"]
    members = result["shipped"]["config"]["members"]
    hr_target = result["protocol"]["hr_target"]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(16, 7.5))
        for ax, (kind, title) in zip(axes, KINDS, strict=True):
            shown = []  # every point drawn, to fit the axes to them (popularity aside)
            mine = [pt for pt in result["item2vec"][kind] if pt["params"]["weight"] == weight]
            _curve(ax, mine, "C3", "-", "o", f"item2vec, bag of {members}, co-listen weight {weight:g}")
            others = [pt for pt in result["item2vec"][kind] if pt["params"]["weight"] != weight]
            if others:
                ax.plot(
                    [p["hr"] for p in others],
                    [p["ips_recall"] for p in others],
                    ".",
                    color="C3",
                    alpha=0.35,
                    ms=7,
                    label="item2vec, other co-listen weights",
                )
            shown += mine + others
            spare = iter(f"C{i}" for i in (1, 5, 6, 8, 9))
            for key, method in result["methods"].items():
                if key in POINTS:
                    continue
                colour, style, marker = LOOK.get(key, (next(spare, "grey"), "-.", "P"))
                curve = tuned_curve(method, kind)
                _curve(ax, curve, colour, style, marker, f"{method['name']}, tuned, discount varying")
                shown += curve
            if "ease" in result["methods"]:
                method = result["methods"]["ease"]
                pt = _chosen(method, kind)
                ax.plot(
                    [pt["hr"]],
                    [pt["ips_recall"]],
                    "D",
                    color="C7",
                    ms=11,
                    ls="none",
                    label=f"{method['name']} (tuned point)",
                )
                shown.append(pt)
            point = {"hr": shipped[kind]["hr"]["mean"], "ips_recall": shipped[kind]["ips_recall"]["mean"]}
            ax.plot(
                [point["hr"]],
                [point["ips_recall"]],
                "*",
                color="C3",
                ms=22,
                markeredgecolor="black",
                ls="none",
                label="shipped setting",
            )
            shown.append(point)
            ax.axvline(hr_target, color="grey", lw=1.2, ls=":", label=f"HR@10 target {hr_target:g}")
            xs = [p["hr"] for p in shown] + [hr_target]
            ys = [p["ips_recall"] for p in shown]
            ax.set_xlim(min(xs) - 0.01, max(xs) + 0.01)
            pad = 0.05 * (max(ys) - min(ys) or max(ys))
            ax.set_ylim(min(ys) - pad, max(ys) + pad)
            if "popularity" in result["methods"]:
                # Far below every curve: drawn to scale it would flatten them, so it is stated instead.
                pop = _chosen(result["methods"]["popularity"], kind)
                ax.annotate(
                    f"popularity (off the axes): HR@10 {pop['hr']:.3f}, "
                    f"IPS-recall@10 {pop['ips_recall']:.4f}",
                    xy=(0.02, 0.02),
                    xycoords="axes fraction",
                    fontsize=11,
                )
            ax.set_title(title)
            ax.set_xlabel("HR@10 (share of queries with a hit)")
            ax.set_ylabel("IPS-recall@10 (niche co-listens found)")
            ax.grid(alpha=0.3)
        handles, labels = axes[1].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False)
        fig.tight_layout(rect=(0, 0.14, 1, 1))
        fig.savefig(path, dpi=100)
        plt.close(fig)


def _chosen(method, kind):
    """A method's validation-chosen setting as a point on ``kind`` folds."""
    if kind == "validation":
        return method["validation"]["chosen"]
    chosen = method["test"]["chosen"]
    return {"hr": chosen["hr"]["mean"], "ips_recall": chosen["ips_recall"]["mean"]}
