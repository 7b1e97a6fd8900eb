"""Synthetic listening data with a known answer: planted genres and a long tail.

Used by the tests and the scaling benchmarks. Artists belong to genres; each
user has one or two favourite genres and draws most artists from them, with
power-law popularity inside a genre, so a working model must place artists of
one genre near each other.
"""

import numpy as np
import pandas as pd

from ..errors import ExitCode
from ..model.vectors import unit_rows


def make_plays(
    n_users=400,
    n_genres=4,
    artists_per_genre=30,
    max_artists_per_user=50,
    min_artists_per_user=5,
    in_genre=0.9,
    zipf=1.1,
    seed=0,
):
    """Generate a plays table and an artist table with planted genres.

    Parameters
    ----------
    n_users, n_genres, artists_per_genre : int
        Size of the data set.
    max_artists_per_user, min_artists_per_user : int
        Bounds of each user's list (the real data keeps at most 50).
    in_genre : float
        Share of a user's artists drawn from their own genres.
    zipf : float
        Exponent of the power-law popularity of artists within a genre.
    seed : int

    Returns
    -------
    plays : pandas.DataFrame
        Columns ``user``, ``artist_id``, ``plays`` (int64).
    artists : pandas.DataFrame
        Columns ``artist_id`` (1..n), ``name`` ("g<genre>-a<k>"), ``genre``.
    """
    rng = np.random.default_rng(seed)
    n_artists = n_genres * artists_per_genre
    genre_of = np.repeat(np.arange(n_genres), artists_per_genre)
    ranks = np.tile(np.arange(1, artists_per_genre + 1), n_genres)
    weight = ranks.astype(float) ** -zipf
    users, artist_ids, counts = [], [], []
    for user in range(1, n_users + 1):
        favourites = rng.choice(n_genres, size=1 + (rng.random() < 0.2), replace=False)
        size = int(rng.integers(min_artists_per_user, max_artists_per_user + 1))
        size = min(size, n_artists)
        p = np.where(np.isin(genre_of, favourites), weight, 0.0)
        p = in_genre * p / p.sum() + (1 - in_genre) * weight / weight.sum()
        chosen = rng.choice(n_artists, size=size, replace=False, p=p)
        users.append(np.full(size, user))
        artist_ids.append(chosen + 1)
        counts.append(np.ceil(rng.pareto(1.2, size=size) * 50 + 1))
    plays = pd.DataFrame(
        {
            "user": np.concatenate(users).astype(np.int64),
            "artist_id": np.concatenate(artist_ids).astype(np.int64),
            "plays": np.concatenate(counts).astype(np.int64),
        }
    )
    artists = pd.DataFrame(
        {
            "artist_id": np.arange(1, n_artists + 1, dtype=np.int64),
            "name": [f"g{g}-a{k}" for g, k in zip(genre_of, ranks, strict=True)],
            "genre": genre_of,
        }
    )
    return plays, artists


def write_kaggle(folder, plays, artists):
    """Write tables from :func:`make_plays` as the Kaggle CSV pair into ``folder``."""
    import os

    os.makedirs(folder, exist_ok=True)
    artists.rename(columns={"name": "artist_name"})[["artist_id", "artist_name"]].to_csv(
        os.path.join(folder, "lastfm_artist_list.csv"), index=False
    )
    plays.rename(columns={"user": "user_id", "plays": "scrobbles"})[
        ["user_id", "artist_id", "scrobbles"]
    ].to_csv(os.path.join(folder, "lastfm_user_scrobbles.csv"), index=False)


# -- Last.fm-360K format at scale -----------------------------------------------------------

#: Canonical display name of synthetic artist ``k`` (1-based rank) of ``genre``.
NAME_FORMAT = "G{genre}-A{rank}"


def genre_of_name(name):
    """Planted genre of a synthetic artist name ("G3-A17", any case), or -1 for other names."""
    head = str(name).split("-", 1)[0]
    if len(head) > 1 and head[0] in "gG" and head[1:].isdigit():
        return int(head[1:])
    return -1


