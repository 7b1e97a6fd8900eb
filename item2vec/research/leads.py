"""Other ways to learn the artist vectors, measured against the shipped bag on validation users.

Two leads besides the ranking's own terms; each is a *variant* of one
member, trained on a split's training users exactly where a Word2Vec member would be, and
cached by :class:`~.members.MemberStore` like one:

:class:`Doc2VecMember`
    gensim's Doc2Vec in PV-DBOW mode with word training (``dm=0, dbow_words=1``), every
    user a document: an artist's vector is trained both on its list neighbours (as in
    item2vec) and through the document vectors of its listeners, which share strength
    between an artist and its listeners' other artists.
:class:`WalkMember`
    the member's own corpus plus random walks on the listening graph (artist -> one of
    its listeners -> another artist of theirs -> ...) started from the thinly heard
    artists, so that their few lists are seen in more contexts.

Both use the member's :class:`~item2vec.training.trainer.TrainConfig` for every setting
they share with Word2Vec, so a difference is the lead's, not a tuning difference. The
evaluation (:mod:`.evaluate`, "leads") ranks their vectors with the dial's default
position and reports them in the ablation; none ships unless it wins there.
"""

import dataclasses
import os
import tempfile
import time

import numpy as np

from ..training.corpus import build_sentences
from ..training.trainer import CorpusFile, gensim_settings, train_member, vocabulary

#: Draws of the same artist in a row after which a walk stops (its listeners list nothing else).
MAX_MISSES = 20


@dataclasses.dataclass(frozen=True)
class Doc2VecMember:
    """One Doc2Vec PV-DBOW member with word training, users as documents.

    ``dbow_words=1`` trains the artist (word) vectors with skip-gram over each list,
    interleaved with the PV-DBOW steps that train each user's document vector to predict
    the user's artists. The artist vectors (``model.wv``) are the member's vectors.
    """

    kind = "doc2vec"

    def describe(self):
        return "Doc2Vec PV-DBOW with word training, users as documents"

    def fit(self, dataset, config):
        """(artist ids, raw vectors, seconds) trained on ``dataset`` with ``config``'s settings."""
        from gensim.models.doc2vec import Doc2Vec, TaggedDocument

        start = time.perf_counter()
        vocab = vocabulary(dataset, config.min_count)
        sentences = build_sentences(dataset.plays, vocab, config.weighting, config.max_repeat, config.seed)
        documents = [TaggedDocument(words, [i]) for i, words in enumerate(sentences)]
        model = Doc2Vec(
            documents,
            dm=0,
            dbow_words=1,
            **gensim_settings(config),
            window=config.window or max(len(s) for s in sentences),
            workers=1,
        )
        keys = np.array([int(k) for k in model.wv.index_to_key], dtype=np.int64)
        order = np.argsort(keys)
        vectors = np.ascontiguousarray(model.wv.vectors[order], dtype=np.float32)
        return keys[order], vectors, time.perf_counter() - start


@dataclasses.dataclass(frozen=True)
class WalkMember:
    """One Word2Vec member whose corpus also holds random walks from the thinly heard artists.

    Parameters
    ----------
    thin_below : int
        Walks start from every vocabulary artist with fewer listeners than this.
    walks : int
        Walks per such artist.
    length : int
        Artists per walk (each step: a random listener of the current artist, then a
        random other artist of that listener's list).
    """

    thin_below: int = 10
    walks: int = 2
    length: int = 10
    kind = "walks"

    def describe(self):
        return (
            f"Word2Vec on the lists plus {self.walks} random walks of {self.length} artists "
            f"from each artist with fewer than {self.thin_below} listeners"
        )

    def fit(self, dataset, config):
        """(artist ids, raw vectors, seconds): the member trained on lists and walks, shuffled together."""
        start = time.perf_counter()
        vocab = vocabulary(dataset, config.min_count)
        sentences = build_sentences(dataset.plays, vocab, config.weighting, config.max_repeat, config.seed)
        walks = self.walk_sentences(dataset, vocab, config.seed)
        corpus = sentences + walks
        # Shuffled together: Word2Vec's learning rate falls along the corpus, and walks kept
        # at its end would be learnt at the lowest rates only.
        rng = np.random.default_rng(config.seed)
        corpus = [corpus[i] for i in rng.permutation(len(corpus))]
        with tempfile.TemporaryDirectory(prefix="item2vec-walks-") as folder:
            path = os.path.join(folder, "corpus.txt")
            with open(path, "w", encoding="ascii") as handle:
                for sentence in corpus:
                    handle.write(" ".join(sentence) + "\n")
            counts = (len(corpus), sum(len(s) for s in corpus), max(len(s) for s in corpus))
            trained = train_member(
                CorpusFile(path, *counts, len(vocab)), config, progress=False, stream=False
            )
        return trained.artist_ids, trained.vectors, time.perf_counter() - start

    def walk_sentences(self, dataset, vocab, seed):
        """The walks as sentences of artist-id strings (seeded)."""
        plays = dataset.plays[dataset.plays["artist_id"].isin(vocab)]
        artists = np.searchsorted(vocab, plays["artist_id"].to_numpy())
        users = np.unique(plays["user"].to_numpy(), return_inverse=True)[1]
        by_artist = _lists(artists, users, len(vocab))
        by_user = _lists(users, artists, int(users.max()) + 1 if len(users) else 0)
        listeners = np.diff(by_artist[0])
        starts = np.flatnonzero(listeners < self.thin_below)
        rng = np.random.default_rng([seed, 21])
        out = []
        for artist in np.repeat(starts, self.walks):
            walk, misses = [int(artist)], 0
            while len(walk) < self.length and misses < MAX_MISSES:
                nxt = int(_pick(by_user, _pick(by_artist, walk[-1], rng), rng))
                if nxt == walk[-1]:
                    misses += 1  # the same artist again says nothing new: draw again, a few times
                    continue
                walk.append(nxt)
            if len(walk) > 1:
                out.append([str(int(vocab[a])) for a in walk])
        return out


def _lists(keys, values, n):
    """CSR ``(indptr, values)``: the values of each key 0..n-1, in key order."""
    order = np.argsort(keys, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=n))])
    return indptr, values[order]


def _pick(table, key, rng):
    indptr, values = table
    return values[indptr[key] + rng.integers(indptr[key + 1] - indptr[key])]
