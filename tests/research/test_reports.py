"""The report templates: loud on a missing number, every shown number from the JSON, no drift."""

import copy
import json
import os
import re

import jinja2
import pytest

from item2vec.research import eda, evaluate, report

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs")
TEMPLATES = os.path.join(os.path.dirname(report.__file__), report.TEMPLATES)


def saved(name):
    with open(os.path.join(DOCS, name), encoding="utf-8") as handle:
        return json.load(handle)


def at(obj, path):
    for key in path:
        obj = obj[key]
    return obj


def perturbed(obj, path, value):
    out = copy.deepcopy(obj)
    at(out, path[:-1])[path[-1]] = value
    return out


@pytest.fixture(scope="module")
def evaluation():
    return saved("evaluation.json")


@pytest.fixture(scope="module")
def stats():
    return saved("eda.json")


# -- (a) a missing number fails loudly ---------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ("ablation", 8, "test", "hr"),
        ("targets", "test", "ratio"),
        ("dial", "test", 0, "ips_recall"),
        ("dial", "search", "chosen", 3, "params"),
        ("leads", 0, "at", "default", "ips_ratio"),
        ("rare", "test", "ratio_colisten"),
        ("methods", "itemknn", "test", "chosen"),
    ],
)
def test_evaluation_report_fails_on_a_missing_key(evaluation, path):
    broken = copy.deepcopy(evaluation)
    del at(broken, path[:-1])[path[-1]]
    with pytest.raises((jinja2.UndefinedError, KeyError, StopIteration)):
        evaluate.render(broken)


@pytest.mark.parametrize(
    "path",
    [("size", "users"), ("long_tail", "gini_plays_per_user"), ("embedding_map", "labels_shown")],
)
def test_eda_report_fails_on_a_missing_key(stats, path):
    broken = copy.deepcopy(stats)
    del at(broken, path[:-1])[path[-1]]
    with pytest.raises(jinja2.UndefinedError):
        eda.render(broken)


def test_the_renderer_is_strict():
    env = report.environment()
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ r.missing }}").render(r={})


# -- (b) every number shown comes from the JSON ------------------------------------------------

#: Digits the templates may spell out themselves: definitions of the method (thresholds of
#: the statistics, metric names, the citation), never facts about the data or a result.
LITERAL_DIGITS = {
    "EVALUATION.md.j2": {
        "0",
        "1",
        "1-",
        "10",
        "10.",
        "HR@10",
        "IPS-recall@10",
        "P@10",
        "RP3beta",
        "Word2Vec",
        "Doc2Vec",
        "train_item2vec.py",
    },
    "METHOD_confidence.md.j2": {"train_item2vec.py"},
    "confidence_table.md.j2": set(),
    "EDA.md.j2": {
        "1",
        "1%",
        "1-2",
        "1.",
        "10%",
        "10.",
        "100",
        "10th-90th",
        "2",
        "2-D",
        "2.",
        "3.",
        "4",
        "4.",
        "5+",
        "5.",
        "6.",
        "90th",
        "99.9th",
        "99th",
        "SHA-256",
        "log2",
    },
}


@pytest.mark.parametrize("name", sorted(LITERAL_DIGITS))
def test_templates_hold_no_other_literal_numbers(name):
    with open(os.path.join(TEMPLATES, name), encoding="utf-8") as handle:
        text = handle.read()
    prose = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", text, flags=re.S)
    words = set(re.findall(r"[\w@.+/-]*\d[\w@.+%/-]*", prose))
    assert {w for w in words if not w.startswith("item2vec") and w != "p90"} <= LITERAL_DIGITS[name]


