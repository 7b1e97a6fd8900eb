"""The evidence-aware ranking and --rank cosine through ask.main, checked against sums done by hand.

Shared listeners are counted here from the synthetic data's own plays table (set
intersections), not from the catalogue's lists, and the item-item weights are EASE's
formula on a dense users x artists matrix built from the same sets, so the wiring of
:class:`~item2vec.query.ranking.CoListens` and of the model folder's item-item table into
the query is checked too.
"""

import json

import numpy as np
import pytest
from reliability import run

from item2vec.model.storage import load_model
from item2vec.query.ranking import DEFAULT_RANKING, DIAL
from item2vec.query.recommender import Recommender
from item2vec.training.ease import EASE_LAMBDA, EASE_TOP


def ease_by_hand(ids, users):
    """EASE's B from a dense binary users x artists matrix, each row cut to its EASE_TOP largest weights."""
    everybody = sorted(set().union(*users.values()))
    x = np.array([[u in users[int(i)] for i in ids] for u in everybody], dtype=np.float64)
    p = np.linalg.inv(x.T @ x + EASE_LAMBDA * np.eye(len(ids)))
    b = (np.eye(len(ids)) - p / np.diag(p)[None, :]).astype(np.float32)
    np.fill_diagonal(b, 0.0)
    kept = np.zeros_like(b)
    for r, values in enumerate(b):
        order = sorted(range(len(values)), key=lambda c: (-values[c], c))[:EASE_TOP]
        kept[r, order] = np.maximum(values[order], 0.0)
    return kept


@pytest.fixture(scope="module")
def space(synthetic_model_dir, synthetic_dataset):
    """Vectors, listener counts, each artist's set of users and EASE's weights, from independent sources."""
    model = load_model(synthetic_model_dir)
    plays = synthetic_dataset.plays
    users = {int(a): set(g.user) for a, g in plays.groupby("artist_id")}
    ids = model.vectors.ids
    listeners = np.array([len(users[int(i)]) for i in ids])
    unit = np.asarray(model.vectors.unit, dtype=np.float64)
    return model, ids, unit, listeners, users, ease_by_hand(ids, users)


def ask_json(model_dir, *argv):
    code, out, err = run([*argv, "--json", "--model", model_dir])
    assert code == 0, err
    return json.loads(out)


def by_hand(space, positive, negative=(), ranking=DEFAULT_RANKING, weight=None, ease=None):
    """Every vector row's (score, cosine, shared) for artist ids, the formula written out."""
    model, ids, unit, listeners, users, b = space
    row = {int(i): r for r, i in enumerate(ids)}
    mean = (sum(unit[row[p]] for p in positive) - sum(unit[row[n]] for n in negative)) / (
        len(positive) + len(negative)
    )
    cosine = unit @ (mean / np.linalg.norm(mean))
    query_users = set().union(*(users[p] for p in positive))
    shared = np.array([len(query_users & users[int(i)]) for i in ids], dtype=float)
    shared_scaled = shared.copy()
    shared_scaled[[row[a] for a in (*positive, *negative)]] = 0
    r = ranking
    e = shared_scaled / (np.sqrt(len(query_users) * listeners) + r.shrink)
    weight = r.weight if weight is None else weight
    ease = r.ease if ease is None else ease
    predicted = sum(b[row[p]].astype(np.float64) for p in positive)
    predicted[[row[a] for a in (*positive, *negative)]] = 0
    score = cosine + weight * e / e.max() + ease * predicted / predicted.max()
    score -= r.discount / listeners**r.power
    return score, cosine, shared


def expected_top(space, score, exclude, k, min_listeners=0):
    model, ids, _, listeners, *_ = space
    keep = [r for r in range(len(ids)) if int(ids[r]) not in exclude and listeners[r] >= min_listeners]
    keep.sort(key=lambda r: (-score[r], ids[r]))
    return keep[:k]


def check(answer, space, score, cosine, shared, exclude, k, min_listeners=0):
    _, ids, _, listeners, *_ = space
    rows = expected_top(space, score, exclude, k, min_listeners)
    assert [r["artist_id"] for r in answer["results"]] == [int(ids[r]) for r in rows]
    for result, r in zip(answer["results"], rows, strict=True):
        assert result["score"] == pytest.approx(score[r], abs=1e-4)
        assert result["similarity"] == pytest.approx(cosine[r], abs=1e-4)
        assert result["listeners"] == listeners[r]
        assert result["shared_listeners"] == shared[r]


def test_default_is_the_evidence_ranking_over_every_artist_with_a_vector(synthetic_model_dir, space):
    answer = ask_json(synthetic_model_dir, "g1-a4", "-k", "25")
    assert answer["rank"] == "evidence" and answer["evidence"] == "vector"
    score, cosine, shared = by_hand(space, [answer["artist_id"]])
    check(answer, space, score, cosine, shared, {answer["artist_id"]}, 25)
    # The co-listen term and the discount really move the order away from plain cosine.
    cosine_order = ask_json(synthetic_model_dir, "g1-a4", "-k", "25", "--rank", "cosine")["results"]
    assert [r["artist_id"] for r in answer["results"]] != [r["artist_id"] for r in cosine_order]


