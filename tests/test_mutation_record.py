"""docs/RELIABILITY.md's mutation score is docs/mutation.json's, and its arguments name real survivors."""

import json
import os

import pytest

from conftest import REPO

jinja2 = pytest.importorskip("jinja2")
from item2vec.research import mutation_report, report  # noqa: E402  (needs the eval extra)

RELIABILITY = os.path.join(REPO, "docs", "RELIABILITY.md")
RESULT = os.path.join(REPO, "docs", "mutation.json")


def _result():
    with open(RESULT, encoding="utf-8") as handle:
        return json.load(handle)


def test_the_page_holds_exactly_the_rendering_of_the_result():
    assert report.block(RELIABILITY, "mutation") == mutation_report.render(_result()).strip(), (
        "docs/RELIABILITY.md is out of date: python benchmarks/mutation.py --json docs/mutation.json "
        "--reliability docs/RELIABILITY.md --report-only"
    )


def test_every_mutant_argued_equivalent_is_a_survivor_of_the_last_run():
    # An argument for a mutant that no longer survives (or no longer exists) is stale.
    result = _result()
    survivors = {m for scope in result["scopes"].values() for m in scope["survived"]}
    assert sorted(set(result.get("equivalent", {})) - survivors) == []
    assert all(len(why) > 20 for why in result.get("equivalent", {}).values())


def test_the_score_leaves_out_only_the_argued_survivors():
    result = {
        "scopes": {
            "a": {
                "module": "a.py",
                "tests": ["t.py"],
                "mutants": 10,
                "killed": 7,
                "survived": ["a.x_1", "a.x_2", "a.x_3"],
                "not_covered": ["a.x_3"],
                "seconds": 1,
                "date": "2026-01-01",
            },  # fmt: skip
        },
        "equivalent": {"a.x_1": "the same value either way"},
    }
    total = mutation_report.summary(result)["total"]
    assert (total["score"], total["unargued"], total["equivalent"]) == (7 / 9, 2, 1)
    assert "| `a.py` | 10 | 7 | 1 | 2 (1 never run by these tests) | 77.8% |" in mutation_report.render(
        result
    )


def test_kills_by_timeout_and_the_survivors_not_argued_are_shown():
    scope = {
        "module": "a.py",
        "tests": ["t.py"],
        "mutants": 4,
        "killed": 3,
        "timeouts": 2,
        "survived": ["a.x_f__mutmut_4"],
        "not_covered": [],
        "seconds": 1,
        "date": "2026-01-01",
    }
    text = mutation_report.render({"scopes": {"a": scope}})
    assert "| `a.py` | 4 | 3 (2 by timeout) | 0 | 1 | 75.0% |" in text
    assert "- `a.py`: `x_f__mutmut_4`" in text
    argued = mutation_report.render({"scopes": {"a": scope}, "equivalent": {"a.x_f__mutmut_4": "same value"}})
    assert "neither killed nor argued" not in argued


def test_the_modules_of_scopes_never_run_are_listed_as_not_measured():
    scope = {
        "module": "a.py",
        "tests": ["t.py"],
        "mutants": 1,
        "killed": 1,
        "survived": [],
        "not_covered": [],
        "seconds": 1,
        "date": "2026-01-01",
    }
    result = {"scopes": {"a": scope}, "defined": {"a": "a.py", "c": "c.py", "b": "b.py"}}
    assert mutation_report.summary(result)["not_measured"] == ["b.py", "c.py"]
    assert "nothing about them): `b.py`, `c.py`." in mutation_report.render(result)
    assert "Not measured yet" not in mutation_report.render({"scopes": {"a": scope}})
    why = {**result, "not_measured_why": {"c.py": "its code runs in child processes only", "a.py": "stale"}}
    assert "nothing about them): `b.py`, `c.py` (its code runs in child processes only)." in (
        mutation_report.render(why)
    )
    assert mutation_report.summary(why)["not_measured_why"] == {
        "c.py": "its code runs in child processes only"
    }


def _mutation_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "mutation_script", os.path.join(REPO, "benchmarks", "mutation.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tests_left_out_of_the_runs_are_named_in_full():
    # -k drops every test whose name contains one of the names: each must be a test's whole
    # name (a rename would let a launched test back in), and no other test's part.
    import ast

    script = _mutation_script()
    names = []
    for folder, _, files in os.walk(os.path.join(REPO, "tests")):
        for file in files:
            if file.startswith("test_") and file.endswith(".py"):
                with open(os.path.join(folder, file), encoding="utf-8") as handle:
                    tree = ast.parse(handle.read())
                names += [
                    n.name
                    for n in ast.walk(tree)
                    if isinstance(n, ast.FunctionDef) and n.name.startswith("test")
                ]
    for left_out in (*script.SLOW_TESTS, *script.LAUNCHED_TESTS):
        assert [n for n in names if left_out in n] == [left_out]
    assert script.FAST == f"not ({' or '.join((*script.SLOW_TESTS, *script.LAUNCHED_TESTS))})"


def test_a_new_run_in_a_kept_folder_forgets_the_verdicts_and_seconds_of_the_last(tmp_path):
    script = _mutation_script()
    (tmp_path / "mutants" / "item2vec").mkdir(parents=True)
    (tmp_path / "mutants" / "item2vec" / "a.py.meta").write_text('{"exit_code_by_key": {"x": 0}}')
    (tmp_path / "seconds").write_text("1620")
    (tmp_path / "pyproject.toml").write_text("")
    script.fresh(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["pyproject.toml"]
    script.fresh(str(tmp_path))  # nothing kept: nothing to do