EVALUATION_CHANGES = [
    # (path, new value, text that must appear)
    (("ablation", 8, "test", "hr", "mean"), 0.4321, "**0.432 ["),
    (("ablation", 0, "validation", "ips_recall", "high"), 0.98765, ", 0.9877] |"),
    (("ablation", 0, "min_listeners"), 9, ">= 9 listeners"),
    (("methods", "itemknn", "test", "chosen", "ips_recall", "low"), 0.01234, "[0.0123, "),
    (("methods", "rp3beta", "test", "fit_seconds"), 77.7, "| 77.7 |"),
    (("methods", "ease", "validation", "chosen", "hr"), 0.4321, "| 0.432 |"),
    (("protocol", "users"), 4321, "permutation of the 4321 users"),
    (("protocol", "bootstrap"), 321, "(321 replicates)"),
    (("protocol", "fold_share"), 0.2, "all\n  other users (80%)"),
    (("protocol", "hr_target"), 0.7, "HR@10 >= 0.7:"),
    (("protocol", "ips_factor"), 1.5, ">= 1.5 x the best"),
    (("protocol", "choice_hr_floor"), 0.81, "validation HR@10 >= 0.81 and"),
    (("protocol", "choice_max_seconds"), 30.0, "under 30 s on the full data"),
    (("protocol", "interval_level"), 0.9, "90% bootstrap intervals"),
    (("shipped", "config", "members"), 12, "a bag of 12 Word2Vec"),
    (("dial", "positions", 3, "ranking", "discount"), 0.33, "| 0.33 | 1 | 5 |"),
    (("dial", "test", 1, "hr", "low"), 0.4321, " [0.432, "),
    (("dial", "search", "chosen", 4, "ips_recall"), 0.04321, "| 0.0432 |"),
    (("leads", 2, "at", "default", "ips_ratio", "high"), 1.2345, ", 1.234] |"),
    (("targets", "frontier", "test", "methods", "ease", "by_curve"), 77, "EASE 77 of"),
    (("shipped", "rare_weight"), 0.77, "co-listen weight 0.77"),
    (("targets", "test", "ratio"), 1.2345, "ratio **1.234**"),
    (("targets", "test", "rival_ips"), 0.01234, "with 0.0123 at HR@10"),
    (("targets", "rare", "product"), 0.1234, "0.1234 vs "),
    (("rare", "test", "queries"), 98765, "98,765 queries"),
    (("answerable", "folded_in"), 12345, "12,345 more can be folded in"),
    (("example", "ranks", "shipped", "Pelican"), 777, " 777 "),
    (("cache", "trained"), 55, "55 item2vec models trained"),
    (("seconds",), 1800.0, "(30 minutes on"),
]


@pytest.mark.parametrize("path,value,expected", EVALUATION_CHANGES)
def test_evaluation_numbers_follow_the_json(evaluation, path, value, expected):
    path = path if isinstance(path, tuple) else (path,)
    before = evaluate.render(evaluation)
    after = evaluate.render(perturbed(evaluation, path, value))
    assert expected not in before and expected in after


EDA_CHANGES = [
    (("size", "users"), 4321, "| users | 4,321 |"),
    (("artists_per_user", "max"), 40, "what the top-40 cut means"),
    (("artists_per_user", "max"), 40, "(a 41st favourite"),
    (("co_listen", "support_1_pct"), 12.34, "**12.3% of them rest"),
    (("plays_per_pair", "p99.9"), 12345.0, "99.9th 12,345"),
    (("long_tail", "bins", 3, "plays_pct"), 55.55, "| 55.5% |"),
    (("long_tail", "gini_plays_per_artist"), 0.5, "is **0.500**"),
    (("faults", "duplicate_users"), 99, "; 99 users,"),
    (("faults", "scripts", 0, "artists_5plus"), 1234, "| 1,234 |"),
    (("faults", "one_listener_pct"), 12.3, "- 12.3% of artists have one listener"),
    (("method", "vocab"), 5555, "the vocabulary has 5,555 artists"),
    (("method", "filter_demo", "default", 0, "score"), 0.111, "| 0.111 |"),
    (("method", "log_repeats_pct", "1"), 11.1, "`log` gives 11.1% of rows 1 copy"),
    (("embedding_map", "perplexity"), 12.0, "perplexity 12,"),
    (("embedding_map", "clusters", 0, "size"), 99, "| 1 | 99 |"),
]


