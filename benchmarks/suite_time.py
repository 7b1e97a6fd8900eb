#!/usr/bin/env python3
"""Time the test suite's two tiers: the everyday ``-m "not slow"`` loop and the full suite.

Each tier runs as the README gives it (``python -m pytest -q`` and the tier's arguments) in a
child process; the arguments, wall seconds, the CPU seconds of
pytest and its children, pytest's counts and the load average before and after go to
``--json``, and ``--readme`` rewrites the README's test section from that JSON
(``item2vec.research.suite_report``). Machine load matters: the wall time of a tier grows
with it, its CPU time much less.

  python benchmarks/suite_time.py --json docs/suite_time.json --readme README.md
  python benchmarks/suite_time.py --json docs/suite_time.json --readme README.md --render-only
"""

import argparse
import datetime
import os
import resource
import subprocess
import sys
import time

from item2vec.errors import ExitCode

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _machine_cpu():
    """Busy CPU seconds of the whole machine since boot (``/proc/stat``: all but idle and I/O
    wait), or None where there is no ``/proc/stat``. Unlike the children's CPU it counts the
    processes pytest never waits for (the JVMs Spark and Chromium start), and others' work too."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            ticks = [int(field) for field in handle.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def time_tier(name, marker, args):
    """Run one tier; its counts, wall and CPU seconds and the load around it, and each test file's
    seconds (what tests/conftest.py orders the full suite's files by)."""
    from item2vec.research.suite_report import counts, file_seconds

    # Every test's time is reported (pytest's --durations=0), after the summary line's tests.
    command = [sys.executable, "-m", "pytest", "-q", *args, "--durations=0"]
    load_before, cpu0, machine0 = os.getloadavg()[0], _children_cpu(), _machine_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
    machine1 = _machine_cpu()
    summary = (done.stdout.strip().splitlines() or [""])[-1]
    print(f"{name}: {summary}", flush=True)
    return {
        "name": name,
        "marker": marker,
        "args": args,
        "returncode": done.returncode,
        "summary": summary,
        **counts(summary),
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(_children_cpu() - cpu0, 1),
        "machine_cpu_seconds": None if None in (machine0, machine1) else round(machine1 - machine0, 1),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "file_seconds": file_seconds(done.stdout),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", default="docs/suite_time.json", help="result file (default: %(default)s)")
    parser.add_argument("--readme", help="rewrite this README's test section from the result")
    parser.add_argument("--render-only", action="store_true", help="render --json into --readme, run nothing")
    args = parser.parse_args(argv)
    from item2vec.research import report, suite_report

    if not args.render_only:
        tiers = [time_tier(*tier) for tier in suite_report.TIERS]
        result = {
            "tiers": tiers,
            "machine": {"cpus": os.cpu_count()},
            "date": datetime.date.today().isoformat(),
        }
        report.write_json(args.json, result, indent=1)
        print(f"wrote {args.json}")
        if any(tier["returncode"] for tier in tiers):
            print("error: a tier failed; the README was not changed", file=sys.stderr)
            return ExitCode.FAILED
    if args.readme:
        report.replace_block(args.readme, "tests", suite_report.render_readme(report.read_json(args.json)))
        print(f"rewrote the test section of {args.readme}")
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
