"""Similar-artist baselines, and item2vec, behind one query shape.

Every model here answers over a fixed artist set (an evaluation split's, see
:mod:`.splits`) with ``similar(artist_id or ids, topn)`` ->
``(ids, scores)``, best first, never returning a query artist, so the
evaluation and the latency benchmark treat them alike:

* :class:`Popularity`: the most-listened artists, whatever the query;
* :class:`ItemKNN`: cosine of the artists' binary listener columns, optionally shrunk;
* :class:`RP3beta`: Paudel et al.'s popularity-penalised random walk;
* :class:`VectorModel`: cosine of artist vectors (item2vec, ALS, default Word2Vec);
* :class:`EASE`: Steck's closed-form linear item-item model.

The builders :func:`fit_item2vec`, :func:`fit_als`, :func:`fit_default_word2vec`,
:func:`fit_itemknn`, :func:`fit_rp3beta` and :func:`fit_ease` train on a split's
training users only. The evidence discount shared by every method, and the
validation grid that tunes it, are in :mod:`.ranking`.
"""

import logging
import time

import numpy as np

from ..model.arrays import rows_of, top_k, top_k_rows

logger = logging.getLogger(__name__)


class MethodUnavailable(RuntimeError):
    """A registered method cannot run here; the message says why (shown in the report)."""


class SimilarityModel:
    """Base class: subclasses set ``ids`` and implement :meth:`scores`.

    Attributes
    ----------
    ids : ndarray of int64, shape (n,)
        The artist set, sorted.
    name : str
    fit_seconds : float
        Wall time the builder spent training.
    """

    name = "model"
    fit_seconds = 0.0

    def scores(self, rows):
        """Similarity of each query row to every artist, shape (len(rows), n)."""
        raise NotImplementedError

    def rows(self, artist_ids):
        """Rows of artist ids; KeyError naming the first id outside the set."""
        ids = np.atleast_1d(np.asarray(artist_ids, dtype=np.int64))
        pos = rows_of(self.ids, ids)
        if (pos < 0).any():
            raise KeyError(f"artist id {int(ids[pos < 0][0])} is not in the model's artist set")
        return pos

    def similar(self, artist_ids, topn=10, allowed=None):
        """The ``topn`` artists most similar to one id or to a list of ids (mean score).

        Parameters
        ----------
        artist_ids : int or list of int
        topn : int
        allowed : ndarray of bool, shape (n,), optional
            Artists that may be returned (e.g. enough listeners).

        Returns
        -------
        ids : ndarray of int64
        scores : ndarray of float32
            Highest first; query artists are never returned.
        """
        rows = self.rows(artist_ids)
        score = self.scores(rows).mean(axis=0).astype(np.float32)
        candidates = np.ones(len(self.ids), dtype=bool) if allowed is None else np.array(allowed, dtype=bool)
        candidates[rows] = False
        best = top_k(score, candidates, topn)
        return self.ids[best], score[best]

    def top_rows(self, k, allowed=None, batch=1024, queries=None):
        """Top-``k`` rows for every artist as a query, shape (n, k); -1 pads short lists.

        ``queries`` (rows, optional) limits the work to those query rows; the others stay -1.
        """
        n = len(self.ids)
        out = np.full((n, k), -1, dtype=np.int64)
        blocked = None if allowed is None else ~np.asarray(allowed, dtype=bool)
        todo = np.arange(n) if queries is None else np.unique(np.asarray(queries, dtype=np.int64))
        for start in range(0, len(todo), batch):
            rows = todo[start : start + batch]
            score = np.array(self.scores(rows), dtype=np.float64)
            score[np.arange(len(rows)), rows] = -np.inf
            if blocked is not None:
                score[:, blocked] = -np.inf
            best = top_k_rows(score, k)
            out[rows, : best.shape[1]] = best
        return out


class Popularity(SimilarityModel):
    """Training listeners as the score of every artist, whatever the query."""

    name = "popularity"

    def __init__(self, ids, listeners):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.listeners = np.asarray(listeners, dtype=np.float64)

    def scores(self, rows):
        return np.tile(self.listeners, (len(rows), 1))


class DenseSimilarity(SimilarityModel):
    """A precomputed (n, n) item-item score matrix; row ``q`` scores answers to ``q``."""

    def __init__(self, ids, matrix, name):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.matrix = np.asarray(matrix, dtype=np.float32)
        self.name = name

    def scores(self, rows):
        return self.matrix[rows]


