"""Artists without a vector are folded in from their listeners' other artists, through ask.main.

A synthetic model gets a few artists too rare for a vector (1-2 listeners, min_count 3):
two whose listeners are fans of one genre, and two listened to by a single user whose
list holds nothing the model knows; and three more to tell queries apart that fold in the
same listeners, or listeners with the same taste. The shipped model must answer at least 95% of the
catalogue, Sister Rosetta Tharpe (1 listener) among them.
"""

import json
import os

import model_cache
import numpy as np
import pandas as pd
import pytest
from reliability import one_error_line, run

from conftest import REPO, SMALL_CONFIG
from item2vec.ingest.formats import load_dataset
from item2vec.model.storage import load_model
from item2vec.query.ranking import DEFAULT_DISCOVER, DEFAULT_RANKING, RARE_EVIDENCE_WEIGHT
from item2vec.query.recommender import DEFAULT_TOP
from item2vec.research.synthetic import genre_of_name, make_plays, write_kaggle
from item2vec.training.trainer import TrainConfig, train_and_save

SHIPPED = os.path.join(REPO, "models")
THIN_TWO, THIN_ONE, LONELY, LONELIER = 1001, 1002, 1003, 1004
#: Thin Two's two listeners; one of them; that one and the lonely user.
THIN_TWIN, THIN_HALF, THIN_WIDER = 1005, 1006, 1007
LONE_USER = 100_000


@pytest.fixture(scope="module")
def rare(tmp_path_factory):
    """(model folder, plays, artist names) with seven artists too rare for a vector."""
    plays, artists = make_plays(n_users=400, seed=7)
    genre = plays.artist_id.map(dict(zip(artists.artist_id, artists.genre, strict=True)))
    share = pd.crosstab(plays.user, genre, normalize="index")
    fans_of_2 = share.index[share[2] > 0.95][:2].tolist()
    fan_of_1 = share.index[share[1] > 0.95][:1].tolist()
    assert len(fans_of_2) == 2 and len(fan_of_1) == 1
    rows = [
        (fans_of_2[0], THIN_TWO, 5),
        (fans_of_2[1], THIN_TWO, 5),
        (fan_of_1[0], THIN_ONE, 5),
        (LONE_USER, LONELY, 5),
        (LONE_USER, LONELIER, 5),
        (fans_of_2[0], THIN_TWIN, 2),
        (fans_of_2[1], THIN_TWIN, 9),
        (fans_of_2[0], THIN_HALF, 4),
        (fans_of_2[0], THIN_WIDER, 1),
        (LONE_USER, THIN_WIDER, 1),
    ]
    extra = pd.DataFrame(rows, columns=["user", "artist_id", "plays"])
    plays = pd.concat([plays, extra], ignore_index=True)
    names = {
        THIN_TWO: "Thin Two",
        THIN_ONE: "Thin One",
        LONELY: "Lonely",
        LONELIER: "Lonelier",
        THIN_TWIN: "Thin Twin",
        THIN_WIDER: "Thin Wider",
        THIN_HALF: "Thin Half",
    }
    artists = pd.concat(
        [artists, pd.DataFrame({"artist_id": list(names), "name": list(names.values()), "genre": -1})],
        ignore_index=True,
    )
    data = tmp_path_factory.mktemp("rare-data")
    write_kaggle(str(data), plays, artists)
    folder = str(tmp_path_factory.mktemp("rare-model") / "model")

    def build(out):
        train_and_save(load_dataset(str(data)), out, TrainConfig(**SMALL_CONFIG), progress=False)

    model_cache.provide(folder, {"fixture": model_cache.file_digest(__file__), "config": SMALL_CONFIG}, build)
    return folder, plays


def ask_json(folder, *argv):
    code, out, err = run([*argv, "--json", "--model", folder])
    assert code == 0, err
    return json.loads(out), err


def test_a_thin_artist_is_answered_from_its_listeners_genre(rare):
    folder, _ = rare
    answer, _ = ask_json(folder, "Thin Two")
    assert answer["evidence"] == "thin (folded in from 2 listeners)" and answer["listeners"] == 2
    names = [r["artist"] for r in answer["results"]]
    assert sum(genre_of_name(n) == 2 for n in names) >= 9, names
    answer, _ = ask_json(folder, "Thin One")
    assert answer["evidence"] == "thin (folded in from 1 listener)"
    assert sum(genre_of_name(r["artist"]) == 1 for r in answer["results"]) >= 9


