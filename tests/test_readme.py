"""The README's examples are what the shipped model really says.

Every ``$ python ask.py ...`` line in a README code block is run through
``ask.main`` against ``models/``; the lines after it, up to the next ``$``, must
be its output (``error:`` lines are standard error), and ``echo $?`` its exit
code. Every ``python`` code block runs as written, from the repository root.
"""

import io
import json
import os
import re
import shlex

import pytest

from conftest import REPO, Stdin
from item2vec.cli import ask_command as ask

README = os.path.join(REPO, "README.md")
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def blocks(kind):
    with open(README, encoding="utf-8") as handle:
        return [body for lang, body in BLOCK.findall(handle.read()) if lang == kind]


def sessions():
    """(command line, expected output lines, expected exit code or None) of each README example."""
    found = []
    for body in blocks(""):
        lines = body.rstrip("\n").split("\n")
        for i, line in enumerate(lines):
            if not line.startswith("$ python ask.py"):
                continue
            output = []
            for follower in lines[i + 1 :]:
                if follower.startswith("$ "):
                    break
                output.append(follower)
            after = lines[i + 1 + len(output) :]
            code = int(after[1]) if after[:1] == ["$ echo $?"] and len(after) > 1 else None
            if output:  # a bare command (the README's opening line) shows no output to check
                found.append((line[2:], output, code))
    return found


def test_the_readme_has_examples_to_check():
    assert len(sessions()) >= 5 and blocks("python")


@pytest.mark.parametrize("command,expected,code", sessions(), ids=lambda x: x if isinstance(x, str) else "")
def test_readme_example_is_what_ask_prints(command, expected, code):
    argv = shlex.split(command)[2:] + ["--model", os.path.join(REPO, "models")]
    out, err = io.StringIO(), io.StringIO()
    status = ask.main(argv, stdin=Stdin(), out=out, err=err)
    printed = err.getvalue() if expected and expected[0].startswith("error:") else out.getvalue()
    assert printed.rstrip("\n").split("\n") == expected
    if code is not None:
        assert status == code


