"""The evidence-aware score and the fold-in, on numbers small enough to check by hand."""

import numpy as np
import pytest

from item2vec.model.catalog import Catalog
from item2vec.query.ranking import (
    COSINE_RANKING,
    CandidateListeners,
    CoListens,
    Ranking,
    ScoreTerms,
    colisten_cosine,
    fold_in,
)


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


def test_a_query_without_shared_listeners_gets_exactly_its_cosine_in_a_large_batch():
    # Rows of queries that share no listener are left out of the division: their evidence
    # term must be 0, not whatever the memory held before (arrays freed just before hold 7.0).
    ranking = Ranking(weight=1.0, shrink=5.0, discount=0.0)
    cosine = np.full((4, 1000), 0.25)
    shared = np.zeros((4, 1000), dtype=int)
    shared[1:, 0] = 1
    for _ in range(3):
        junk = [np.full(cosine.shape, 7.0) for _ in range(10)]
        del junk
        scores = ranking.scores(cosine, shared, np.array([2, 5, 5, 5]), np.full(1000, 3))
        assert np.array_equal(scores[0], cosine[0])


def test_the_item_item_term_is_scaled_by_each_querys_own_maximum():
    ranking = Ranking(weight=0.0, discount=0.0, ease=0.5)
    cosine = np.zeros((2, 3))
    weights = np.array([[0.0, 2.0, 1.0], [4.0, 0.0, 0.0]], dtype=np.float32)
    scores = ranking.scores(cosine, np.zeros((2, 3)), np.array([1, 1]), np.array([1, 1, 1]), weights)
    np.testing.assert_allclose(scores, [[0.0, 0.5, 0.25], [0.5, 0.0, 0.0]])


def test_a_ranking_with_item_item_weights_needs_them():
    with pytest.raises(
        ValueError, match=r"^this ranking weighs the item-item term: pass the query's item_weights$"
    ):
        Ranking(ease=0.1).scores(np.zeros(2), np.zeros(2), 1, np.ones(2))


def test_each_term_of_the_score_is_computed_once_and_kept_read_only():
    # Every dial position weighs the same terms of a query: each is computed once, and a
    # caller cannot change what the next query subtracts.
    candidates = CandidateListeners([3, 0, 1])
    discount = candidates.discount(0.2, 0.5)
    assert candidates.discount(0.2, 0.5) is discount and not discount.flags.writeable
    assert candidates.discount(0.2, 0.25) is not discount
    cosine, shared, weights = [0.5, 0.1, -0.2], [2, 0, 1], [0.0, 1.0, 2.0]
    terms = ScoreTerms(cosine, shared, 4, candidates, weights)
    assert terms.colisten(5.0) is terms.colisten(5.0) and terms.item_term() is terms.item_term()
    for ranking in (Ranking(weight=0.25, ease=0.5), Ranking(shrink=2.0, discount=0.1, power=1.0)):
        np.testing.assert_array_equal(
            ranking.weigh(terms), ranking.scores(cosine, shared, 4, [3, 0, 1], weights)
        )
