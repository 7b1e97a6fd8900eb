"""How far to trust an answer: the measured table in the model folder, on every answer, worded once."""

import dataclasses
import json
import os

import numpy as np
import pytest
from reliability import run

from conftest import REPO
from item2vec.model.confidence import parse_confidence
from item2vec.model.storage import load_model, save_model
from item2vec.query.ranking import DEFAULT_RANKING, rare_ranking
from item2vec.query.recommender import Recommender

SHIPPED = os.path.join(REPO, "models")
#: Measured at the default position of the dial (answers elsewhere say where it was measured).
RANKING = dataclasses.asdict(DEFAULT_RANKING)
RARE = dataclasses.asdict(rare_ranking(DEFAULT_RANKING))


def band(low, high, value, folded=False):
    return {
        "min_listeners": low,
        "max_listeners": high,
        "folded": folded,
        "value": value,
        "low": round(value - 0.05, 4),
        "high": round(value + 0.05, 4),
        "queries": 400,
        "users": 90,
    }


@pytest.fixture(scope="module")
def measured_model(synthetic_model_dir, tmp_path_factory):
    """The session's synthetic model (27-200 listeners), measured: low below 40 listeners."""
    model = load_model(synthetic_model_dir)
    metadata = {k: v for k, v in model.metadata.items() if k not in ("files", "format_version")}
    metadata["confidence"] = {
        "k": 10,
        "ranking": RANKING,
        "rare_ranking": RARE,
        "bands": [band(1, 2, 0.2, True), band(3, 39, 0.35), band(40, 99, 0.7), band(100, None, 0.9)],
    }
    folder = str(tmp_path_factory.mktemp("measured") / "model")
    save_model(folder, model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, metadata)
    return folder


def artist_with(folder, low, high):
    catalog = load_model(folder).catalog
    row = next(i for i, n in enumerate(catalog.listeners) if low <= n <= high)
    return f"id:{int(catalog.ids[row])}", int(catalog.listeners[row])


def ask(folder, *argv):
    code, out, err = run([*argv, "--model", folder])
    return code, out, err


def test_a_low_confidence_answer_says_so_above_the_table(measured_model):
    query, listeners = artist_with(measured_model, 3, 39)
    code, out, err = ask(measured_model, query)
    assert code == 0
    line = out.splitlines()[1]
    assert line == (
        f"Confidence: low ({listeners} listeners): on held-out users, only 4 in 10 answers for artists "
        "with 3-39 listeners held, in their top 10, an artist that their listeners also list."
    )
    code, out, err = ask(measured_model, "--json", query)
    confidence = json.loads(out)["confidence"]
    assert confidence == {
        "value": 0.35,
        "level": "low",
        "band": [3, 39],
        "interval": [0.3, 0.4],
        "queries": 400,
        "k": 10,
        "reason": None,
        "folded": False,
        "listeners": listeners,
    }
    code, out, err = run(["--batch", "-", "--model", measured_model], stdin=f"{query}\n".encode())
    assert "[low confidence]:" in out


def test_a_high_confidence_answer_has_no_line_but_its_json_value(measured_model):
    query, _ = artist_with(measured_model, 100, 10**9)
    code, out, err = ask(measured_model, query)
    assert code == 0 and "Confidence" not in out
    code, out, err = ask(measured_model, "--json", query)
    assert json.loads(out)["confidence"]["level"] == "high"


def test_what_was_not_measured_says_why(measured_model, synthetic_model_dir):
    query, _ = artist_with(measured_model, 3, 39)
    other, _ = artist_with(measured_model, 100, 10**9)
    cases = [
        (["--plus", other], "arithmetic"),
        (["--rank", "cosine"], "ranking"),
        (["--min-listeners", "5"], "listener_filter"),
        (["--discover", "0"], "dial_position"),
    ]
    for extra, reason in cases:
        code, out, err = ask(measured_model, "--json", query, *extra)
        confidence = json.loads(out)["confidence"]
        assert confidence["value"] is None and confidence["reason"] == reason
        code, out, err = ask(measured_model, query, *extra)
        assert "Confidence" not in out
    code, out, err = ask(synthetic_model_dir, "--json", query)
    assert json.loads(out)["confidence"]["reason"] == "not_measured"