def test_plus_counts_the_users_of_any_positive_artist_and_minus_drops_the_colisten_term(
    synthetic_model_dir, space
):
    answer = ask_json(synthetic_model_dir, "g0-a6", "--plus", "g3-a5", "-k", "15")
    ids = [answer["artist_id"]] + [int(space[0].catalog.ids[space[0].catalog.names.index("g3-a5")])]
    score, cosine, shared = by_hand(space, ids)
    check(answer, space, score, cosine, shared, set(ids), 15)

    answer = ask_json(synthetic_model_dir, "g0-a6", "--minus", "g0-a7", "-k", "15")
    minus = int(space[0].catalog.ids[space[0].catalog.names.index("g0-a7")])
    score, cosine, shared = by_hand(space, [answer["artist_id"]], [minus], weight=0.0, ease=0.0)
    check(answer, space, score, cosine, shared, {answer["artist_id"], minus}, 15)
    for result in answer["results"]:  # score = cosine - discount, no co-listen or item-item term
        discount = DEFAULT_RANKING.discount / result["listeners"] ** DEFAULT_RANKING.power
        assert result["score"] == pytest.approx(result["similarity"] - discount, abs=2e-4)


ARITHMETIC = [
    ["g2-a3"],
    ["g2-a3", "--plus", "g1-a2"],
    ["g2-a3", "--minus", "g2-a9"],
    ["g0-a1", "--plus", "g0-a2"],
]


@pytest.mark.parametrize("argv", ARITHMETIC)
def test_rank_cosine_is_gensims_most_similar(synthetic_model_dir, argv):
    model = load_model(synthetic_model_dir)
    recommender = Recommender(model)
    answer = ask_json(synthetic_model_dir, *argv, "--rank", "cosine", "-k", "30")
    positive = [answer["artist_id"]] + [recommender.resolve(n) for n in answer["plus"]]
    negative = [recommender.resolve(n) for n in answer["minus"]]
    ids, cosines = model.vectors.most_similar(positive, negative, topn=30)
    assert [r["artist_id"] for r in answer["results"]] == ids.tolist()
    assert [r["score"] for r in answer["results"]] == [round(float(c), 4) for c in cosines]
    assert all(r["score"] == r["similarity"] for r in answer["results"])


@pytest.mark.parametrize("rank", ["evidence", "cosine"])
def test_min_listeners_is_a_hard_filter_on_top_of_either_ranking(synthetic_model_dir, space, rank):
    _, _, _, listeners, *_ = space
    bar = int(np.percentile(listeners, 60))
    whole = ask_json(synthetic_model_dir, "g3-a2", "--rank", rank, "-k", "1000")["results"]
    kept = ask_json(synthetic_model_dir, "g3-a2", "--rank", rank, "-k", "10", "--min-listeners", str(bar))
    assert kept["results"] == [r for r in whole if r["listeners"] >= bar][:10]
    assert len(kept["results"]) == 10


def test_explain_adds_the_similarity_and_shared_columns(synthetic_model_dir):
    code, plain, _ = run(["g2-a2", "-k", "3", "--model", synthetic_model_dir])
    code, explained, _ = run(["g2-a2", "-k", "3", "--explain", "--model", synthetic_model_dir])
    answer = ask_json(synthetic_model_dir, "g2-a2", "-k", "3")
    assert plain.splitlines()[2].split() == ["rank", "artist", "score", "listeners"]
    columns = ["rank", "artist", "score", "similarity", "listeners", "shared"]
    assert explained.splitlines()[2].split() == columns
    for line, result in zip(explained.splitlines()[3:], answer["results"], strict=True):
        assert line.split()[1:] == [
            result["artist"],
            f"{result['score']:.3f}",
            f"{result['similarity']:.3f}",
            str(result["listeners"]),
            str(result["shared_listeners"]),
        ]
    assert plain.splitlines()[0] == "Artists similar to g2-a2 (" + str(answer["listeners"]) + " listeners):"


def test_the_heading_names_a_cosine_ranking_and_a_listener_filter(synthetic_model_dir):
    code, out, _ = run(["g2-a2", "--rank", "cosine", "--min-listeners", "40", "--model", synthetic_model_dir])
    assert code == 0
    assert out.splitlines()[0].endswith(
        "listeners), ranked by similarity alone, among artists with at least 40 listeners:"
    )


def test_help_explains_both_rankings(capsys):
    code, out, _ = run(["--help"])
    assert code == 0
    text = " ".join(out.split())
    assert "--rank {evidence,cosine}" in text
    assert "evidence (default): embedding similarity plus" in text
    assert "cosine: embedding similarity alone" in text
    code, out, err = run(["g0-a1", "--rank", "popularity"])
    assert code == 2 and "invalid choice: 'popularity'" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("position", sorted(DIAL))
def test_every_dial_position_is_its_ranking_by_hand(synthetic_model_dir, space, position):
    answer = ask_json(synthetic_model_dir, "g3-a1", "--discover", str(position), "-k", "20")
    assert answer["discover"] == position
    score, cosine, shared = by_hand(space, [answer["artist_id"]], ranking=DIAL[position])
    check(answer, space, score, cosine, shared, {answer["artist_id"]}, 20)


def test_plus_adds_up_the_item_item_weights_of_the_positive_artists(synthetic_model_dir, space):
    familiar = min(DIAL)
    assert DIAL[familiar].ease > 0
    argv = ["g0-a6", "--plus", "g3-a5", "--discover", str(familiar), "-k", "15"]
    answer = ask_json(synthetic_model_dir, *argv)
    ids = [answer["artist_id"]] + [int(space[0].catalog.ids[space[0].catalog.names.index("g3-a5")])]
    score, cosine, shared = by_hand(space, ids, ranking=DIAL[familiar])
    check(answer, space, score, cosine, shared, set(ids), 15)
