"""Fast synthetic tests for details that hand-made mutations of the product once survived.

Each test pins one boundary or constant that only the real-data byte-identity test (skipped
without the data or with other library versions) used to notice.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from item2vec.errors import UnknownArtistError
from item2vec.model.catalog import Catalog
from item2vec.model.storage import Model
from item2vec.model.vectors import ArtistVectors
from item2vec.query import names
from item2vec.query.formatting import format_table, width
from item2vec.query.names import NameIndex
from item2vec.query.recommender import Recommender
from item2vec.training.corpus import (
    build_sentences,
    corpus_tokens,
    repeats,
    token_keys,
    vocabulary_of,
    write_corpus,
)
from item2vec.training.trainer import TrainConfig


def _model(vectors, ids, listeners, names_=None):
    ids = np.asarray(ids, dtype=np.int64)
    names_ = names_ or [f"a{i}" for i in ids]
    catalog = Catalog(ids, names_, np.asarray(listeners), np.zeros(len(ids) + 1, dtype=np.int64), np.empty(0))
    unit = np.asarray(vectors, dtype=np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    return Model(ArtistVectors(ids, unit), catalog, {"hyperparameters": {"min_count": 1}})


def test_equal_scores_are_ordered_by_lower_id_first():
    vectors = ArtistVectors(
        np.array([1, 5, 7, 9]), np.array([[1, 0], [0, 1], [0, 1], [0, 1]], dtype=np.float32)
    )
    ids, scores = vectors.most_similar(1, topn=3)
    assert ids.tolist() == [5, 7, 9] and len(set(scores.tolist())) == 1


def test_min_listeners_keeps_an_artist_with_exactly_that_many():
    model = _model([[1, 0], [1, 0.1], [1, 0.2]], [1, 2, 3], [9, 5, 4])
    answer = Recommender(model).answer("a1", min_listeners=5, topn=5)
    assert [r["artist"] for r in answer["results"]] == ["a2"]


def test_catalogue_index_of_an_id_in_a_gap_is_minus_one():
    catalog = Catalog(
        np.array([2, 4, 8]), ["b", "d", "h"], np.array([1, 1, 1]), np.zeros(4, np.int64), np.empty(0)
    )
    assert [catalog.index(i) for i in (1, 2, 3, 4, 5, 8, 9)] == [-1, 0, -1, 1, -1, 2, -1]
    assert catalog.listeners_of(3) == 0


def test_suggestion_cutoff_is_60():
    # ratio("aaaaa", "aaabb") is exactly 60; "abcdefghij" vs "abcdefxxxxx" is 57.
    index = NameIndex(
        Catalog(
            np.array([1, 2]), ["aaabb", "abcdefxxxxx"], np.array([1, 1]), np.zeros(3, np.int64), np.empty(0)
        )
    )
    assert names.SUGGEST_CUTOFF == 60
    with pytest.raises(UnknownArtistError) as caught:
        index.resolve("aaaaa")
    assert caught.value.suggestions == ["aaabb"]
    with pytest.raises(UnknownArtistError) as caught:
        index.resolve("abcdefghij")
    assert caught.value.suggestions == []


def test_wide_characters_take_two_columns_in_the_table():
    assert width("ＲＥＤ") == 6 and width("東京事変") == 8 and width("é") == 1
    answer = {
        "artist": "x",
        "listeners": 3,
        "results": [
            {"artist": "東京事変", "score": 0.5, "listeners": 7},
            {"artist": "abcdefgh", "score": 0.4, "listeners": 7},
        ],
    }
    rows = format_table(answer, 5).splitlines()[3:]
    assert width(rows[0].split("0.500")[0]) == width(rows[1].split("0.400")[0])


def test_log_weighting_floor():
    # Median 4: 8 plays is 2x the median -> 2 copies; 15 plays (3.75x) -> floor(log2) + 1 = 2 (not 3);
    # 16 -> 3; at or below the median -> 1.
    reps = repeats(np.array([4, 4, 4, 8, 15, 16, 1]), np.zeros(7, dtype=int), "log", max_repeat=4)
    assert reps.tolist() == [1, 1, 1, 2, 2, 3, 1]


def test_rank_weighting_falls_linearly_from_max_repeat_to_one():
    reps = repeats(np.array([50, 40, 30, 20, 10]), np.zeros(5, dtype=int), "rank", max_repeat=4)
    assert reps.tolist() == [4, 3, 3, 2, 1]


def test_the_shuffle_depends_on_the_seed_and_the_default_seed_is_0():
    plays = pd.DataFrame({"user": [1] * 6 + [2] * 6, "artist_id": list(range(6)) * 2, "plays": [1] * 12})
    vocab = np.arange(6)
    first = build_sentences(plays, vocab, "none", 1, seed=0)
    assert build_sentences(plays, vocab, "none", 1) == first
    assert any(build_sentences(plays, vocab, "none", 1, seed=s) != first for s in (1, 2, 3))
    assert TrainConfig().seed == 0


def test_users_with_the_same_artists_get_their_own_orders(tmp_path):
    # Four users with identical lists: the key includes the user, so their orders differ,
    # and writing them two users at a time gives the same file as all at once.
    plays = pd.DataFrame(
        {"user": np.repeat(np.arange(4), 8), "artist_id": np.tile(np.arange(8), 4), "plays": np.ones(32, int)}
    )
    path = tmp_path / "corpus.txt"
    write_corpus(str(path), plays, np.arange(8), "none", 1, seed=0, chunk_users=2)
    lines = path.read_text().splitlines()
    assert len(set(lines)) == 4
    assert lines == [" ".join(s) for s in build_sentences(plays, np.arange(8), "none", 1, 0)]


def test_token_keys_are_splitmix64_chained_over_the_tokens_coordinates():
    mask = 2**64 - 1

    def mix(x):  # Vigna's splitmix64 output step, in Python integers
        z = (x + 0x9E3779B97F4A7C15) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    assert mix(0) == 0xE220A8397B1DCDAF  # the first output of splitmix64 seeded with 0
    tokens = [(5, 7, 11, 0), (5, 7, 11, 1), (0, -3, 2**40, 2), (-1, 2**62, 1, 0)]
    for seed, user, artist, copy in tokens:
        expected = mix(mix(mix(mix(seed & mask) ^ (user & mask)) ^ artist) ^ copy) >> 1
        got = token_keys(seed, np.array([user]), np.array([artist]), np.array([copy]))
        assert got.dtype == np.int64 and int(got[0]) == expected


@pytest.mark.parametrize(("cosine", "weak"), [(0.49, True), (0.51, False), (0.49996, False), (0.41236, True)])
def test_a_best_similarity_below_one_half_is_called_weak(cosine, weak):
    # The 0.5 of docs/METHOD.md "Weak results", without patching the constant; the
    # similarity is judged and shown to 4 decimals, as the table shows it (0.49996 is 0.5).
    model = _model([[1, 0], [cosine, np.sqrt(1 - cosine**2)], [-1, 0.01]], [1, 2, 3], [9, 9, 9])
    answer = Recommender(model).answer("a1", topn=2, min_listeners=0, rank="cosine")
    facts = [f for f in answer["facts"] if f["fact"] == "weak_result"]
    shown = round(cosine, 4)
    assert facts == ([{"fact": "weak_result", "similarity": shown, "threshold": 0.5}] if weak else [])


def _spellings(listeners):
    ids = np.arange(1, len(listeners) + 1)
    labels = ["Blink 182", "Blink-182", "blink.182"][: len(listeners)]
    return NameIndex(Catalog(ids, labels, np.array(listeners), np.zeros(len(ids) + 1, np.int64), np.empty(0)))


@pytest.mark.parametrize(
    ("listeners", "offered"),
    [
        ([2, 10], 2),  # exactly 5 times, and at least 5: offered
        ([2, 9], None),  # 4.5 times
        ([0, 4], None),  # more than 5 times none, but fewer than 5 listeners
        ([0, 5], 2),
        ([3, 14], None),  # 14 < 15
        ([3, 15, 12], 2),  # the most listened of the same spellings
        ([3, 12, 15], 3),
        ([3, 15, 15], 2),  # equally listened: the lower id
    ],
)
def test_a_better_known_spelling_needs_five_times_the_listeners_and_at_least_five(listeners, offered):
    index = _spellings(listeners)
    best = index.better_known(1)
    assert (None if best is None else int(index.catalog.ids[best])) == offered


def test_equal_suggestion_scores_put_the_better_known_then_the_alphabetically_first_artist_first():
    # "abcx", "abcy", "abcz" are equally close to "abcd" (ratio 75).
    labels = ["abcz", "abcx", "abcy", "abcw"]
    catalog = Catalog(np.arange(1, 5), labels, np.array([1, 1, 5, 1]), np.zeros(5, np.int64), np.empty(0))
    with pytest.raises(UnknownArtistError) as caught:
        NameIndex(catalog).resolve("abcd")
    assert caught.value.suggestions == ["abcy", "abcw", "abcx", "abcz"]


# -- the recommender (its mutation run) ------------------------------------------------------


def test_resolve_hands_the_names_facts_to_the_caller():
    model = _model([[1, 0], [0, 1]], [1, 2], [5, 3], ["Red", "red"])
    facts = []
    assert Recommender(model).resolve("RED", facts) == 1
    assert [(f["fact"], [o["artist_id"] for o in f["others"]]) for f in facts] == [("same_name", [2])]


def test_an_artist_nobody_lists_says_so():
    from item2vec.errors import NotInModelError

    ids = np.array([1, 2, 3], dtype=np.int64)
    catalog = Catalog(ids, ["a1", "a2", "Ghost"], np.array([4, 4, 0]), np.zeros(4, np.int64), np.empty(0))
    unit = np.array([[1, 0], [0, 1]], dtype=np.float32)
    model = Model(ArtistVectors(ids[:2], unit), catalog, {"hyperparameters": {"min_count": 2}})
    with pytest.raises(NotInModelError) as caught:
        Recommender(model).resolve("Ghost")
    assert caught.value.reason == "nobody in the data lists it"


def _measured(values, ranking=None):
    """A 4-artist model (listeners 1, 2, 3, 9) whose bands 1, 2 and 3 listeners measured ``values``."""
    from dataclasses import asdict

    from item2vec.query.ranking import DEFAULT_RANKING, rare_ranking

    rare = asdict(rare_ranking(DEFAULT_RANKING))
    bands = [
        {"min_listeners": n, "max_listeners": n, "folded": False, "value": v, "low": v, "high": v}
        | {"queries": 10, "users": 10}
        for n, v in zip((1, 2, 3), values, strict=True)
    ]
    table = {"k": 10, "ranking": ranking or asdict(DEFAULT_RANKING), "rare_ranking": rare, "bands": bands}
    model = _model([[1, 0], [1, 1], [0, 1], [1, 2]], [1, 2, 3, 4], [1, 2, 3, 9])
    model = Model(model.vectors, model.catalog, {"hyperparameters": {"min_count": 1}, "confidence": table})
    return Recommender(model)


def test_confidence_levels_at_their_thresholds():
    from item2vec.query.recommender import HIGH_CONFIDENCE, LOW_CONFIDENCE

    recommender = _measured([LOW_CONFIDENCE - 0.01, LOW_CONFIDENCE, HIGH_CONFIDENCE])
    levels = [recommender.confidence(recommender.query_artist(f"a{i}"))["level"] for i in (1, 2, 3)]
    assert levels == ["low", "medium", "high"]


@pytest.mark.parametrize(
    ("artist", "kwargs", "reason"),
    [
        ("a1", {}, None),
        ("a1", {"min_listeners": 1}, None),  # a filter of 1 keeps every artist: no filter
        ("a1", {"min_listeners": 2}, "listener_filter"),
        ("a4", {}, "no_band"),  # 9 listeners: no band covers it
    ],
)
def test_why_an_answer_was_not_measured(artist, kwargs, reason):
    recommender = _measured([0.5, 0.5, 0.5])
    assert recommender.confidence(recommender.query_artist(artist), **kwargs)["reason"] == reason


def test_an_answer_measured_with_another_ranking_says_so():
    from dataclasses import asdict, replace

    from item2vec.query.ranking import DEFAULT_RANKING

    other = asdict(replace(DEFAULT_RANKING, shrink=DEFAULT_RANKING.shrink + 1))
    recommender = _measured([0.5, 0.5, 0.5], ranking=other)
    assert recommender.confidence(recommender.query_artist("a1"))["reason"] == "other_ranking"


def test_the_rankings_refusals_say_why():
    from item2vec.query.ranking import RANKINGS
    from item2vec.query.recommender import QueryError

    recommender = Recommender(_model([[1, 0], [0, 1]], [1, 2], [5, 3]))
    a1 = recommender.query_artist("a1")
    with pytest.raises(QueryError) as caught:
        recommender.rank([a1], rank="bogus")
    assert str(caught.value) == f"unknown ranking 'bogus'; choose one of {', '.join(RANKINGS)}"
    with pytest.raises(QueryError) as caught:
        recommender.rank([a1], [a1])
    assert str(caught.value) == (
        "the positive and negative artists cancel out; there is nothing to compare with"
    )


def test_the_query_artists_own_listeners_never_set_the_co_listen_maximum():
    # a1's one listener also lists a2 (100 listeners): a2 holds the row's largest co-listen
    # cosine, so its evidence term is the whole weight (0.25), less the listener discount.
    users = [np.array([0]), np.arange(100), np.arange(100, 150)]
    catalog = Catalog(
        np.array([1, 2, 3]),
        ["a1", "a2", "a3"],
        np.array([1, 100, 50]),
        np.concatenate([[0], np.cumsum([len(u) for u in users])]),
        np.concatenate(users),
    )
    unit = np.array([[1, 0], [0.8, 0.6], [0.6, 0.8]], dtype=np.float32)
    model = Model(ArtistVectors(catalog.ids, unit), catalog, {"hyperparameters": {"min_count": 1}})
    # The dial's position 0.25 weighs the co-listen evidence (0.25); the default weighs none.
    from item2vec.query.ranking import DIAL, listener_discount

    [best, _] = Recommender(model).answer("a1", topn=2, discover=0.25)["results"]
    assert best["artist"] == "a2" and DIAL[0.25].weight == 0.25
    discount = listener_discount(100, DIAL[0.25].discount, DIAL[0.25].power)
    assert best["score"] == pytest.approx(best["similarity"] + 0.25 - discount, abs=2e-4)


def test_the_names_facts_of_plus_artists_and_the_top_refused():
    from item2vec.query.recommender import MAX_TOP, QueryError

    model = _model([[1, 0], [0, 1], [1, 1], [1, 2]], [1, 2, 3, 4], [5, 3, 4, 2], ["a", "Red", "red", "b"])
    answer = Recommender(model).answer("a", plus=["RED"], topn=1)
    assert [(f["fact"], f["chosen"]["artist_id"]) for f in answer["facts"]] == [("same_name", 3)]
    answer = Recommender(model).answer("a", minus=["RED"], topn=1)
    assert [f["chosen"]["artist_id"] for f in answer["facts"] if f["fact"] == "same_name"] == [3]
    with pytest.raises(QueryError) as caught:
        Recommender(model).answer("a", minus=["a"])
    assert str(caught.value) == "the artist is also in --minus; subtracting it from itself leaves nothing"
    with pytest.raises(QueryError) as caught:
        Recommender(model).answer("a", topn=MAX_TOP + 1)
    assert str(caught.value) == f"top must be between 1 and {MAX_TOP}, got {MAX_TOP + 1}"


def test_an_answer_with_no_result_says_why():
    from item2vec.query.recommender import QueryError

    model = _model([[1, 0], [0, 1], [1, 1]], [1, 2, 3], [5, 1, 1])
    with pytest.raises(QueryError) as caught:
        Recommender(model).answer("a1", min_listeners=2)
    assert str(caught.value) == (
        "no artist besides the query has at least 2 listeners; try a lower --min-listeners"
    )
    for min_listeners in (0, 1):  # a filter of 1 keeps everyone: the model has nobody else
        with pytest.raises(QueryError) as caught:
            Recommender(_model([[1, 0]], [1], [5])).answer("a1", min_listeners=min_listeners)
        assert str(caught.value) == "the model has no other artist to compare with"


# -- the ranking's arithmetic (its mutation run) ----------------------------------------------


def test_fold_in_weighs_each_row_by_shared_over_its_listeners_for_one_query_or_many():
    from item2vec.query.ranking import fold_in

    unit = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.6, 0.8, 0]], dtype=np.float32)
    listeners = np.array([1, 4, 0, 9])  # 0 listeners count as 1
    shared = np.array([[1, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0]])
    one = fold_in(shared[0], listeners, unit)
    assert one.dtype == np.float32 and one.shape == (3,)
    np.testing.assert_allclose(one, np.array([1, 0.25, 0]) / np.hypot(1, 0.25), rtol=1e-6)
    many = fold_in(shared, listeners, unit)
    assert many.dtype == np.float32 and many.shape == (3, 3)
    # Row by row the same as one query at a time; unit length, or zeros without evidence.
    np.testing.assert_allclose(many, [fold_in(s, listeners, unit) for s in shared], rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(many, axis=1), [1, 1, 0], rtol=1e-6)


def test_scores_are_float64_whatever_the_cosines_dtype():
    from item2vec.query.ranking import Ranking

    cosine = np.array([0.5, 0.25], dtype=np.float32)
    scores = Ranking().scores(cosine, np.array([3, 1]), 4, np.array([9, 4]))
    assert scores.dtype == np.float64


@pytest.mark.parametrize("top", [65535, 65536, 70000])
def test_co_listens_of_user_numbers_past_16_bits(top):
    # User numbers are sorted as 16-bit keys only while they fit: one past 65535 would wrap to 0.
    from item2vec.query.ranking import CoListens

    catalog = Catalog(
        np.array([1, 2]), ["a", "b"], np.array([1, 2]), np.array([0, 1, 3]), np.array([top, 0, top])
    )
    colistens = CoListens(catalog)
    assert colistens.counts(0).tolist() == [1, 1] and colistens.counts(1).tolist() == [1, 2]
    assert colistens.counts_of_users(np.array([], dtype=np.int64)).dtype == np.int64


def test_scores_of_many_queries_are_each_querys_own_and_no_evidence_adds_nothing():
    # The evaluation scores many queries at once: each row is scaled by its own maximum,
    # and a query that shares no listener with anyone gets exactly cosine - discount.
    from item2vec.query.ranking import Ranking, listener_discount

    ranking = Ranking()  # co-listen evidence, no item-item term (that needs the model's weights)

    cosine = np.array([[0.5, 0.25, 0.1], [0.2, 0.4, 0.3], [0.9, 0.1, 0.0]])
    shared = np.array([[3, 1, 0], [0, 30, 5], [0, 0, 0]])
    query_listeners = np.array([4, 40, 7])
    listeners = np.array([9, 4, 50])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning either (a division left uninitialised)
        together = ranking.scores(cosine, shared, query_listeners, listeners)
    alone = [ranking.scores(cosine[i], shared[i], query_listeners[i], listeners) for i in range(3)]
    np.testing.assert_allclose(together, alone, rtol=1e-12)
    no_evidence = cosine[2] - listener_discount(listeners, ranking.discount, ranking.power)
    np.testing.assert_allclose(together[2], no_evidence, rtol=1e-12)


# -- the words of an answer (formatting.py's mutation run) --------------------------------------


def _answer(**fields):
    results = [
        {"artist": "Björk", "score": 0.8123, "similarity": 0.9, "listeners": 120, "shared_listeners": 7},
        {"artist": "浜崎あゆみ", "score": 0.5, "similarity": 0.6, "listeners": 3, "shared_listeners": 0},
    ]
    return {"artist": "Sigur Rós", "listeners": 40, "plus": [], "minus": [], "results": results} | fields


def test_terminal_widths_of_wide_combining_and_plain_characters():
    from item2vec.query.formatting import width

    assert [width(t) for t in ("日本", "ＡＢ", "e\u0301", "ab", "")] == [4, 4, 1, 2, 0]


def test_the_table_of_an_answer_exactly():
    text = format_table(_answer(evidence="vector"))
    assert text.split("\n") == [
        "Artists similar to Sigur Rós (40 listeners):",
        "",
        " rank  artist       score  listeners",
        "    1  Björk        0.812        120",
        "    2  浜崎あゆみ   0.500          3",
    ]
    from item2vec.query.formatting import heading

    assert heading(_answer()) == "Artists similar to Sigur Rós (40 listeners):"  # no filter by default
    assert format_table(_answer(), min_listeners=2).split("\n")[0] == (
        "Artists similar to Sigur Rós (40 listeners), among artists with at least 2 listeners:"
    )


def test_the_batch_line_of_an_answer_and_its_marks():
    from item2vec.query.formatting import format_line

    assert format_line(_answer()) == "Sigur Rós: Björk (0.81), 浜崎あゆみ (0.50)"
    low = {"level": "low", "value": 0.3, "listeners": 40, "band": [10, 49], "folded": False, "k": 10}
    thin = _answer(evidence="thin (folded in from 2 listeners)", confidence=low)
    assert format_line(thin).startswith("Sigur Rós [thin evidence] [low confidence]: ")
    long = _answer(results=[{"artist": "x" * 60, "score": 0.5}])
    assert format_line(long) == "Sigur Rós: " + "x" * 47 + "… (0.50)"


def test_the_notes_of_an_answer_exactly():
    from item2vec.query.formatting import note, thin_note

    assert thin_note(_answer()) is None  # an answer that does not say: it has a vector
    one = {"name": "Ghost", "listeners": 1, "artist_id": 9}
    assert note({"fact": "folded_operand", "option": "plus", "artist": one}) == (
        "--plus 'Ghost' has no vector of its own (1 listener): it enters folded in from the other "
        "artists its listener lists"
    )
    same = {
        "fact": "same_name",
        "name": "Red",
        "chosen": {"artist_id": 4, "name": "Red", "listeners": 1},
        "others": [
            {"artist_id": 5, "name": "red", "listeners": 2},
            {"artist_id": 9, "name": "RED", "listeners": 1},
        ],
    }
    assert note(same) == (
        "3 artists are named 'Red'; using id:4 (1 listener). Others: id:5 'red' (2 listeners), "
        "id:9 'RED' (1 listener); ask for 'id:N' to pick one."
    )
    fewer = {"fact": "fewer_results", "returned": 2, "asked": 5}
    assert note(fewer | {"min_listeners": 1}) == "only 2 of the 5 asked for: no other artist has a vector"
    assert note(fewer | {"min_listeners": 2}) == (
        "only 2 of the 5 asked for have at least 2 listeners; a lower --min-listeners gives more"
    )


@pytest.mark.parametrize(
    ("band", "folded", "label"),
    [
        ([100, None], False, "100 or more listeners"),
        ([1, 1], True, "1 listener (folded in)"),
        ([2, 2], False, "2 listeners"),
        ([5, 9], False, "5-9 listeners"),
    ],
)
def test_band_labels(band, folded, label):
    from item2vec.query.formatting import band_label

    assert band_label({"band": band, "folded": folded}) == label


def test_a_table_with_no_row_or_a_long_name():
    empty = format_table(_answer(results=[]), min_listeners=500)
    assert empty.split("\n")[1:] == ["", "  (no artist passes the filter; try a lower --min-listeners)"]
    row = {"artist": "x" * 60, "score": 0.5, "similarity": 0.5, "listeners": 3, "shared_listeners": 1}
    last = format_table(_answer(results=[row])).split("\n")[-1]
    assert last == "    1  " + "x" * 47 + "…   0.500          3"


def test_safe_cuts_at_its_limit_and_queries_are_described_with_their_operands():
    from item2vec.query.formatting import describe_query, safe

    assert safe("x" * 120) == "x" * 120 and safe("x" * 121) == "x" * 119 + "…"
    assert describe_query(_answer(plus=["A", "B"], minus=["C"])) == "Sigur Rós + A + B - C"


@pytest.mark.parametrize(
    ("listeners", "words"),
    [
        (1, "(1 listener); it is folded in from the other artists its listener lists, so this answer is "
         "mostly that one listener's taste."),
        (3, "(3 listeners); it is folded in from the other artists its 3 listeners list, so this answer "
         "is mostly those 3 listeners' taste."),
    ],
)  # fmt: skip
def test_the_thin_evidence_note(listeners, words):
    from item2vec.query.formatting import thin_note

    answer = _answer(listeners=listeners, evidence="thin")
    assert thin_note(answer) == f"Thin evidence: Sigur Rós has no vector of its own {words}"


def test_the_json_record_words_the_facts_as_notes_in_the_documented_key_order():
    from item2vec.query.formatting import json_record

    fewer = {"fact": "fewer_results", "returned": 2, "asked": 5, "min_listeners": 0}
    answer = {
        "results": [],
        "confidence": None,
        "facts": [fewer],
        "notes": "replaced",
        "minus": [],
        "plus": [],
        "discover": 0.25,
        "rank": "evidence",
        "evidence": "vector",
        "listeners": 40,
        "artist_id": 7,
        "artist": "Sigur Rós",
        "query": "sigur ros",
    }
    record = json_record(answer)
    assert list(record) == [
        "query", "artist", "artist_id", "listeners", "evidence", "rank", "discover", "plus", "minus",
        "notes", "results", "confidence",
    ]  # fmt: skip
    assert record["notes"] == ["only 2 of the 5 asked for: no other artist has a vector"]


def test_the_low_confidence_line_and_a_narrow_table():
    from item2vec.query.formatting import confidence_line

    low = {"level": "low", "value": 0.34, "listeners": 40, "band": [10, 49], "folded": False, "k": 10}
    assert confidence_line(_answer(confidence=low)) == (
        "Confidence: low (40 listeners): on held-out users, only 3 in 10 answers for artists with "
        "10-49 listeners held, in their top 10, an artist that their listeners also list."
    )
    assert confidence_line(_answer(confidence=low | {"level": "medium"})) is None
    row = {"artist": "A", "score": 0.5, "similarity": 0.5, "listeners": 3, "shared_listeners": 1}
    assert format_table(_answer(results=[row]), explain=True).split("\n")[-2:] == [
        " rank  artist   score  similarity  listeners  shared",
        "    1  A        0.500       0.500          3       1",
    ]


# -- the corpus (its mutation run) -------------------------------------------------------------


def _corpus_plays():
    from item2vec.research.synthetic import make_plays

    plays, _ = make_plays(n_users=60, seed=3)
    return plays.reset_index(drop=True)


def test_the_corpus_defaults_are_the_documented_ones(tmp_path):
    plays = _corpus_plays()
    vocab = np.unique(plays["artist_id"].to_numpy())
    assert build_sentences(plays, vocab) == build_sentences(plays, vocab, "log", 4, 0)
    assert max(repeats(plays["plays"].to_numpy(), plays["user"].to_numpy(), "log", 4)) == 4  # 4 is reached
    default, explicit = tmp_path / "default.txt", tmp_path / "explicit.txt"
    write_corpus(str(default), plays, vocab)
    write_corpus(str(explicit), plays, vocab, "none", 4, 0)
    assert default.read_bytes() == explicit.read_bytes()


def test_a_corpus_written_in_chunks_of_shuffled_rows_counts_every_sentence(tmp_path):
    plays = _corpus_plays()
    vocab = np.unique(plays["artist_id"].to_numpy())
    whole = build_sentences(plays, vocab, "log", 4, 0)
    path = tmp_path / "corpus.txt"
    shuffled = plays.sample(frac=1, random_state=1)
    counts = write_corpus(str(path), shuffled, vocab, "log", 4, 0, chunk_users=7)
    assert path.read_text(encoding="ascii").splitlines() == [" ".join(s) for s in whole]
    assert counts == (len(whole), sum(len(s) for s in whole), max(len(s) for s in whole))


def test_corpus_tokens_defaults_and_a_log_corpus_written_with_the_default_max_repeat(tmp_path):
    plays = _corpus_plays()
    vocab = np.unique(plays["artist_id"].to_numpy())
    users, artists = corpus_tokens(plays, vocab)
    explicit = corpus_tokens(plays, vocab, "log", 4, 0)
    assert users.tolist() == explicit[0].tolist() and artists.tolist() == explicit[1].tolist()
    assert users.dtype == artists.dtype == np.int64  # as documented, whatever the frame holds
    path = tmp_path / "corpus.txt"
    write_corpus(str(path), plays, vocab, "log")
    assert path.read_text(encoding="ascii").splitlines() == [
        " ".join(s) for s in build_sentences(plays, vocab, "log", 4, 0)
    ]


def test_a_user_in_the_keyed_order_is_its_tokens_sorted_by_key_artist_and_copy():
    # The module's rule, built here token by token: copies 0 .. repeats - 1 of each artist.
    plays = pd.DataFrame(
        {"user": [3, 3, 3, 8, 8], "artist_id": [10, 11, 12, 10, 12], "plays": [1, 1, 9, 2, 2]}
    )
    users, artists = corpus_tokens(plays, [10, 11, 12], "log", 4, seed=5)
    reps = repeats(plays["plays"].to_numpy(), plays["user"].to_numpy(), "log", 4)
    assert reps.tolist() == [1, 1, 4, 1, 1]
    expected = []
    for user in (3, 8):
        mine = plays["user"].to_numpy() == user
        tokens = [(a, c) for a, r in zip(plays["artist_id"][mine], reps[mine], strict=True) for c in range(r)]
        keys = token_keys(5, [user] * len(tokens), [a for a, _ in tokens], [c for _, c in tokens])
        expected += [
            (user, a) for _, a, _ in sorted(zip(keys.tolist(), *zip(*tokens, strict=True), strict=True))
        ]
    assert list(zip(users.tolist(), artists.tolist(), strict=True)) == expected


def test_a_user_needs_two_different_artists_whatever_the_rows():
    # User 1's rows name artist 5 twice (rows a reader had not merged): one artist, no sentence.
    # User 2 lists 3 and 5, the artist the first user starts with: two artists.
    plays = pd.DataFrame({"user": [1, 1, 2, 2], "artist_id": [5, 5, 3, 5], "plays": [1, 1, 1, 1]})
    users, artists = corpus_tokens(plays, [3, 5], "none", 1)
    assert users.tolist() == [2, 2] and sorted(artists.tolist()) == [3, 5]


def test_nothing_to_write_gives_empty_tokens_and_an_empty_file(tmp_path):
    plays = pd.DataFrame({"user": [1, 1], "artist_id": [5, 6], "plays": [1, 1]})
    users, artists = corpus_tokens(plays, [7], "log", 4)  # no artist of the vocabulary
    assert users.tolist() == artists.tolist() == [] and users.dtype == artists.dtype == np.int64
    assert build_sentences(plays, [7]) == []
    path = tmp_path / "corpus.txt"
    assert write_corpus(str(path), plays.iloc[:0], [5, 6]) == (0, 0, 0)
    assert path.read_bytes() == b""


def test_log_weighting_of_a_user_whose_median_is_one_play():
    # Median 1: 2 plays are twice the median, so 2 copies.
    assert repeats(np.array([1, 1, 1, 2, 4]), np.zeros(5, dtype=int), "log", 4).tolist() == [1, 1, 1, 2, 3]


def test_the_vocabulary_keeps_artists_with_exactly_min_count_listeners_as_int64():
    vocab = vocabulary_of(np.array([1, 2, 3], dtype=np.int32), [1, 2, 3], 2)
    assert vocab.tolist() == [2, 3] and vocab.dtype == np.int64


def test_rows_of_users_out_of_order_are_sorted_before_the_chunks(tmp_path):
    # The first row holds the smallest user, yet user 2's rows are apart: written one user per
    # chunk, each user must still give one sentence.
    plays = pd.DataFrame({"user": [0, 0, 2, 1, 1, 2], "artist_id": [1, 2, 1, 1, 2, 2], "plays": [1] * 6})
    path = tmp_path / "corpus.txt"
    assert write_corpus(str(path), plays, [1, 2], "none", 1, chunk_users=1)[0] == 3
    assert path.read_text(encoding="ascii").splitlines() == [
        " ".join(s) for s in build_sentences(plays, [1, 2], "none", 1)
    ]


def test_weighting_with_two_copies_at_most_and_a_user_of_two_artists():
    assert repeats(np.array([1, 1, 1, 4]), np.zeros(4, dtype=int), "log", 2).tolist() == [1, 1, 1, 2]
    # Rank weighting: the top artist gets max_repeat, the bottom one 1, even with two artists.
    assert repeats(np.array([5, 3]), np.zeros(2, dtype=int), "rank", 4).tolist() == [4, 1]


def test_an_unknown_weighting_names_the_known_ones():
    with pytest.raises(ValueError, match=r"^unknown weighting 'tf-idf'; choose from none, log, rank$"):
        repeats(np.array([1, 2]), np.zeros(2, dtype=int), "tf-idf", 4)
