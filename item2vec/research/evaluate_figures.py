"""The evaluation's figure, ``docs/frontier.png``, drawn from the result dict of
:mod:`item2vec.research.evaluate` (the same dict saved as ``evaluation.json``).

One panel per kind of folds (validation, test): HR@10 against IPS-recall@10 for each
baseline as its discount strength varies, and item2vec's ``--discover`` dial from its
familiar to its niche end (each position labelled, the default starred; on validation
also the frontier of the search the dial was chosen from).
Read at a glance: fonts as large as the text around the figure, a legend instead of
labels that can collide, one quantity per axis.
"""

from .evaluate_report import dial_points, tuned_curve

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
    "ease": ("C7", "-.", "D"),
}
#: Methods shown as their one chosen point, not a curve.
POINTS = ("popularity",)
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
    members = result["shipped"]["config"]["members"]
    hr_target = result["protocol"]["hr_target"]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(16, 7.5))
        for ax, (kind, title) in zip(axes, KINDS, strict=True):
            shown = []  # every point drawn, to fit the axes to them (popularity aside)
            mine = dial_points(result, kind)
            _curve(ax, mine, "C3", "-", "o", f"item2vec, bag of {members}: the --discover dial, 0 to 1")
            for pt in mine:
                ax.annotate(
                    f"{pt['position']:g}",
                    (pt["hr"], pt["ips_recall"]),
                    xytext=(6, 6),
                    textcoords="offset points",
                    color="C3",
                    fontsize=11,
                )
            if kind == "validation":
                front = result["dial"]["search"]["families"]["all"]
                ax.plot(
                    [p["hr"] for p in front],
                    [p["ips_recall"] for p in front],
                    ".",
                    color="C3",
                    alpha=0.35,
                    ms=7,
                    label="item2vec, the search's frontier (validation)",
                )
                shown += front
            shown += mine
            spare = iter(f"C{i}" for i in (1, 5, 6, 8, 9))
            for key, method in result["methods"].items():
                if key in POINTS:
                    continue
                colour, style, marker = LOOK.get(key, (next(spare, "grey"), "-.", "P"))
                curve = tuned_curve(method, kind)
                _curve(ax, curve, colour, style, marker, f"{method['name']}, tuned, discount varying")
                shown += curve
            point = {"hr": shipped[kind]["hr"]["mean"], "ips_recall": shipped[kind]["ips_recall"]["mean"]}
            ax.plot(
                [point["hr"]],
                [point["ips_recall"]],
                "*",
                color="C3",
                ms=22,
                markeredgecolor="black",
                ls="none",
                label=f"default position ({result['dial']['default']:g})",
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
