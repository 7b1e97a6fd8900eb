"""Exploratory data analysis: every number and figure of ``docs/EDA.md``.

Run it as a command; it reads the data through :func:`item2vec.ingest.formats.load_dataset`,
so the statistics describe exactly what training sees::

    python -m item2vec.research.eda --data ../shared/data --out docs/ --model models/

It writes ``eda.json`` (every number), the ``eda_*.png`` figures,
``embedding_map.png`` (only with ``--model``) and ``EDA.md``, whose text is
``templates/EDA.md.j2`` filled with those numbers, so a rerun after a data or model change
cannot leave a stale number behind. ``--render-only --out docs/`` rewrites ``EDA.md`` from
the saved ``eda.json`` without recomputing.

The figures are drawn by :mod:`.eda_figures`, the reusable statistics are in :mod:`.eda_stats`.
:func:`compute` calls one named step per section of the document, in the document's order.
"""

import argparse
import dataclasses
import logging
import os
import sys
import unicodedata

import numpy as np

from ..errors import ExitCode, Item2VecError, NotInModelError
from ..ingest import formats
from ..query.names import normalize
from ..training.corpus import repeats
from ..training.trainer import TrainConfig, vocabulary
from . import eda_figures, report
from .eda_figures import MAP_ARTISTS
from .eda_stats import (
    co_listen_pairs,
    gini,
    mixes_latin_cyrillic,
    raw_duplicates,
    script_of,
    stray_suffix,
    title_case_damage,
)

logger = logging.getLogger(__name__)

#: Artists the docs use as examples of the result filter (all four are post-metal bands
#: with few listeners); those absent from the data are skipped.
FILTER_EXAMPLES = ("Rosetta", "Cult Of Luna", "Pelican", "The Ocean")
#: The ``--min-listeners`` value section 4 demonstrates (keys ``default_min_listeners`` and
#: ``filter_demo.default``): ask.py's default before issue 10; it now returns every artist
#: with a vector by default, ranked by evidence (item2vec.query.recommender.DEFAULT_MIN_LISTENERS is 0).
DEMO_MIN_LISTENERS = 5
#: Listener bins of the long-tail table: (label, lowest, highest).
LISTENER_BINS = (("1", 1, 1), ("2", 2, 2), ("3-4", 3, 4), ("5+", 5, None))


def _pct(part, whole):
    return 100.0 * part / whole if whole else 0.0


def _quantiles(values, qs=(0.5, 0.9, 0.99, 0.999)):
    values = np.asarray(values, dtype=np.float64)
    return {f"p{str(q * 100).rstrip('0').rstrip('.')}": float(np.quantile(values, q)) for q in qs}


@dataclasses.dataclass
class _Facts:
    """The data and the per-user and per-artist totals every section of the EDA reads."""

    dataset: object
    names: object  # artist id -> name (a pandas Series)
    listeners: object  # artist id -> distinct listeners, every artist of the list (Series)
    artist_plays: object  # artist id -> total plays, every artist of the list (Series)
    per_user: object  # user -> artists listed (Series)
    user_plays: object  # user -> total plays (Series)

    @classmethod
    def of(cls, dataset):
        plays, artists = dataset.plays, dataset.artists
        return cls(
            dataset=dataset,
            names=artists.set_index("artist_id")["name"],
            listeners=dataset.listeners(),
            artist_plays=plays.groupby("artist_id")["plays"]
            .sum()
            .reindex(artists["artist_id"], fill_value=0),
            per_user=plays.groupby("user").size(),
            user_plays=plays.groupby("user")["plays"].sum(),
        )

    @property
    def plays(self):
        return self.dataset.plays

    @property
    def artists(self):
        return self.dataset.artists

    @property
    def n_rows(self):
        return len(self.dataset.plays)

    @property
    def n_artists(self):
        return len(self.dataset.artists)

    @property
    def total_plays(self):
        return int(self.dataset.plays["plays"].sum())

    @property
    def cap(self):
        """The most artists one user lists (the export's per-user cap)."""
        return int(self.per_user.max())