@pytest.mark.parametrize("source", blocks("python"))
def test_readme_python_blocks_run(source, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    exec(compile(source, README, "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out.strip()


def _run(command):
    argv = shlex.split(command)[2:] + ["--model", os.path.join(REPO, "models")]
    out, err = io.StringIO(), io.StringIO()
    status = ask.main(argv, stdin=Stdin(), out=out, err=err)
    printed = err.getvalue() if status and err.getvalue().startswith("error:") else out.getvalue()
    return printed.rstrip("\n").split("\n")


def update_readme():
    """Rewrite each example's output with what ``ask.main`` prints now (after a retrain).

    Run as ``python tests/test_readme.py`` from the repository root; review the diff.
    """
    with open(README, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    result, i = [], 0
    while i < len(lines):
        line = lines[i]
        result.append(line)
        i += 1
        if not line.startswith("$ python ask.py"):
            continue
        j = i
        while j < len(lines) and not lines[j].startswith("$ ") and lines[j] != "```":
            j += 1
        if j > i:  # a bare command shows no output (see sessions)
            result.extend(_run(line[2:]))
            i = j
    with open(README, "w", encoding="utf-8") as handle:
        handle.write("\n".join(result))


def test_the_quality_section_is_the_rendering_of_the_committed_evaluation():
    pytest.importorskip("jinja2")
    from item2vec.research import report
    from item2vec.research.evaluate_report import render_readme

    result = report.read_json(os.path.join(REPO, "docs", "evaluation.json"))
    assert report.block(README, "quality") == render_readme(result).strip(), (
        "README's quality section is stale: python -m item2vec.research.evaluate --render-only "
        "--out docs/ --readme README.md"
    )


def test_the_test_section_is_the_rendering_of_the_committed_suite_times():
    pytest.importorskip("jinja2")
    from item2vec.research import report
    from item2vec.research.suite_report import render_readme

    result = report.read_json(os.path.join(REPO, "docs", "suite_time.json"))
    assert report.block(README, "tests") == render_readme(result).strip(), (
        "README's test section is stale: python benchmarks/suite_time.py --render-only --readme README.md"
    )
    assert 'python -m pytest -q -m "not slow"' in report.block(README, "tests")


def test_the_whole_machine_s_cpu_is_shown_when_it_was_measured():
    """A measurement with the machine's busy CPU shows it; one without (no /proc/stat, or an
    older JSON) says so rather than a number."""
    pytest.importorskip("jinja2")
    from item2vec.research import report
    from item2vec.research.suite_report import render_readme

    result = report.read_json(os.path.join(REPO, "docs", "suite_time.json"))
    for tier, seconds in zip(result["tiers"], (48.2, 598.7), strict=True):
        tier["machine_cpu_seconds"] = seconds
    rows = [line for line in render_readme(result).splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[4] for row in rows] == ["48 s", "599 s"]
    for tier in result["tiers"]:
        tier.pop("machine_cpu_seconds")
    rows = [line for line in render_readme(result).splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[4] for row in rows] == ["not measured"] * 2


def test_ci_runs_exactly_the_full_suite_command_the_benchmark_times():
    """.ci/run's test line is the full tier of suite_report.TIERS (the README shows it once timed)."""
    pytest.importorskip("jinja2")
    from item2vec.research.suite_report import TIERS, command

    full = command(next(args for name, _, args in TIERS if name == "full"))
    with open(os.path.join(REPO, ".ci", "run"), encoding="utf-8") as ci:
        runs = [line.strip() for line in ci if line.strip().startswith("python -m pytest")]
    assert runs == [full] == ["python -m pytest -q -n auto"]


def test_pytest_summaries_are_counted():
    from item2vec.research.suite_report import counts

    assert counts("459 passed, 1 skipped, 55 deselected in 107.46s (0:01:47)") == {
        "passed": 459,
        "failed": 0,
        "skipped": 1,
        "deselected": 55,
        "xfailed": 0,
        "xpassed": 0,
        "errors": 0,
    }
    mixed = counts("2 failed, 10 passed, 1 xfailed, 3 errors in 1.0s")
    assert (mixed["failed"], mixed["passed"], mixed["xfailed"], mixed["errors"]) == (2, 10, 1, 3)
    assert counts("1 error in 0.5s")["errors"] == 1


def test_each_files_seconds_are_read_from_pytests_durations():
    from item2vec.research.suite_report import file_seconds

    output = (
        "....\n1 passed in 3.00s\n"
        "============================= slowest durations =============================\n"
        "2.50s call     tests/test_b.py::test_one[x::y]\n"
        "0.25s setup    tests/research/test_a.py::TestK::test_two\n"
        "0.50s call     tests/test_b.py::test_other\n"
        "0.05s teardown tests/research/test_a.py::TestK::test_two\n"
        "(3 durations < 0.005s hidden.  Use -vv to show these durations.)\n"
    )
    seconds = file_seconds(output)
    assert seconds == {"tests/test_b.py": 3.0, "tests/research/test_a.py": 0.3}
    assert list(seconds) == ["tests/test_b.py", "tests/research/test_a.py"]
    assert file_seconds("1 passed in 3.00s") == {}


def test_the_full_suite_hands_out_the_longest_measured_files_first(tmp_path):
    """conftest's order for the xdist workers: measured seconds first, then the slow tests' count."""
    import pathlib

    import conftest

    class Item:
        def __init__(self, path, slow=False):
            self.path, self.slow = pathlib.Path(REPO, path), slow

        def get_closest_marker(self, name):
            return self.slow if name == "slow" else None

    items = [
        Item("tests/test_new.py", slow=True),
        Item("tests/test_short.py"),
        Item("tests/test_plain.py"),
        Item("tests/test_long.py"),
        Item("tests/test_long.py", slow=True),
        Item("tests/test_new2.py", slow=True),
        Item("tests/test_new2.py", slow=True),
    ]
    timed = {"tests/test_long.py": 90.0, "tests/test_short.py": 1.5}
    order = sorted(items, key=conftest.file_weight(items, timed))
    assert [str(item.path.relative_to(REPO)) for item in order] == [
        "tests/test_long.py",
        "tests/test_long.py",
        "tests/test_short.py",
        "tests/test_new2.py",
        "tests/test_new2.py",
        "tests/test_new.py",
        "tests/test_plain.py",
    ]
    assert [item.slow for item in order[:2]] == [False, True]  # a file's own order is kept
    result = tmp_path / "suite_time.json"
    result.write_text(json.dumps({"tiers": [{"name": "fast"}, {"name": "full", "file_seconds": timed}]}))
    assert conftest.measured_file_seconds(str(result)) == timed
    result.write_text("{")
    assert conftest.measured_file_seconds(str(result)) == {}
    assert conftest.measured_file_seconds(str(tmp_path / "none.json")) == {}


def test_the_files_sharing_a_local_spark_are_one_unit_of_work_and_every_such_file_is_listed(
    pytestconfig, monkeypatch
):
    """With -n, xdist hands the files of the ``spark`` fixture's session to one worker (one JVM
    for all of them), every other file alone; a test using the fixture elsewhere stops the run."""
    import types

    import conftest

    # As with -n 2 and pyproject.toml's --dist loadfile, whichever way this test runs.
    monkeypatch.setattr(pytestconfig.option, "tx", ["2*popen"])
    monkeypatch.setattr(pytestconfig.option, "dist", "loadfile")
    scheduler = conftest.pytest_xdist_make_scheduler(pytestconfig, None)
    assert {scheduler._split_scope(f"{path}::test_x") for path in conftest.SHARED_SPARK_FILES} == {
        conftest.SHARED_SPARK_UNIT
    }
    assert scheduler._split_scope("tests/test_vectors.py::test_x") == "tests/test_vectors.py"
    monkeypatch.setattr(pytestconfig.option, "dist", "load")
    assert conftest.pytest_xdist_make_scheduler(pytestconfig, None) is None  # left to xdist
    item = types.SimpleNamespace(
        path=os.path.join(REPO, "tests", "test_new_spark.py"),
        nodeid="tests/test_new_spark.py::test_x",
        fixturenames=["tmp_path", "spark"],
    )
    with pytest.raises(pytest.UsageError, match="add tests/test_new_spark.py to conftest.SHARED_SPARK_FILES"):
        conftest._check_shared_spark_files([item])
    item.path = os.path.join(REPO, conftest.SHARED_SPARK_FILES[0])
    conftest._check_shared_spark_files([item])


if __name__ == "__main__":
    update_readme()