def test_the_fold_in_and_its_score_by_hand(rare):
    """v = unit(sum_j C_qj / n_j u_j); score = cos + 0.5 E / max E - 0.2 / sqrt(n)."""
    folder, plays = rare
    model = load_model(folder)
    users = {int(a): set(g.user) for a, g in plays.groupby("artist_id")}
    ids = model.vectors.ids
    unit = np.asarray(model.vectors.unit, dtype=np.float64)
    n = np.array([len(users[int(i)]) for i in ids])
    shared = np.array([len(users[THIN_TWO] & users[int(i)]) for i in ids])
    folded = (shared / n) @ unit
    cosine = unit @ (folded / np.linalg.norm(folded))
    r = DEFAULT_RANKING
    e = shared / (np.sqrt(2 * n) + r.shrink)
    score = cosine + RARE_EVIDENCE_WEIGHT * e / e.max() - r.discount / n**r.power
    best = sorted(range(len(ids)), key=lambda k: (-score[k], ids[k]))[:DEFAULT_TOP]
    answer, _ = ask_json(folder, "Thin Two")
    assert [x["artist_id"] for x in answer["results"]] == [int(ids[k]) for k in best]
    for result, k in zip(answer["results"], best, strict=True):
        assert result["score"] == pytest.approx(score[k], abs=1e-4)
        assert result["similarity"] == pytest.approx(cosine[k], abs=1e-4)
        assert result["shared_listeners"] == shared[k]
    # --rank cosine: the folded vector's cosine alone.
    answer, _ = ask_json(folder, "Thin Two", "--rank", "cosine", "-k", "5")
    best = sorted(range(len(ids)), key=lambda k: (-cosine[k], ids[k]))[:5]
    assert [x["artist_id"] for x in answer["results"]] == [int(ids[k]) for k in best]


def test_the_table_and_the_batch_line_say_the_evidence_is_thin(rare):
    folder, _ = rare
    code, out, err = run(["Thin One", "-k", "3", "--model", folder])
    lines = out.splitlines()
    assert code == 0 and lines[0] == "Artists similar to Thin One (1 listener):"
    assert lines[1] == (
        "Thin evidence: Thin One has no vector of its own (1 listener); it is folded in from the other "
        "artists its listener lists, so this answer is mostly that one listener's taste."
    )
    code, out, err = run(["Thin Two", "-k", "3", "--model", folder])
    assert "(2 listeners); it is folded in from the other artists its 2 listeners list" in out
    code, out, err = run(["--batch", "-", "-k", "2", "--model", folder], stdin=b"Thin Two\ng0-a1\n")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("Thin Two [thin evidence]: ") and lines[1].startswith("g0-a1: ")


def test_an_artist_whose_listener_lists_nothing_the_model_knows_cannot_be_answered(rare):
    folder, _ = rare
    for name in ("Lonely", "Lonelier"):
        code, out, err = run([name, "--model", folder])
        assert code == 1 and out == ""
        assert one_error_line(err) == (
            f"error: '{name}' has 1 listener in the data; the model only has vectors for artists with "
            "at least 3, and its only listener lists no other artist the model knows, so it cannot "
            "answer for it."
        )
    code, out, err = run(["Lonely", "--json", "--model", folder])
    assert code == 1 and "its only listener lists no other artist" in json.loads(out)["error"]


def test_folded_in_artists_work_in_plus_and_minus(rare):
    folder, _ = rare
    answer, err = ask_json(folder, "g0-a5", "--plus", "Thin Two", "-k", "20")
    assert answer["plus"] == ["Thin Two"] and answer["evidence"] == "vector"
    assert (
        "--plus 'Thin Two' has no vector of its own (2 listeners): it enters folded in from the other "
        "artists its 2 listeners list" in err
    )
    plain, _ = ask_json(folder, "g0-a5", "-k", "20")
    genre_2 = [sum(genre_of_name(r["artist"]) == 2 for r in a["results"]) for a in (plain, answer)]
    assert genre_2[1] > genre_2[0]
    answer, err = ask_json(folder, "Thin Two", "--minus", "Thin One", "-k", "5")
    assert answer["minus"] == ["Thin One"] and answer["evidence"].startswith("thin")
    assert "--minus 'Thin One' has no vector of its own" in err
    code, _, err = run(["Thin One", "--minus", "Thin One", "--model", folder])
    assert code == 1 and "--minus" in one_error_line(err)


