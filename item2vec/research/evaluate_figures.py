"""The evaluation's figure, ``docs/tradeoff.png``, drawn from the result dict of
:mod:`item2vec.research.evaluate` (the same dict saved as ``evaluation.json``).

Read at a glance: plain-word titles, fonts as large as the text around the figure,
one quantity per axis (no twin axes) and a legend instead of labels that can collide.
"""

STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
}
PARAMETERS = (("epochs", "epochs"), ("vector_size", "vector size"))


def plot(result, path, order):
    """The trade-off figure: quality against epochs and vector size, and every method on test.

    Parameters
    ----------
    result : dict
        As saved in ``evaluation.json``.
    path : str
        The PNG to write.
    order : sequence of str
        Method keys of ``result["test"]``, in the order they are coloured.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep = result["validation"]["tradeoff"]["sweep"]
    knee = result["validation"]["tradeoff"]["knee"]
    shipped = result["item2vec_config"]
    floor = result["protocol"]["shipped_min_listeners"]
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(17, 8.5))
        grid = fig.add_gridspec(2, 3, width_ratios=(1, 1, 1.35))
        for col, (key, label) in enumerate(PARAMETERS):
            pts = sorted((p for p in sweep if p["vary"] == key), key=lambda p: p["value"])
            xs = [p["value"] for p in pts]
            for row, (metric, name, colour) in enumerate(
                (("ips_recall", "IPS-recall@10", "C0"), ("hr", "HR@10", "C1"))
            ):
                ax = fig.add_subplot(grid[row, col])
                ax.plot(xs, [p["filtered"][metric] for p in pts], "o-", color=colour, lw=2, ms=7)
                ax.set_xscale("log", base=2)
                ax.set_xticks(xs)
                # The cost of each setting sits under its value, where the eye looks for it.
                ax.set_xticklabels([f"{x}\n{p['seconds']:.0f} s" for x, p in zip(xs, pts, strict=True)])
                ax.set_ylabel(name)
                ax.axvline(shipped[key], color="black", lw=1.2, ls="--", label=f"shipped ({shipped[key]})")
                if key in knee and knee[key]["value"] != shipped[key]:
                    near = "cheapest near-best IPS"
                    ax.axvline(knee[key]["value"], color="grey", lw=1.2, ls=":", label=near)
                ax.grid(alpha=0.3)
                if row == 0:
                    ax.set_title(f"Varying {label} (validation, rest as shipped)")
                    ax.legend(loc="best")
                else:
                    ax.set_xlabel(f"{label} (training seconds below)")
        ax = fig.add_subplot(grid[:, 2])
        test = result["test"]
        for i, key in enumerate(k for k in order if k in test):
            row = test[key]
            m = row["filtered"]
            ax.errorbar(
                m["hr"]["mean"],
                m["ips_recall"]["mean"],
                xerr=[[m["hr"]["mean"] - m["hr"]["low"]], [m["hr"]["high"] - m["hr"]["mean"]]],
                yerr=[
                    [m["ips_recall"]["mean"] - m["ips_recall"]["low"]],
                    [m["ips_recall"]["high"] - m["ips_recall"]["mean"]],
                ],
                fmt="o",
                ms=9,
                color=f"C{i}",
                capsize=3,
                label=f"{row['name']} ({row['train_seconds']:.1f} s)",
            )
        ax.set_xlabel("HR@10 (share of queries with a hit)")
        ax.set_ylabel("IPS-recall@10 (niche co-listens found)")
        ax.set_title(
            f"Every method on the test folds\n(results with at least {floor} listeners; 95% intervals)"
        )
        ax.grid(alpha=0.3)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1, title="method (training time)")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