def compute(dataset, path, model=None, config=None):
    """Every number of the EDA, as a JSON-ready dict (plus a few frames for the figures).

    One named step per section of the document, in the document's order.

    Parameters
    ----------
    dataset : Dataset
        From :func:`item2vec.ingest.formats.load_dataset`.
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
    f = _Facts.of(dataset)
    s = {"format": dataset.format, "sha256": dataset.checksums, "repairs": dataset.repairs}
    s["size"] = size_and_shape(f)
    s["artists_per_user"] = artists_per_user(f)
    s["co_listen"] = co_listen(f)
    s["plays_per_pair"] = plays_per_pair(f)
    s["long_tail"] = long_tail(f)
    s["faults"] = {
        **duplicate_faults(f, path),
        **name_faults(f),
        **script_faults(f),
        **casing_faults(f),
        **one_listener_faults(f),
    }
    s["method"] = method_facts(f, model, config or TrainConfig())
    # What the files do not contain.
    s["columns"] = {"plays": ["user", "artist_id", "plays"], "artists": ["artist_id", "name"]}
    frames = {
        "per_user": f.per_user,
        "plays": f.plays["plays"].to_numpy(),
        "listeners": f.listeners,
        "artist_plays": f.artist_plays,
        "user_plays": f.user_plays,
        "script_counts": f.artists["name"].map(script_of).value_counts(),
    }
    return s, frames


def size_and_shape(f):
    """Rows, users, artists, plays and density."""
    return {
        "rows": f.n_rows,
        "users": f.dataset.n_users,
        "artists": f.n_artists,
        "artists_heard": int((f.listeners > 0).sum()),
        "artists_unheard": int((f.listeners == 0).sum()),
        "plays": f.total_plays,
        "density_pct": _pct(f.n_rows, f.dataset.n_users * f.n_artists),
    }


def artists_per_user(f):
    """List lengths, and what the per-user cap hides: the plays of the last artist a capped user kept."""
    per_user, cap = f.per_user, f.cap
    at_cap = per_user == cap
    ranked = f.plays.sort_values(["user", "plays"], ascending=[True, False], kind="stable")
    last_kept = ranked.groupby("user")["plays"].last()[at_cap[at_cap].index]
    pair_occ = per_user * (per_user - 1) // 2
    return {
        "min": int(per_user.min()),
        "median": float(per_user.median()),
        "mean": float(per_user.mean()),
        "max": cap,
        "users_at_max": int(at_cap.sum()),
        "users_at_max_pct": _pct(at_cap.sum(), f.dataset.n_users),
        "users_below_10": int((per_user < 10).sum()),
        "last_kept_plays_median": float(last_kept.median()) if len(last_kept) else 0.0,
        "last_kept_plays_p10": float(last_kept.quantile(0.1)) if len(last_kept) else 0.0,
        "last_kept_plays_p90": float(last_kept.quantile(0.9)) if len(last_kept) else 0.0,
        "pairs_per_user_at_max": cap * (cap - 1) // 2,
        "pair_occurrences": int(pair_occ.sum()),
        "pair_occurrences_from_capped_pct": _pct(pair_occ[at_cap].sum(), pair_occ.sum()),
    }


def co_listen(f):
    """How many users support each co-listened pair of artists."""
    support = co_listen_pairs(f.plays)
    return {
        "distinct_pairs": int(len(support)),
        "support_1_pct": _pct((support == 1).sum(), len(support)),
        "support_5plus_pct": _pct((support >= 5).sum(), len(support)),
        "max_support": int(support.max()) if len(support) else 0,
    }


def plays_per_pair(f):
    """Plays per (user, artist) row: spread, the largest rows, per-user totals."""
    p = f.plays["plays"].to_numpy()
    top_share = np.sort(p)[::-1][: max(1, f.n_rows // 100)].sum()
    return {
        "min": int(p.min()),
        "mean": float(p.mean()),
        "max": int(p.max()),
        **_quantiles(p),
        "rows_with_1_play": int((p == 1).sum()),
        "top_1pct_rows_share_of_plays_pct": _pct(top_share, f.total_plays),
        "largest": [
            {
                "user": int(r.user),
                "artist": f.names[r.artist_id],
                "artist_id": int(r.artist_id),
                "plays": int(r.plays),
                "share_of_user_plays_pct": _pct(r.plays, f.user_plays[r.user]),
            }
            for r in f.plays.nlargest(5, "plays").itertuples()
        ],
        "user_total_min": int(f.user_plays.min()),
        "user_total_median": float(f.user_plays.median()),
        "user_total_max": int(f.user_plays.max()),
    }


def _listener_bins(f, heard):
    """Rows of the long-tail table: artists, rows and plays per listener bin."""
    rows_by_artist = f.plays.groupby("artist_id").size()
    bins = []
    for label, lo, hi in LISTENER_BINS:
        mask = (heard >= lo) & (heard <= hi if hi is not None else True)
        ids = heard.index[mask]
        bins.append(
            {
                "listeners": label,
                "artists": int(mask.sum()),
                "artists_pct": _pct(mask.sum(), len(heard)),
                "rows_pct": _pct(rows_by_artist[ids].sum(), f.n_rows),
                "plays_pct": _pct(f.artist_plays[ids].sum(), f.total_plays),
            }
        )
    return bins


def long_tail(f):
    """Listeners per artist: the power-law slope, the bins, concentration (Gini, top shares)."""
    heard = f.listeners[f.listeners > 0]
    sorted_plays = f.artist_plays.to_numpy()[np.argsort(-f.artist_plays.to_numpy(), kind="stable")]
    k, count = np.unique(heard.to_numpy(), return_counts=True)
    fit = k <= 100
    slope, intercept = np.polyfit(np.log10(k[fit]), np.log10(count[fit]), 1)
    return {
        "loglog_slope_k_le_100": float(slope),
        "loglog_intercept": float(intercept),
        "listeners_median": float(heard.median()),
        "listeners_max": int(heard.max()),
        "most_listened": f.names[f.listeners.idxmax()],
        "bins": _listener_bins(f, heard),
        "gini_plays_per_artist": gini(f.artist_plays),
        "gini_listeners_per_artist": gini(f.listeners),
        "gini_plays_per_user": gini(f.user_plays),
        "top_1pct_artists_plays_pct": _pct(sorted_plays[: max(1, f.n_artists // 100)].sum(), f.total_plays),
        "top_10pct_artists_plays_pct": _pct(sorted_plays[: max(1, f.n_artists // 10)].sum(), f.total_plays),
    }


def duplicate_faults(f, path):
    """Rows the source listed twice for one (user, artist), which the loader summed."""
    dup, raw_rows = raw_duplicates(path, f.dataset.format)
    faults = {
        "raw_rows": raw_rows,
        "duplicate_rows_summed": int(f.dataset.repairs.get("play_rows_duplicate_summed", 0)),
    }
    if dup is None:
        return faults
    groups = dup.groupby(["user", "artist_id"]).size()
    copies = groups.value_counts().sort_index()
    by_artist = dup.drop_duplicates(["user", "artist_id"])["artist_id"].value_counts()
    faults.update(
        {
            "duplicate_pairs": int(len(groups)),
            "duplicate_pair_rows": int(len(dup)),
            "duplicate_pairs_by_copies": {str(k): int(v) for k, v in copies.items()},
            "duplicate_users": int(dup["user"].nunique()),
            "duplicate_artists": int(dup["artist_id"].nunique()),
            "duplicate_examples": [
                {"artist": f.names.get(a, str(a)), "artist_id": int(a), "users": int(c)}
                for a, c in by_artist.head(8).items()
            ],
        }
    )
    # A user whose raw list was full but held one artist twice is one short after the merge.
    raw_sizes = f.per_user.add(
        dup.groupby("user").size() - dup.groupby("user")["artist_id"].nunique(), fill_value=0
    )
    faults["users_shortened_by_merge"] = int(((raw_sizes >= f.cap) & (f.per_user < f.cap)).sum())
    return faults


def name_faults(f):
    """Different artists with one name, and names equal once normalised as ask.py matches them."""
    artists, listeners = f.artists, f.listeners
    same = artists.groupby("name")["artist_id"].apply(list)
    norm = artists.groupby(artists["name"].map(normalize))["artist_id"].apply(list)
    norm = norm[norm.map(len) > 1]
    examples = (
        {
            "names": [f.names[i] for i in ids],
            "ids": [int(i) for i in ids],
            "listeners": [int(listeners[i]) for i in ids],
        }
        for ids in norm
    )
    return {
        "same_name": [
            {"name": n, "ids": [int(i) for i in ids], "listeners": [int(listeners[i]) for i in ids]}
            for n, ids in same[same.map(len) > 1].items()
        ],
        "normalized_name_groups": int(len(norm)),
        "normalized_name_examples": sorted(examples, key=lambda g: -max(g["listeners"]))[:8],
    }


def _by_listeners(f, names):
    """Rows of ``names`` (a slice of the artist table) with their listeners, most listened first."""
    return names.assign(listeners=f.listeners[names["artist_id"]].to_numpy()).sort_values(
        ["listeners", "artist_id"], ascending=[False, True]
    )


def script_faults(f):
    """Writing systems of the names, stray suffixes, words mixing Latin and Cyrillic letters."""
    artists, listeners = f.artists, f.listeners
    scripts = artists["name"].map(script_of)
    stray = artists[artists["name"].map(stray_suffix)]
    mixed = _by_listeners(f, artists[artists["name"].map(mixes_latin_cyrillic)])
    return {
        "scripts": [
            {
                "script": k,
                "artists": int(v),
                "artists_pct": _pct(v, f.n_artists),
                "artists_5plus": int((listeners[artists["artist_id"][scripts == k]] >= 5).sum()),
                "examples": artists["name"][scripts == k].head(3).tolist(),
            }
            for k, v in scripts.value_counts().items()
        ],
        "stray_suffix": [
            {"name": n, "artist_id": int(i), "listeners": int(listeners[i])}
            for i, n in zip(stray["artist_id"], stray["name"], strict=True)
        ],
        "latin_cyrillic_word_names": int(len(mixed)),
        "latin_cyrillic_word_examples": [
            {"name": n, "listeners": int(c)}
            for n, c in zip(mixed["name"].head(10), mixed["listeners"].head(10), strict=True)
        ],
    }


def casing_faults(f):
    """The source title-cased its names, so stylised capitals are lost (P!nk -> P!Nk); NFC."""
    names = f.artists["name"]
    titled = names.map(lambda t: t == t.title())
    styled = _by_listeners(f, f.artists[titled & names.map(title_case_damage)])
    return {
        "title_case": {
            "names": int(titled.sum()),
            "pct": _pct(int(titled.sum()), f.n_artists),
            "styled_names": int(len(styled)),
            "styled_examples": [
                {"name": n, "listeners": int(c)}
                for n, c in zip(styled["name"].head(8), styled["listeners"].head(8), strict=True)
            ],
        },
        "names_not_nfc": int((names != names.map(lambda t: unicodedata.normalize("NFC", t))).sum()),
    }


def one_listener_faults(f):
    """Artists only one user lists: too few to learn a vector from."""
    one = f.listeners[f.listeners == 1]
    return {
        "one_listener_artists": int(len(one)),
        "one_listener_pct": _pct(len(one), f.n_artists),
        "one_listener_plays_pct": _pct(f.artist_plays[one.index].sum(), f.total_plays),
    }


def method_facts(f, model, config):
    """How the facts shaped the method: vocabulary, sentences, weighting, the shipped model."""
    hyper = (
        dict(model.metadata.get("hyperparameters", {})) if model is not None else dataclasses.asdict(config)
    )
    min_count = int(hyper.get("min_count", config.min_count))
    method = {
        "hyperparameters": hyper,
        "hyperparameters_from": "model" if model is not None else "TrainConfig defaults",
        **_vocabulary_facts(f, min_count),
    }
    one = f.listeners[f.listeners == 1]
    if len(one):
        method["one_listener_example"] = _one_listener_example(f, one, model, min_count)
    max_repeat = int(hyper.get("max_repeat", config.max_repeat))
    for weighting in ("log", "rank"):
        reps = repeats(f.plays["plays"].to_numpy(), f.plays["user"].to_numpy(), weighting, max_repeat)
        method[f"{weighting}_repeats_pct"] = {
            str(k): _pct((reps == k).sum(), f.n_rows) for k in range(1, max_repeat + 1)
        }
    if model is not None:
        method["model_vectors"] = len(model.vectors)
        method["model_created"] = model.metadata.get("created")
        method["model_data_sha256"] = model.metadata.get("data", {}).get("sha256")
        method["model_matches_data"] = method["model_data_sha256"] == f.dataset.checksums
        method["filter_demo"] = _filter_demo(model, min_count, DEMO_MIN_LISTENERS)
    return method


def _vocabulary_facts(f, min_count):
    """What ``min_count`` keeps: artists, rows, plays, sentences, pairs; the example artists."""
    plays, listeners = f.plays, f.listeners
    vocab = vocabulary(f.dataset, min_count)
    in_vocab = plays["artist_id"].isin(vocab)
    vocab_sizes = plays[in_vocab].groupby("user").size()
    vocab_support = co_listen_pairs(plays, vocab)
    return {
        "min_count": min_count,
        "vocab": int(len(vocab)),
        "vocab_pct": _pct(len(vocab), f.n_artists),
        "vocab_rows_pct": _pct(in_vocab.sum(), f.n_rows),
        "vocab_plays_pct": _pct(plays.loc[in_vocab, "plays"].sum(), f.total_plays),
        "sentences": int((vocab_sizes >= 2).sum()),
        "vocab_pairs": int(len(vocab_support)),
        "vocab_pairs_support_1_pct": _pct((vocab_support == 1).sum(), len(vocab_support)),
        "default_min_listeners": DEMO_MIN_LISTENERS,
        "results_allowed": int((listeners[vocab] >= DEMO_MIN_LISTENERS).sum()),
        "examples": [
            {
                "artist": n,
                "artist_id": int(i),
                "listeners": int(listeners[i]),
                "has_vector": bool(listeners[i] >= min_count),
                "returned_by_default": bool(listeners[i] >= max(min_count, DEMO_MIN_LISTENERS)),
            }
            for n in FILTER_EXAMPLES
            for i in f.artists["artist_id"][f.artists["name"] == n]
        ],
    }


def _one_listener_example(f, one, model, min_count):
    """The most played one-listener artist, and what ask.py says about it."""
    example = f.artist_plays[one.index].idxmax()
    message = str(NotInModelError(f.names[example], 1, min_count))
    if model is not None:  # what ask.py really answers, from the model's own catalogue
        from ..query.recommender import Recommender

        try:
            answer = Recommender(model).answer(f"id:{int(example)}")
            message = f"(answered, evidence: {answer['evidence']})"
        except Item2VecError as exc:
            message = str(exc)
    return {
        "artist": f.names[example],
        "artist_id": int(example),
        "plays": int(f.artist_plays[example]),
        "message": message,
    }


def _filter_demo(model, min_count, default_min):
    """Neighbours of one example artist with the default result filter and with none."""
    from ..query.recommender import DEFAULT_TOP, Recommender

    recommender = Recommender(model)
    for name in FILTER_EXAMPLES[1:] + FILTER_EXAMPLES[:1]:
        try:
            recommender.resolve(name)
        except Item2VecError:
            continue
        runs = {}
        for label, floor in (("default", default_min), ("min_count", min_count)):
            answer = recommender.answer(name, topn=DEFAULT_TOP, min_listeners=floor, explain=True)
            runs[label] = [
                {k: r[k] for k in ("artist", "score", "listeners", "shared_listeners")}
                for r in answer["results"]
            ]
        return {"query": name, "listeners": model.catalog.listeners_of(recommender.resolve(name)), **runs}
    return None


# -- report ---------------------------------------------------------------------------------


def _command(model_given):
    return "python -m item2vec.research.eda --data DIR --out docs/" + (
        " --model models/" if model_given else ""
    )


def render(s):
    """The text of ``EDA.md``: ``templates/EDA.md.j2`` filled from the numbers of :func:`compute`.

    Parameters
    ----------
    s : dict
        As written to ``eda.json`` by :func:`main` (with ``command`` and, when a model was
        given, ``embedding_map``).

    Returns
    -------
    str
    """
    map_info = s.get("embedding_map")
    # eda.json files written before the report templates lack "command" and the map's "seed";
    # both are rebuilt as that run had them (the map's seed was always 0). A file that has them wins.
    command = s.get("command", _command(map_info is not None))
    demo = s["method"].get("filter_demo")
    return report.render(
        "EDA.md.j2",
        s=s,
        command=command,
        map_info=map_info,
        map_seed=map_info.get("seed", 0) if map_info else None,
        figures=eda_figures.FIGURES,
        map_figure=eda_figures.MAP_FIGURE,
        hyperparameters=sorted(s["method"]["hyperparameters"].items()),
        demo_unshared=sum(r["shared_listeners"] == 0 for r in demo["default"]) if demo else None,
    )


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
    parser.add_argument("--data", metavar="DIR", help="folder with the data files (required to compute)")
    parser.add_argument(
        "--format",
        default="auto",
        choices=["auto", *sorted(formats.READERS)],
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
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite EDA.md from the eda.json in --out, computing nothing",
    )
    return parser


def main(argv=None):
    """Run the EDA; returns the exit code (0 done, 2 bad data, 3 bad model)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.data is None and not args.render_only:
            parser.error("the following arguments are required: --data")
    except SystemExit as exc:  # --help or a usage error: a return code, not an exit, for callers of main()
        return ExitCode.USAGE if exc.code else ExitCode.OK
    if args.render_only:
        return report.render_only(args.out, "eda.json", "EDA.md", render)
    import matplotlib

    from ..model.storage import load_model

    try:
        dataset = formats.load_dataset(args.data, args.format)
        model = load_model(args.model) if args.model else None
    except Item2VecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        stats, frames = compute(dataset, args.data, model)
    except KeyboardInterrupt:
        print(f"\ninterrupted: nothing was written to {args.out}", file=sys.stderr)
        return ExitCode.INTERRUPTED
    os.makedirs(args.out, exist_ok=True)
    with matplotlib.rc_context(eda_figures.STYLE):
        written = [
            eda_figures.plot_artists_per_user(frames["per_user"], args.out),
            eda_figures.plot_plays_per_pair(frames["plays"], args.out),
            eda_figures.plot_listeners_per_artist(frames["listeners"], stats["long_tail"], args.out),
            eda_figures.plot_listener_bins(stats["long_tail"]["bins"], args.out),
            eda_figures.plot_lorenz(frames, stats["long_tail"], args.out),
            eda_figures.plot_scripts(frames["script_counts"], args.out),
        ]
        if model is not None:
            path, stats["embedding_map"] = eda_figures.embedding_map(model, args.out, n=args.map_artists)
            written.append(path)
    stats["command"] = _command(model is not None)
    report.write_json(os.path.join(args.out, "eda.json"), stats, indent=2)
    with open(os.path.join(args.out, "EDA.md"), "w", encoding="utf-8") as handle:
        handle.write(render(stats))
    written += [os.path.join(args.out, "eda.json"), os.path.join(args.out, "EDA.md")]
    print(summary(stats))
    print("wrote " + ", ".join(written))
    return ExitCode.OK


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
            f"users {size['users']:,}, artists {size['artists']:,}, rows {size['rows']:,}, "
            f"plays {size['plays']:,}",
            f"artists per user: median {apu['median']:.0f}, {apu['users_at_max']:,} users at the maximum "
            f"{apu['max']}",
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
