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
    [("test", "item2vec", "filtered", "hr"), ("latency", "ease"), ("validation", "tradeoff", "knee")],
)
def test_evaluation_report_fails_on_a_missing_key(evaluation, path):
    broken = copy.deepcopy(evaluation)
    del at(broken, path[:-1])[path[-1]]
    with pytest.raises((jinja2.UndefinedError, KeyError)):
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
        "-1",
        "0",
        "1",
        "10",
        "10.",
        "2018",
        "50",
        "90th",
        "HR@10",
        "IPS-recall@10",
        "P@10",
        "v1.0",
    },
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
    (("test", "item2vec", "filtered", "hr", "mean"), 0.4321, "| item2vec | 0.432 ["),
    (("test", "ease", "unfiltered", "ips_recall", "low"), 0.01234, "[0.0123, "),
    (("test", "als", "train_seconds"), 77.7, "| 77.7 |"),
    (("latency", "popularity", "p90_ms"), 9.8765, "| 9.877 |"),
    (("protocol", "users"), 4321, "permutation of the 4321 users"),
    (("protocol", "bootstrap"), 321, "(321 replicates)"),
    (("protocol", "fold_share"), 0.2, "all\n  other users (80%)"),
    (("protocol", "hr_floor"), 0.7, "HR@10 >= 0.7: "),
    (("protocol", "choice_hr_floor"), 0.81, "validation HR@10 >= 0.81 under"),
    (("protocol", "choice_max_seconds"), 30.0, "under 30 s on the full data"),
    (("protocol", "target_train_seconds"), 90, "training < 90 s"),
    (("protocol", "target_listeners_factor"), 4, "< 4x item-kNN's"),
    (("protocol", "interval_level"), 0.9, "90% bootstrap intervals"),
    (("validation", "min_listeners", "grid", "7", "coverage", "mean"), 0.123, "| 0.12 |"),
    (("validation", "ease", "lambda"), 300.0, "lambda = **300**"),
    (("validation", "tradeoff", "sweep", 0, "seconds"), 12.34, "| 12.3 |"),
    (("validation", "tradeoff", "knee", "epochs", "value_with_hr"), 30, "reaches HR@10 0.77 is **30**"),
    (("example", "listeners", "Cult Of Luna"), 8, "Cult Of Luna, has 8 listeners"),
    (("example", "ranks", "als", "filtered", "Pelican"), 777, " 777 "),
    (("seconds"), 1800.0, "(30 minutes on"),
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


def test_every_perturbed_shown_number_changes_the_evaluation_text(evaluation):
    """Every number of the headline table reacts to its own JSON value."""
    before = evaluate.render(evaluation)
    for key in evaluation["test"]:
        for which in ("filtered", "unfiltered"):
            for metric in ("hr", "precision", "ips_recall", "mean_listeners"):
                for end in ("mean", "low", "high"):
                    path = ("test", key, which, metric, end)
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
