"""Evaluation protocol: metrics on hand-made cases, leak-free splits, baselines' query shape."""

import dataclasses
import io
import json
import os

import numpy as np
import pytest
import scipy.sparse as sp

from item2vec.ingest import Dataset
from item2vec.model.storage import load_model
from item2vec.query.ranking import DEFAULT_RANKING
from item2vec.research import baselines
from item2vec.research.metrics import bootstrap, rank_of, score_users
from item2vec.research.splits import SET_MIN_LISTENERS, full_split, make_split, user_folds
from item2vec.research.synthetic import make_plays, write_kaggle
from item2vec.training.trainer import TrainConfig


def synthetic_dataset(n_users=300, seed=0):
    plays, artists = make_plays(n_users=n_users, seed=seed)
    return Dataset(
        plays=plays, artists=artists[["artist_id", "name"]], checksums={}, repairs={}, format="synthetic"
    )


@pytest.fixture(scope="module")
def dataset():
    return synthetic_dataset()


@pytest.fixture(scope="module")
def split(dataset):
    return make_split(dataset, "test", 0)


# -- metrics ------------------------------------------------------------------------------


def test_metrics_on_a_hand_made_case():
    # 4 artists; listeners 1, 2, 4, 4 -> IPS weights 1, 1/2, 1/4, 1/4.
    listeners = np.array([1, 2, 4, 4])
    top = np.array(
        [
            [1, 2],  # query 0
            [3, 2],  # query 1
            [0, 1],  # query 2
            [0, 2],
        ]
    )  # query 3
    lists = [np.array([0, 1]), np.array([2, 3])]
    sums = score_users(top, lists, listeners, k=2)
    point = sums.point()
    # User A (0, 1): q0 returns 1 (hit) and 2; q1 returns 3, 2 (no hit).
    # User B (2, 3): q2 returns 0, 1 (no hit); q3 returns 0, 2 (hit on 2).
    assert point["queries"] == 4 and point["users"] == 2
    assert point["hr"] == pytest.approx(2 / 4)
    assert point["precision"] == pytest.approx((1 / 2 + 0 + 0 + 1 / 2) / 4)
    # Each query has one target, so IPS recall is 1 on a hit and 0 otherwise.
    assert point["ips_recall"] == pytest.approx(2 / 4)
    assert point["coverage"] == pytest.approx(4 / 4)
    assert point["mean_listeners"] == pytest.approx(np.mean([2, 4, 4, 4, 1, 2, 1, 4]))


def test_ips_recall_weighs_niche_targets_more():
    listeners = np.array([10, 1, 100, 5, 5])
    lists = [np.array([0, 1, 2])]
    # Query 0's targets are 1 (weight 1) and 2 (weight 1/100).
    found_niche = np.array([[1, 3], [0, 3], [0, 3], [4, 0], [3, 0]])
    found_popular = np.array([[2, 3], [0, 3], [0, 3], [4, 0], [3, 0]])
    niche = score_users(found_niche, lists, listeners, k=2)
    popular = score_users(found_popular, lists, listeners, k=2)
    assert niche.ips_recall[0] - popular.ips_recall[0] == pytest.approx(1 / 1.01 - 0.01 / 1.01)
    # Plain hit-rate cannot tell them apart.
    assert niche.hr[0] == popular.hr[0]


def test_short_answer_lists_are_padded_and_not_counted():
    listeners = np.array([3, 3, 3])
    top = np.array([[1, -1], [-1, -1], [0, 1]])
    sums = score_users(top, [np.array([0, 1, 2])], listeners, k=2)
    assert sums.returned[0] == 3
    assert sums.hr[0] == 2  # queries 0 and 2 hit, query 1 returned nothing
    assert sums.point()["mean_listeners"] == pytest.approx(3.0)


def test_bootstrap_interval_brackets_the_mean_and_collapses_on_identical_users():
    listeners = np.ones(3)
    top = np.array([[1], [0], [0]])  # user (0, 1) hits on both queries, user (1, 2) on neither
    same = score_users(top, [np.array([0, 1])] * 20, listeners, k=1)
    result = bootstrap([same], n_boot=200)
    assert result["hr"]["low"] == pytest.approx(result["hr"]["high"]) == pytest.approx(result["hr"]["mean"])
    mixed = score_users(top, [np.array([0, 1]), np.array([1, 2])] * 20, listeners, k=1)
    result = bootstrap([mixed, same], n_boot=500)
    assert result["hr"]["low"] < result["hr"]["mean"] < result["hr"]["high"]
    assert result["hr"]["mean"] == pytest.approx((0.5 + 1.0) / 2)


