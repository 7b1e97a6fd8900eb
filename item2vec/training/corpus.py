"""From play counts to item2vec "sentences".

A user's artists form a set, not a sequence, so a sentence is that user's
artists in a seeded random order. Item2vec (Barkan & Koenigstein 2016) uses a
context window spanning the whole sentence (``window=0`` here); the tuned
default uses a finite window over the shuffled list instead, which trains a
fixed random subset of each user's pairs (see docs/METHOD.md).
Play counts enter through repetition: an artist the user played a lot appears
several times, so its co-occurrences with the rest of the list weigh more.

The random order is keyed, not drawn: every token (user, artist, copy) gets a
63-bit key from :func:`token_keys`, a hash of its own coordinates and the seed,
and a user's sentence is its tokens sorted by (key, artist id, copy). A token's
place therefore depends on nothing else in the data: the corpus is the same
whether it is built in one piece, written in chunks of users
(:func:`write_corpus`) or computed by another engine (``item2vec.spark`` builds
the same key from Spark column expressions), which makes those corpora
byte-identical.
"""

import numpy as np

#: How play counts become repetitions; see :func:`repeats`.
WEIGHTINGS = ("none", "log", "rank")

#: splitmix64's constants (Steele, Lea & Flood 2014, as in Vigna's public-domain C code).
SPLITMIX_GOLDEN = 0x9E3779B97F4A7C15
SPLITMIX_MUL1 = 0xBF58476D1CE4E5B9
SPLITMIX_MUL2 = 0x94D049BB133111EB