def test_artists_folded_in_from_the_same_listeners_are_ranked_once(rare, monkeypatch):
    # Rare artists often share their listeners (most of those without a vector in the
    # shipped model): the fold-in and the ranking are computed once.
    from item2vec.query import recommender as module

    folder, _ = rare
    recommender = module.Recommender(load_model(folder))
    fresh = module.Recommender(load_model(folder))
    calls = []
    fold_in, cosines = module.fold_in, recommender.vectors.cosines
    monkeypatch.setattr(module, "fold_in", lambda *a: calls.append("fold_in") or fold_in(*a))
    monkeypatch.setattr(recommender.vectors, "cosines", lambda q: calls.append("cosines") or cosines(q))
    twin = recommender.answer_positions("Thin Twin")
    two = recommender.answer_positions("Thin Two")
    assert calls == ["fold_in", "cosines"]
    assert [a["results"] for a in twin.values()] == [a["results"] for a in two.values()]
    assert twin[DEFAULT_DISCOVER]["artist"] == "Thin Twin" and two[DEFAULT_DISCOVER]["artist"] == "Thin Two"
    assert recommender.query_artist("Thin Two").vector.flags.writeable is False
    # What it remembers is what it answers afresh, whatever else was asked before: the same
    # artist at other positions, with another top, filter or ranking, with another artist
    # added or taken away (Thin Half's taste is not Thin One's), and an artist whose fold-in
    # is Thin Half's but not its listeners (the lonely user lists nothing with a vector).
    queries = [
        dict(discover=0.0),
        dict(topn=3),
        dict(min_listeners=20),
        dict(rank="cosine"),
        dict(plus=["Thin One"]),
        dict(minus=["Thin One"]),
        dict(minus=["Thin Half"]),
    ]
    for kwargs in queries:
        assert recommender.answer("Thin Two", **kwargs) == fresh.answer("Thin Two", **kwargs), kwargs
    assert two == fresh.answer_positions("Thin Two")
    half, wider = (recommender.query_artist(name) for name in ("Thin Half", "Thin Wider"))
    assert half.vector.tobytes() == wider.vector.tobytes()
    assert recommender.answer("Thin Half") == fresh.answer("Thin Half")
    assert recommender.answer("Thin Wider") == fresh.answer("Thin Wider")
    assert recommender.answer("Thin Wider")["results"] != recommender.answer("Thin Half")["results"]
    # What a caller is given cannot change what it remembers.
    thin_two = recommender.query_artist("Thin Two")
    recommender.rank_positions([thin_two]).clear()
    (ranked,) = recommender.rank_positions([thin_two])
    assert not any(a.flags.writeable for a in (ranked.rows, ranked.scores, ranked.similarity, ranked.shared))
    # Bounded: the least recently used is forgotten first.
    remembered = module._Remembered(2)
    for key in "abc":
        remembered.put(key, key.upper())
        remembered.get("a")
    assert (remembered.get("a"), remembered.get("b"), remembered.get("c")) == ("A", None, "C")


@pytest.mark.slow
def test_the_shipped_model_answers_at_least_95_percent_of_the_catalogue():
    """Every catalogue artist asked for by id through --batch; also: no plain query is flagged weak."""
    model = load_model(SHIPPED)
    catalog = model.catalog
    lines = "".join(f"id:{int(i)}\n" for i in catalog.ids).encode()
    code, out, err = run(["--batch", "-", "--json", "-k", "1", "--model", SHIPPED], stdin=lines)
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == len(catalog)
    answered = [r for r in records if "error" not in r]
    assert len(answered) >= 0.95 * len(catalog)
    assert all(r["artist_id"] == int(r["query"].removeprefix("id:")) for r in answered)
    assert sum(r["evidence"] != "vector" for r in answered) == len(answered) - len(model.vectors)
    # The rest are one-listener artists whose only listener lists nothing the model knows.
    for record in records:
        if "error" in record:
            assert "1 listener in the data" in record["error"]
            assert "its only listener lists no other artist the model knows" in record["error"]
    assert "weak result" not in err
    # The weak-result check compares the highest similarity of any artist, whatever the dial's
    # position (tests/test_reliability_query_input.py): the first result of the cosine ranking.
    code, best, err = run(
        ["--batch", "-", "--json", "-k", "1", "--rank", "cosine", "--model", SHIPPED], stdin=lines
    )
    highest = [json.loads(line) for line in best.splitlines()]
    _check_the_documents_figures([r for r in highest if "error" not in r], records)
    answer, _ = ask_json(SHIPPED, "Sister Rosetta Tharpe")
    assert answer["listeners"] == 1 and answer["evidence"] == "thin (folded in from 1 listener)"
    assert len(answer["results"]) == DEFAULT_TOP