# -- splits -------------------------------------------------------------------------------


def test_folds_are_disjoint_and_validation_avoids_test_users():
    test, validation = user_folds(np.arange(1000), n_seeds=3, frac=0.1)
    everything = np.concatenate(test + validation)
    assert len(everything) == len(np.unique(everything)) == 600
    assert all(len(f) == 100 for f in test + validation)


@pytest.mark.parametrize("kind", ["test", "validation"])
def test_split_never_leaks_heldout_users_into_training(dataset, kind):
    all_test = np.concatenate(user_folds(dataset.plays["user"].unique())[0])
    for seed in range(3):
        s = make_split(dataset, kind, seed)
        train_users = set(s.train.plays["user"])
        held = set(s.heldout["user"])
        assert held and not train_users & held
        # A held-out user leaves with all their rows.
        assert len(s.heldout) == int(dataset.plays["user"].isin(held).sum())
        if kind == "validation":
            assert not train_users & set(all_test) and not held & set(all_test)
        else:
            assert train_users | held == set(dataset.plays["user"])
        # The artist set is counted on training users only.
        counts = s.train.plays.groupby("artist_id")["user"].nunique()
        assert set(s.ids) == set(counts.index[counts >= SET_MIN_LISTENERS])


# -- baselines ----------------------------------------------------------------------------


def fitted(split):
    config = TrainConfig(epochs=2, vector_size=16)
    return [
        baselines.fit_popularity(split),
        baselines.fit_itemknn(split),
        baselines.fit_ease(split, 50.0),
        baselines.fit_als(split, factors=8, iterations=3),
        baselines.fit_default_word2vec(split),
        baselines.fit_item2vec(split, config),
    ]


@pytest.fixture(scope="module")
def models(split):
    return fitted(split)


def test_every_model_answers_in_one_shape_and_never_returns_the_query(split, models):
    allowed = split.listeners >= 10
    for model in models:
        assert np.array_equal(model.ids, split.ids), model.name
        for query in (int(split.ids[0]), [int(split.ids[1]), int(split.ids[2])]):
            ids, scores = model.similar(query, topn=10)
            assert ids.shape == scores.shape == (10,), model.name
            assert not set(np.atleast_1d(query)) & set(ids.tolist()), model.name
            assert np.all(np.diff(scores) <= 1e-6), model.name
            assert set(ids.tolist()) <= set(split.ids.tolist())
        ids, _ = model.similar(int(split.ids[0]), topn=10, allowed=allowed)
        assert set(ids.tolist()) <= set(split.ids[allowed].tolist()), model.name
        top = model.top_rows(10)
        assert top.shape == (len(split.ids), 10)
        assert not np.any(top == np.arange(len(split.ids))[:, None]), model.name
        with pytest.raises(KeyError):
            model.similar(10**9)


def test_top_rows_agrees_with_similar(split, models):
    for model in models[1:3]:  # dense models: scores without ties
        top = model.top_rows(5)
        for row in (0, 7, len(split.ids) - 1):
            ids, _ = model.similar(int(split.ids[row]), topn=5)
            assert np.array_equal(split.ids[top[row]], ids), model.name


def test_itemknn_is_the_cosine_of_listener_columns():
    x = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1]], dtype=np.float32))
    knn = baselines.ItemKNN(np.array([1, 2, 3]), x)
    assert knn.matrix[0, 1] == pytest.approx(2 / np.sqrt(3 * 2))
    assert knn.matrix[1, 2] == pytest.approx(1 / 2)


def test_ease_satisfies_its_optimality_conditions():
    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((40, 6)) < 0.4).astype(np.float32))
    lam = 3.0
    ease = baselines.EASE(np.arange(6), x, lam)
    b = ease.matrix.astype(np.float64)
    g = (x.T @ x).toarray()
    assert np.allclose(np.diag(b), 0)
    # Stationarity of ||X - XB||^2 + lam ||B||^2 under diag(B) = 0: (G + lam I) B - G is diagonal.
    residual = (g + lam * np.eye(6)) @ b - g
    assert np.allclose(residual - np.diag(np.diag(residual)), 0, atol=1e-4)


