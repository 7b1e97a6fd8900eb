"""The --discover dial through ask.main, the Python API and the model folder's item-item weights.

What each position scores is checked by hand in tests/test_ask_ranking.py; here: that the
dial is what the evaluation chose, that every entry point takes and records a position,
that a position only reorders, and that the item-item table is EASE's, computed from
the catalogue the same way every time.
"""

import dataclasses
import json
import os

import numpy as np
import pytest
from reliability import one_error_line, run

from conftest import REPO
from item2vec.model.catalog import Catalog
from item2vec.model.item_weights import ItemWeights
from item2vec.model.storage import load_model
from item2vec.query.ranking import DEFAULT_DISCOVER, DIAL, dial_position, listener_discount
from item2vec.query.recommender import Recommender
from item2vec.training.ease import ease_weights


def ask_json(folder, *argv):
    code, out, err = run([*argv, "--json", "--model", folder])
    assert code == 0, err
    return json.loads(out)


# -- the positions -----------------------------------------------------------------------------


def test_the_dial_runs_from_familiar_to_niche_with_the_default_among_its_positions():
    assert list(DIAL) == sorted(DIAL) and min(DIAL) == 0.0 and max(DIAL) == 1.0
    assert DEFAULT_DISCOVER in DIAL
    # The familiar end leans on the item-item weights and a strong discount, the niche end not.
    familiar, niche = DIAL[0.0], DIAL[1.0]
    assert familiar.ease > niche.ease and familiar.discount > niche.discount


def test_the_shipped_dial_is_the_one_the_evaluation_chose_on_validation_users():
    with open(os.path.join(REPO, "docs", "evaluation.json"), encoding="utf-8") as handle:
        result = json.load(handle)
    search = result["dial"]["search"]
    chosen = {x["position"]: x["params"] for x in search["chosen"]}
    assert set(chosen) == set(DIAL)
    for position, ranking in DIAL.items():
        assert chosen[position] == {k: getattr(ranking, k) for k in chosen[position]}, position
    assert search["shipped_is_chosen"] and result["dial"]["default"] == DEFAULT_DISCOVER


@pytest.mark.parametrize(
    "value,position",
    [
        (0, 0.0),
        (0.1, 0.0),
        (0.2, 0.25),
        ("0.3", 0.25),
        (0.5, 0.5),
        (0.62, 0.5),
        (0.63, 0.75),
        (0.9, 1.0),
        (1, 1.0),
    ],
)
def test_a_value_goes_to_the_nearest_position(value, position):
    assert dial_position(value) == position


def test_a_value_halfway_between_two_positions_goes_to_the_familiar_one():
    assert dial_position(0.125) == 0.0 and dial_position(0.875) == 0.75


def test_a_position_is_given_as_the_dial_has_it():
    # The answer's "discover" is this value: -0.0 is the position 0, not a JSON "-0.0".
    assert [repr(dial_position(x)) for x in (-0.0, 0, 1, "0.25", 0.75)] == [
        "0.0",
        "0.0",
        "1.0",
        "0.25",
        "0.75",
    ]


@pytest.mark.parametrize("value", [-0.01, 1.01, float("nan"), float("inf"), "abc", None])
def test_a_value_outside_0_to_1_is_refused(value):
    with pytest.raises(ValueError, match="discover must be a number from 0 to 1"):
        dial_position(value)


# -- ask.py ----------------------------------------------------------------------------------------


def test_json_records_the_position_used(synthetic_model_dir):
    assert ask_json(synthetic_model_dir, "g1-a4")["discover"] == DEFAULT_DISCOVER
    assert ask_json(synthetic_model_dir, "g1-a4", "--discover", "0.3")["discover"] == 0.25
    assert ask_json(synthetic_model_dir, "g1-a4", "--discover", "1")["discover"] == 1.0
    assert ask_json(synthetic_model_dir, "g1-a4", "--rank", "cosine")["discover"] is None


