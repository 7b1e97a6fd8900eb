"""Evaluation protocol: metrics on hand-made cases, leak-free splits, baselines' query shape."""

import json
import os

import numpy as np
import pytest
import scipy.sparse as sp

from item2vec.data import Dataset
from item2vec.research import baselines
from item2vec.research.metrics import bootstrap, rank_of, score_users
from item2vec.research.splits import SET_MIN_LISTENERS, full_split, make_split, user_folds
from item2vec.research.synthetic import make_plays, write_kaggle
from item2vec.train import TrainConfig


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


# -- the command ---------------------------------------------------------------------------


def test_evaluate_command_end_to_end(tmp_path):
    from item2vec.research import evaluate

    plays, artists = make_plays(n_users=200, artists_per_genre=20, seed=1)
    data = tmp_path / "data"
    write_kaggle(str(data), plays, artists)
    out = tmp_path / "docs"
    code = evaluate.main(
        [
            "--data",
            str(data),
            "--out",
            str(out),
            "--seeds",
            "1",
            "--boot",
            "30",
            "--epochs",
            "2",
            "--tradeoff-epochs",
            "1,2",
            "--tradeoff-sizes",
            "8",
            "--latency-queries",
            "5",
            "--quiet",
        ]
    )
    assert code == 0
    result = json.loads((out / "evaluation.json").read_text())
    assert set(result["test"]) == {
        "item2vec",
        "popularity",
        "itemknn",
        "ease",
        "als",
        "word2vec_default",
        "item2vec_untuned",
    }
    assert result["protocol"]["seeds"] == 1 and result["item2vec_config"]["epochs"] == 2
    assert os.path.getsize(out / "tradeoff.png") > 1000
    text = (out / "EVALUATION.md").read_text()
    hr = result["test"]["item2vec"]["filtered"]["hr"]
    assert f"{hr['mean']:.3f} [{hr['low']:.3f}, {hr['high']:.3f}]" in text
    # --render-only from the JSON the command wrote gives back the Markdown it wrote.
    assert evaluate.render(result) == text
    os.remove(out / "EVALUATION.md")
    assert evaluate.main(["--render-only", "--out", str(out)]) == 0
    assert (out / "EVALUATION.md").read_text() == text
    assert result["protocol"]["choice_hr_floor"] == evaluate.CHOICE_HR_FLOOR
    assert "--seeds 1" in text


def test_evaluate_command_reports_missing_data(tmp_path, capsys):
    from item2vec.research import evaluate

    assert evaluate.main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "no such data folder" in capsys.readouterr().err
