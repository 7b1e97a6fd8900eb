"""The dial's validation search (research/dial.py) and the leads' vectors (research/leads.py)."""

import dataclasses

import numpy as np
import pytest

from item2vec.query.ranking import DIAL, Ranking
from item2vec.research import dial
from item2vec.research.leads import Doc2VecMember, WalkMember
from item2vec.research.members import MemberStore
from item2vec.research.synthetic import make_plays
from item2vec.training.trainer import TrainConfig, vocabulary


def point(hr, ips, **params):
    return {"params": dataclasses.asdict(Ranking(**params)), "hr": hr, "ips_recall": ips}


def test_positions_follow_the_rule_the_report_states():
    points = [
        point(0.93, 0.017, discount=3.0, power=0.25, ease=0.5),  # highest HR: the familiar end
        point(0.90, 0.025, discount=1.2, power=0.25, ease=0.5),
        point(0.89, 0.024, discount=1.0),  # dominated: never chosen
        point(0.86, 0.031, discount=0.5, ease=0.2),
        point(0.83, 0.034, discount=0.3, power=1.0, ease=0.1),
        point(0.815, 0.0355, discount=0.2, power=1.0, ease=0.1),  # best IPS at HR >= 0.81: the default
        point(0.805, 0.0358, discount=0.15, power=1.0),  # under the default's floor
        point(0.76, 0.0364, discount=0.0, weight=0.1),  # highest IPS: the niche end
    ]
    chosen = dial.choose_positions(points, hr_floor=0.81, default=0.75)
    assert list(chosen) == list(dial.POSITIONS) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert chosen[0.0]["hr"] == 0.93 and chosen[1.0]["hr"] == 0.76 and chosen[0.75]["hr"] == 0.815
    # 0.25 and 0.5 aim at HR@10 0.93 - (0.93 - 0.815) x 1/3 and x 2/3: the best IPS at or above each.
    assert chosen[0.25]["hr"] == 0.90  # target 0.8917
    assert chosen[0.5]["hr"] == 0.86  # target 0.8533
    # No floor reached: the default falls back to the familiar end.
    assert dial.choose_positions(points, hr_floor=0.99)[0.75]["hr"] == 0.93


def test_the_grid_holds_every_family_and_the_dial_is_in_it():
    rankings = dial.grid()
    assert len(set(rankings)) == len(rankings)
    assert all(r in rankings for r in DIAL.values())
    families = dial.family_frontiers([point(0.8, 0.03, **dataclasses.asdict(r)) for r in rankings])
    assert set(families) == {"all", "no_item_weights", "discount_only"}
    assert dial.shipped_matches({x: {"params": dataclasses.asdict(r)} for x, r in DIAL.items()})
    assert len(dial.grid(quick=True)) < len(rankings)


# -- the leads ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    from item2vec.ingest.formats import Dataset

    plays, artists = make_plays(n_users=150, artists_per_genre=12, seed=5)
    return Dataset(plays=plays, artists=artists, checksums={}, repairs={}, format="synthetic")


def test_walks_start_from_the_thin_artists_and_step_through_a_shared_listener(small):
    lead = WalkMember(thin_below=80, walks=3, length=6)
    vocab = vocabulary(small, 3)
    walks = lead.walk_sentences(small, vocab, seed=2)
    users = {int(a): set(g.user) for a, g in small.plays.groupby("artist_id")}
    thin = sorted(int(a) for a in vocab if len(users[int(a)]) < 80)
    assert 0 < len(thin) < len(vocab) and sorted({int(w[0]) for w in walks}) == thin
    assert len(walks) == 3 * len(thin) and all(2 <= len(w) <= 6 for w in walks)
    for walk in walks:
        for a, b in zip(walk, walk[1:], strict=False):
            assert a != b and users[int(a)] & users[int(b)]
    assert lead.walk_sentences(small, vocab, seed=2) == walks
    assert lead.walk_sentences(small, vocab, seed=3) != walks


@pytest.mark.parametrize("variant", [Doc2VecMember(), WalkMember(thin_below=15, walks=1, length=4)])
def test_a_lead_member_has_a_vector_for_every_artist_of_the_vocabulary(small, variant, tmp_path):
    config = TrainConfig(vector_size=8, epochs=2, members=1, workers=1)
    store = MemberStore(str(tmp_path), processes=1)
    ids, vectors = store.load(small, config, variant)
    assert np.array_equal(ids, vocabulary(small, config.min_count))
    assert vectors.shape == (len(ids), 8) and np.isfinite(vectors).all()
    # Cached under its own key: not the plain member's, and found again.
    assert store.key(small, config, variant) != store.key(small, config)
    again = MemberStore(str(tmp_path), processes=1)
    assert np.array_equal(again.load(small, config, variant)[1], vectors) and again.trained == 0