def test_popularity_ranks_by_training_listeners(split, models):
    ids, _ = models[0].similar(int(split.ids[0]), topn=3)
    order = split.ids[np.argsort(-split.listeners, kind="stable")]
    expected = [i for i in order if i != split.ids[0]][:3]
    assert [split.listeners[split.rows([i])[0]] for i in ids] == [
        split.listeners[split.rows([i])[0]] for i in expected
    ]


def test_rank_of_matches_the_answer_list(dataset):
    s = full_split(dataset)
    knn = baselines.fit_itemknn(s)
    q = int(s.ids[0])
    ids, _ = knn.similar(q, topn=5)
    assert rank_of(knn, q, [int(ids[2]), q]) == [3, None]


# -- item2vec scored by the product's code -----------------------------------------------------


@pytest.mark.parametrize("position", [0.0, 1.0, "default"])
def test_item2vec_in_the_evaluation_answers_as_the_product_ranks(split, position):
    """EvidenceRanked must equal a query-by-query computation with the product's CoListens,
    item-item table and Ranking, at every kind of dial position."""
    from item2vec.model.arrays import top_k
    from item2vec.model.catalog import Catalog
    from item2vec.query.ranking import DEFAULT_DISCOVER, DIAL, CoListens
    from item2vec.research.methods import EvidenceRanked, colisten_counts, item_weights
    from item2vec.training.ease import ease_weights
    from item2vec.training.trainer import bag_vectors

    ranking = DIAL[DEFAULT_DISCOVER if position == "default" else position]
    rng = np.random.default_rng(0)
    unit = bag_vectors([rng.normal(size=(len(split.ids), 6)) for _ in range(2)])
    model = EvidenceRanked(
        split.ids, unit, colisten_counts(split), split.listeners, ranking, weights=item_weights(split)
    )
    catalog = Catalog.from_dataset(split.train)
    colistens = CoListens(catalog)
    table = ease_weights(catalog, split.ids)
    # The catalogue holds every artist of the training users; the vectors (the set) are a subset.
    position = np.searchsorted(catalog.ids, split.ids)
    assert np.array_equal(catalog.ids[position], split.ids)
    assert np.array_equal(catalog.listeners[position], split.listeners)
    for row in (0, 3, len(split.ids) // 2, len(split.ids) - 1):
        shared = colistens.counts(int(position[row]))[position].astype(np.float64)
        shared[row] = 0  # the query is no candidate
        weights = table.of([row])
        score = ranking.scores(unit @ unit[row], shared, split.listeners[row], split.listeners, weights)
        candidates = np.ones(len(split.ids), dtype=bool)
        candidates[row] = False
        expected = split.ids[top_k(score, candidates, 10)]
        ids, _ = model.similar(int(split.ids[row]), topn=10)
        assert np.array_equal(ids, expected)


def test_evaluated_bag_is_the_bag_train_builds(tmp_path, split):
    from item2vec.research.members import MemberStore
    from item2vec.training.trainer import train

    config = TrainConfig(members=2, epochs=2, vector_size=8, workers=1)
    store = MemberStore(str(tmp_path / "cache"), processes=1)
    bag = store.bag(split.train, config, split.ids)
    trained = train(split.train, config, progress=False, processes=1)
    assert np.array_equal(trained.artist_ids, split.ids)
    assert np.array_equal(bag, trained.vectors)
    assert store.trained == 2 and (tmp_path / "cache" / ".gitignore").read_text() == "*\n"
    again = MemberStore(str(tmp_path / "cache"), processes=1)
    assert np.array_equal(again.bag(split.train, config, split.ids), bag)
    assert again.trained == 0 and again.hits == 2


def test_member_cache_key_follows_data_and_config(split, dataset):
    from item2vec.research.members import MemberStore

    store = MemberStore("unused")
    config = TrainConfig(epochs=2)
    other_split = make_split(dataset, "test", 1)
    key = store.key(split.train, config)
    assert key == MemberStore("elsewhere").key(split.train, TrainConfig(epochs=2))
    assert key != store.key(split.train, TrainConfig(epochs=3))
    assert key != store.key(other_split.train, config)


# -- the model table and the targets --------------------------------------------------------------


def test_choose_takes_the_best_ips_at_the_hr_target_or_else_the_best_hr():
    from item2vec.research.methods import choose

    points = [
        {"params": "a", "hr": 0.85, "ips_recall": 0.02},
        {"params": "b", "hr": 0.81, "ips_recall": 0.03},
        {"params": "c", "hr": 0.79, "ips_recall": 0.05},
    ]
    assert choose(points, 0.80)["params"] == "b" and choose(points, 0.80)["meets_target"]
    low = choose(points, 0.9)
    assert low["params"] == "a" and not low["meets_target"]


def test_top_rows_of_some_queries_equal_those_rows_of_all(split, models):
    queries = np.array([5, 0, 9, 5])
    for model in models[1:3]:
        full = model.top_rows(10)
        some = model.top_rows(10, queries=queries)
        assert np.array_equal(some[queries], full[queries])
        others = np.setdiff1d(np.arange(len(split.ids)), queries)
        assert (some[others] == -1).all()


def _result(shipped_test, curves, mine, rare_ratio):
    """A minimal result dict for :func:`targets`: one baseline ``knn`` with its test curve."""

    def boot(hr, ips, low=None):
        return {
            "hr": {"mean": hr, "low": hr, "high": hr},
            "ips_recall": {"mean": ips, "low": low or ips, "high": ips},
        }

    return {
        "protocol": {"hr_target": 0.8, "ips_factor": 1.05},
        "ablation": [
            {
                "key": "shipped",
                "ranking": {"weight": 0.1},
                "test": boot(*shipped_test),
                "validation": boot(0.8, 0.03),
            }
        ],
        "methods": {
            "itemknn": {
                "validation": {"grid": [], "chosen": {"params": {"c": 0.0}}},
                "test": {"curve": curves, "chosen": boot(curves[0]["hr"], curves[0]["ips_recall"])},
            }
        },
        "dial": {
            "test": [{"position": i / 4, **boot(pt["hr"], pt["ips_recall"])} for i, pt in enumerate(mine)],
            "validation": [],
            "search": {"shipped_is_chosen": True},
        },
        "rare": {
            "test": {
                "methods": {"product": boot(0.5, 0.06), "colisten": boot(0.4, 0.05)},
                "ratio_colisten": rare_ratio,
            }
        },
    }


def test_targets_compare_with_the_best_baseline_point_at_the_hr_target():
    from item2vec.research.evaluate_report import targets

    curves = [
        {"params": {"c": 0.0}, "hr": 0.78, "ips_recall": 0.040},  # below the HR target: not the rival
        {"params": {"c": 0.1}, "hr": 0.81, "ips_recall": 0.030},
        {"params": {"c": 0.2}, "hr": 0.85, "ips_recall": 0.020},
    ]
    # The dial's positions, niche to familiar.
    mine = [
        {"hr": 0.79, "ips_recall": 0.041},
        {"hr": 0.82, "ips_recall": 0.0316},
        {"hr": 0.86, "ips_recall": 0.021},
    ]
    t = targets(_result((0.82, 0.0316, 0.0290), curves, mine, {"mean": 1.1, "low": 1.01, "high": 1.2}))
    test = t["test"]
    assert test["rival"] == "itemknn" and test["rival_ips"] == 0.030
    assert test["ratio"] == pytest.approx(0.0316 / 0.030) and test["ratio_met"]
    assert not test["interval_met"]  # 0.0290 is not above 0.030
    front = t["frontier"]["test"]
    assert front["methods"]["itemknn"] == {"points": 3, "by_position": 3, "by_curve": 3, "missed": []}
    assert front["met"] and front["met_by_positions"] and t["dial_chosen"]
    assert t["rare"]["met"] and t["rare"]["interval_above"]
    # Between two positions the line through them counts; above the familiar end's HR@10 nothing does.
    more = curves + [
        {"params": {"c": 0.3}, "hr": 0.83, "ips_recall": 0.028},  # line at 0.83: 0.02895, reached
        {"params": {"c": 0.4}, "hr": 0.84, "ips_recall": 0.027},  # line at 0.84: 0.0263, not reached
        {"params": {"c": 0.6}, "hr": 0.87, "ips_recall": 0.015},  # past the last position
    ]
    front = targets(_result((0.82, 0.0316, 0.0290), more, mine, {"mean": 1.1, "low": 1.01, "high": 1.2}))
    counts = front["frontier"]["test"]["methods"]["itemknn"]
    assert (counts["points"], counts["by_position"], counts["by_curve"]) == (6, 3, 4)
    assert [x["c"] for x in counts["missed"]] == [0.4, 0.6] and not front["frontier"]["test"]["met"]
    # Just under 1.05 x: not met.
    t = targets(_result((0.82, 0.0314, 0.0300), curves, mine, {"mean": 0.99, "low": 0.9, "high": 1.1}))
    assert not t["test"]["ratio_met"] and not t["rare"]["met"]


# -- rare queries --------------------------------------------------------------------------------


def _with_rare_artists(plays, artists, n_users, count, plays_each, seed):
    """``plays`` and ``artists`` plus ``count`` artists "rare0", ... heard by one or two of
    the users 1..``n_users`` each (alternately, drawn at random), ``plays_each`` plays per listener."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = len(artists)
    extra = [
        (int(u), n + 1 + k, plays_each)
        for k in range(count)
        for u in rng.choice(n_users, 1 + k % 2, replace=False) + 1
    ]
    plays = pd.concat([plays, pd.DataFrame(extra, columns=["user", "artist_id", "plays"])], ignore_index=True)
    ids = np.arange(n + 1, n + 1 + count)
    rare = pd.DataFrame({"artist_id": ids, "name": [f"rare{k}" for k in range(count)]})
    return plays, pd.concat([artists[["artist_id", "name"]], rare], ignore_index=True)


@pytest.fixture(scope="module")
def rare_dataset():
    """Synthetic lists plus artists with one or two listeners, some of them held-out users'."""
    plays, artists = make_plays(n_users=300, seed=3)
    plays, artists = _with_rare_artists(plays, artists, 300, count=40, plays_each=1, seed=1)
    return Dataset(plays=plays, artists=artists, checksums={}, repairs={}, format="synthetic")


def test_rare_queries_and_their_colistens(rare_dataset):
    from item2vec.research.rare import RareQueries

    s = make_split(rare_dataset, "test", 0)
    rare = RareQueries(s)
    assert rare.queries and rare.n_users >= 1
    train = s.train.plays
    held = s.heldout
    for user, row, targets in rare.queries:
        artist = int(rare.artists[row])
        mine = held.loc[held["user"] == rare.users[user], "artist_id"]
        # Asked by a held-out user who lists it; the targets are that user's artists in the set.
        assert artist in set(mine)
        assert np.array_equal(s.ids[targets], np.intersect1d(mine, s.ids))
        listeners = set(train.loc[train["artist_id"] == artist, "user"])
        assert 1 <= len(listeners) <= 2
        assert rare.query_listeners[row] == len(listeners)
        for j in (0, len(s.ids) // 2, len(s.ids) - 1):
            both = listeners & set(train.loc[train["artist_id"] == s.ids[j], "user"])
            assert rare.shared[row, j] == len(both)


def test_rare_product_scores_are_the_fold_in_and_the_rare_ranking(rare_dataset):
    from item2vec.query.ranking import fold_in
    from item2vec.research.rare import RARE_RANKING, RareQueries

    s = make_split(rare_dataset, "test", 0)
    rare = RareQueries(s)
    unit = baselines.VectorModel(
        s.ids, s.ids, np.random.default_rng(0).normal(size=(len(s.ids), 5)), "v"
    ).unit
    scores = rare.product_scores(unit)
    row = int(np.flatnonzero(rare.evidence())[0])
    v = fold_in(rare.shared[row], s.listeners, unit)
    expected = RARE_RANKING.scores(unit @ v, rare.shared[row], rare.query_listeners[row], s.listeners)
    # fold_in of one query uses einsum, of many a matrix product: float32 rounding apart.
    np.testing.assert_allclose(scores[row], expected, rtol=1e-5, atol=1e-6)
    baseline = rare.colisten_scores()
    assert np.isinf(baseline[rare.shared == 0]).all()
    sums = rare.evaluate(baseline)
    assert sums.queries.sum() == len(rare.queries)


def test_paired_ratio_of_a_method_with_itself_is_exactly_one(rare_dataset):
    from item2vec.research.rare import RareQueries, paired

    rare = RareQueries(make_split(rare_dataset, "test", 0))
    sums = rare.evaluate(rare.colisten_scores())
    same = paired([sums], [sums], "ips_recall", n_boot=50)
    assert same == {"mean": 1.0, "low": 1.0, "high": 1.0}
    assert paired([sums], [sums], "hr", n_boot=50, ratio=False)["mean"] == 0.0


def test_answerable_counts_vectors_folds_and_the_rest():
    import pandas as pd

    from item2vec.research.rare import answerable

    # Artists 1-2 have 3 listeners (vectors); 3 shares user 1 with them; 4's only listener lists nothing else;
    # 5 is in the artist table but has no listener.
    plays = pd.DataFrame(
        {"user": [1, 2, 3, 1, 2, 3, 1, 9], "artist_id": [1, 1, 1, 2, 2, 2, 3, 4], "plays": [1] * 8}
    )
    artists = pd.DataFrame({"artist_id": [1, 2, 3, 4, 5], "name": list("abcde")})
    ds = Dataset(plays=plays, artists=artists, checksums={}, repairs={}, format="synthetic")
    assert answerable(ds, 3) == {"catalogue": 5, "with_vector": 2, "folded_in": 1, "unanswerable": 2}


# -- the command ---------------------------------------------------------------------------


def _write_example_data(folder):
    """Synthetic Kaggle files with the README's example names and some rare artists."""
    plays, artists = make_plays(n_users=200, artists_per_genre=20, seed=1)
    plays, artists = _with_rare_artists(plays, artists, 200, count=30, plays_each=5, seed=0)
    for aid, name in {5: "Rosetta", 6: "Cult Of Luna", 7: "Pelican", 8: "The Ocean"}.items():
        artists.loc[artists["artist_id"] == aid, "name"] = name
    write_kaggle(str(folder), plays, artists)


@pytest.mark.slow
@pytest.mark.spark
def test_evaluate_command_end_to_end(spark, tmp_path, monkeypatch):  # MLlib's fits join the shared session
    from item2vec.research import evaluate, methods

    def unavailable(split, **_):
        raise baselines.MethodUnavailable("needs a library this machine lacks")

    # A registered extra model appears everywhere; one that cannot run gets a line, not a row.
    monkeypatch.setitem(methods.METHODS, "extra", methods.Method("extra", "Extra vectors", baselines.fit_als))
    monkeypatch.setitem(methods.METHODS, "missing", methods.Method("missing", "Missing model", unavailable))
    data, out = tmp_path / "data", tmp_path / "docs"
    _write_example_data(data)
    argv = ["--data", str(data), "--out", str(out), "--seeds", "1", "--boot", "30", "--quick", "--quiet"]
    assert evaluate.main([*argv, "--processes", "1"]) == 0
    result = json.loads((out / "evaluation.json").read_text())
    assert result["quick"] and result["protocol"]["seeds"] == 1
    assert [row["key"] for row in result["ablation"]] == [key for key, *_ in evaluate.ablation()]
    assert set(result["methods"]) == set(methods.METHODS) - {"missing"}
    assert result["unavailable"] == {
        "missing": {"name": "Missing model", "reason": "needs a library this machine lacks"}
    }
    assert result["shipped"]["ranking"] == dataclasses.asdict(DEFAULT_RANKING)
    assert result["example"]["in_data"]["Shels"] is False and result["example"]["ranks"]["shipped"]
    assert result["rare"]["test"]["queries"] > 0
    assert set(result["targets"]) >= {"test", "validation", "frontier", "rare"}
    assert os.path.getsize(out / "frontier.png") > 10_000
    text = (out / "EVALUATION.md").read_text()
    hr = next(r for r in result["ablation"] if r["key"] == "shipped")["test"]["hr"]
    assert f"{hr['mean']:.3f} [{hr['low']:.3f}, {hr['high']:.3f}]" in text
    assert "| Extra vectors |" in text and "Missing model: not evaluated in this run" in text
    assert "Quick run" in text and "--quick" in text
    # --render-only from the JSON the command wrote gives back the Markdown it wrote.
    assert evaluate.render(result) == text
    os.remove(out / "EVALUATION.md")
    assert evaluate.main(["--render-only", "--out", str(out)]) == 0
    assert (out / "EVALUATION.md").read_text() == text
    # A second run trains nothing (the member cache) and measures the same. MLlib's baseline,
    # which the cache does not hold (three local-Spark fits, most of this test's time), is
    # left out of it: its row was checked above.
    monkeypatch.delitem(methods.METHODS, "mllib")
    assert evaluate.main(argv) == 0
    again = json.loads((out / "evaluation.json").read_text())
    assert again["cache"]["trained"] == 0 and again["cache"]["loaded"] == result["cache"]["trained"] > 0
    assert again["ablation"] == result["ablation"] and again["dial"] == result["dial"]
    assert again["confidence"] == result["confidence"]
    _check_confidence_reaches_the_tool(result, data, out, tmp_path)


def _check_confidence_reaches_the_tool(result, data, out, tmp_path):
    """The measured table: in the report, copied by the training command, answered with by ask.py."""
    from item2vec.cli import ask_command, train_command
    from item2vec.research import evaluate, evaluate_report

    def ask(model):
        answered = io.StringIO()
        assert (
            ask_command.main([f"id:{catalog.ids[row]}", "--json", "--model", str(model)], out=answered) == 0
        )
        return json.loads(answered.getvalue())["confidence"]

    confidence = result["confidence"]
    assert confidence["folds"] == ["validation 0"] and confidence["bands"]
    assert confidence["config"] == result["shipped"]["config"]
    text = (out / "EVALUATION.md").read_text()
    first = confidence["bands"][0]
    assert "## How far to trust an answer" in text and f"| {first['queries']:,} |" in text
    method = tmp_path / "METHOD.md"
    method.write_text("intro\n<!-- begin confidence -->\nold\n<!-- end confidence -->\nrest\n")
    assert evaluate.main(["--render-only", "--out", str(out), "--method", str(method)]) == 0
    assert evaluate_report.render_method(result).strip() in method.read_text()
    # Trained on the data measured, with the configuration measured: the model carries the table.
    quick = ["--members", "2", "--epochs", "2", "--vector-size", "8", "--quiet", "--data", str(data)]
    source = ["--confidence", str(out / "evaluation.json")]
    assert train_command.main([*quick, *source, "--out", str(tmp_path / "m")]) == 0
    stored = json.loads((tmp_path / "m" / "metadata.json").read_text())["confidence"]
    assert stored["bands"] == confidence["bands"]
    model = load_model(str(tmp_path / "m"))
    catalog = model.catalog
    # The most listened artist whose band was measured.
    row = next(
        int(r)
        for r in np.argsort(-catalog.listeners, kind="stable")
        if model.confidence.band(int(catalog.listeners[r]), catalog.ids[r] not in model.vectors)
    )
    band = dataclasses.asdict(model.confidence.band(int(catalog.listeners[row]), False))
    answered = io.StringIO()
    assert (
        ask_command.main([f"id:{catalog.ids[row]}", "--json", "--model", str(tmp_path / "m")], out=answered)
        == 0
    )
    measured = json.loads(answered.getvalue())["confidence"]
    assert measured["value"] == band["value"] and measured["queries"] == band["queries"]
    # Another configuration, or none asked for: no table, and the answer says it was not measured.
    assert train_command.main([*quick, "--seed", "5", *source, "--out", str(tmp_path / "o")]) == 0
    assert "confidence" not in json.loads((tmp_path / "o" / "metadata.json").read_text())
    assert train_command.main([*quick, "--confidence", "none", "--out", str(tmp_path / "n")]) == 0
    answered = io.StringIO()
    assert (
        ask_command.main([f"id:{catalog.ids[row]}", "--json", "--model", str(tmp_path / "n")], out=answered)
        == 0
    )
    assert json.loads(answered.getvalue())["confidence"]["reason"] == "not_measured"


def test_ctrl_c_during_the_evaluation_writes_nothing_and_returns_130(tmp_path, monkeypatch, capsys):
    from item2vec.research import evaluate

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluate, "run", interrupted)
    out = tmp_path / "docs"
    assert evaluate.main(["--data", str(tmp_path), "--out", str(out), "--quiet"]) == 130
    assert capsys.readouterr().err.strip() == f"interrupted: nothing was written to {out}"
    assert not out.exists()


def test_evaluate_command_reports_missing_data(tmp_path, capsys):
    from item2vec.research import evaluate

    assert evaluate.main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "no such data folder" in capsys.readouterr().err