def genre_accuracy(artist_ids, vectors, names, listeners=None, topn=10, min_listeners=5):
    """Share of the ``topn`` cosine neighbours of each artist that are in its planted genre.

    The one check of "did the model learn the planted genres" for the tests and the
    scaling benchmarks.

    Parameters
    ----------
    artist_ids : ndarray of int, shape (n,)
    vectors : ndarray of float, shape (n, d)
        The vectors of ``artist_ids`` (raw or unit rows, one model or a bag).
    names : dict or callable
        Artist id to synthetic name ("G3-A17" or "g3-a17"): a mapping, or a function such
        as ``Catalog.name``.
    listeners : dict, optional
        Artist id to listeners: only artists with at least ``min_listeners`` are scored.
        Default: every artist.
    topn, min_listeners : int

    Returns
    -------
    (float, int)
        The share (NaN when fewer than two artists qualify) and the number of artists scored.
    """
    name_of = names if callable(names) else names.__getitem__
    artist_ids = np.asarray(artist_ids)
    keep = np.ones(len(artist_ids), bool)
    if listeners is not None:
        keep = np.array([listeners.get(int(i), 0) >= min_listeners for i in artist_ids], bool)
    unit = unit_rows(np.asarray(vectors)[keep])
    genres = np.array([genre_of_name(name_of(int(i))) for i in artist_ids[keep]])
    topn = min(topn, len(unit) - 1)  # a tiny run has fewer well-heard artists than topn
    if topn < 1:
        return float("nan"), int(keep.sum())
    hits = total = 0
    for start in range(0, len(unit), 1000):  # blocks keep the score matrix small
        scores = unit[start : start + 1000] @ unit.T
        rows = np.arange(scores.shape[0])
        scores[rows, start + rows] = -np.inf
        top = np.argpartition(-scores, topn, axis=1)[:, :topn]
        hits += int((genres[top] == genres[start : start + len(rows), None]).sum())
        total += top.size
    return hits / max(total, 1), int(keep.sum())


def sample_lists(
    n_users,
    n_genres=20,
    artists_per_genre=500,
    max_artists_per_user=50,
    min_artists_per_user=5,
    full_lists=0.85,
    in_genre=0.9,
    zipf=1.1,
    rng=None,
):
    """Draw every user's artists at once, vectorised (no per-user Python loop).

    Each user has one favourite genre (two for 20% of users) and a list size:
    ``max_artists_per_user`` for a share ``full_lists`` of users (Last.fm
    exports each user's top 50, so most lists are full), uniform between the
    bounds otherwise. Artists are drawn with power-law popularity (rank
    ``k`` within its genre has weight ``k ** -zipf``), a share ``in_genre``
    from the user's favourites, the rest from all genres, without repeats:
    draws with replacement are deduplicated keeping the first occurrence,
    which is exactly successive sampling without replacement, and users left
    short draw again.

    Returns
    -------
    users : ndarray of int64
        User index (0..n_users-1) of each row, sorted.
    artists : ndarray of int64
        Artist index ``genre * artists_per_genre + rank - 1`` of each row.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    n_artists = n_genres * artists_per_genre
    max_size = min(max_artists_per_user, n_artists)
    sizes = np.where(
        rng.random(n_users) < full_lists,
        max_size,
        rng.integers(min(min_artists_per_user, max_size), max_size + 1, size=n_users),
    )
    favourite = _favourite_genres(rng, n_users, n_genres)
    in_cdf = _rank_cdf(artists_per_genre, zipf)
    all_cdf = np.cumsum(np.tile(np.arange(1, artists_per_genre + 1, dtype=float) ** -zipf, n_genres))
    all_cdf /= all_cdf[-1]

    def draw(users):
        genre = favourite[users, rng.integers(0, 2, size=len(users))]
        own = genre * artists_per_genre + np.minimum(
            np.searchsorted(in_cdf, rng.random(len(users))), artists_per_genre - 1
        )
        anywhere = np.minimum(np.searchsorted(all_cdf, rng.random(len(users))), n_artists - 1)
        return np.where(rng.random(len(users)) < in_genre, own, anywhere)

    users, artists = _distinct_lists(sizes, n_artists, draw, rounds=20, spare=(3, 10))
    return users.astype(np.int64), artists.astype(np.int64)


def _favourite_genres(rng, n_users, n_genres):
    """Each user's two favourite genres, the same one twice for 80% of users."""
    favourite = rng.integers(0, n_genres, size=(n_users, 2))
    two = rng.random(n_users) < 0.2
    favourite[~two, 1] = favourite[~two, 0]
    return favourite


