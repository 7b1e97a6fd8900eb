"""The evidence-aware score and the fold-in, on numbers small enough to check by hand."""

import numpy as np
import pytest

from item2vec.model.catalog import Catalog
from item2vec.query.ranking import COSINE_RANKING, CoListens, Ranking, colisten_cosine, fold_in


def test_cosine_ranking_is_the_plain_cosine():
    cosine = np.array([0.9, 0.5, -0.2])
    np.testing.assert_array_equal(COSINE_RANKING.scores(cosine, [3, 0, 1], 4, [9, 4, 1]), cosine)


def test_score_adds_the_row_max_scaled_colisten_cosine_and_subtracts_the_discount():
    ranking = Ranking(weight=0.5, shrink=1.0, discount=0.2, power=0.5)
    cosine = np.array([0.8, 0.8, 0.8])
    shared = np.array([2, 1, 0])
    listeners = np.array([4, 1, 16])
    e = np.array([2 / (np.sqrt(4 * 4) + 1), 1 / (np.sqrt(4 * 1) + 1), 0.0])
    expected = cosine + 0.5 * e / e.max() - 0.2 / np.sqrt(listeners)
    np.testing.assert_allclose(ranking.scores(cosine, shared, 4, listeners), expected)


def test_a_query_sharing_no_listener_gets_no_evidence_term_and_broadcasts_over_queries():
    ranking = Ranking(weight=1.0, shrink=5.0, discount=0.0)
    cosine = np.array([[0.1, 0.2], [0.3, 0.4]])
    shared = np.array([[0, 0], [1, 3]])
    scores = ranking.scores(cosine, shared, np.array([2, 5]), np.array([3, 3]))
    np.testing.assert_allclose(scores[0], cosine[0])
    np.testing.assert_allclose(scores[1], cosine[1] + [1 / 3, 1.0])
    np.testing.assert_allclose(
        colisten_cosine(shared[1], 5, [3, 3], 5.0), np.array([1, 3]) / (np.sqrt(15) + 5), rtol=1e-6
    )


def test_fold_in_weights_by_shared_over_listeners_and_is_unit():
    unit = np.eye(3, dtype=np.float32)
    folded = fold_in([2, 1, 0], [2, 4, 1], unit)
    np.testing.assert_allclose(folded, np.array([1.0, 0.25, 0]) / np.hypot(1.0, 0.25), rtol=1e-6)
    np.testing.assert_array_equal(fold_in([0, 0, 0], [1, 1, 1], unit), np.zeros(3))


@pytest.mark.parametrize("seed", [0, 1])
def test_colistens_equal_set_intersections(seed):
    rng = np.random.default_rng(seed)
    n_artists, n_users = 30, 12
    listens = rng.random((n_artists, n_users)) < 0.3
    indptr = np.concatenate([[0], np.cumsum(listens.sum(1))])
    users = np.concatenate([np.flatnonzero(row) for row in listens])
    catalog = Catalog(
        np.arange(n_artists) * 3 + 1, [f"a{i}" for i in range(n_artists)], listens.sum(1), indptr, users
    )
    colistens = CoListens(catalog)
    for position in range(n_artists):
        expected = catalog.shared_listeners(catalog.ids[position], catalog.ids)
        np.testing.assert_array_equal(colistens.counts(position), expected)