def test_positions_give_different_answers_from_the_same_artists(synthetic_model_dir):
    model = load_model(synthetic_model_dir)
    everything = str(len(model.vectors.ids) - 1)
    lists = {x: ask_json(synthetic_model_dir, "g2-a7", "--discover", str(x), "-k", everything) for x in DIAL}
    tops = {x: [r["artist_id"] for r in a["results"][:10]] for x, a in lists.items()}
    assert len({tuple(t) for t in tops.values()}) > 1  # the dial moves the answer
    # ... but never hides anything: every position ranks all the other artists with a vector.
    every = {x: sorted(r["artist_id"] for r in a["results"]) for x, a in lists.items()}
    assert all(ids == every[DEFAULT_DISCOVER] for ids in every.values())
    assert len(every[DEFAULT_DISCOVER]) == len(model.vectors.ids) - 1


def test_the_familiar_end_answers_with_better_known_artists_than_the_niche_end(synthetic_model_dir):
    names = [f"g{g}-a{a}" for g in range(4) for a in (3, 11, 19, 27)]

    def mean_listeners(position):
        answers = [ask_json(synthetic_model_dir, n, "--discover", str(position)) for n in names]
        return np.mean([r["listeners"] for a in answers for r in a["results"]])

    assert mean_listeners(0) > mean_listeners(DEFAULT_DISCOVER) > mean_listeners(1)


def test_the_heading_names_a_position_other_than_the_default(synthetic_model_dir):
    code, out, _ = run(["g1-a4", "--discover", "0", "--model", synthetic_model_dir])
    assert code == 0 and out.splitlines()[0].endswith("listeners), discover 0:")
    code, out, _ = run(["g1-a4", "--model", synthetic_model_dir])
    assert code == 0 and "discover" not in out.splitlines()[0]
    code, out, _ = run(["g1-a4", "--discover", str(DEFAULT_DISCOVER), "--model", synthetic_model_dir])
    assert "discover" not in out.splitlines()[0]


@pytest.mark.parametrize("value", ["1.5", "-0.2", "nan", "inf", "lots", ""])
def test_a_bad_discover_is_a_one_line_usage_error(synthetic_model_dir, value):
    code, out, err = run(["g1-a4", "--discover", value, "--model", synthetic_model_dir])
    line = one_error_line(err)
    assert code == 2 and out == "" and "--discover must be" in line and "(see --help)" in line


def test_discover_with_the_cosine_ranking_is_a_usage_error(synthetic_model_dir):
    code, out, err = run(["g1-a4", "--rank", "cosine", "--discover", "0", "--model", synthetic_model_dir])
    assert code == 2 and out == "" and "--rank cosine has no dial" in one_error_line(err)


def test_batch_answers_every_line_at_the_position(synthetic_model_dir):
    code, out, err = run(
        ["--batch", "-", "--json", "--discover", "0", "--model", synthetic_model_dir], b"g0-a1\ng3-a2\n"
    )
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [a["discover"] for a in answers] == [0.0, 0.0]
    alone = ask_json(synthetic_model_dir, "g3-a2", "--discover", "0")
    assert answers[1]["results"] == alone["results"]


def test_help_explains_the_dial(synthetic_model_dir):
    code, out, _ = run(["--help"])
    assert code == 0
    text = " ".join(out.split())
    assert "--discover X" in text and "familiar" in text and "niche" in text and "only reorders" in text


# -- the Python API --------------------------------------------------------------------------------


def test_answer_positions_is_answer_at_each_position(synthetic_model_dir):
    recommender = Recommender(load_model(synthetic_model_dir))
    for query, plus, minus in [("g0-a5", (), ()), ("g1-a2", ("g2-a2",), ()), ("g3-a9", (), ("g3-a8",))]:
        each = recommender.answer_positions(query, plus, minus)
        assert list(each) == list(DIAL)
        for position, answer in each.items():
            assert answer == recommender.answer(query, plus, minus, discover=position)
    assert list(recommender.answer_positions("g0-a5", positions=[1.0, 0.0])) == [1.0, 0.0]
    from item2vec.query.recommender import QueryError

    with pytest.raises(QueryError, match="from 0 to 1"):
        recommender.answer("g0-a5", discover=2)
    with pytest.raises(QueryError) as refused:
        recommender.answer("g0-a5", rank="cosine", discover=0.5)
    assert str(refused.value) == "--discover sets the evidence ranking; --rank cosine has no dial"