def test_the_shipped_model_carries_its_measured_confidence_and_it_grows_with_listeners():
    """The table the evaluation measured (docs/evaluation.json) is the one the shipped model carries."""
    model = load_model(SHIPPED)
    assert model.confidence is not None, "the shipped model has no confidence table: retrain it"
    measured = json.load(open(os.path.join(REPO, "docs", "evaluation.json"), encoding="utf-8"))["confidence"]
    assert model.metadata["confidence"]["bands"] == measured["bands"]
    values = [b.value for b in model.confidence.bands if not b.folded]
    assert values == sorted(values) and values[0] < values[-1]
    # Every answer carries it: a popular artist and one of few listeners.
    for name in ("Madonna", "Dean Martin", "Sister Rosetta Tharpe"):
        code, out, err = run([name, "--json", "--model", SHIPPED])
        assert code == 0 and json.loads(out)["confidence"]["value"] is not None


def test_an_answer_asked_plainly_is_measured_by_default(measured_model):
    recommender = Recommender(load_model(measured_model))
    artist = recommender.query_artist(artist_with(measured_model, 100, 10**9)[0])
    assert recommender.confidence(artist)["reason"] is None
    assert recommender.confidence(artist, plain=False)["reason"] == "arithmetic"


def test_a_table_measured_before_the_dial_reads_as_a_ranking_without_the_item_item_term():
    # An evaluation.json from before the dial records no "ease": it measured the ranking
    # without the item-item term, so answers at the dial's default are "other_ranking".
    before = {k: v for k, v in RANKING.items() if k != "ease"}
    table = parse_confidence(
        {"k": 10, "ranking": before, "rare_ranking": before, "bands": [band(3, None, 0.5)]}
    )
    assert table.ranking == {**before, "ease": 0.0}
    assert table.ranking != RANKING  # the default position has an item-item term
    with pytest.raises(ValueError, match="must hold exactly"):
        parse_confidence(
            {"k": 10, "ranking": {**RANKING, "x": 1}, "rare_ranking": RARE, "bands": [band(3, None, 0.5)]}
        )


def _table(**changes):
    table = {
        "k": 10,
        "ranking": RANKING,
        "rare_ranking": RARE,
        "bands": [band(3, 39, 0.35), band(40, None, 0.9)],
    }
    return {**table, **changes}


def _band_with(**changes):
    return _table(bands=[{**band(3, 39, 0.35), **changes}])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "the confidence table must be a JSON object"),
        ({"k": 10, "bands": []}, "the confidence table lacks ranking, rare_ranking"),
        (_table(bands=[]), "the confidence table's bands must be a non-empty list"),
        (_table(bands={"a": 1}), "the confidence table's bands must be a non-empty list"),
        (_table(k=0), "k must be a whole number of at least 1, got 0"),
        (_table(k=True), "k must be a whole number of at least 1, got True"),
        (_table(k=2.0), "k must be a whole number of at least 1, got 2.0"),
        (_table(ranking=[1]), "ranking must hold exactly weight, shrink, discount, power, ease"),
        (
            _table(rare_ranking={**RARE, "ease": "1"}),
            "rare_ranking.ease must be a number from -inf to inf, got '1'",
        ),
        (
            _table(ranking={**RANKING, "power": True}),
            "ranking.power must be a number from -inf to inf, got True",
        ),
        (
            _table(bands=[[1]]),
            "band 0 must hold exactly folded, high, low, max_listeners, min_listeners, queries, users, value",
        ),
        (_band_with(min_listeners=-1), "band 0 min_listeners must be a whole number of at least 0, got -1"),
        (_band_with(max_listeners=2), "band 0 max_listeners must be a whole number of at least 3, got 2"),
        (_band_with(folded=1), "band 0 folded must be true or false"),
        (_band_with(value=1.01), "band 0 value must be a number from 0 to 1, got 1.01"),
        (_band_with(value=-0.01), "band 0 value must be a number from 0 to 1, got -0.01"),
        (_band_with(low=0.36), "band 0 low must be a number from 0 to 0.35, got 0.36"),
        (_band_with(high=0.34), "band 0 high must be a number from 0.35 to 1, got 0.34"),
        (_band_with(queries=0), "band 0 queries must be a whole number of at least 1, got 0"),
        (_band_with(users=0), "band 0 users must be a whole number of at least 1, got 0"),
        (_table(bands=[band(3, 40, 0.35), band(40, None, 0.9)]), "bands from 3 and 40 listeners overlap"),
        (_table(bands=[band(40, None, 0.9), band(3, None, 0.35)]), "bands from 3 and 40 listeners overlap"),
        (
            _table(bands=[band(1, 1, 0.2, True), band(1, 2, 0.2, True)]),
            "bands from 1 and 1 listeners overlap",
        ),
        (
            _band_with(note="x"),
            "band 0 must hold exactly folded, high, low, max_listeners, min_listeners, queries, users, value",
        ),
        (  # both kinds overlap: the folded-in bands are checked first
            _table(
                bands=[
                    band(3, 40, 0.35),
                    band(40, None, 0.9),
                    band(1, 2, 0.2, True),
                    band(2, None, 0.2, True),
                ]
            ),
            "bands from 1 and 2 listeners overlap",
        ),
    ],
)
def test_a_malformed_table_says_what_is_wrong(data, message):
    with pytest.raises(ValueError) as refused:
        parse_confidence(data)
    assert str(refused.value) == message