class ItemKNN(DenseSimilarity):
    """Cosine similarity of the artists' binary listener vectors, with optional shrinkage.

    ``S_ij = C_ij / (sqrt(n_i n_j) + shrink)``, ``C`` the co-listen counts and
    ``n`` the listeners (``C``'s diagonal); ``shrink = 0`` is the plain cosine.
    Shrinkage pulls pairs with little evidence towards 0.

    Parameters
    ----------
    ids : ndarray of int64
    matrix : scipy.sparse matrix, shape (users, n)
        Binary training listens.
    shrink : float
    """

    def __init__(self, ids, matrix, shrink=0.0):
        start = time.perf_counter()
        co = (matrix.T @ matrix).toarray().astype(np.float64)
        norms = np.sqrt(np.diag(co))
        if shrink:
            sim = co / (norms[:, None] * norms[None, :] + shrink)
            name = f"item-kNN (shrink={shrink:g})"
        else:
            norms[norms == 0] = 1.0
            sim = co / norms[:, None] / norms[None, :]
            name = "item-kNN"
        super().__init__(ids, sim, name)
        self.shrink = shrink
        self.fit_seconds = time.perf_counter() - start


class RP3beta(DenseSimilarity):
    """RP3beta (Paudel et al., ACM TiiS 2016) on binary listens, zero diagonal.

    ``W_ij = sum_u X_ui X_uj |u|^-alpha / n_j^beta``: a two-step random walk
    artist -> listener -> artist with transition probabilities raised to
    ``alpha``, divided by the candidate's popularity to the power ``beta``.
    The walk's first step also carries ``n_i^-alpha``; it is the same for every
    candidate of query ``i``, so it does not change any ranking and is left out.

    Parameters
    ----------
    ids : ndarray of int64
    matrix : scipy.sparse matrix, shape (users, n)
        Binary training listens; ``|u|`` is a row sum, ``n_j`` a column sum.
    alpha, beta : float
    """

    def __init__(self, ids, matrix, alpha, beta):
        import scipy.sparse as sp

        start = time.perf_counter()
        matrix = sp.csr_matrix(matrix, dtype=np.float64)
        degree = np.asarray(matrix.sum(axis=1)).ravel()
        listeners = np.asarray(matrix.sum(axis=0)).ravel()
        weighted = sp.diags(np.power(np.maximum(degree, 1.0), -alpha)) @ matrix
        walk = (matrix.T @ weighted).toarray()
        np.fill_diagonal(walk, 0.0)
        walk /= np.power(np.maximum(listeners, 1.0), beta)[None, :]
        super().__init__(ids, walk, f"RP3beta (alpha={alpha:g}, beta={beta:g})")
        self.alpha, self.beta = alpha, beta
        self.fit_seconds = time.perf_counter() - start


class EASE(DenseSimilarity):
    """EASE (Steck, WWW 2019): ``B = I - P / diag(P)``, ``P = (X'X + lambda I)^-1``, zero diagonal.

    ``B[q, j]`` is how much listening to ``q`` predicts ``j``; the answers to
    ``q`` are the largest entries of row ``q``.
    """

    def __init__(self, ids, matrix, lam):
        start = time.perf_counter()
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += lam
        p = np.linalg.inv(gram)
        b = -p / np.diag(p)[None, :]
        np.fill_diagonal(b, 0.0)
        super().__init__(ids, b, f"EASE (lambda={lam:g})")
        self.lam = lam
        self.fit_seconds = time.perf_counter() - start


class VectorModel(SimilarityModel):
    """Cosine similarity of artist vectors; artists without a vector score 0."""

    def __init__(self, ids, vector_ids, vectors, name):
        from ..model.vectors import unit_rows

        self.ids = np.asarray(ids, dtype=np.int64)
        self.name = name
        unit = np.zeros((len(self.ids), vectors.shape[1]), dtype=np.float32)
        pos = rows_of(vector_ids, self.ids)
        have = pos >= 0
        unit[have] = unit_rows(vectors[pos[have]])
        self.unit = unit
        self.missing = int((~have).sum())

    def scores(self, rows):
        return self.unit[rows] @ self.unit.T


def fit_popularity(split):
    """Popularity over a split's artist set."""
    return Popularity(split.ids, split.listeners)


