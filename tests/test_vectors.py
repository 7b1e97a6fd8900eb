"""ArtistVectors.most_similar: gensim semantics on a tiny space with a known answer."""

import numpy as np
import pytest

from item2vec.model.vectors import ArtistVectors, unit_rows

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