@pytest.mark.parametrize("path,value,expected", EDA_CHANGES)
def test_eda_numbers_follow_the_json(stats, path, value, expected):
    before = eda.render(stats)
    after = eda.render(perturbed(stats, path, value))
    assert expected not in before and expected in after


@pytest.mark.parametrize(
    "path,flag",
    [
        (("targets", "test", "hr_met"), "Shipped setting HR@10"),
        (("targets", "test", "ratio_met"), "IPS-recall@10 >= "),
        (("targets", "test", "interval_met"), "The lower end of the shipped interval"),
        (("targets", "frontier", "test", "met"), "Frontier:"),
        (("targets", "dial_chosen"), "The dial"),
        (("targets", "rare", "met"), "Rare query artists"),
    ],
)
def test_target_verdicts_follow_the_json(evaluation, path, flag):
    for value, box in ((True, "[x]"), (False, "[ ]")):
        text = evaluate.render(perturbed(evaluation, path, value))
        assert f"- {box} {flag}" in text


def test_every_perturbed_shown_number_changes_the_evaluation_text(evaluation):
    """Every number of the ablation tables reacts to its own JSON value."""
    before = evaluate.render(evaluation)
    for i in range(len(evaluation["ablation"])):
        for kind in ("validation", "test"):
            for metric in ("hr", "precision", "ips_recall"):
                for end in ("mean", "low", "high"):
                    path = ("ablation", i, kind, metric, end)
                    after = evaluate.render(perturbed(evaluation, path, at(evaluation, path) * 3 + 7))
                    assert after != before, path


# -- (c) no drift: the committed documents and the --render-only round trip ---------------------


def test_committed_evaluation_document_is_its_json_rendered(evaluation):
    with open(os.path.join(DOCS, "EVALUATION.md"), encoding="utf-8") as handle:
        assert evaluate.render(evaluation) == handle.read()


def test_committed_eda_document_is_its_json_rendered(stats):
    with open(os.path.join(DOCS, "EDA.md"), encoding="utf-8") as handle:
        assert eda.render(stats) == handle.read()


def test_render_only_round_trips(tmp_path, evaluation, stats):
    for name, data, module, doc in (
        ("evaluation.json", evaluation, evaluate, "EVALUATION.md"),
        ("eda.json", stats, eda, "EDA.md"),
    ):
        report.write_json(str(tmp_path / name), data)
        assert module.main(["--render-only", "--out", str(tmp_path)]) == 0
        assert (tmp_path / doc).read_text(encoding="utf-8") == module.render(data)


def test_render_only_without_json_is_a_clean_error(tmp_path, capsys):
    assert evaluate.main(["--render-only", "--out", str(tmp_path)]) == 2
    assert eda.main(["--render-only", "--out", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_tuning_record_matches_the_rule_the_report_quotes():
    """EVALUATION.md quotes the tuning's selection rule from the protocol; docs/tuning.json is that run."""
    args = saved("tuning.json")["args"]
    assert args["hr_floor"] == evaluate.CHOICE_HR_FLOOR
    assert args["max_seconds"] == evaluate.CHOICE_MAX_SECONDS


def test_write_json_handles_numpy_scalars(tmp_path):
    import numpy as np

    report.write_json(str(tmp_path / "x.json"), {"a": np.int64(3), "b": np.float32(0.5), "c": "Земфира"})
    text = (tmp_path / "x.json").read_text(encoding="utf-8")
    assert json.loads(text) == {"a": 3, "b": 0.5, "c": "Земфира"} and "Земфира" in text
    with pytest.raises(TypeError):
        report.write_json(str(tmp_path / "y.json"), {"a": object()})
