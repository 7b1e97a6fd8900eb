"""A 2-D map of the artist vectors (t-SNE) and its regions named after their best-known artists."""

import logging
import math

import numpy as np

log = logging.getLogger(__name__)

#: Decimals kept of the map coordinates: far finer than a screen pixel, and the page smaller.
DECIMALS = 2


def tsne_map(unit_vectors, seed=0):
    """Seeded t-SNE coordinates of unit-length vectors.

    Parameters
    ----------
    unit_vectors : ndarray, shape (n, d)
    seed : int

    Returns
    -------
    ndarray, shape (n, 2)
        Coordinates rounded to :data:`DECIMALS` places.
    """
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    vectors = np.asarray(unit_vectors, dtype=np.float64)
    n = len(vectors)
    if n < 3:
        return np.zeros((n, 2))
    # One thread: the Barnes-Hut gradient sums across threads in no fixed order, and a
    # last-bit difference grows over a thousand iterations into a different map.
    with threadpool_limits(limits=1):
        tsne = TSNE(
            n_components=2,
            perplexity=min(30.0, (n - 1) / 3),
            init="pca",
            learning_rate="auto",
            random_state=seed,
        )
        # On unit vectors Euclidean distance orders neighbours as cosine similarity does.
        xy = tsne.fit_transform(vectors)
    return np.round(xy, DECIMALS) + 0.0  # + 0.0: no "-0.0" in the page


def regions(xy, listeners, names, seed=0, per_label=3):
    """k-means regions of the map, each labelled by its most-listened artists.

    Parameters
    ----------
    xy : ndarray, shape (n, 2)
    listeners : array of int, shape (n,)
    names : list of str
    seed : int
    per_label : int
        Artists named in a region's label.

    Returns
    -------
    cluster : ndarray of int, shape (n,)
        Region of each point.
    labels : list of dict
        ``{"x", "y", "names"}`` per region: where its label goes (the region's
        centre: k-means centres are spread out, so labels rarely cover each other)
        and the names of its ``per_label`` most-listened artists.
    """
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    n = len(xy)
    k = max(1, min(24, round(math.sqrt(n / 10))))
    if n <= k:
        cluster = np.zeros(n, dtype=np.int64)
    else:
        with threadpool_limits(limits=1):
            cluster = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(xy).astype(np.int64)
    listeners = np.asarray(listeners)
    labels = []
    for c in range(int(cluster.max()) + 1 if n else 0):
        members = np.flatnonzero(cluster == c)
        # Most listeners first; ties by name then position, so the label never depends on chance.
        order = sorted(members.tolist(), key=lambda i: (-int(listeners[i]), names[i], i))
        top = order[:per_label]
        centre = np.round(xy[members].mean(axis=0), DECIMALS) + 0.0
        labels.append({"x": float(centre[0]), "y": float(centre[1]), "names": [names[i] for i in top]})
    return cluster, labels
