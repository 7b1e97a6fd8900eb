"""Fair baselines: item-kNN shrinkage, RP3beta, the shared evidence discount and the validation grid."""

import numpy as np
import pytest
import scipy.sparse as sp

from item2vec.ingest import Dataset
from item2vec.model.arrays import top_k_rows
from item2vec.query.ranking import Ranking
from item2vec.research import baselines
from item2vec.research.splits import make_split
from item2vec.research.synthetic import make_plays
from item2vec.research.tuning import Discounted, pareto, validation_grid

# 5 users x 4 artists; listeners per artist 4, 3, 2, 2.
LISTENS = np.array(
    [
        [1, 1, 1, 0],
        [1, 1, 0, 0],
        [1, 1, 1, 1],
        [1, 0, 0, 0],
        [0, 0, 0, 1],
    ],
    dtype=np.float32,
)


@pytest.fixture(scope="module")
def split():
    plays, artists = make_plays(n_users=300, seed=0)
    dataset = Dataset(
        plays=plays, artists=artists[["artist_id", "name"]], checksums={}, repairs={}, format="synthetic"
    )
    return make_split(dataset, "validation", 0)


def naive_rp3beta(x, alpha, beta):
    users, n = x.shape
    degree = x.sum(axis=1)
    listeners = x.sum(axis=0)
    w = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                walk = sum(x[u, i] * x[u, j] * degree[u] ** -alpha for u in range(users))
                w[i, j] = walk / listeners[j] ** beta
    return w


# -- item-kNN shrinkage and RP3beta --------------------------------------------------------


def test_shrinkage_zero_is_todays_cosine_exactly(split):
    x = split.train_matrix("binary")
    plain = baselines.ItemKNN(split.ids, x)
    co = (x.T @ x).toarray().astype(np.float64)
    norms = np.sqrt(np.diag(co))
    norms[norms == 0] = 1.0
    np.testing.assert_array_equal(plain.matrix, (co / norms[:, None] / norms[None, :]).astype(np.float32))
    np.testing.assert_array_equal(baselines.fit_itemknn(split, shrink=0).matrix, plain.matrix)
    assert baselines.fit_itemknn(split).name == "item-kNN"


def test_shrinkage_divides_by_the_geometric_mean_plus_s():
    knn = baselines.ItemKNN(np.arange(4), sp.csr_matrix(LISTENS), shrink=2.0)
    # Artists 0 and 1: 3 co-listeners, 4 and 3 listeners.
    assert knn.matrix[0, 1] == pytest.approx(3 / (np.sqrt(12) + 2))
    assert knn.matrix[2, 3] == pytest.approx(1 / (np.sqrt(4) + 2))
    # Shrinkage favours the better-evidenced of two pairs with the same cosine.
    x = sp.csr_matrix(np.array([[1, 1, 0, 0]] * 4 + [[0, 0, 1, 1]], dtype=np.float32))
    plain = baselines.ItemKNN(np.arange(4), x).matrix
    shrunk = baselines.ItemKNN(np.arange(4), x, shrink=1.0).matrix
    assert plain[0, 1] == pytest.approx(plain[2, 3]) and shrunk[0, 1] > shrunk[2, 3]


@pytest.mark.parametrize("alpha,beta", [(0.0, 0.0), (0.25, 0.5), (1.0, 0.75)])
def test_rp3beta_matches_a_per_pair_loop(alpha, beta):
    model = baselines.RP3beta(np.arange(4), sp.csr_matrix(LISTENS), alpha, beta)
    np.testing.assert_allclose(
        model.matrix, naive_rp3beta(LISTENS.astype(np.float64), alpha, beta), rtol=1e-6
    )
    assert not np.diag(model.matrix).any()


def test_rp3beta_without_penalties_counts_co_listens():
    model = baselines.RP3beta(np.arange(4), sp.csr_matrix(LISTENS), 0.0, 0.0)
    co = LISTENS.T @ LISTENS
    np.fill_diagonal(co, 0)
    np.testing.assert_array_equal(model.matrix, co)


# -- the discount ----------------------------------------------------------------------------


def test_discount_zero_is_the_identity(split):
    knn = baselines.fit_itemknn(split)
    same = Discounted(knn, split.listeners, c=0.0, p=0.5)
    rows = np.arange(len(split.ids))
    np.testing.assert_array_equal(same.scores(rows), knn.scores(rows).astype(np.float64))
    np.testing.assert_array_equal(same.top_rows(10), knn.top_rows(10))


def test_large_discount_ranks_the_most_listened_first():
    # Similarities in [0, 1] are swamped by a discount of 1000 / n: the least
    # penalised (most listened) candidate comes first, whatever the query.
    ids = np.arange(5)
    listeners = np.array([3, 50, 7, 20, 4])
    rng = np.random.default_rng(0)
    base = baselines.DenseSimilarity(ids, rng.random((5, 5)), "random")
    for p in (0.5, 1.0):
        model = Discounted(base, listeners, c=1000.0, p=p)
        top = model.top_rows(4)
        for q in ids:
            expected = [r for r in np.argsort(-listeners, kind="stable") if r != q]
            assert top[q].tolist() == expected
        score = model.scores(np.array([0]))[0]
        np.testing.assert_allclose(score, base.matrix[0] - 1000.0 / listeners**p, rtol=1e-6)


