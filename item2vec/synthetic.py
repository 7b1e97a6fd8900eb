"""Synthetic listening data with a known answer: planted genres and a long tail.

Used by the tests and the scaling benchmarks. Artists belong to genres; each
user has one or two favourite genres and draws most artists from them, with
power-law popularity inside a genre, so a working model must place artists of
one genre near each other.
"""

import numpy as np
import pandas as pd


def make_plays(n_users=400, n_genres=4, artists_per_genre=30, max_artists_per_user=50,
               min_artists_per_user=5, in_genre=0.9, zipf=1.1, seed=0):
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
    plays = pd.DataFrame({"user": np.concatenate(users).astype(np.int64),
                          "artist_id": np.concatenate(artist_ids).astype(np.int64),
                          "plays": np.concatenate(counts).astype(np.int64)})
    artists = pd.DataFrame({"artist_id": np.arange(1, n_artists + 1, dtype=np.int64),
                            "name": [f"g{g}-a{k}" for g, k in zip(genre_of, ranks)],
                            "genre": genre_of})
    return plays, artists


def write_kaggle(folder, plays, artists):
    """Write tables from :func:`make_plays` as the Kaggle CSV pair into ``folder``."""
    import os
    os.makedirs(folder, exist_ok=True)
    artists.rename(columns={"name": "artist_name"})[["artist_id", "artist_name"]].to_csv(
        os.path.join(folder, "lastfm_artist_list.csv"), index=False)
    plays.rename(columns={"user": "user_id", "plays": "scrobbles"})[["user_id", "artist_id", "scrobbles"]].to_csv(
        os.path.join(folder, "lastfm_user_scrobbles.csv"), index=False)