def _rank_cdf(artists_per_genre, zipf):
    """Cumulative power-law popularity of the ranks 1..artists_per_genre within a genre."""
    cdf = np.cumsum(np.arange(1, artists_per_genre + 1, dtype=float) ** -zipf)
    return cdf / cdf[-1]


def _distinct_lists(sizes, n_artists, draw, rounds, spare):
    """Each user's first ``sizes[u]`` distinct artists, in draw order, from rounds of ``draw``.

    Draws with replacement deduplicated keeping the first occurrence are exactly successive
    sampling without replacement; a round gives every user still short of its size
    ``spare[0] * missing + spare[1]`` more draws, for at most ``rounds`` rounds (a catalogue
    smaller than a list leaves it short).

    Parameters
    ----------
    sizes : ndarray of int, shape (n_users,)
    n_artists : int
    draw : callable
        ``draw(users)``: one artist index per element of ``users`` (user indexes, each
        repeated once per draw).
    rounds : int
    spare : (int, int)

    Returns
    -------
    users, artists : ndarray
        Sorted by user; within a user, in draw order.
    """
    n_users = len(sizes)
    kept_users, kept_artists = np.empty(0, np.int64), np.empty(0, np.int64)
    missing = sizes.copy()
    for _ in range(rounds):
        short = np.flatnonzero(missing > 0)
        if len(short) == 0:
            break
        users = np.repeat(short, spare[0] * missing[short] + spare[1])
        artists = draw(users)
        # Earlier rounds first, then this round in draw order; keep first occurrences.
        users = np.concatenate([kept_users, users])
        artists = np.concatenate([kept_artists, artists])
        _, first = np.unique(users * n_artists + artists, return_index=True)
        first.sort()
        users, artists = users[first], artists[first]
        order = np.argsort(users, kind="stable")
        users, artists = users[order], artists[order]
        keep = np.arange(len(users)) - np.searchsorted(users, users, side="left") < sizes[users]
        kept_users, kept_artists = users[keep], artists[keep]
        missing = sizes - np.bincount(kept_users, minlength=n_users)
    return kept_users, kept_artists


def write_lastfm360k(
    path,
    n_users,
    n_genres=20,
    artists_per_genre=500,
    no_mbid=0.15,
    variant=0.05,
    chunk_users=20_000,
    seed=0,
    **lists,
):
    """Write synthetic listening data in the Last.fm-360K format.

    The file is tab-separated without a header: user SHA-1, MusicBrainz id,
    artist name, plays, like ``usersha1-artmbid-artname-plays.tsv``. Artist
    ``k`` of genre ``g`` is named "G<g>-A<k>" (:func:`genre_of_name` reads the
    planted genre back). A share ``no_mbid`` of the artists has no MusicBrainz
    id, so the reader must key them by name; a share ``variant`` of the rows
    of the others spells the name in lower case, so the reader must pick the
    most frequent spelling. Users are written ``chunk_users`` at a time.

    Parameters
    ----------
    path : str
        File to write (replaced).
    n_users : int
    n_genres, artists_per_genre : int
        Catalogue size.
    no_mbid, variant : float
        Shares described above.
    chunk_users : int
        Users generated and written per step; bounds memory.
    seed : int
    **lists
        Passed to :func:`sample_lists` (``max_artists_per_user``, ``zipf``, ...).

    Returns
    -------
    int
        Number of rows written.
    """
    import csv
    import hashlib
    import uuid

    rng = np.random.default_rng(seed)
    n_artists = n_genres * artists_per_genre
    genre = np.repeat(np.arange(n_genres), artists_per_genre)
    rank = np.tile(np.arange(1, artists_per_genre + 1), n_genres)
    names = np.array(
        [NAME_FORMAT.format(genre=g, rank=k) for g, k in zip(genre, rank, strict=True)], dtype=object
    )
    lower = np.array([n.lower() for n in names], dtype=object)
    mbids = np.array([str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n_artists)], dtype=object)
    mbids[rng.random(n_artists) < no_mbid] = ""
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for first in range(0, n_users, chunk_users):
            count = min(chunk_users, n_users - first)
            users, artists = sample_lists(count, n_genres, artists_per_genre, rng=rng, **lists)
            shas = np.array(
                [hashlib.sha1(f"user-{seed}-{first + u}".encode()).hexdigest() for u in range(count)],
                dtype=object,
            )
            spelled = np.where(
                (rng.random(len(artists)) < variant) & (mbids[artists] != ""), lower[artists], names[artists]
            )
            plays = np.ceil(rng.pareto(1.2, size=len(artists)) * 50 + 1).astype(np.int64)
            pd.DataFrame(
                {"user": shas[users], "mbid": mbids[artists], "name": spelled, "plays": plays}
            ).to_csv(handle, sep="\t", header=False, index=False, quoting=csv.QUOTE_NONE, lineterminator="\n")
            rows += len(artists)
    return rows