def _check_the_documents_figures(answered, records):
    """METHOD.md's weak-result table and examples, and the answered counts of README and METHOD.

    ``answered``: the cosine ranking's answers (their first result is the highest similarity).
    """
    method = open(os.path.join(REPO, "docs", "METHOD.md"), encoding="utf-8").read()
    readme = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    for label, kind in (("with a vector", True), ("folded in", False)):
        first = np.array(
            [r["results"][0]["similarity"] for r in answered if (r["evidence"] == "vector") == kind]
        )
        row = (
            f"| {label} | {len(first):,} | {first.min():.3f} | {np.percentile(first, 1):.3f} | "
            f"{np.median(first):.3f} |"
        )
        assert row in method, row
    lady, _ = ask_json(
        SHIPPED, "Lady Gaga", "--minus", "Britney Spears", "--minus", "Rihanna", "--rank", "cosine"
    )
    rosetta, _ = ask_json(SHIPPED, "Rosetta", "--minus", "Metallica", "--rank", "cosine")
    assert f"Rihanna` has {lady['results'][0]['similarity']:.3f} and is flagged" in method.replace("\n", " ")
    assert f"Metallica` has {rosetta['results'][0]['similarity']:.3f} and is not" in method.replace("\n", " ")
    total, folded = len(records), sum(r["evidence"] != "vector" for r in answered)
    share = f"{len(answered) / total:.1%}"
    for text in (readme, method):
        flat = " ".join(text.split())
        assert f"{len(answered):,} of the {total:,} artists ({share})" in flat
        assert (
            f"The other **{total - len(answered)} cannot" in flat
            or f"The other {total - len(answered)} each" in flat
        )
    assert f"{folded:,} folded in" in " ".join(method.split())


def _scores_with(recommender, positive, ranking):
    """Scores of every vector row under ``ranking`` for the positive QueryArtists (no negatives)."""
    from item2vec.model.vectors import arithmetic_mean

    query = arithmetic_mean(
        np.array([a.vector for a in positive]), np.empty((0, recommender.vectors.vector_size))
    )
    users = set().union(*(set(recommender.colistens.users_at(a.position).tolist()) for a in positive))
    users = np.array(sorted(users), dtype=np.int64)
    shared = recommender.colistens.counts_of_users(users)[recommender.vector_positions]
    shared[[a.row for a in positive if not a.folded]] = 0
    weights = recommender.model.item_weights.of([a.row for a in positive if not a.folded], len(shared))
    return ranking.scores(
        recommender.vectors.cosines(query), shared, len(users), recommender.vector_listeners, weights
    )


@pytest.mark.parametrize(
    ("names", "weight"),
    [(["Thin Two", "Thin One"], RARE_EVIDENCE_WEIGHT), (["Thin Two", "g2-a1"], DEFAULT_RANKING.weight)],
    ids=["every positive artist folded in", "one with a vector"],
)
def test_the_rare_weight_applies_only_when_every_positive_artist_is_folded_in(rare, names, weight):
    # all(), not any(): one artist with a vector of its own makes the co-listens real evidence.
    from dataclasses import replace

    from item2vec.query.recommender import Recommender

    recommender = Recommender(load_model(rare[0]))
    positive = [recommender.query_artist(name) for name in names]
    ranked = recommender.rank(positive, topn=1000, min_listeners=0)
    # Every artist folded in: the rare ranking (co-listen weight raised, no item-item term).
    ranking = replace(DEFAULT_RANKING, weight=weight)
    if weight == RARE_EVIDENCE_WEIGHT:
        ranking = replace(ranking, ease=0.0)
    expected = _scores_with(recommender, positive, ranking)
    np.testing.assert_allclose(ranked.scores, expected[ranked.rows], rtol=1e-6)
    other = RARE_EVIDENCE_WEIGHT + DEFAULT_RANKING.weight - weight
    assert not np.allclose(
        ranked.scores,
        _scores_with(recommender, positive, replace(ranking, weight=other))[ranked.rows],
    )