def test_rank_at_a_position_is_rank_positions_there_and_a_bad_one_says_why(synthetic_model_dir):
    from item2vec.query.recommender import QueryError

    recommender = Recommender(load_model(synthetic_model_dir))
    artist = recommender.query_artist("g0-a5")
    familiar, default = recommender.rank_positions([artist], positions=[0.0, DEFAULT_DISCOVER])
    ranked = recommender.rank([artist], discover=0.0)
    assert np.array_equal(ranked.scores, familiar.scores) and not np.array_equal(
        ranked.scores, default.scores
    )
    with pytest.raises(ValueError) as reason:
        dial_position(1.5)
    with pytest.raises(QueryError) as refused:
        recommender.rank_positions([artist], positions=[1.5])
    assert str(refused.value) == str(reason.value)


def test_with_minus_a_position_keeps_only_its_discount(synthetic_model_dir):
    # Co-listens cannot be subtracted: at 0.25, the one position with a co-listen weight,
    # the score is the cosine less the position's discount and nothing else.
    recommender = Recommender(load_model(synthetic_model_dir))
    plus, minus = recommender.query_artist("g1-a2"), recommender.query_artist("g3-a8")
    assert DIAL[0.25].weight > 0
    (ranked,) = recommender.rank_positions([plus], [minus], positions=[0.25])
    listeners = np.maximum(recommender.vector_listeners[ranked.rows].astype(np.float64), 1.0)
    discount = listener_discount(listeners, DIAL[0.25].discount, DIAL[0.25].power)
    assert np.allclose(ranked.scores, ranked.similarity - discount) and ranked.shared.any()


# -- the item-item weights -------------------------------------------------------------------------


def test_item_weights_are_ease_cut_to_each_artists_strongest(synthetic_dataset):
    from item2vec.research.baselines import EASE
    from item2vec.research.splits import full_split

    split = full_split(synthetic_dataset)
    catalog = Catalog.from_dataset(synthetic_dataset)
    table = ease_weights(catalog, split.ids, lam=200.0, top=7)
    b = EASE(split.ids, split.train_matrix("binary"), 200.0).matrix  # the research baseline's EASE
    assert table.rows.shape == (len(split.ids), 7) and table.weights.dtype == np.float32
    for r in range(len(split.ids)):
        keep = table.rows[r] >= 0
        expected = np.argsort(-b[r], kind="stable")[:7]
        expected = expected[b[r][expected] > 0]
        assert np.array_equal(table.rows[r][keep], expected)
        np.testing.assert_allclose(table.weights[r][keep], b[r][expected], rtol=1e-4)
        assert (np.diff(table.weights[r][keep]) <= 0).all() and r not in table.rows[r]


def test_item_weights_cover_only_the_most_listened_when_there_are_too_many(synthetic_dataset):
    catalog = Catalog.from_dataset(synthetic_dataset)
    ids = catalog.ids[catalog.listeners >= 3]
    listeners = catalog.listeners[catalog.listeners >= 3]
    table = ease_weights(catalog, ids, top=5, max_artists=20)
    covered = np.flatnonzero((table.rows >= 0).any(axis=1))
    most = np.sort(np.lexsort((ids, -listeners))[:20])
    assert set(covered) <= set(most) and len(covered) > 10
    assert set(np.unique(table.rows[table.rows >= 0])) <= set(most)


def test_item_weights_of_several_artists_add_up(synthetic_model_dir):
    table = load_model(synthetic_model_dir).item_weights
    both = table.of([0, 5])
    expected = np.zeros(len(table))
    for row in (0, 5):
        keep = table.rows[row] >= 0
        expected[table.rows[row][keep]] += table.weights[row][keep]
    np.testing.assert_allclose(both, expected)
    assert np.array_equal(ItemWeights(table.rows, table.weights).dense()[0] > 0, table.of([0]) > 0)