# -- listening events in the LFM-1b layout --------------------------------------------------

#: First and last timestamp of the synthetic events (2005-02-14 and 2014-09-01 UTC, LFM-1b's span).
EVENTS_T0, EVENTS_T1 = 1108339200, 1409443200


def write_lfm1b(
    folder,
    n_events,
    n_users=None,
    n_genres=20,
    artists_per_genre=5000,
    in_genre=0.9,
    zipf=1.1,
    chunk_events=2_000_000,
    seed=0,
    progress=False,
):
    """Write synthetic listening events in the LFM-1b layout into ``folder``.

    Two tab-separated files without a header: ``LFM-1b_LEs.txt`` (user-id,
    artist-id, album-id, track-id, timestamp) and ``LFM-1b_artists.txt``
    (artist-id, name "G<genre>-A<rank>", read back by :func:`genre_of_name`).

    * User activity is lognormal (sigma 1.3: a few heavy users, many light
      ones), scaled so that the file has about ``n_events`` lines.
    * Each user has a personal artist list of lognormal size (median 60,
      5..2,000, at most their events) drawn by :func:`sample_lists`' rule: one
      favourite genre (two for 20% of users), a share ``in_genre`` from them,
      power-law popularity rank^-``zipf`` inside a genre.
    * Each event picks a personal rank r with P(r) ~ log((r+2)/(r+1)), about
      1/r, so a few favourites dominate and plays per (user, artist) are
      long-tailed too.
    * album = artist * 8 + (0..7), track = album * 16 + (0..15).
    * Timestamps fall in a per-user active period inside 2005-02-14 ..
      2014-09-01; each user's events are written in time order, users in id
      order (like the real file).

    Users are generated and written in chunks of about ``chunk_events`` events,
    chunk ``i`` seeded with ``SeedSequence(seed, spawn_key=(i,))``, so memory is
    bounded by the chunk, not the file.

    Parameters
    ----------
    folder : str
        Created if missing; both files are replaced.
    n_events : int
    n_users : int, optional
        Default ``n_events // 1000`` (at least 1).
    n_genres, artists_per_genre : int
        Catalogue size (artist ids 1..n_genres * artists_per_genre).
    in_genre, zipf : float
    chunk_events : int
    seed : int
    progress : bool
        Print a line per chunk.

    Returns
    -------
    int
        Number of event lines written.
    """
    import os
    import time

    os.makedirs(folder, exist_ok=True)
    n_users = n_users or max(1, n_events // 1000)
    rng0 = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**32,)))
    activity = rng0.lognormal(0.0, 1.3, size=n_users)
    events_per_user = np.maximum(1, np.round(activity / activity.sum() * n_events)).astype(np.int64)
    genre = np.repeat(np.arange(n_genres), artists_per_genre)
    rank = np.tile(np.arange(1, artists_per_genre + 1), n_genres)
    with open(os.path.join(folder, "LFM-1b_artists.txt"), "w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(
            f"{i + 1}\t{NAME_FORMAT.format(genre=g, rank=k)}\n"
            for i, (g, k) in enumerate(zip(genre, rank, strict=True))
        )
    # Chunks of consecutive users holding about chunk_events events each.
    cuts = np.arange(chunk_events, events_per_user.sum(), chunk_events)
    bounds = np.searchsorted(np.cumsum(events_per_user), cuts, side="right")
    bounds = np.unique(np.concatenate([[0], bounds, [n_users]]))
    rows = 0
    start = time.perf_counter()
    with open(os.path.join(folder, "LFM-1b_LEs.txt"), "w", encoding="utf-8", newline="\n") as handle:
        for i, (first, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
            columns = _user_events(
                rng, events_per_user[first:end], n_genres, artists_per_genre, in_genre, zipf
            )
            columns[0] += first + 1
            pd.DataFrame({str(k): c for k, c in enumerate(columns)}).to_csv(
                handle, sep="\t", header=False, index=False, lineterminator="\n"
            )
            rows += len(columns[0])
            if progress:
                print(f"chunk {i}: {rows:,} events, {time.perf_counter() - start:.0f} s", flush=True)
    return rows


def _user_events(rng, events_per_user, n_genres, artists_per_genre, in_genre, zipf):
    """Event columns (user index from 0, artist, album, track, timestamp) of consecutive users."""
    n_users = len(events_per_user)
    n_artists = n_genres * artists_per_genre
    sizes = np.clip(np.round(rng.lognormal(np.log(60), 1.0, size=n_users)), 5, 2000).astype(np.int64)
    sizes = np.minimum(np.minimum(sizes, events_per_user), n_artists)
    # Personal lists in draw order (the personal rank), without repeats.
    favourite = _favourite_genres(rng, n_users, n_genres)
    in_cdf = _rank_cdf(artists_per_genre, zipf)

    def draw(users):
        genre = np.where(
            rng.random(len(users)) < in_genre,
            favourite[users, rng.integers(0, 2, size=len(users))],
            rng.integers(0, n_genres, size=len(users)),
        )
        rank = np.minimum(np.searchsorted(in_cdf, rng.random(len(users))), artists_per_genre - 1)
        return genre * artists_per_genre + rank

    kept_users, kept_artists = _distinct_lists(sizes, n_artists, draw, rounds=30, spare=(2, 5))
    sizes = np.bincount(kept_users, minlength=n_users)  # a tiny catalogue may leave a user short
    offsets = np.cumsum(sizes) - sizes
    user = np.repeat(np.arange(n_users), events_per_user)
    user = user[sizes[user] > 0]
    r = np.floor((sizes[user] + 1.0) ** rng.random(len(user))).astype(np.int64) - 1
    artist = kept_artists[offsets[user] + np.minimum(r, sizes[user] - 1)]
    album = artist * 8 + np.minimum(rng.geometric(0.5, size=len(user)) - 1, 7)
    track = album * 16 + rng.integers(0, 16, size=len(user))
    t_start = rng.integers(EVENTS_T0, EVENTS_T1 - 86400, size=n_users)
    t_len = (rng.random(n_users) * (EVENTS_T1 - t_start)).astype(np.int64) + 86400
    stamp = np.minimum(t_start[user] + (rng.random(len(user)) * t_len[user]).astype(np.int64), EVENTS_T1)
    order = np.lexsort((stamp, user))
    return [user[order], artist[order] + 1, album[order] + 1, track[order] + 1, stamp[order]]


def main(argv=None):
    """``python -m item2vec.research.synthetic (--users N | --events N) --out PATH``: write synthetic data.

    ``--users`` writes a Last.fm-360K-format file, ``--events`` a folder of
    LFM-1b-layout listening events.
    """
    import argparse
    import os
    import time

    parser = argparse.ArgumentParser(prog="python -m item2vec.research.synthetic", description=main.__doc__)
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("--users", type=int, help="number of users of a Last.fm-360K-format file")
    kind.add_argument("--events", type=int, help="number of listening events of an LFM-1b-layout folder")
    parser.add_argument(
        "--out",
        required=True,
        help="file to write (usersha1-artmbid-artname-plays.tsv format), or with --events a folder",
    )
    parser.add_argument("--genres", type=int, default=20, help="planted genres (default 20)")
    parser.add_argument(
        "--artists-per-genre",
        type=int,
        help="artists per genre (default 500, with --events 5000)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.events is not None:
        per_genre = args.artists_per_genre or 5000
        rows = write_lfm1b(
            args.out, args.events, n_genres=args.genres, artists_per_genre=per_genre, seed=args.seed
        )
        size = os.path.getsize(os.path.join(args.out, "LFM-1b_LEs.txt"))
        print(
            f"wrote {args.out}: {rows} events ({size / 1e9:.2f} GB), {args.genres * per_genre} artists "
            f"in {time.perf_counter() - start:.1f} s"
        )
        return ExitCode.OK
    per_genre = args.artists_per_genre or 500
    rows = write_lastfm360k(args.out, args.users, args.genres, per_genre, seed=args.seed)
    print(
        f"wrote {args.out}: {rows} rows, {args.users} users, {args.genres * per_genre} artists "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return ExitCode.OK


if __name__ == "__main__":
    import sys

    sys.exit(main())