def test_a_band_holds_its_ends_and_its_kind_only():
    table = parse_confidence(
        _table(bands=[band(1, 2, 0.2, True), band(3, 3, 0.3), band(4, 39, 0.35), band(40, None, 0.9)])
    )
    found = [
        (b.min_listeners, b.folded) if b else None
        for b in (
            table.band(n, f)
            for n, f in [
                (1, False),
                (1, True),
                (2, True),
                (3, True),
                (3, False),
                (4, False),
                (39, False),
                (40, False),
                (10**9, False),
                (0, False),
            ]
        )
    ]
    assert found == [
        None,
        (1, True),
        (1, True),
        None,
        (3, False),
        (4, False),
        (4, False),
        (40, False),
        (40, False),
        None,
    ]
    assert table.band(2, 1) is table.bands[0]  # any true value is folded
    assert table.k == 10 and table.ranking == RANKING and table.rare_ranking == RARE
    assert all(isinstance(v, float) for v in table.ranking.values())
    # Bands of the two kinds may share listener counts; the JSON form is the table as read.
    assert table.to_json() == _table(
        bands=[band(1, 2, 0.2, True), band(3, 3, 0.3), band(4, 39, 0.35), band(40, None, 0.9)]
    )


def test_a_band_may_be_sure_of_nothing_or_of_everything():
    never = {**band(3, 39, 0.0), "low": 0.0, "high": 0.0}
    always = {**band(40, None, 1.0), "low": 1.0, "high": 1.0}
    table = parse_confidence(_table(bands=[never, always]))
    assert [(b.value, b.low, b.high) for b in table.bands] == [(0.0, 0.0, 0.0), (1.0, 1.0, 1.0)]


def test_a_model_carries_the_table_of_an_evaluation_of_its_data_and_settings_only(
    tmp_path, caplog, monkeypatch
):
    import logging

    from item2vec.training import measured_confidence
    from item2vec.training.trainer import TrainConfig

    with open(os.path.join(REPO, "docs", "evaluation.json"), encoding="utf-8") as handle:
        measured = json.load(handle)["confidence"]
    config = dataclasses.asdict(TrainConfig())
    data = {"plays.csv": "1" * 64}
    path = tmp_path / "evaluation.json"

    def table(confidence, my_config=config, my_data=data):
        path.write_text(json.dumps(confidence), encoding="utf-8")
        return measured_confidence.measured_table(str(path), my_config, my_data)

    mine = {"confidence": {**measured, "config": config, "data_sha256": data}}
    assert table(mine) == parse_confidence(measured).to_json()
    assert table(mine, {**config, "workers": 4}) is not None  # threads do not change what was measured
    with caplog.at_level(logging.INFO, logger="item2vec.training.measured_confidence"):
        assert table(mine, {**config, "epochs": 3, "seed": 1}) is None
        assert table(mine, {**config, "extra": 1}) is None  # a setting the evaluation did not have
        assert table(mine, config, {"plays.csv": "2" * 64}) is None
        assert table(mine) is not None
    assert caplog.messages == [
        f"confidence: {path} measured another configuration (epochs, seed); "
        "this model gets no confidence table",
        f"confidence: {path} measured another configuration (extra); this model gets no confidence table",
        f"confidence: {path} measured other data; this model gets no confidence table",
        f"confidence: table of {path} (measured on held-out users of this data and configuration)",
    ]
    for bad, message in (
        ([1], f"{path} holds no confidence table (an evaluation.json from before it was measured?)"),
        (
            {"confidence": [1]},
            f"{path} holds no confidence table (an evaluation.json from before it was measured?)",
        ),
        ({"confidence": {**measured, "k": 0}}, f"{path}: k must be a whole number of at least 1, got 0"),
    ):
        with pytest.raises(ValueError) as refused:
            table(bad)
        assert str(refused.value) == message
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=f"^cannot read the confidence table of {path}: Expecting"):
        measured_confidence.measured_table(str(path), config, data)
    assert measured_confidence.default_source() == os.path.join(REPO, "docs", "evaluation.json")
    monkeypatch.setattr(os.path, "isfile", lambda path: False)  # an installed package has no docs/
    assert measured_confidence.default_source() is None
