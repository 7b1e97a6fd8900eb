"""The EDA's figures: the ``eda_*.png`` histograms and curves and ``embedding_map.png``.

Each function draws one figure from numbers :func:`item2vec.research.eda.compute` returns and
writes it to the output folder under the name in :data:`FIGURES` (or :data:`MAP_FIGURE`).
"""

import logging
import os

import numpy as np

from ..model.arrays import rows_of
from .eda_stats import lorenz

logger = logging.getLogger(__name__)

MAP_ARTISTS = 200
MAP_CLUSTERS = 8
FIGURES = (
    "eda_artists_per_user.png",
    "eda_plays_per_pair.png",
    "eda_listeners_per_artist.png",
    "eda_listener_bins.png",
    "eda_lorenz.png",
    "eda_scripts.png",
)
MAP_FIGURE = "embedding_map.png"


# -- helpers --------------------------------------------------------------------------------


def _figure(width=10, height=6.5):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


#: matplotlib rc settings of every EDA figure (apply with ``matplotlib.rc_context(STYLE)``).
STYLE = {
    "font.size": 15,
    "axes.titlesize": 17,
    "axes.labelsize": 16,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def _label(ax, xlabel, ylabel, title):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)


def _save(fig, out, name):
    path = os.path.join(out, name)
    fig.savefig(path)
    return path


def plot_artists_per_user(per_user, out):
    fig = _figure()
    ax = fig.add_subplot()
    cap = int(per_user.max())
    ax.hist(per_user, bins=np.arange(0.5, cap + 1.5, 1), color="#4477aa")
    ax.set_yscale("log")
    ax.axvline(cap, color="#cc3311", ls="--", lw=2, label=f"maximum: {cap} artists")
    _label(
        ax,
        "artists in the user's list",
        "users (log scale)",
        f"Artists per user: {int((per_user == cap).sum()):,} of {len(per_user):,} users are at the cap",
    )
    ax.legend(loc="upper left")
    return _save(fig, out, FIGURES[0])


def plot_plays_per_pair(plays, out):
    fig = _figure()
    ax = fig.add_subplot()
    # Bin edges halfway between integers, so small counts do not fall into empty bins.
    edges = np.unique(np.round(np.logspace(0, np.log10(plays.max()) + 0.05, 60))) - 0.5
    ax.hist(plays, bins=edges, color="#4477aa")
    ax.set_xscale("log")
    ax.set_yscale("log")
    med = float(np.median(plays))
    ax.axvline(med, color="#cc3311", ls="--", lw=2, label=f"median {med:,.0f}")
    ax.axvline(plays.max(), color="#228833", ls=":", lw=2, label=f"max {int(plays.max()):,}")
    _label(
        ax,
        "plays of one artist by one user (log scale)",
        "(user, artist) rows (log scale)",
        "Plays per user-artist pair",
    )
    ax.legend()
    return _save(fig, out, FIGURES[1])


def plot_listeners_per_artist(listeners, long_tail, out):
    fig = _figure(14, 6.5)
    left, right = fig.subplots(1, 2)
    heard = listeners[listeners > 0].to_numpy()
    k, count = np.unique(heard, return_counts=True)
    left.loglog(k, count, "o", color="#4477aa", ms=5)
    fit = np.array([1, 100])
    left.loglog(
        fit,
        10 ** long_tail["loglog_intercept"] * fit ** long_tail["loglog_slope_k_le_100"],
        "--",
        color="#cc3311",
        lw=2,
        label=f"least-squares fit, k <= 100: slope {long_tail['loglog_slope_k_le_100']:.2f}",
    )
    left.legend(fontsize=12)
    _label(
        left,
        "listeners of an artist (log)",
        "artists with that many (log)",
        "How many artists have k listeners",
    )
    ranked = np.sort(heard)[::-1]
    right.loglog(np.arange(1, len(ranked) + 1), ranked, color="#4477aa", lw=2)
    _label(right, "artist rank by listeners (log)", "listeners (log)", "Listeners by rank")
    return _save(fig, out, FIGURES[2])


def plot_listener_bins(bins, out):
    fig = _figure()
    ax = fig.add_subplot()
    labels = [b["listeners"] for b in bins]
    x = np.arange(len(labels))
    width = 0.27
    series = (
        ("artists_pct", "share of artists", "#4477aa"),
        ("rows_pct", "share of rows", "#ccbb44"),
        ("plays_pct", "share of plays", "#cc3311"),
    )
    for j, (key, label, color) in enumerate(series):
        values = [b[key] for b in bins]
        bars = ax.bar(x + (j - 1) * width, values, width, label=label, color=color)
        ax.bar_label(bars, fmt="%.0f%%", fontsize=12)
    ax.set_xticks(x, labels)
    _label(
        ax,
        "listeners of the artist",
        "percent",
        "Most artists have one listener; most listening is elsewhere",
    )
    ax.legend()
    return _save(fig, out, FIGURES[3])


