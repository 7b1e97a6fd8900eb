"""Exploratory data analysis: every number and figure of ``docs/EDA.md``.

Run it as a command; it reads the data through :func:`item2vec.data.load_dataset`,
so the statistics describe exactly what training sees::

    python -m item2vec.research.eda --data ../shared/data --out docs/ --model models/

It writes ``eda.json`` (every number), the ``eda_*.png`` figures,
``embedding_map.png`` (only with ``--model``) and ``EDA.md``, whose text is a
template filled with those numbers, so a rerun after a data or model change
cannot leave a stale number behind.
"""

import argparse
import dataclasses
import json
import logging
import os
import sys
import unicodedata

import numpy as np
import pandas as pd

from .. import data as data_module
from ..arrays import rows_of
from ..corpus import repeats
from ..errors import Item2VecError, NotInModelError
from ..names import normalize
from ..train import TrainConfig, vocabulary

logger = logging.getLogger(__name__)

#: Artists the docs use as examples of the result filter (all four are post-metal bands
#: with few listeners); those absent from the data are skipped.
FILTER_EXAMPLES = ("Rosetta", "Cult Of Luna", "Pelican", "The Ocean")
#: Listener bins of the long-tail table: (label, lowest, highest).
LISTENER_BINS = (("1", 1, 1), ("2", 2, 2), ("3-4", 3, 4), ("5+", 5, None))
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

# Unicode character-name prefixes -> script; anything else counts as "other".
_SCRIPT_PREFIX = {
    "LATIN": "Latin",
    "FULLWIDTH": "Latin",
    "FEMININE": "Latin",
    "MASCULINE": "Latin",
    "CYRILLIC": "Cyrillic",
    "GREEK": "Greek",
    "CJK": "Han",
    "IDEOGRAPHIC": "Han",
    "HIRAGANA": "Kana",
    "KATAKANA": "Kana",
    "KATAKANA-HIRAGANA": "Kana",
    "HANGUL": "Hangul",
    "ARABIC": "Arabic",
    "HEBREW": "Hebrew",
    "THAI": "Thai",
}


# -- statistics -----------------------------------------------------------------------------


def gini(values):
    """Gini coefficient of non-negative values (0 = all equal, 1 = one holds everything)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * x).sum()) / (n * x.sum()) - (n + 1) / n)


def lorenz(values):
    """Lorenz curve: (share of holders, share of the total), both from 0 to 1."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    cum = np.concatenate([[0.0], np.cumsum(x)])
    return np.linspace(0, 1, len(cum)), cum / max(cum[-1], 1e-300)


def _script(ch):
    return _SCRIPT_PREFIX.get(unicodedata.name(ch, "OTHER").split()[0], "other")


def script_of(name):
    """Script class of a name: "Latin", "Cyrillic", "Han", "Japanese" (kana, with or
    without Han), ..., "Latin + other" for Latin mixed with another script, "mixed",
    or "no letters"."""
    scripts = {_script(ch) for ch in name if ch.isalpha()}
    if not scripts:
        return "no letters"
    if "Kana" in scripts and scripts <= {"Kana", "Han"}:
        return "Japanese"
    if len(scripts) == 1:
        return scripts.pop()
    if "Latin" in scripts:
        return "Latin + other"
    return "mixed"


def stray_suffix(name):
    """True for a Latin name glued to one trailing Han or Hangul character
    ("Paramore\u6500"): the pattern of encoding damage, not of a real name."""
    name = name.strip()
    return (
        len(name) > 2
        and _script(name[-1]) in ("Han", "Hangul")
        and not name[-2].isspace()
        and script_of(name[:-1]) == "Latin"
    )


def mixes_latin_cyrillic(name):
    """True when one word holds both Latin and Cyrillic letters (look-alike letters or styling)."""
    return any({"Latin", "Cyrillic"} <= {_script(ch) for ch in word if ch.isalpha()} for word in name.split())


def _pct(part, whole):
    return 100.0 * part / whole if whole else 0.0


def _quantiles(values, qs=(0.5, 0.9, 0.99, 0.999)):
    values = np.asarray(values, dtype=np.float64)
    return {f"p{str(q * 100).rstrip('0').rstrip('.')}": float(np.quantile(values, q)) for q in qs}


def raw_duplicates(path, fmt):
    """Duplicate (user, artist) rows of the raw play file, before the loader sums them.

    Returns a DataFrame (user, artist_id, plays) of every row whose pair occurs more
    than once, plus the raw row count; ``(None, None)`` for formats it cannot reread.
    """
    layouts = {
        "kaggle": (data_module.KAGGLE_PLAYS, ["user_id", "artist_id", "scrobbles"], ","),
        "hetrec": (data_module.HETREC_PLAYS, ["userID", "artistID", "weight"], "\t"),
    }
    if fmt not in layouts or not os.path.isdir(path):
        return None, None
    filename, columns, sep = layouts[fmt]
    raw = data_module.read_table(os.path.join(path, filename), columns, sep=sep)[columns]
    raw.columns = ["user", "artist_id", "plays"]
    raw = raw.apply(lambda col: pd.to_numeric(col.str.strip(), errors="coerce"))
    dup = raw[raw.duplicated(["user", "artist_id"], keep=False)].dropna().astype(np.int64)
    return dup, len(raw)


def co_listen_pairs(plays, vocab=None):
    """Support of every co-listened artist pair: how many users have both.

    Returns the support values of the distinct pairs (upper triangle of the
    artist-by-artist co-occurrence matrix), restricted to ``vocab`` if given.
    """
    from scipy import sparse

    frame = plays if vocab is None else plays[plays["artist_id"].isin(vocab)]
    users = np.unique(frame["user"].to_numpy(), return_inverse=True)[1]
    artists = np.unique(frame["artist_id"].to_numpy(), return_inverse=True)[1]
    x = sparse.csr_matrix((np.ones(len(frame), dtype=np.int32), (users, artists)))
    co = sparse.triu(x.T @ x, k=1).tocoo()
    return co.data


