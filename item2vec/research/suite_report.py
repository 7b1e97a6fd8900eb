"""The README's paragraph on the test tiers, rendered from the times ``benchmarks/suite_time.py`` measured.

The result (``docs/suite_time.json``) holds, per tier, the pytest arguments, the counts
pytest reported, the wall and CPU seconds and the load average around the run; the prose is
``templates/README_tests.md.j2``. ``tests/test_readme.py`` checks that README.md holds
exactly this rendering of the committed JSON.
"""

import re

from . import report

__all__ = ["TIERS", "command", "counts", "file_seconds", "render_readme"]

#: The tiers, as the README gives them: name, marker expression (None: the whole suite) and
#: the arguments after ``python -m pytest -q``. The everyday loop runs one test at a time;
#: the full suite (what .ci/run runs) one pytest-xdist worker per core, each test file whole
#: on one worker (pyproject.toml's ``--dist loadfile``).
TIERS = (("fast", "not slow", ["-m", "not slow"]), ("full", None, ["-n", "auto"]))
#: What pytest's last line reports, e.g. "459 passed, 1 skipped, 55 deselected in 107.46s".
OUTCOMES = ("passed", "failed", "skipped", "deselected", "xfailed", "xpassed", "errors", "error")


def counts(summary):
    """``{"passed": 459, "deselected": 55, ...}`` from pytest's summary line (absent outcomes are 0)."""
    found = {outcome: 0 for outcome in OUTCOMES if outcome != "error"}
    for number, outcome in re.findall(r"(\d+) (" + "|".join(OUTCOMES) + r")\b", summary):
        found["errors" if outcome == "error" else outcome] += int(number)
    return found


#: One line of pytest's ``--durations=0`` report, e.g. "12.31s call     tests/test_x.py::test_y[1]".
DURATION = re.compile(r"^(\d+(?:\.\d+)?)s (?:setup|call|teardown) +([^:\s]+)::", re.MULTILINE)


def file_seconds(report_text):
    """``{"tests/test_x.py": seconds}``: the setup, call and teardown times of each test file's
    tests, summed, from a pytest output with ``--durations=0``; the heaviest file first."""
    seconds = {}
    for value, path in DURATION.findall(report_text):
        seconds[path] = seconds.get(path, 0.0) + float(value)
    return {path: round(total, 1) for path, total in sorted(seconds.items(), key=lambda item: -item[1])}


def command(args):
    """``python -m pytest -q`` and ``args``, as a reader types it (double quotes around a spaced argument)."""
    args = [f'"{arg}"' if " " in arg else arg for arg in args]
    return " ".join(["python -m pytest -q", *args])


def render_readme(result):
    """The README's test section: ``templates/README_tests.md.j2`` filled from ``result``."""
    tiers = {tier["name"]: tier for tier in result["tiers"]}
    return report.render(
        "README_tests.md.j2", r=result, fast=tiers["fast"], full=tiers["full"], command=command
    )