def test_the_saved_table_is_the_one_training_computes(synthetic_model_dir, synthetic_dataset):
    model = load_model(synthetic_model_dir)
    table = ease_weights(Catalog.from_dataset(synthetic_dataset), model.vectors.ids)
    assert np.array_equal(table.rows, model.item_weights.rows)
    assert np.array_equal(table.weights, model.item_weights.weights)
    assert model.metadata["item_weights"]["top"] == table.top


def test_item_weights_from_a_streamed_incidence_are_those_of_the_whole_array(synthetic_dataset, monkeypatch):
    """The Spark engine hands ease_weights its incidence in chunks (a StreamedArray): the Gram
    matrix and the table are bit for bit those of the whole array, chunks cutting artists
    in two and products taken in blocks of rows included."""
    import scipy.sparse as sp

    from item2vec.model.catalog import StreamedArray
    from item2vec.training import ease

    catalog = Catalog.from_dataset(synthetic_dataset)
    users = catalog.listen_users

    def chunks():
        return (users[i : i + 97] for i in range(0, len(users), 97))

    streamed = StreamedArray(np.int32, len(users), chunks)
    parts = dataclasses.replace(catalog.parts(), listen_users=streamed)
    ids = catalog.ids[catalog.listeners >= 2]
    positions = np.flatnonzero(catalog.listeners >= 2)
    # The product of the whole matrix, as the item-item weights were first computed.
    columns = np.repeat(np.arange(len(positions)), catalog.listeners[positions])
    fitted = np.concatenate([catalog.users_of(i) for i in ids])
    x = sp.csr_matrix((np.ones(len(fitted)), (fitted, columns)), shape=(users.max() + 1, len(positions)))
    whole = (x.T @ x).toarray()
    monkeypatch.setattr(ease, "_GRAM_BLOCK", 5 * len(positions))  # rows in blocks of 5
    assert ease._gram(parts, positions).tobytes() == whole.tobytes()
    assert ease._gram(catalog, positions).tobytes() == whole.tobytes()
    # Every other artist: each chunk's values must be told apart by the artist they belong to.
    some = positions[::2]
    assert ease._gram(parts, some).tobytes() == ease._gram(catalog, some).tobytes()
    assert (
        ease._gram(catalog, some).tobytes()
        == whole[np.ix_(range(0, len(positions), 2), range(0, len(positions), 2))].tobytes()
    )
    a, b = ease_weights(catalog, ids), ease_weights(parts, ids)
    assert a.rows.tobytes() == b.rows.tobytes() and a.weights.tobytes() == b.weights.tobytes()


def _catalog(users_of):
    """A Catalog of artists 10, 20, ... whose users are ``users_of[i]`` (sorted user numbers)."""
    ids = 10 * np.arange(1, len(users_of) + 1)
    indptr = np.concatenate([[0], np.cumsum([len(u) for u in users_of])]).astype(np.int64)
    users = np.concatenate([np.asarray(u, dtype=np.int32) for u in users_of])
    return Catalog(ids, [f"a{i}" for i in ids], [len(u) for u in users_of], indptr, users)


def test_item_weights_are_int32_rows_padded_with_minus_one_and_logged(caplog):
    import logging
    import re

    # 10 and 20 share their users; 30 shares none: it has no positive partner, only padding.
    catalog = _catalog([[0, 1, 2], [0, 1, 2], [3, 4]])
    with caplog.at_level(logging.INFO, logger="item2vec.training.ease"):
        table = ease_weights(catalog, [10, 20, 30], top=2)
    assert table.rows.dtype == np.int32 and table.weights.dtype == np.float32
    assert table.rows.tolist() == [[1, -1], [0, -1], [-1, -1]]
    assert (table.weights[:, 1] == 0).all() and (table.weights[:2, 0] > 0).all() and table.weights[2, 0] == 0
    [message] = caplog.messages
    seconds = re.fullmatch(r"item-item weights: EASE on 3 of 3 artists, top 2 each, (\d+\.\d) s", message)
    assert seconds and float(seconds.group(1)) < 60
    # Fitted on the two most listened only: the third artist's row is all padding.
    assert ease_weights(catalog, [10, 20, 30], top=2, max_artists=2).rows.tolist() == [[1], [0], [-1]]


