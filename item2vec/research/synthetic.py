"""Synthetic listening data with a known answer: planted genres and a long tail.

Used by the tests and the scaling benchmarks. Artists belong to genres; each
user has one or two favourite genres and draws most artists from them, with
power-law popularity inside a genre, so a working model must place artists of
one genre near each other.
"""

import numpy as np
import pandas as pd


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
    favourite = rng.integers(0, n_genres, size=(n_users, 2))
    two = rng.random(n_users) < 0.2
    favourite[~two, 1] = favourite[~two, 0]
    in_cdf = np.cumsum(np.arange(1, artists_per_genre + 1, dtype=float) ** -zipf)
    in_cdf /= in_cdf[-1]
    all_cdf = np.cumsum(np.tile(np.arange(1, artists_per_genre + 1, dtype=float) ** -zipf, n_genres))
    all_cdf /= all_cdf[-1]
    kept_users, kept_artists = np.empty(0, np.int64), np.empty(0, np.int64)
    missing = sizes.copy()
    for _ in range(20):
        short = np.flatnonzero(missing > 0)
        if len(short) == 0:
            break
        draws = 3 * missing[short] + 10
        users = np.repeat(short, draws)
        genre = favourite[users, rng.integers(0, 2, size=len(users))]
        own = genre * artists_per_genre + np.minimum(
            np.searchsorted(in_cdf, rng.random(len(users))), artists_per_genre - 1
        )
        anywhere = np.minimum(np.searchsorted(all_cdf, rng.random(len(users))), n_artists - 1)
        artists = np.where(rng.random(len(users)) < in_genre, own, anywhere)
        # Earlier rounds first, then this round in draw order; keep first occurrences.
        users = np.concatenate([kept_users, users])
        artists = np.concatenate([kept_artists, artists])
        _, first = np.unique(users * n_artists + artists, return_index=True)
        first.sort()
        users, artists = users[first], artists[first]
        order = np.argsort(users, kind="stable")
        users, artists = users[order], artists[order]
        starts = np.searchsorted(users, users, side="left")
        keep = np.arange(len(users)) - starts < sizes[users]
        kept_users, kept_artists = users[keep], artists[keep]
        missing = sizes - np.bincount(kept_users, minlength=n_users)
    return kept_users.astype(np.int64), kept_artists.astype(np.int64)


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


def main(argv=None):
    """``python -m item2vec.synthetic --users N --out FILE``: write a synthetic 360K-format file."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m item2vec.synthetic", description=main.__doc__)
    parser.add_argument("--users", type=int, required=True, help="number of users")
    parser.add_argument(
        "--out", required=True, help="file to write (usersha1-artmbid-artname-plays.tsv format)"
    )
    parser.add_argument("--genres", type=int, default=20, help="planted genres (default 20)")
    parser.add_argument("--artists-per-genre", type=int, default=500, help="artists per genre (default 500)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = write_lastfm360k(args.out, args.users, args.genres, args.artists_per_genre, seed=args.seed)
    print(
        f"wrote {args.out}: {rows} rows, {args.users} users, {args.genres * args.artists_per_genre} artists "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
