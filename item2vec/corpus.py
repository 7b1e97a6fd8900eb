"""From play counts to item2vec "sentences".

A user's artists form a set, not a sequence, so a sentence is that user's
artists in a seeded random order. Item2vec (Barkan & Koenigstein 2016) uses a
context window spanning the whole sentence (``window=0`` here); the tuned
default uses a finite window over the shuffled list instead, which trains a
fixed random subset of each user's pairs (see docs/METHOD.md).
Play counts enter through repetition: an artist the user played a lot appears
several times, so its co-occurrences with the rest of the list weigh more.
"""

import numpy as np

#: How play counts become repetitions; see :func:`repeats`.
WEIGHTINGS = ("none", "log", "rank")


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
        ratio = plays / np.maximum(medians[inverse], 1.0)
        reps = 1 + np.floor(np.log2(np.maximum(ratio, 1.0)))
    elif weighting == "rank":
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
    else:
        raise ValueError(f"unknown weighting {weighting!r}; choose from {', '.join(WEIGHTINGS)}")
    return np.clip(reps, 1, max_repeat).astype(np.int64)


def build_sentences(plays, vocab_ids, weighting="log", max_repeat=4, seed=0):
    """One shuffled sentence of artist-id tokens per user.

    Parameters
    ----------
    plays : pandas.DataFrame
        Columns ``user``, ``artist_id``, ``plays`` (see :mod:`item2vec.data`).
    vocab_ids : array-like of int
        Artists to keep; others are left out of the sentences.
    weighting, max_repeat : see :func:`repeats`.
    seed : int
        Seed of the shuffle, so a corpus is reproducible.

    Returns
    -------
    list of list of str
        Sentences with at least two different artists (a lone artist has no context).
    """
    frame = plays[plays["artist_id"].isin(np.asarray(vocab_ids))]
    users = frame["user"].to_numpy()
    reps = repeats(frame["plays"].to_numpy(), users, weighting, max_repeat)
    tokens = np.repeat(frame["artist_id"].to_numpy(), reps).astype(str)
    owners = np.repeat(users, reps)
    rng = np.random.default_rng(seed)
    # Shuffle all tokens once, then a stable sort by user keeps each user's
    # tokens together in that random order: one vectorised pass, no per-user loop.
    perm = rng.permutation(len(tokens))
    perm = perm[np.argsort(owners[perm], kind="stable")]
    tokens, owners = tokens[perm], owners[perm]
    cuts = np.flatnonzero(np.diff(owners)) + 1
    # A user with one artist, however often repeated, says nothing about similarity:
    # repetition would only train the artist to predict itself.
    sentences = [
        chunk.tolist() for chunk in np.split(tokens, cuts) if len(chunk) >= 2 and (chunk != chunk[0]).any()
    ]
    return sentences


def write_corpus(path, plays, vocab_ids, weighting="none", max_repeat=4, seed=0, chunk_users=20_000):
    """Write the item2vec corpus to a text file, one sentence per line, a chunk of users at a time.

    Each chunk goes through :func:`build_sentences`, so only
    one chunk's sentences exist as Python lists at any time. Chunk 0 is shuffled
    with ``seed`` itself and chunk ``i`` with a seed derived from ``(seed, i)``:
    when one chunk holds every user the file is exactly the in-memory corpus.

    Parameters
    ----------
    path : str
        File to write (replaced); tokens are artist ids separated by spaces.
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
    with open(path, "w", encoding="ascii") as handle:
        for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            chunk_seed = seed if i == 0 else np.random.SeedSequence(seed, spawn_key=(i,))
            sentences = build_sentences(plays.iloc[a:b], vocab_ids, weighting, max_repeat, chunk_seed)
            if sentences:
                handle.write("\n".join(" ".join(s) for s in sentences) + "\n")
                n_sentences += len(sentences)
                n_tokens += sum(len(s) for s in sentences)
                longest = max(longest, max(len(s) for s in sentences))
    return n_sentences, n_tokens, longest