def fit_itemknn(split, shrink=0.0):
    """Item-kNN cosine (shrunk by ``shrink``) on the split's binary training matrix."""
    return ItemKNN(split.ids, split.train_matrix("binary"), shrink)


def fit_rp3beta(split, alpha, beta):
    """RP3beta on the split's binary training matrix."""
    return RP3beta(split.ids, split.train_matrix("binary"), alpha, beta)


def fit_ease(split, lam):
    """EASE with regularisation ``lam`` on the split's binary training matrix."""
    return EASE(split.ids, split.train_matrix("binary"), lam)


def fit_item2vec(split, config, progress=False):
    """item2vec (:func:`item2vec.training.trainer.train`) on the split's training users."""
    from ..training.trainer import train

    trained = train(split.train, config, progress=progress)
    model = VectorModel(split.ids, trained.artist_ids, trained.vectors, "item2vec")
    model.fit_seconds = trained.seconds
    model.trained = trained
    return model


def fit_als(split, factors=64, regularization=0.05, K1=100, B=0.8, iterations=15, seed=0):
    """ALS (implicit) on BM25-weighted play counts; similarity is the cosine of item factors.

    BM25 is applied to the artist x user matrix, as in implicit's Last.fm example
    and the reference solution: IDF over users, length normalisation per artist.
    """
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import bm25_weight

    start = time.perf_counter()
    plays = split.train_matrix("plays")
    item_user = bm25_weight(plays.T.tocoo(), K1=K1, B=B).tocsr()
    # One thread: the machine is shared and the timing should compare with workers=1 item2vec.
    from threadpoolctl import threadpool_limits

    # implicit warns (and slows down) when BLAS runs its own thread pool inside ALS.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            iterations=iterations,
            random_state=seed,
            num_threads=1,
        )
        model.fit(item_user.T.tocsr().astype(np.float32), show_progress=False)
    factors_ = np.asarray(model.item_factors)
    out = VectorModel(split.ids, split.ids, factors_, "ALS (implicit, BM25)")
    out.fit_seconds = time.perf_counter() - start
    return out


def fit_default_word2vec(split, seed=0):
    """gensim Word2Vec with its default hyperparameters on shuffled user lists.

    Defaults include CBOW, a 5-token window, ``sample=1e-3`` and 5 epochs, which
    :class:`~item2vec.training.trainer.TrainConfig` cannot express (it is skip-gram only),
    hence gensim is used directly here. ``min_count=1`` because the sentences
    already hold only the artist set; the default of 5 *tokens* would drop part of it.
    """
    from gensim.models import Word2Vec

    from ..training.corpus import build_sentences

    start = time.perf_counter()
    sentences = build_sentences(split.train.plays, split.ids, "none", 1, seed)
    w2v = Word2Vec(sentences=sentences, min_count=1, seed=seed, workers=1)
    keys = np.array([int(k) for k in w2v.wv.index_to_key], dtype=np.int64)
    order = np.argsort(keys)
    out = VectorModel(split.ids, keys[order], w2v.wv.vectors[order], "Word2Vec (gensim defaults)")
    out.fit_seconds = time.perf_counter() - start
    return out


def fit_mllib(split, seed=None):
    """Spark MLlib Word2Vec (``train_item2vec.py --trainer mllib``) on the split's training users.

    The shipped member configuration, seed = the fold (:func:`item2vec.spark.mllib.mllib_settings`
    maps it to MLlib: skip-gram with hierarchical softmax, so ``negative``, ``ns_exponent`` and
    ``sample`` have no counterpart). Runs on a local Spark (``local[2]``), started once.
    """
    import dataclasses

    from ..training.trainer import TrainConfig

    try:
        from ..spark.mllib import train_mllib_dataset
        from ..spark.session import get_spark

        spark = get_spark("local[2]")
    except Exception as exc:  # no pyspark, no Java: the report says so instead of a row
        raise MethodUnavailable(f"no local Spark ({type(exc).__name__}: {exc})".split("\n")[0]) from None
    config = dataclasses.replace(TrainConfig(), members=1, seed=split.seed if seed is None else seed)
    trained = train_mllib_dataset(spark, split.train, config)
    model = VectorModel(split.ids, trained.artist_ids, trained.vectors, "Word2Vec (Spark MLlib)")
    model.fit_seconds = trained.seconds
    return model