def compute(dataset, path, model=None, config=None):
    """Every number of the EDA, as a JSON-ready dict (plus a few frames for the figures).

    Parameters
    ----------
    dataset : Dataset
        From :func:`item2vec.data.load_dataset`.
    path : str
        The data folder (reread only to list the duplicate rows the loader summed).
    model : Model, optional
        The shipped model, for its hyperparameters, vector count and example queries.
    config : TrainConfig, optional
        Used when there is no model; defaults to :class:`TrainConfig`.

    Returns
    -------
    stats : dict
    frames : dict
        Arrays the figures need (per-user, per-artist and per-row values).
    """
    from ..query import DEFAULT_MIN_LISTENERS

    plays, artists = dataset.plays, dataset.artists
    names = artists.set_index("artist_id")["name"]
    listeners = dataset.listeners()
    artist_plays = plays.groupby("artist_id")["plays"].sum().reindex(artists["artist_id"], fill_value=0)
    per_user = plays.groupby("user").size()
    user_plays = plays.groupby("user")["plays"].sum()
    n_rows, n_users, n_artists = len(plays), dataset.n_users, len(artists)
    total_plays = int(plays["plays"].sum())
    s = {"format": dataset.format, "sha256": dataset.checksums, "repairs": dataset.repairs}

    # Size and shape.
    cap = int(per_user.max())
    at_cap = per_user == cap
    s["size"] = {
        "rows": n_rows,
        "users": n_users,
        "artists": n_artists,
        "artists_heard": int((listeners > 0).sum()),
        "artists_unheard": int((listeners == 0).sum()),
        "plays": total_plays,
        "density_pct": _pct(n_rows, n_users * n_artists),
    }
    # What the per-user cap hides: the plays of the last artist kept by a capped user.
    ranked = plays.sort_values(["user", "plays"], ascending=[True, False], kind="stable")
    last_kept = ranked.groupby("user")["plays"].last()[at_cap[at_cap].index]
    pair_occ = per_user * (per_user - 1) // 2
    s["artists_per_user"] = {
        "min": int(per_user.min()),
        "median": float(per_user.median()),
        "mean": float(per_user.mean()),
        "max": cap,
        "users_at_max": int(at_cap.sum()),
        "users_at_max_pct": _pct(at_cap.sum(), n_users),
        "users_below_10": int((per_user < 10).sum()),
        "last_kept_plays_median": float(last_kept.median()) if len(last_kept) else 0.0,
        "last_kept_plays_p10": float(last_kept.quantile(0.1)) if len(last_kept) else 0.0,
        "last_kept_plays_p90": float(last_kept.quantile(0.9)) if len(last_kept) else 0.0,
        "pairs_per_user_at_max": cap * (cap - 1) // 2,
        "pair_occurrences": int(pair_occ.sum()),
        "pair_occurrences_from_capped_pct": _pct(pair_occ[at_cap].sum(), pair_occ.sum()),
    }
    support = co_listen_pairs(plays)
    s["co_listen"] = {
        "distinct_pairs": int(len(support)),
        "support_1_pct": _pct((support == 1).sum(), len(support)),
        "support_5plus_pct": _pct((support >= 5).sum(), len(support)),
        "max_support": int(support.max()) if len(support) else 0,
    }

    # Plays per (user, artist) row.
    p = plays["plays"].to_numpy()
    top_rows = plays.nlargest(5, "plays")
    top_share = np.sort(p)[::-1][: max(1, n_rows // 100)].sum()
    s["plays_per_pair"] = {
        "min": int(p.min()),
        "mean": float(p.mean()),
        "max": int(p.max()),
        **_quantiles(p),
        "rows_with_1_play": int((p == 1).sum()),
        "top_1pct_rows_share_of_plays_pct": _pct(top_share, total_plays),
        "largest": [
            {
                "user": int(r.user),
                "artist": names[r.artist_id],
                "artist_id": int(r.artist_id),
                "plays": int(r.plays),
                "share_of_user_plays_pct": _pct(r.plays, user_plays[r.user]),
            }
            for r in top_rows.itertuples()
        ],
        "user_total_min": int(user_plays.min()),
        "user_total_median": float(user_plays.median()),
        "user_total_max": int(user_plays.max()),
    }

    # The long tail.
    heard = listeners[listeners > 0]
    rows_by_artist = plays.groupby("artist_id").size()
    bins = []
    for label, lo, hi in LISTENER_BINS:
        mask = (heard >= lo) & (heard <= hi if hi is not None else True)
        ids = heard.index[mask]
        bins.append(
            {
                "listeners": label,
                "artists": int(mask.sum()),
                "artists_pct": _pct(mask.sum(), len(heard)),
                "rows_pct": _pct(rows_by_artist[ids].sum(), n_rows),
                "plays_pct": _pct(artist_plays[ids].sum(), total_plays),
            }
        )
    order = np.argsort(-artist_plays.to_numpy(), kind="stable")
    sorted_plays = artist_plays.to_numpy()[order]
    most = listeners.idxmax()
    k, count = np.unique(heard.to_numpy(), return_counts=True)
    fit = k <= 100
    slope, intercept = np.polyfit(np.log10(k[fit]), np.log10(count[fit]), 1)
    s["long_tail"] = {
        "loglog_slope_k_le_100": float(slope),
        "loglog_intercept": float(intercept),
        "listeners_median": float(heard.median()),
        "listeners_max": int(heard.max()),
        "most_listened": names[most],
        "bins": bins,
        "gini_plays_per_artist": gini(artist_plays),
        "gini_listeners_per_artist": gini(listeners),
        "gini_plays_per_user": gini(user_plays),
        "top_1pct_artists_plays_pct": _pct(sorted_plays[: max(1, n_artists // 100)].sum(), total_plays),
        "top_10pct_artists_plays_pct": _pct(sorted_plays[: max(1, n_artists // 10)].sum(), total_plays),
    }

    # Faults.
    dup, raw_rows = raw_duplicates(path, dataset.format)
    faults = {
        "raw_rows": raw_rows,
        "duplicate_rows_summed": int(dataset.repairs.get("play_rows_duplicate_summed", 0)),
    }
    if dup is not None:
        groups = dup.groupby(["user", "artist_id"]).size()
        by_artist = dup.drop_duplicates(["user", "artist_id"])["artist_id"].value_counts()
        faults.update(
            {
                "duplicate_pairs": int(len(groups)),
                "duplicate_pair_rows": int(len(dup)),
                "duplicate_pairs_by_copies": {
                    str(k): int(v) for k, v in groups.value_counts().sort_index().items()
                },
                "duplicate_users": int(dup["user"].nunique()),
                "duplicate_artists": int(dup["artist_id"].nunique()),
                "duplicate_examples": [
                    {"artist": names.get(a, str(a)), "artist_id": int(a), "users": int(c)}
                    for a, c in by_artist.head(8).items()
                ],
            }
        )
        # A user whose raw list was full but held one artist twice is one short after the merge.
        raw_sizes = per_user.add(
            dup.groupby("user").size() - dup.groupby("user")["artist_id"].nunique(), fill_value=0
        )
        faults["users_shortened_by_merge"] = int(((raw_sizes >= cap) & (per_user < cap)).sum())
    same = artists.groupby("name")["artist_id"].apply(list)
    faults["same_name"] = [
        {"name": n, "ids": [int(i) for i in ids], "listeners": [int(listeners[i]) for i in ids]}
        for n, ids in same[same.map(len) > 1].items()
    ]
    norm = artists.groupby(artists["name"].map(normalize))["artist_id"].apply(list)
    norm = norm[norm.map(len) > 1]
    faults["normalized_name_groups"] = int(len(norm))
    faults["normalized_name_examples"] = sorted(
        (
            {
                "names": [names[i] for i in ids],
                "ids": [int(i) for i in ids],
                "listeners": [int(listeners[i]) for i in ids],
            }
            for ids in norm
        ),
        key=lambda g: -max(g["listeners"]),
    )[:8]
    scripts = artists["name"].map(script_of)
    script_counts = scripts.value_counts()
    faults["scripts"] = [
        {
            "script": k,
            "artists": int(v),
            "artists_pct": _pct(v, n_artists),
            "artists_5plus": int((listeners[artists["artist_id"][scripts == k]] >= 5).sum()),
            "examples": artists["name"][scripts == k].head(3).tolist(),
        }
        for k, v in script_counts.items()
    ]
    stray = artists[artists["name"].map(stray_suffix)]
    faults["stray_suffix"] = [
        {"name": n, "artist_id": int(i), "listeners": int(listeners[i])}
        for i, n in zip(stray["artist_id"], stray["name"])
    ]
    mixed = artists[artists["name"].map(mixes_latin_cyrillic)]
    mixed = mixed.assign(listeners=listeners[mixed["artist_id"]].to_numpy()).sort_values(
        ["listeners", "artist_id"], ascending=[False, True]
    )
    faults["latin_cyrillic_word_names"] = int(len(mixed))
    faults["latin_cyrillic_word_examples"] = [
        {"name": n, "listeners": int(c)} for n, c in zip(mixed["name"].head(10), mixed["listeners"].head(10))
    ]
    faults["names_not_nfc"] = int(
        (artists["name"] != artists["name"].map(lambda t: unicodedata.normalize("NFC", t))).sum()
    )
    one = listeners[listeners == 1]
    faults["one_listener_artists"] = int(len(one))
    faults["one_listener_pct"] = _pct(len(one), n_artists)
    faults["one_listener_plays_pct"] = _pct(artist_plays[one.index].sum(), total_plays)
    s["faults"] = faults

    # How the facts shaped the method.
    config = config or TrainConfig()
    hyper = (
        dict(model.metadata.get("hyperparameters", {})) if model is not None else dataclasses.asdict(config)
    )
    min_count = int(hyper.get("min_count", config.min_count))
    vocab = vocabulary(dataset, min_count)
    in_vocab = plays["artist_id"].isin(vocab)
    vocab_sizes = plays[in_vocab].groupby("user").size()
    vocab_support = co_listen_pairs(plays, vocab)
    method = {
        "hyperparameters": hyper,
        "hyperparameters_from": "model" if model is not None else "TrainConfig defaults",
        "min_count": min_count,
        "vocab": int(len(vocab)),
        "vocab_pct": _pct(len(vocab), n_artists),
        "vocab_rows_pct": _pct(in_vocab.sum(), n_rows),
        "vocab_plays_pct": _pct(plays.loc[in_vocab, "plays"].sum(), total_plays),
        "sentences": int((vocab_sizes >= 2).sum()),
        "vocab_pairs": int(len(vocab_support)),
        "vocab_pairs_support_1_pct": _pct((vocab_support == 1).sum(), len(vocab_support)),
        "default_min_listeners": DEFAULT_MIN_LISTENERS,
        "results_allowed": int((listeners[vocab] >= DEFAULT_MIN_LISTENERS).sum()),
        "examples": [
            {
                "artist": n,
                "artist_id": int(i),
                "listeners": int(listeners[i]),
                "has_vector": bool(listeners[i] >= min_count),
                "returned_by_default": bool(listeners[i] >= max(min_count, DEFAULT_MIN_LISTENERS)),
            }
            for n in FILTER_EXAMPLES
            for i in artists["artist_id"][artists["name"] == n]
        ],
    }
    if len(one):
        example = artist_plays[one.index].idxmax()
        message = str(NotInModelError(names[example], 1, min_count))
        if model is not None:  # what ask.py really answers, from the model's own catalogue
            from ..query import Recommender

            try:
                Recommender(model).answer(f"id:{int(example)}")
                message = "(answered: this model has a vector for it)"
            except Item2VecError as exc:
                message = str(exc)
        method["one_listener_example"] = {
            "artist": names[example],
            "artist_id": int(example),
            "plays": int(artist_plays[example]),
            "message": message,
        }
    max_repeat = int(hyper.get("max_repeat", config.max_repeat))
    for weighting in ("log", "rank"):
        reps = repeats(p, plays["user"].to_numpy(), weighting, max_repeat)
        method[f"{weighting}_repeats_pct"] = {
            str(k): _pct((reps == k).sum(), n_rows) for k in range(1, max_repeat + 1)
        }
    if model is not None:
        method["model_vectors"] = len(model.vectors)
        method["model_created"] = model.metadata.get("created")
        method["model_data_sha256"] = model.metadata.get("data", {}).get("sha256")
        method["model_matches_data"] = method["model_data_sha256"] == dataset.checksums
        method["filter_demo"] = _filter_demo(model, min_count, DEFAULT_MIN_LISTENERS)
    s["method"] = method

    # What the files do not contain.
    s["columns"] = {"plays": ["user", "artist_id", "plays"], "artists": ["artist_id", "name"]}
    frames = {
        "per_user": per_user,
        "plays": p,
        "listeners": listeners,
        "artist_plays": artist_plays,
        "user_plays": user_plays,
        "script_counts": script_counts,
    }
    return s, frames


def _filter_demo(model, min_count, default_min):
    """Neighbours of one example artist with the default result filter and with none."""
    from ..query import Recommender

    recommender = Recommender(model)
    for name in FILTER_EXAMPLES[1:] + FILTER_EXAMPLES[:1]:
        try:
            recommender.resolve(name)
        except Item2VecError:
            continue
        runs = {}
        for label, floor in (("default", default_min), ("min_count", min_count)):
            answer = recommender.answer(name, topn=10, min_listeners=floor, explain=True)
            runs[label] = [
                {k: r[k] for k in ("artist", "score", "listeners", "shared_listeners")}
                for r in answer["results"]
            ]
        return {"query": name, "listeners": model.catalog.listeners_of(recommender.resolve(name)), **runs}
    return None


# -- figures --------------------------------------------------------------------------------


def _figure(width=10, height=6.5):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


_STYLE = {
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
    for c in range(k):
        m = labels == c
        ax.scatter(
            xy[m, 0],
            xy[m, 1],
            s=sizes[m],
            color=colors[c],
            alpha=0.75,
            edgecolor="white",
            label=f"cluster {c + 1}",
        )
    # Labels by popularity; a label overlapping one already drawn is dropped, so the
    # ones left are readable without a label-placement library.
    ax.margins(x=0.1, y=0.04)  # room for the labels of the outermost points
    title = ax.set_title(f"item2vec map of the {n} most listened artists\n")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("t-SNE axis 1 (no units: only neighbourhoods are meaningful)")
    ax.set_ylabel("t-SNE axis 2")
    ax.legend(loc="best", markerscale=0.6, fontsize=12)
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    placed, shown = [], 0
    for i in np.argsort(-lis, kind="stable"):
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
    members = []
    for c in range(k):
        idx = [i for i in np.argsort(-lis, kind="stable") if labels[i] == c]
        members.append({"cluster": c + 1, "size": len(idx), "top": [names[i] for i in idx[:8]]})
    return path, {
        "artists": n,
        "labels_shown": shown,
        "perplexity": perplexity,
        "clusters": members,
        "min_listeners_on_map": int(lis.min()),
    }


# -- report ---------------------------------------------------------------------------------


def _md(text):
    """Escape a data string for Markdown text and tables."""
    out = str(text)
    for ch in "\\`*_[]|<>#":
        out = out.replace(ch, "\\" + ch)
    return out


def _n(x, digits=0):
    return f"{x:,.{digits}f}"


def render_markdown(s, map_info, command):
    """The text of ``EDA.md`` from the numbers of :func:`compute`."""
    size, apu, co, ppp = s["size"], s["artists_per_user"], s["co_listen"], s["plays_per_pair"]
    tail, faults, method = s["long_tail"], s["faults"], s["method"]
    bins = {b["listeners"]: b for b in tail["bins"]}
    lines = []
    add = lines.append
    add("# The data: what is in it, what is wrong with it, and what that means for the method\n")
    add(
        f"Generated by `{command}` from the `{s['format']}` files "
        f"(SHA-256 of the play file `{next(iter(s['sha256'].values()))[:12]}...`). Every number and figure "
        f"below comes from that command (all numbers are also in `eda.json`); rerun it after the data or "
        f"the model changes. The statistics are computed on the data *as the loader delivers it* "
        f"(`item2vec.data.load_dataset`), i.e. after its repairs.\n"
    )

    add("## 1. Size and shape\n")
    raw = f" ({_n(faults['raw_rows'])} rows in the raw file)" if faults.get("raw_rows") else ""
    add(
        f"| | |\n|---|---|\n| users | {_n(size['users'])} |\n| artists in the artist list | {_n(size['artists'])} |\n"
        f"| artists with at least one listener | {_n(size['artists_heard'])} |\n"
        f"| (user, artist) rows after cleaning | {_n(size['rows'])}{raw} |\n"
        f"| total plays (scrobbles) | {_n(size['plays'])} |\n"
        f"| density of the user x artist matrix | {size['density_pct']:.2f}% |\n"
    )
    add(
        "Each row says: this user played this artist this many times. There is nothing else: "
        f"the play file has the columns {', '.join(s['columns']['plays'])} and the artist file "
        f"{', '.join(s['columns']['artists'])}. No timestamps, no tags, no user attributes.\n"
    )
    add("### Artists per user, and what the top-50 cut means\n")
    add(f"![artists per user]({FIGURES[0]})\n")
    add(
        f"A user has between {apu['min']} and {apu['max']} artists (median {_n(apu['median'])}, mean "
        f"{apu['mean']:.1f}); **{_n(apu['users_at_max'])} users ({apu['users_at_max_pct']:.1f}%) sit exactly at "
        f"{apu['max']}**, and only {apu['users_below_10']} have fewer than 10. The pile-up at the maximum is the "
        f"source's cut (the data set's README: each user's top-{apu['max']} artists at most), so the lists are "
        f"truncated, not complete. For a user at the cap, "
        f"the least-played artist that survived the cut has a median of {_n(apu['last_kept_plays_median'])} plays "
        f"(10th-90th percentile {_n(apu['last_kept_plays_p10'])}-{_n(apu['last_kept_plays_p90'])}): everything "
        f"they played less than that is invisible.\n"
    )
    add("What this means for co-listen statistics (and so for item2vec, which learns from nothing else):\n")
    add(
        f'- "Listeners" of an artist means *users who have it in their top {apu["max"]}*. An artist that many '
        f"people play a little (a 51st favourite for many) looks rarer than it is; heavy, broad listeners are "
        f"under-represented relative to their real breadth.\n"
        f"- Every user contributes at most {apu['max']} x {apu['max'] - 1} / 2 = "
        f"{_n(apu['pairs_per_user_at_max'])} co-listened pairs, whatever their real breadth. Of the "
        f"{_n(apu['pair_occurrences'])} (user, pair) co-occurrences in the data, "
        f"{apu['pair_occurrences_from_capped_pct']:.1f}% come from capped users. So every user weighs about the "
        f"same, which is good for a fair average taste but means a user's long tail never meets their head.\n"
        f"- Absence is not evidence: two artists never co-listened may simply both be below someone's cut.\n"
        f"- The data holds {_n(co['distinct_pairs'])} distinct co-listened artist pairs; "
        f"**{co['support_1_pct']:.1f}% of them rest on a single user** and only {co['support_5plus_pct']:.1f}% on "
        f"five or more (the best-supported pair has {_n(co['max_support'])} users in common).\n"
    )
    add("### Plays per user-artist pair\n")
    add(f"![plays per pair]({FIGURES[1]})\n")
    add(
        f"Play counts span {_n(ppp['min'])} to {_n(ppp['max'])} (median {_n(ppp['p50'])}, mean {_n(ppp['mean'])}, "
        f"90th percentile {_n(ppp['p90'])}, 99th {_n(ppp['p99'])}, 99.9th {_n(ppp['p99.9'])}). On the log scale "
        f"the histogram is one broad hump around the median with a long right tail: the top 1% of rows hold "
        f"{ppp['top_1pct_rows_share_of_plays_pct']:.1f}% of all plays. A user's total ranges from "
        f"{_n(ppp['user_total_min'])} to {_n(ppp['user_total_max'])} plays (median {_n(ppp['user_total_median'])}). "
        f"The mean is far above the median, so raw play counts are a poor weight; see section 4.\n"
    )

    add("## 2. The long tail\n")
    add(f"![listeners per artist]({FIGURES[2]})\n")
    add(
        f"Listeners per artist follow a power law: on log-log axes the number of artists with k listeners "
        f"falls on a line (least-squares slope {tail['loglog_slope_k_le_100']:.2f} for k <= 100). The median artist "
        f"has {_n(tail['listeners_median'])} listener{'s' if tail['listeners_median'] != 1 else ''}; the most "
        f"listened, {_md(tail['most_listened'])}, has {_n(tail['listeners_max'])} of {_n(size['users'])} users.\n"
    )
    add(f"![listener bins]({FIGURES[3]})\n")
    add("| listeners | artists | share of artists | share of rows | share of plays |\n|---|---|---|---|---|")
    for b in tail["bins"]:
        add(
            f"| {b['listeners']} | {_n(b['artists'])} | {b['artists_pct']:.1f}% | {b['rows_pct']:.1f}% | "
            f"{b['plays_pct']:.1f}% |"
        )
    add("")
    add(f"![Lorenz curves]({FIGURES[4]})\n")
    add(
        f"Listening is concentrated: the Gini coefficient of plays per artist is "
        f"**{tail['gini_plays_per_artist']:.3f}** (listeners per artist {tail['gini_listeners_per_artist']:.3f}, "
        f"plays per user {tail['gini_plays_per_user']:.3f}). The top 1% of artists take "
        f"{tail['top_1pct_artists_plays_pct']:.1f}% of all plays and the top 10% take "
        f"{tail['top_10pct_artists_plays_pct']:.1f}%.\n"
    )

    add("## 3. Faults, and what the loader does with each\n")
    add(
        "`item2vec.data.load_dataset` counts and logs every repair; the repairs of this data set are "
        f"`{json.dumps(s['repairs'])}`.\n"
    )
    if faults.get("duplicate_pairs") is not None:
        ex = ", ".join(
            f"{_md(e['artist'])} ({e['users']} user{'s' if e['users'] > 1 else ''})"
            for e in faults["duplicate_examples"]
        )
        add(
            f"**Duplicate (user, artist) rows: summed.** {_n(faults['duplicate_pair_rows'])} raw rows cover "
            f"{_n(faults['duplicate_pairs'])} (user, artist) pairs that appear more than once ("
            + ", ".join(
                f"{v} pair{'s' if v > 1 else ''} {k} times"
                for k, v in faults["duplicate_pairs_by_copies"].items()
            )
            + f"; {faults['duplicate_users']} users, {faults['duplicate_artists']} "
            f"artists); the loader sums them, removing {_n(faults['duplicate_rows_summed'])} rows. According to the "
            f"data set's README they are the trace of spelling variants (case, accents) that the Kaggle version "
            f"merged into one artist id upstream; the artists concerned, most affected users first: {ex}. "
            f"The plays of the variants belong to one artist, so summing is right; dropping one would "
            f"lose listening. Side effect: {faults['users_shortened_by_merge']} users whose raw list was full end "
            f"up with fewer than {apu['max']} artists.\n"
        )
    else:
        add(
            f"**Duplicate (user, artist) rows: summed.** The loader summed "
            f"{_n(faults['duplicate_rows_summed'])} duplicate rows.\n"
        )
    add(
        "**Spelling variants that were *not* merged: kept apart, resolved at query time.** "
        f"{faults['normalized_name_groups']} groups of artist ids still share a name once case, accents, width and "
        f"spaces are ignored (`item2vec.names.normalize`). The most listened:\n"
    )
    if faults["normalized_name_examples"]:
        add("| names | ids | listeners |\n|---|---|---|")
        for g in faults["normalized_name_examples"]:
            add(
                f"| {' / '.join(_md(n) for n in g['names'])} | {', '.join(map(str, g['ids']))} | "
                f"{', '.join(map(str, g['listeners']))} |"
            )
        add("")
    add(
        'Merging them is guesswork (same spelling does not mean same artist, see "Red" below), so the loader '
        "keeps ids apart; the name index picks the most listened id and tells the user about the others.\n"
    )
    if faults["same_name"]:
        add(
            "**Same name, different artists: identity is the id.** Exactly identical names with different ids: "
            + "; ".join(
                f'"{_md(g["name"])}" (ids {", ".join(map(str, g["ids"]))}; listeners '
                f"{', '.join(map(str, g['listeners']))})"
                for g in faults["same_name"]
            )
            + ". Everything in the project keys on the id; a query for such a name returns the most listened id "
            "with a note naming the others, which `id:N` selects.\n"
        )
    else:
        add("**Same name, different artists.** No two artists share an exact name in this data.\n")
    nfc = faults["names_not_nfc"]
    add(
        "**Mixed scripts: kept as written.** Names are Unicode; the loader only strips surrounding spaces "
        f"({nfc} name{' is' if nfc == 1 else 's are'} not in NFC form). Names by writing system, from the "
        '`unicodedata` name of each letter ("Japanese" = kana, with or without Han; "Latin + other" = '
        "Latin letters mixed with another script):\n"
    )
    add(f"![scripts]({FIGURES[5]})\n")
    add("| script | names | share | with 5+ listeners | examples |\n|---|---|---|---|---|")
    for g in faults["scripts"]:
        add(
            f"| {g['script']} | {_n(g['artists'])} | {g['artists_pct']:.2f}% | {_n(g['artists_5plus'])} | "
            f"{', '.join(_md(e) for e in g['examples'])} |"
        )
    add("")
    stray = faults["stray_suffix"]
    if stray:
        add(
            f"{len(stray)} names are a Latin name glued to one trailing Han or Hangul character, most likely "
            f"encoding damage upstream: "
            + ", ".join(f"{_md(g['name'])} ({g['listeners']})" for g in stray)
            + " (listeners in brackets). Each is a separate artist id, so their few listeners are split from the "
            'real artist; the loader cannot know which id is "right" and keeps them.\n'
        )
    if faults["latin_cyrillic_word_names"]:
        add(
            f"{faults['latin_cyrillic_word_names']} names have a word that mixes Latin and Cyrillic letters, some "
            f"as styling, some as look-alike letters; the most listened: "
            + ", ".join(
                f"{_md(e['name'])} ({e['listeners']})" for e in faults["latin_cyrillic_word_examples"]
            )
            + ".\n"
        )
    add(
        "Name matching at query time is NFKC-, case- and accent-insensitive (`item2vec.names.normalize`), "
        'so a user can type "Bjork" or full-width text; look-alike letters from another script still do '
        "not match.\n"
    )
    add(
        f"**Artists with one listener: kept in the catalogue, given no vector.** {_n(faults['one_listener_artists'])} "
        f"artists ({faults['one_listener_pct']:.1f}%) have exactly one listener; together they hold "
        f"{faults['one_listener_plays_pct']:.1f}% of the plays. The loader keeps them (so a query can say *why* "
        f"there is no answer, see section 4), but training skips them.\n"
    )
    big = ppp["largest"]
    add("**Extreme play counts: kept.** The largest rows:\n")
    add("| user | artist | plays | share of that user's plays |\n|---|---|---|---|")
    for r in big:
        add(f"| {r['user']} | {_md(r['artist'])} | {_n(r['plays'])} | {r['share_of_user_plays_pct']:.0f}% |")
    add("")
    add(
        "Each is a user who gives one artist most of their listening (last column); nothing in the files marks "
        "them as errors, so the loader does not cap them, and the corpus never uses raw counts (section 4). "
        "Rows with a non-integer or non-positive count, unknown artist ids "
        "and unreadable files would be dropped with a count or rejected with a message; this data set has "
        "none of them.\n"
    )

    add("## 4. How these facts shaped the method\n")
    hp = method["hyperparameters"]
    source = (
        f"those of the model given with --model (created {method['model_created']})"
        if method.get("model_created")
        else "the TrainConfig defaults"
    )
    listed = ", ".join(f"`{k}={v}`" for k, v in sorted(hp.items()))
    add(
        f"Hyperparameters quoted here are {source}: {listed}. What each one does is in "
        f"[METHOD.md](METHOD.md).\n"
    )
    add(
        f"- **min_count counts listeners, not tokens.** With `min_count = {method['min_count']}` the vocabulary has "
        f"{_n(method['vocab'])} artists, {method['vocab_pct']:.1f}% of the catalogue, yet they cover "
        f"{method['vocab_rows_pct']:.1f}% of the rows and {method['vocab_plays_pct']:.1f}% of the plays; "
        f"{_n(method['sentences'])} users keep at least two of them and become training sentences. Counting "
        f"tokens instead would let play-count repetition promote an artist heard by one person. Even inside "
        f"the vocabulary, {method['vocab_pairs_support_1_pct']:.1f}% of the {_n(method['vocab_pairs'])} "
        f"co-listened pairs rest on a single user: a vector sums many weak pieces of evidence, which is why "
        f"results are filtered further (below)."
    )
    if method.get("model_vectors") is not None:
        match = "matches" if method["model_vectors"] == method["vocab"] else "does NOT match"
        add(
            f"  The model has {_n(method['model_vectors'])} vectors, which {match} this count"
            + ("" if method.get("model_matches_data") else " (the model was trained on other data files)")
            + "."
        )
    rep_log = method["log_repeats_pct"]
    rep_rank = method["rank_repeats_pct"]
    add(
        f"- **Play counts are never used raw.** Raw counts would let one row of {_n(ppp['max'])} plays "
        f"outweigh a whole user (section 1). The corpus offers `none` (each artist once), "
        f"`log` (1 + floor(log2(plays / the "
        f"user's median)), capped at `max_repeat`) and `rank` (top of the user's list gets `max_repeat` copies). "
        f"On this data, with max_repeat {hp.get('max_repeat')}, `log` gives "
        + ", ".join(f"{v:.1f}% of rows {k} cop{'y' if k == '1' else 'ies'}" for k, v in rep_log.items())
        + "; `rank` gives "
        + ", ".join(f"{v:.1f}% {k}" for k, v in rep_rank.items())
        + f". The current setting is `weighting = {hp.get('weighting')}`"
        + (
            " (play counts only decide which artists made the user's top list)"
            if hp.get("weighting") == "none"
            else ""
        )
        + "."
    )
    one = method.get("one_listener_example")
    if one:
        add(
            f"- **A query about a one-listener artist says so instead of guessing.** Its only context is one "
            f"user's list, so its \"neighbours\" would be that user's taste. For example the most played "
            f"one-listener artist, {_md(one['artist'])} ({_n(one['plays'])} plays), gets: "
            f"`{_md(one['message'])}`"
        )
    add(
        f"- **Results are filtered by listeners.** Having a vector (>= {method['min_count']} listeners) is not the "
        f"same as being a trustworthy answer: by default only artists with at least "
        f"{method['default_min_listeners']} listeners are returned ({_n(method['results_allowed'])} artists); "
        f"`ask.py --min-listeners N` changes it. The examples:\n"
    )
    if method["examples"]:
        add("| artist | listeners | has a vector | returned by default |\n|---|---|---|---|")
        for e in method["examples"]:
            add(
                f"| {_md(e['artist'])} | {e['listeners']} | {'yes' if e['has_vector'] else 'no'} | "
                f"{'yes' if e['returned_by_default'] else 'no'} |"
            )
        add("")
    demo = method.get("filter_demo")
    if demo:
        add(
            f"\nNeighbours of {_md(demo['query'])} ({demo['listeners']} listeners) from the model, with the "
            f"default filter and with the filter lowered to min_count ({method['min_count']}); `shared` is the number "
            f"of users who have both:\n"
        )
        add(
            "| rank | default filter | score | listeners | shared | filter = min_count | score | listeners | shared |"
        )
        add("|---|---|---|---|---|---|---|---|---|")
        for i in range(max(len(demo["default"]), len(demo["min_count"]))):
            cells = [str(i + 1)]
            for run in (demo["default"], demo["min_count"]):
                if i < len(run):
                    r = run[i]
                    cells += [
                        _md(r["artist"]),
                        f"{r['score']:.3f}",
                        str(r["listeners"]),
                        str(r["shared_listeners"]),
                    ]
                else:
                    cells += [""] * 4
            add("| " + " | ".join(cells) + " |")
        add("")
        unshared = sum(r["shared_listeners"] == 0 for r in demo["default"])
        add(
            f"The lowered filter lets in artists with {method['min_count']}-{method['default_min_listeners'] - 1} "
            f"listeners, whose vectors rest on a few lists. {unshared} of the {len(demo['default'])} default "
            f"results share no listener with the query at all: their similarity can only come from indirect "
            f"evidence (artists co-listened with both) or from noise. That is what an embedding adds over counting "
            f"co-listeners, and also why a score alone is no proof; `--explain` shows the counts.\n"
        )

    if map_info:
        add("## 5. What the model found: the embedding map\n")
        add(f"![embedding map]({MAP_FIGURE})\n")
        add(
            f"The {map_info['artists']} most listened artists that have vectors (all with at least "
            f"{map_info['min_listeners_on_map']} listeners), projected to 2-D with t-SNE (cosine distance, "
            f"perplexity {map_info['perplexity']:.0f}, seed 0) and coloured by k-means ({len(map_info['clusters'])} "
            f"clusters) on the full vectors. Only neighbourhoods are meaningful: distances between far-apart "
            f"groups and the axes are not. {map_info['labels_shown']} labels are drawn (most listened first, "
            f"skipping any that would overlap). The clusters carry no genre labels; their most listened members "
            f"say what they are:\n"
        )
        add("| cluster | artists | most listened members |\n|---|---|---|")
        for c in map_info["clusters"]:
            add(f"| {c['cluster']} | {c['size']} | {', '.join(_md(t) for t in c['top'])} |")
        add("")
        add(
            "The map is regenerated from whatever model `--model` points to; rerun the command after retraining.\n"
        )

    add("## 6. Insights and future directions\n")
    add(
        f"- The signal is a co-occurrence of favourites among {_n(size['users'])} people. It is enough for the "
        f"head: the {_n(bins['5+']['artists'])} artists with 5+ listeners carry {bins['5+']['plays_pct']:.1f}% "
        f"of all plays, and those are the answers the tool gives by default.\n"
        f"- **Timestamps** would unlock session-based evaluation (hide a user's next artist, ask the model to "
        f"predict it) and sequence-aware context windows; this data has none, so evaluation here must hold out "
        f"artists from a user's set instead.\n"
        f"- **Tags** (genre labels from users) would serve as side information for the tail (e.g. tag-aware "
        f"embeddings, or a tag prior for artists with 1-2 listeners) and as an independent check of the clusters "
        f"above; this version of the data has none.\n"
        f"- **Online A/B measurement** (click-through or listen-through on recommendations) is the only way to "
        f"know whether similar-by-co-listening feels similar to people; offline hit rates measure co-occurrence "
        f"prediction, not satisfaction.\n"
    )
    add("Limits no model can fix with this data:\n")
    add(
        f"- {faults['one_listener_pct']:.1f}% of artists have one listener: their vector could only encode one "
        f"person's taste. More data, not a better model, is the cure.\n"
        f"- The top-{apu['max']} cut: co-listening below a user's cut is unobservable, and "
        f"{co['support_1_pct']:.1f}% of the co-listened pairs rest on one user.\n"
        f'- Play counts only say "a lot", never "disliked": there is no negative feedback, so an artist a '
        f"user tried and hated looks like one they love, and skipped artists are just absent.\n"
        f'- Spelling variants and same-name artists are resolved by rules; which "Red" a user means cannot be '
        f"recovered from these files.\n"
    )
    return "\n".join(lines) + "\n"


# -- command --------------------------------------------------------------------------------


def _map_size(text):
    value = int(text)
    if not 10 <= value <= 2000:
        raise argparse.ArgumentTypeError(f"must be between 10 and 2000, got {value}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m item2vec.research.eda",
        description="Regenerate the data analysis: eda.json, eda_*.png, embedding_map.png and EDA.md.",
    )
    parser.add_argument("--data", required=True, metavar="DIR", help="folder with the data files")
    parser.add_argument(
        "--format",
        default="auto",
        choices=["auto", *sorted(data_module.READERS)],
        help="input format (default: detect)",
    )
    parser.add_argument("--out", default="docs", metavar="DIR", help="output folder (default: docs/)")
    parser.add_argument(
        "--model", metavar="DIR", help="model folder; adds the embedding map and example queries"
    )
    parser.add_argument(
        "--map-artists",
        type=_map_size,
        default=MAP_ARTISTS,
        metavar="N",
        help=f"artists on the embedding map (default: {MAP_ARTISTS})",
    )
    return parser


def main(argv=None):
    """Run the EDA; returns the exit code (0 done, 2 bad data, 3 bad model)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help or a usage error: a return code, not an exit, for callers of main()
        return exc.code
    import matplotlib

    from ..storage import load_model

    try:
        dataset = data_module.load_dataset(args.data, args.format)
        model = load_model(args.model) if args.model else None
    except Item2VecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    os.makedirs(args.out, exist_ok=True)
    stats, frames = compute(dataset, args.data, model)
    with matplotlib.rc_context(_STYLE):
        written = [
            plot_artists_per_user(frames["per_user"], args.out),
            plot_plays_per_pair(frames["plays"], args.out),
            plot_listeners_per_artist(frames["listeners"], stats["long_tail"], args.out),
            plot_listener_bins(stats["long_tail"]["bins"], args.out),
            plot_lorenz(frames, stats["long_tail"], args.out),
            plot_scripts(frames["script_counts"], args.out),
        ]
        map_info = None
        if model is not None:
            path, map_info = embedding_map(model, args.out, n=args.map_artists)
            written.append(path)
            stats["embedding_map"] = map_info
    command = "python -m item2vec.research.eda --data DIR --out docs/" + (
        " --model models/" if model is not None else ""
    )
    with open(os.path.join(args.out, "eda.json"), "w", encoding="utf-8") as handle:
        json.dump(stats, handle, indent=2, ensure_ascii=False, default=_json_default)
        handle.write("\n")
    with open(os.path.join(args.out, "EDA.md"), "w", encoding="utf-8") as handle:
        handle.write(render_markdown(stats, map_info, command))
    written += [os.path.join(args.out, "eda.json"), os.path.join(args.out, "EDA.md")]
    print(summary(stats))
    print("wrote " + ", ".join(written))
    return 0


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def summary(s):
    """A few headline numbers, one per line, for the terminal."""
    size, apu, tail, faults, method = (
        s["size"],
        s["artists_per_user"],
        s["long_tail"],
        s["faults"],
        s["method"],
    )
    bins = ", ".join(f"{b['listeners']}: {b['artists_pct']:.1f}%" for b in tail["bins"])
    return "\n".join(
        [
            f"users {size['users']:,}, artists {size['artists']:,}, rows {size['rows']:,}, plays {size['plays']:,}",
            f"artists per user: median {apu['median']:.0f}, {apu['users_at_max']:,} users at the maximum {apu['max']}",
            f"artists by listeners: {bins}; Gini of plays per artist {tail['gini_plays_per_artist']:.3f}",
            f"duplicate rows summed {faults['duplicate_rows_summed']}, one-listener artists "
            f"{faults['one_listener_artists']:,} ({faults['one_listener_pct']:.1f}%)",
            f"min_count {method['min_count']}: {method['vocab']:,} artists with vectors, "
            f"{method['vocab_plays_pct']:.1f}% of plays",
        ]
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    sys.exit(main())