@pytest.mark.parametrize(("c", "p"), [(0.2, 0.5), (0.7, 1.0), (1.5, 0.25)])
def test_the_evaluation_subtracts_the_tools_own_discount(c, p):
    # The comparison is fair only while every method loses what the tool's ranking takes off.
    listeners = np.array([0, 1, 3, 17, 250, 4096])
    zero = np.zeros((len(listeners), len(listeners)))
    tool = Ranking(weight=0.0, discount=c, power=p).scores(zero, zero, 5, listeners)
    evaluation = Discounted(baselines.DenseSimilarity(np.arange(6), zero, "zero"), listeners, c, p)
    np.testing.assert_array_equal(evaluation.scores(np.arange(6)), tool)
    assert tool[0, 0] == -c and tool[0, -1] == -c / 4096**p


def test_rowmax_scales_each_row_by_its_best_other_artist():
    ids = np.arange(3)
    matrix = np.array([[9.0, 2.0, 4.0], [1.0, 5.0, 0.5], [-1.0, -2.0, 0.0]])
    model = Discounted(
        baselines.DenseSimilarity(ids, matrix, "raw"), np.array([1, 4, 100]), c=0.0, rowmax=True
    )
    np.testing.assert_allclose(model.scores(np.arange(3)), [[9 / 4, 2 / 4, 1.0], [1.0, 5.0, 0.5], matrix[2]])
    # Scaling never changes one query's order, only how strong a given c is.
    np.testing.assert_array_equal(
        model.top_rows(2), baselines.DenseSimilarity(ids, matrix, "raw").top_rows(2)
    )
    discounted = Discounted(
        baselines.DenseSimilarity(ids, matrix, "raw"), np.array([1, 4, 100]), 1.0, 1.0, True
    )
    np.testing.assert_allclose(discounted.scores([0])[0], [9 / 4 - 1, 2 / 4 - 1 / 4, 1.0 - 1 / 100])


def test_new_models_never_return_the_query_and_use_the_shared_tie_break(split):
    models = [
        baselines.fit_itemknn(split, shrink=5.0),
        baselines.fit_rp3beta(split, 0.25, 0.5),
        Discounted(baselines.fit_itemknn(split), split.listeners, 0.3, 1.0),
        Discounted(baselines.fit_rp3beta(split, 0.5, 0.25), split.listeners, 0.8, 0.5, rowmax=True),
        Discounted(baselines.fit_ease(split, 50.0), split.listeners, 0.2, 1.0, rowmax=True),
    ]
    n = len(split.ids)
    rows = np.arange(n)
    for model in models:
        assert np.array_equal(model.ids, split.ids)
        top = model.top_rows(10)
        assert top.shape == (n, 10) and not (top == rows[:, None]).any()
        score = np.array(model.scores(rows), dtype=np.float64)
        score[rows, rows] = -np.inf
        np.testing.assert_array_equal(top, top_k_rows(score, 10))
        ids, _ = model.similar(split.ids[3], topn=10)
        assert split.ids[3] not in ids
        np.testing.assert_array_equal(ids, split.ids[top[3]])
    # Ties go to the lower row: all-equal scores answer 0, 1, 2, ... (skipping the query).
    flat = Discounted(baselines.DenseSimilarity(np.arange(6), np.ones((6, 6)), "flat"), np.full(6, 5), 0.1)
    assert flat.top_rows(3).tolist()[:3] == [[1, 2, 3], [0, 2, 3], [0, 1, 3]]


# -- the validation grid and its frontier -----------------------------------------------------


def test_pareto_keeps_exactly_the_non_dominated_points():
    points = [
        {"name": "a", "hr": 0.90, "ips_recall": 0.020},
        {"name": "b", "hr": 0.85, "ips_recall": 0.030},
        {"name": "c", "hr": 0.80, "ips_recall": 0.030},  # b is as good on ips and better on hr
        {"name": "d", "hr": 0.70, "ips_recall": 0.040},
        {"name": "e", "hr": 0.84, "ips_recall": 0.025},  # dominated by b
        {"name": "f", "hr": 0.90, "ips_recall": 0.020},  # an exact tie with a: both stay
        {"name": "g", "hr": 0.60, "ips_recall": 0.035},  # dominated by d
        {"name": "h", "hr": 0.95, "ips_recall": 0.010},
    ]
    assert [p["name"] for p in pareto(points)] == ["h", "a", "f", "b", "d"]
    assert pareto([]) == []
    assert [p["name"] for p in pareto(points[:1])] == ["a"]


def test_validation_grid_reports_fold_means_of_every_setting(split):
    folds = [split, split]
    grid = validation_grid(
        baselines.fit_rp3beta, {"alpha": [0.0, 0.5], "beta": [0.5]}, folds, cs=(0.0, 0.5), ps=(0.5, 1.0)
    )
    # 2 settings x (c = 0 once, c = 0.5 for two exponents).
    assert len(grid) == 2 * 3
    keys = {(g["params"]["alpha"], g["params"]["c"], g["params"]["p"]) for g in grid}
    assert keys == {(a, c, p) for a in (0.0, 0.5) for c, p in [(0.0, 0.5), (0.5, 0.5), (0.5, 1.0)]}
    for g in grid:
        assert len(g["folds"]) == 2 and g["folds"][0] == g["folds"][1]
        assert g["hr"] == pytest.approx(g["folds"][0]["hr"])
        assert g["ips_recall"] == pytest.approx(g["folds"][0]["ips_recall"])
        assert g["params"]["beta"] == 0.5 and g["params"]["rowmax"] is False
    one = next(
        g for g in grid if g["params"]["alpha"] == 0.5 and g["params"]["c"] == 0.5 and g["params"]["p"] == 1
    )
    model = Discounted(baselines.fit_rp3beta(split, 0.5, 0.5), split.listeners, 0.5, 1.0)
    from item2vec.research.metrics import evaluate_model

    assert one["folds"][0] == evaluate_model(model, split, 10).point()
    front = pareto(grid)
    assert front and all(p in grid for p in front)