def test_one_artist_has_no_partner_and_an_artist_outside_the_catalogue_is_refused():
    catalog = _catalog([[0, 1, 2], [0, 1]])
    alone = ease_weights(catalog, [10])
    assert alone.rows.shape == (1, 0) and alone.weights.shape == (1, 0)
    with pytest.raises(ValueError, match="^every artist with a vector must be in the catalogue$"):
        ease_weights(catalog, [10, 15])


def test_the_gram_matrix_counts_the_users_each_pair_of_the_fitted_artists_shares():
    from item2vec.training.ease import _gram

    rng = np.random.default_rng(0)
    users_of = [np.sort(rng.choice(50, size=rng.integers(1, 20), replace=False)) for _ in range(11)]
    users_of.append(np.empty(0, dtype=np.int64))  # an artist nobody played
    catalog = _catalog(users_of)
    x = np.zeros((50, len(users_of)))
    for artist, users in enumerate(users_of):
        x[users, artist] = 1
    positions = np.array([0, 2, 3, 5, 7, 11])  # not every artist: only these users count
    assert np.array_equal(_gram(catalog, positions), x[:, positions].T @ x[:, positions])
    assert _gram(catalog, np.array([11])).tolist() == [[0.0]]


def test_item_weights_are_ranked_as_stored_equal_float32_weights_by_row():
    # The weights are ranked as float32, the precision they are stored in (whatever the last
    # bits of the float64 solve), so partners whose stored weights are equal come lower row
    # first. This small random catalogue has such ties that float64 would order otherwise.
    rng = np.random.default_rng(29)
    n, u = int(rng.integers(4, 9)), int(rng.integers(5, 30))
    listens = rng.random((u, n)) < rng.uniform(0.2, 0.6)
    table = ease_weights(
        _catalog([np.flatnonzero(listens[:, a]) for a in range(n)]), 10 * np.arange(1, n + 1), top=n
    )
    ties = 0
    for rows, weights in zip(table.rows, table.weights, strict=True):
        for i in range(len(rows) - 1):
            if rows[i + 1] >= 0 and weights[i] == weights[i + 1]:
                ties += 1
                assert rows[i] < rows[i + 1], (rows, weights)
    assert ties > 0


def test_an_item_weights_table_is_float32_and_reads_partner_row_0():
    # Row 0 is a partner like any other; -1 pads; the weights are kept as float32.
    table = ItemWeights([[1, -1], [0, 2], [0, 1]], [[0.5, 0.0], [0.25, 0.125], [1.0, 2.0]])
    assert table.weights.dtype == np.float32 and table.dense().dtype == np.float32
    assert table.dense(np.float64).dtype == np.float64
    np.testing.assert_array_equal(table.dense(), [[0, 0.5, 0], [0.25, 0, 0.125], [1.0, 2.0, 0]])
    np.testing.assert_array_equal(table.of([1, 2], n=4), [1.25, 2.0, 0.125, 0.0])


def test_item_weights_from_an_empty_streamed_incidence_are_empty_rows(synthetic_dataset):
    # A Spark incidence of no listens hands out no chunk at all.
    from item2vec.model.catalog import StreamedArray

    catalog = Catalog.from_dataset(synthetic_dataset)
    nobody = np.zeros(len(catalog.ids), dtype=np.int64)
    parts = dataclasses.replace(
        catalog.parts(), listeners=nobody, listen_users=StreamedArray(np.int32, 0, lambda: iter(()))
    )
    table = ease_weights(parts, catalog.ids[:5], top=3)
    assert table.rows.tolist() == [[-1] * 3] * 5 and not table.weights.any()