def splitmix64(values):
    """splitmix64's output function applied to each element (uint64, wrapping arithmetic).

    Parameters
    ----------
    values : array-like of uint64

    Returns
    -------
    ndarray of uint64
    """
    # numpy arrays wrap on overflow without a warning (scalars would warn): always work on arrays.
    z = np.asarray(values, dtype=np.uint64) + np.uint64(SPLITMIX_GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(SPLITMIX_MUL1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(SPLITMIX_MUL2)
    return z ^ (z >> np.uint64(31))


def _bits(values):
    """The two's-complement bits of int64 values as uint64 (negative ids stay distinct)."""
    return np.asarray(values).astype(np.int64, copy=False).view(np.uint64)


def seed_state(seed):
    """``splitmix64(seed)`` as a signed int64: the first, constant step of every key of ``seed``."""
    return int(splitmix64(_bits(np.array([seed], dtype=np.int64)))[0].view(np.int64))


def token_keys(seed, users, artist_ids, copies):
    """Sort key of each token: ``splitmix64`` chained over (seed, user, artist, copy), shifted to 63 bits.

    ``key = splitmix64(splitmix64(splitmix64(splitmix64(seed) ^ user) ^ artist) ^ copy) >> 1``.
    The shift keeps keys non-negative as int64, so an engine that only has signed
    64-bit integers (Spark's LongType) sorts them in the same order.

    Parameters
    ----------
    seed : int
    users, artist_ids, copies : array-like of int
        One element per token: the user id, the artist id, and which copy of the
        artist in the user's sentence (0 .. repeats - 1).

    Returns
    -------
    ndarray of int64
        Keys in ``[0, 2**63)``.
    """
    h = np.uint64(seed_state(seed) & (2**64 - 1))
    h = splitmix64(h ^ _bits(users))
    h = splitmix64(h ^ _bits(artist_ids))
    h = splitmix64(h ^ _bits(copies))
    return (h >> np.uint64(1)).view(np.int64)


def vocabulary_of(artist_ids, listeners, min_count):
    """The vocabulary, in both engines: the artists with at least ``min_count`` listeners, sorted.

    ``min_count`` counts *listeners* (distinct users), not tokens, so that play-count
    repetition cannot promote a one-listener artist.

    Parameters
    ----------
    artist_ids : array-like of int
        Increasing.
    listeners : array-like of int
        Distinct users of each artist.
    min_count : int

    Returns
    -------
    ndarray of int64
    """
    artist_ids = np.asarray(artist_ids, dtype=np.int64)
    return artist_ids[np.asarray(listeners) >= min_count]


def log_repeats(plays, medians, max_repeat):
    """``log`` weighting of rows whose user's median play count is known (see :func:`repeats`).

    Parameters
    ----------
    plays, medians : ndarray of float
        Play count of each row and the median play count of its user.
    max_repeat : int

    Returns
    -------
    ndarray of int64
    """
    ratio = np.asarray(plays, dtype=np.float64) / np.maximum(np.asarray(medians, dtype=np.float64), 1.0)
    reps = 1 + np.floor(np.log2(np.maximum(ratio, 1.0)))
    return np.clip(reps, 1, max_repeat).astype(np.int64)


def repeats(plays, user_codes, weighting, max_repeat):
    """Number of times each (user, artist) row is written into the user's sentence.

    Parameters
    ----------
    plays : ndarray of int
        Play count of each row.
    user_codes : ndarray of int
        User of each row (any integer code).
    weighting : {"none", "log", "rank"}
        ``none``: every artist once. ``log``: ``1 + floor(log2(plays / user's
        median plays))`` for rows above the median, so weight grows slowly with
        listening and heavy users do not dominate. ``rank``: the user's top
        artists by plays get ``max_repeat`` copies, falling linearly to 1 at
        the bottom of their list.
    max_repeat : int
        Upper bound on the repetitions of one artist.
    """
    plays = np.asarray(plays, dtype=np.float64)
    if weighting == "none" or max_repeat <= 1:
        return np.ones(len(plays), dtype=np.int64)
    users, inverse = np.unique(user_codes, return_inverse=True)
    if weighting == "log":
        medians = np.zeros(len(users))
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(len(users) + 1))
        sorted_plays = plays[order]
        for i in range(len(users)):
            medians[i] = np.median(sorted_plays[bounds[i] : bounds[i + 1]])
        return log_repeats(plays, medians[inverse], max_repeat)
    if weighting == "rank":
        # Rank within user, 0 = most played; ties broken by order of appearance.
        order = np.lexsort((-plays, inverse))
        bounds = np.searchsorted(inverse[order], np.arange(len(users) + 1))
        rank = np.empty(len(plays))
        size = np.empty(len(plays))
        for i in range(len(users)):
            idx = order[bounds[i] : bounds[i + 1]]
            rank[idx] = np.arange(len(idx))
            size[idx] = len(idx)
        frac = 1.0 - rank / np.maximum(size - 1, 1)
        reps = 1 + np.round(frac * (max_repeat - 1))
        return np.clip(reps, 1, max_repeat).astype(np.int64)
    raise ValueError(f"unknown weighting {weighting!r}; choose from {', '.join(WEIGHTINGS)}")


def corpus_tokens(plays, vocab_ids, weighting="log", max_repeat=4, seed=0):
    """Every token of the corpus in corpus order, as two arrays.

    Parameters
    ----------
    plays : pandas.DataFrame
        Columns ``user``, ``artist_id``, ``plays``, one row per (user, artist)
        (as in :class:`~item2vec.ingest.cleaning.Dataset`), in any row order.
    vocab_ids : array-like of int
        Artists to keep; others are left out of the sentences.
    weighting, max_repeat : see :func:`repeats`.
    seed : int
        Seed of the keyed order.

    Returns
    -------
    users, artist_ids : ndarray of int64
        One element per token, sorted by user, then by (key, artist id, copy);
        only users left with at least two different artists.
    """
    keep = np.isin(plays["artist_id"].to_numpy(), np.asarray(vocab_ids))
    users = plays["user"].to_numpy()[keep].astype(np.int64)
    artists = plays["artist_id"].to_numpy()[keep].astype(np.int64)
    counts = plays["plays"].to_numpy()[keep]
    # Rows by (user, artist id): rank weighting breaks ties by row order, so ties go to the
    # smaller artist id whatever order the rows came in.
    order = np.lexsort((artists, users))
    users, artists, counts = users[order], artists[order], counts[order]
    # A user with one artist, however often repeated, says nothing about similarity:
    # repetition would only train the artist to predict itself.
    new_user = np.r_[True, users[1:] != users[:-1]] if len(users) else np.empty(0, bool)
    new_artist = new_user | np.r_[True, artists[1:] != artists[:-1]] if len(users) else new_user
    user_index = np.cumsum(new_user) - 1
    distinct = np.bincount(user_index, weights=new_artist, minlength=int(new_user.sum()))
    kept = distinct[user_index] >= 2
    users, artists, counts = users[kept], artists[kept], counts[kept]
    reps = repeats(counts, users, weighting, max_repeat)
    rows = np.repeat(np.arange(len(users)), reps)
    copies = np.arange(len(rows)) - np.repeat(np.cumsum(reps) - reps, reps)
    t_users, t_artists = users[rows], artists[rows]
    keys = token_keys(seed, t_users, t_artists, copies)
    order = np.lexsort((copies, t_artists, keys, t_users))  # the last key is the primary one
    return t_users[order], t_artists[order]


def _split_sentences(users, artists):
    """Lists of artist-id strings, one per run of equal ``users``."""
    if not len(users):
        return []
    cuts = np.flatnonzero(users[1:] != users[:-1]) + 1
    return [chunk.tolist() for chunk in np.split(artists.astype(str), cuts)]


def build_sentences(plays, vocab_ids, weighting="log", max_repeat=4, seed=0):
    """One sentence of artist-id tokens per user, in the keyed random order.

    Parameters
    ----------
    plays : pandas.DataFrame
        Columns ``user``, ``artist_id``, ``plays`` (see :mod:`item2vec.ingest.formats`).
    vocab_ids : array-like of int
        Artists to keep; others are left out of the sentences.
    weighting, max_repeat : see :func:`repeats`.
    seed : int
        Seed of the order, so a corpus is reproducible (see :func:`token_keys`).

    Returns
    -------
    list of list of str
        Sentences in user order, of users with at least two different artists
        (a lone artist has no context).
    """
    return _split_sentences(*corpus_tokens(plays, vocab_ids, weighting, max_repeat, seed))


def write_corpus(path, plays, vocab_ids, weighting="none", max_repeat=4, seed=0, chunk_users=20_000):
    """Write the item2vec corpus to a text file, one sentence per line, a chunk of users at a time.

    Each chunk goes through :func:`corpus_tokens`, so only one chunk's sentences
    exist as Python lists at any time. Because every token's place is keyed by its
    own coordinates, the file holds exactly :func:`build_sentences`' corpus for any
    ``chunk_users``.

    Parameters
    ----------
    path : str
        File to write (replaced); tokens are artist ids separated by spaces, each
        line ends with ``\\n``.
    plays : pandas.DataFrame
        Columns ``user``, ``artist_id``, ``plays``.
    vocab_ids, weighting, max_repeat, seed : see :func:`build_sentences`.
    chunk_users : int
        Users per chunk.

    Returns
    -------
    n_sentences, n_tokens, longest : int
        Lines written, tokens written, and the length of the longest line.
    """
    users = plays["user"].to_numpy()
    if len(users) and not np.all(users[1:] >= users[:-1]):
        plays = plays.sort_values("user", kind="stable")
        users = plays["user"].to_numpy()
    starts = (
        np.flatnonzero(np.concatenate([[True], users[1:] != users[:-1]])) if len(users) else np.empty(0, int)
    )
    bounds = np.append(starts[::chunk_users], len(users))
    n_sentences = n_tokens = longest = 0
    with open(path, "w", encoding="ascii", newline="\n") as handle:
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            sentences = build_sentences(plays.iloc[a:b], vocab_ids, weighting, max_repeat, seed)
            if sentences:
                handle.write("\n".join(" ".join(s) for s in sentences) + "\n")
                n_sentences += len(sentences)
                n_tokens += sum(len(s) for s in sentences)
                longest = max(longest, max(len(s) for s in sentences))
    return n_sentences, n_tokens, longest