def plot_lorenz(frames, long_tail, out):
    fig = _figure(8.5, 8)
    ax = fig.add_subplot()
    curves = (
        (frames["artist_plays"], "plays per artist", long_tail["gini_plays_per_artist"], "#cc3311"),
        (frames["listeners"], "listeners per artist", long_tail["gini_listeners_per_artist"], "#4477aa"),
        (frames["user_plays"], "plays per user", long_tail["gini_plays_per_user"], "#228833"),
    )
    for values, label, coefficient, color in curves:
        xs, ys = lorenz(values)
        ax.plot(xs, ys, color=color, lw=2.5, label=f"{label} (Gini {coefficient:.2f})")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1.5, label="perfect equality")
    _label(
        ax,
        "share of artists / users, least first",
        "cumulative share of the total",
        "Lorenz curves: concentration of listening",
    )
    ax.set_aspect("equal")
    ax.legend(loc="upper left", fontsize=12)
    return _save(fig, out, FIGURES[4])


def plot_scripts(script_counts, out):
    fig = _figure()
    ax = fig.add_subplot()
    counts = script_counts.sort_index(ascending=False).sort_values(kind="stable")  # ties: A at the top
    bars = ax.barh(counts.index, counts.to_numpy(), color="#4477aa")
    ax.bar_label(bars, fmt="%d", padding=3, fontsize=12)
    ax.set_xscale("log")
    ax.set_xlim(0.7, counts.max() * 4)
    ax.set_xlabel("artist names (log scale)")
    ax.set_title("Writing systems of artist names")
    return _save(fig, out, FIGURES[5])


def embedding_map(model, out, n=MAP_ARTISTS, clusters=MAP_CLUSTERS, seed=0):
    """t-SNE map of the ``n`` most listened artists that have vectors, k-means coloured.

    Returns (path, info) where info lists each cluster's most listened members.
    """
    from sklearn.cluster import KMeans
    from sklearn.manifold import TSNE

    vectors, catalog = model.vectors, model.catalog
    positions = rows_of(catalog.ids, vectors.ids)
    listeners = catalog.listeners[positions]
    rows = np.lexsort((vectors.ids, -listeners))[:n]
    n = len(rows)
    unit = np.asarray(vectors.unit[rows], dtype=np.float64)
    perplexity = float(min(30.0, max(2.0, (n - 1) / 3.0)))
    logger.info("t-SNE map of %d artists (perplexity %.0f)", n, perplexity)
    # Exact gradients: a few hundred points take under a second, while Barnes-Hut's
    # OpenMP threads crawl on a busy machine.
    xy = TSNE(
        n_components=2, perplexity=perplexity, metric="cosine", init="pca", method="exact", random_state=seed
    ).fit_transform(unit)
    k = max(1, min(clusters, n // 5))
    labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(unit)
    names = [catalog.names[positions[r]] for r in rows]
    lis = listeners[rows]

    fig = _figure(18, 14)
    ax = fig.add_subplot()
    from matplotlib import colormaps

    colors = colormaps["tab10"](np.arange(k) % 10)
    sizes = 30 + 250 * np.sqrt(lis / lis.max())
    by_listeners = np.argsort(-lis, kind="stable")
    members = []
    for c in range(k):
        idx = [i for i in by_listeners if labels[i] == c]
        members.append({"cluster": c + 1, "size": len(idx), "top": [names[i] for i in idx[:8]]})
    for c in range(k):
        m = labels == c
        ax.scatter(
            xy[m, 0],
            xy[m, 1],
            s=sizes[m],
            color=colors[c],
            alpha=0.75,
            edgecolor="white",
            # A region is named by its best-known artists: a number says nothing to a reader.
            label=", ".join(members[c]["top"][:3]),
        )
    # Labels by popularity; a label overlapping one already drawn is dropped, so the
    # ones left are readable without a label-placement library.
    ax.margins(x=0.1, y=0.04)  # room for the labels of the outermost points
    title = ax.set_title(f"item2vec map of the {n} most listened artists\n")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("t-SNE axis 1 (no units: only neighbourhoods are meaningful)")
    ax.set_ylabel("t-SNE axis 2")
    ax.legend(loc="best", markerscale=0.6, fontsize=12, title="clusters, by their most listened artists")
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    placed, shown = [], 0
    for i in by_listeners:
        text = ax.annotate(names[i], xy[i], xytext=(4, 4), textcoords="offset points", fontsize=12)
        box = text.get_window_extent(renderer).expanded(1.05, 1.15)
        if any(box.overlaps(other) for other in placed):
            text.remove()
        else:
            placed.append(box)
            shown += 1
    title.set_text(
        f"item2vec map of the {n} most listened artists\n(t-SNE of the {vectors.vector_size}-d "
        f"vectors; colours: k-means clusters of the vectors; marker area grows with listeners; "
        f"{shown} labels shown)"
    )
    path = _save(fig, out, MAP_FIGURE)
    return path, {
        "artists": n,
        "seed": seed,
        "labels_shown": shown,
        "perplexity": perplexity,
        "clusters": members,
        "min_listeners_on_map": int(lis.min()),
    }
