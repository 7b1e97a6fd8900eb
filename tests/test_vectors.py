"""ArtistVectors.most_similar: gensim semantics on a tiny space with a known answer."""

import numpy as np
import pytest

from item2vec.model.vectors import ArtistVectors, arithmetic_mean, unit_rows

# Three "genres" along the axes; ids chosen unsorted in meaning, sorted as required.
IDS = np.array([1, 2, 3, 4, 5, 6])
RAW = np.array([[1.0, 0.1, 0], [0.9, 0.2, 0], [0.1, 1.0, 0], [0, 0.9, 0.1], [0, 0, 1], [0.1, 0, 0.8]])


@pytest.fixture
def space():
    return ArtistVectors(IDS, unit_rows(RAW))


def test_nearest_neighbour_and_scores_are_cosines(space):
    ids, scores = space.most_similar(1, topn=2)
    assert ids.tolist() == [2, 3]
    expected = RAW[1] @ RAW[0] / np.linalg.norm(RAW[1]) / np.linalg.norm(RAW[0])
    assert scores[0] == pytest.approx(expected, abs=1e-6)
    assert scores[0] >= scores[1]


def test_query_keys_are_never_returned(space):
    ids, _ = space.most_similar([1, 2], topn=10)
    assert 1 not in ids and 2 not in ids
    assert len(ids) == 4
    ids, _ = space.most_similar(1, negative=[5], topn=10)
    assert 1 not in ids and 5 not in ids


def test_minus_moves_away_from_the_negative(space):
    # Artist 4 sits between genres 2 and 3; subtracting 5 (genre 3) leaves genre 2 on top.
    plain, _ = space.most_similar(4, topn=5)
    minus, _ = space.most_similar(4, negative=5, topn=5)
    assert minus[0] == 3
    # 6 (genre 3) ranks above 1 (genre 1) for 4 alone, and falls to last once 5 is subtracted.
    assert plain.tolist().index(6) < plain.tolist().index(1)
    assert minus.tolist()[-1] == 6


def test_allowed_mask_filters_results(space):
    allowed = np.array([True, False, True, True, True, True])
    ids, _ = space.most_similar(1, topn=1, allowed=allowed)
    assert ids.tolist() == [3]


def test_cancelling_and_unknown_queries_raise(space):
    with pytest.raises(ValueError, match="cancel out"):
        space.most_similar(1, negative=1)
    with pytest.raises(KeyError):
        space.most_similar(99)
    with pytest.raises(ValueError):
        space.most_similar([], [])


def test_topn_larger_than_candidates_returns_all_sorted(space):
    ids, scores = space.most_similar(3, topn=100)
    assert len(ids) == 5
    assert np.all(np.diff(scores) <= 0)


def test_unit_rows_are_float32_of_length_one_and_a_zero_row_stays_zero():
    rows = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]]))
    assert rows.dtype == np.float32
    assert rows.tolist() == [[0.6000000238418579, 0.800000011920929], [0.0, 0.0], [0.0, -1.0]]


def test_ids_may_be_one_id_a_list_a_tuple_or_an_array(space):
    expected = space.most_similar([1, 3], [5], topn=3)
    for positive, negative in (((1, 3), (5,)), (np.array([1, 3]), np.array([5])), ([1, 3], 5)):
        got = space.most_similar(positive, negative, topn=3)
        assert got[0].tolist() == expected[0].tolist() and got[1].tobytes() == expected[1].tobytes()
    assert space.most_similar(np.int64(1), None, topn=2)[0].tolist() == [2, 3]


def test_the_scores_are_float32_cosines_and_the_ids_int64(space):
    ids, scores = space.most_similar(1, topn=5)
    assert ids.dtype == np.int64 and scores.dtype == np.float32
    assert space.cosines(space.unit[0]).dtype == np.float32
    assert space.vector_size == 3 and len(space) == 6 and 6 in space and 7 not in space


def test_the_allowed_mask_given_is_left_as_it_was(space):
    allowed = np.ones(6, dtype=bool)
    space.most_similar([1, 2], topn=2, allowed=allowed)
    assert allowed.all()


def test_ids_and_vectors_must_match(space):
    with pytest.raises(ValueError, match=r"^5 ids for vectors of shape \(6, 3\)$"):
        ArtistVectors(IDS[:5], space.unit)
    with pytest.raises(ValueError, match=r"^6 ids for vectors of shape \(6,\)$"):
        ArtistVectors(IDS, space.unit[:, 0])
    with pytest.raises(KeyError, match="artist id 99 has no vector"):
        space.rows([1, 99, 98])
    with pytest.raises(ValueError, match="^most_similar needs at least one positive or negative artist$"):
        space.query_vector([], [])
    with pytest.raises(ValueError, match="^most_similar needs at least one positive or negative artist$"):
        arithmetic_mean(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32))


def test_the_mean_is_gensim_s_and_vectors_that_nearly_cancel_are_refused():
    a, b, c = np.eye(3, dtype=np.float32)
    # (a + b - c) / 3, normalised: gensim's mean of the unit vectors, signs by side.
    mean = arithmetic_mean(np.stack([a, b]), np.stack([c]))
    np.testing.assert_allclose(mean, np.float32([1, 1, -1]) / np.sqrt(3), rtol=1e-6)
    assert mean.dtype == np.float32
    # Two unit vectors 1.5e-6 apart: their mean difference is 7.5e-7 long, under the 1e-6 floor.
    near = np.float32([1, 1.5e-6, 0])
    with pytest.raises(ValueError, match="^the positive and negative artists cancel out; there is nothing"):
        arithmetic_mean(near[None], a[None])
    far = np.float32([1, 3e-6, 0])  # 1.5e-6 long: kept
    assert arithmetic_mean(far[None], a[None]).tolist() == [0.0, 1.0, 0.0]


def test_unit_rows_normalise_in_float32_whatever_the_input_precision():
    # The same float32 rows whether the raw vectors arrive as float64 or float32 (a model's
    # bytes must not depend on it).
    raw = np.random.default_rng(5).normal(size=(200, 16))
    assert unit_rows(raw).tobytes() == unit_rows(raw.astype(np.float32)).tobytes()
    assert unit_rows(raw).dtype == np.float32


def test_membership_counts_row_0_and_a_query_may_be_negative_only():
    vectors = ArtistVectors(np.array([3, 5, 7, 9]), unit_rows(np.eye(4, 3) + 0.1))
    assert 3 in vectors and 9 in vectors and 4 not in vectors
    ids, scores = vectors.most_similar([], negative=[3], topn=2)  # gensim allows a negative-only query
    assert 3 not in ids.tolist() and len(ids) == 2 and scores[0] >= scores[1]
    many = ArtistVectors(np.arange(30), unit_rows(np.random.default_rng(1).normal(size=(30, 4))))
    assert len(many.most_similar(0)[0]) == 10  # the default topn
    assert many.cosines(np.ones(4) / 2.0).dtype == np.float32  # a float64 query scores in float32
