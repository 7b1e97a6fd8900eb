"""The evaluation's figure, ``docs/tradeoff.png``, drawn from the result dict of
:mod:`item2vec.research.evaluate` (the same dict saved as ``evaluation.json``)."""


def plot(result, path, order):
    """The trade-off figure: quality against epochs, vector size and training time.

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
    for i, key in enumerate(k for k in order if k in test):
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
