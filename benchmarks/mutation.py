#!/usr/bin/env python3
"""Mutation testing of the product packages: how many deliberate one-token bugs the tests catch.

mutmut (the ``test`` extra) rewrites one module into many mutants, each with one small
change (an operator, a constant, an argument dropped), and runs the tests that call the
changed function against each; a mutant the tests still pass "survived". Each scope below
is one module with the fast test files that cover it, so a run costs minutes on two
cores, not hours, and needs no real data. The run happens in a scratch copy of the
tracked files of this checkout (mutmut writes its ``mutants/`` folder beside them).

  nice -n 10 python benchmarks/mutation.py --json docs/mutation.json           # every scope
  nice -n 10 python benchmarks/mutation.py --scope model.arrays --json docs/mutation.json

``--json`` merges the scopes run into that file (per scope: counts, score and every
surviving mutant's name; its ``equivalent`` holds the survivors argued equivalent, by
hand, with the argument). ``--reliability docs/RELIABILITY.md`` rewrites the generated
block of "Mutation testing" from it (``--report-only``: without running anything), which
tests/test_mutation_record.py checks. ``--work DIR`` keeps the scratch folders, and
``--show NAME --work DIR`` then prints one mutant's diff.
"""

import argparse
import contextlib
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from item2vec.errors import ExitCode

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Scope name -> (module, test files, pytest -k expression or None). Only fast tests:
#: subprocess tests (SIGKILL loops, launched programs, concurrent processes) cost seconds
#: per mutant and mutmut cannot see which functions they call; hypothesis tests that call
#: everything (the CLI on arbitrary arguments, the fuzzing pass) cost seconds per mutant.
#: Named in full: ``-k`` matches any test whose name contains one of these, so a word
#: ("interactive") would also drop the in-process tests named after it
#: (tests/test_mutation_record.py checks each name is a test's, and no other test's part).
SLOW_TESTS = (
    "test_sigkill_at_random_moments_always_leaves_one_complete_model",
    "test_sigkill_of_the_real_trainer_at_random_moments_leaves_one_complete_model",
    "test_four_batch_readers_during_replacement_never_fail",
    "test_concurrent_saves_from_two_processes_never_mix",
    "test_same_data_seed_and_one_worker_give_byte_identical_vectors",
    "test_cli_with_arbitrary_arguments_returns_a_documented_code",
)
#: Launched programs: the interactive prompt in a terminal, a closed pipe, --help as started.
LAUNCHED_TESTS = (
    "test_interactive_prompt_with_tab_completion",
    "test_quotes_typed_at_the_prompt_are_not_part_of_the_name",
    "test_batch_into_a_closed_pipe_ends_quietly",
    "test_help_names_the_program_as_it_was_started",
)
SLOW = " or ".join(SLOW_TESTS)
LAUNCHED = " or ".join(LAUNCHED_TESTS)
FAST = f"not ({SLOW} or {LAUNCHED})"
#: The tests of the asking side (the query package and ask.py), by what they cover.
ASKING = [
    "tests/test_cli.py",
    "tests/test_ask_ranking.py",
    "tests/test_rare_artists.py",
    "tests/test_confidence.py",
    "tests/test_reliability_query_input.py",
    "tests/test_names_cli.py",
    "tests/test_dial.py",
    "tests/test_mutations.py",
]
#: The tests of the training side (readers, corpus, trainer, train_item2vec.py).
TRAINING = [
    "tests/test_trainer.py",
    "tests/test_training.py",
    "tests/test_streaming.py",
    "tests/test_bagging.py",
    "tests/test_mutations.py",
    "tests/test_reliability_training.py",
    "tests/test_reliability_data_files.py",
]
#: The readers' tests (the bad-input table runs through train_item2vec.py's main, pandas engine).
READING = [
    "tests/test_data.py",
    "tests/test_bad_input_contract.py",
    "tests/test_formats.py",
    "tests/test_events.py",
    "tests/test_reliability_data_files.py",
]
SCOPES = {
    "model.arrays": (
        "item2vec/model/arrays.py",
        ["tests/test_properties.py", "tests/test_vectors.py", "tests/test_mutations.py"],
        f"not ({SLOW})",
    ),
    "model.validation": (
        "item2vec/model/validation.py",
        ["tests/test_model_validation.py", "tests/test_reliability_model_files.py"],
        None,
    ),
    "model.storage": (
        "item2vec/model/storage.py",
        [
            "tests/test_reliability_model_files.py",
            "tests/test_model_validation.py",
            "tests/test_reliability_training.py",
            "tests/test_mutations.py",
            "tests/test_storage.py",
        ],
        f"not ({SLOW})",
    ),
    "model.replace": (
        "item2vec/model/replace.py",
        ["tests/test_reliability_training.py", "tests/test_reliability_model_files.py"],
        f"not ({SLOW})",
    ),
    "model.catalog": (
        "item2vec/model/catalog.py",
        [
            "tests/test_catalog.py",
            "tests/test_names.py",
            "tests/test_names_shipped.py",
            "tests/test_evidence_ranking.py",
            "tests/test_export.py",
            "tests/test_model_validation.py",
            "tests/test_reliability_model_files.py",
            "tests/test_training.py",
            "tests/test_mutations.py",
        ],
        FAST,
    ),
    "model.vectors": (
        "item2vec/model/vectors.py",
        [
            "tests/test_vectors.py",
            "tests/test_ask_ranking.py",
            "tests/test_training.py",
            "tests/test_mutations.py",
        ],
        FAST,
    ),
    "model.confidence": (
        "item2vec/model/confidence.py",
        [
            "tests/test_confidence.py",
            "tests/test_model_validation.py",
            "tests/test_reliability_model_files.py",
        ],
        FAST,
    ),
    "model.item_weights": (
        "item2vec/model/item_weights.py",
        ["tests/test_dial.py", "tests/test_model_validation.py", "tests/test_reliability_model_files.py"],
        FAST,
    ),
    "training.ease": (
        "item2vec/training/ease.py",
        ["tests/test_dial.py", "tests/test_trainer.py", "tests/test_training.py"],
        FAST,
    ),
    "ingest.cleaning": (
        "item2vec/ingest/cleaning.py",
        [
            "tests/test_data.py",
            "tests/test_reliability_data_files.py",
            "tests/test_formats.py",
            "tests/test_events.py",
        ],
        None,
    ),
    "ingest.formats": ("item2vec/ingest/formats.py", READING, FAST),
    "ingest.lastfm360k": ("item2vec/ingest/lastfm360k.py", READING, FAST),
    "ingest.lfm1b": ("item2vec/ingest/lfm1b.py", READING, FAST),
    "training.corpus": ("item2vec/training/corpus.py", TRAINING, FAST),
    "training.trainer": ("item2vec/training/trainer.py", TRAINING, FAST),
    "training.romanization": (
        "item2vec/training/romanization.py",
        ["tests/test_romanization.py", "tests/test_names.py"],
        FAST,
    ),
    "training.blas": (
        "item2vec/training/blas.py",
        ["tests/test_member_pool.py", "tests/test_blas_kernels.py", "tests/test_training.py"],
        FAST,
    ),
    "training.member_pool": (
        "item2vec/training/member_pool.py",
        [
            "tests/test_member_pool.py",
            "tests/test_bagging.py",
            "tests/test_training.py",
            "tests/test_reliability_training.py",
        ],
        FAST,
    ),
    "training.measured_confidence": (
        "item2vec/training/measured_confidence.py",
        ["tests/test_train_command.py", "tests/test_confidence.py", "tests/test_training.py"],
        FAST,
    ),
    "query.names": (
        "item2vec/query/names.py",
        [
            "tests/test_names.py",
            "tests/test_names_cli.py",
            "tests/test_mutations.py",
            "tests/test_properties.py",
        ],
        f"not ({SLOW})",
    ),
    "query.ranking": ("item2vec/query/ranking.py", ["tests/test_evidence_ranking.py", *ASKING], FAST),
    "query.recommender": ("item2vec/query/recommender.py", ["tests/test_evidence_ranking.py", *ASKING], FAST),
    "query.formatting": ("item2vec/query/formatting.py", [*ASKING, "tests/test_properties.py"], FAST),
    "cli.ask_command": ("item2vec/cli/ask_command.py", [*ASKING, "tests/test_properties.py"], FAST),
    "cli.parser": (
        "item2vec/cli/parser.py",
        ["tests/test_parser.py", "tests/test_cli.py", "tests/test_reliability_query_input.py"],
        FAST,
    ),
    "cli.train_command": (
        "item2vec/cli/train_command.py",
        ["tests/test_train_command.py", *TRAINING, "tests/test_formats.py", "tests/test_events.py"],
        FAST,
    ),
    "cli.explore_command": (
        "item2vec/cli/explore_command.py",
        ["tests/test_explore.py", "tests/test_explore_command.py"],
        FAST,
    ),
    "cli.export_command": ("item2vec/cli/export_command.py", ["tests/test_export.py"], FAST),
}
#: The tests of every scope are the fast tier's (``-m``).
MARKER = "not slow"
#: How long mutmut lets a mutant's tests run: (the tests' measured time + this many
#: seconds) x 15, wall clock (its default is 1 s). The measured time leaves out fixture
#: set-up (the session's synthetic data and model, seconds on a loaded machine), and a
#: timeout counts as a kill: the margin keeps a slow set-up from passing for one.
TIMEOUT_CONSTANT = 20
#: mutmut's verdicts (its exit codes) as counted here: a timeout is a kill (the tests did
#: notice: the mutant never finished), and so is a test process that crashed on the mutant
#: (-11, SIGSEGV: a sparse matrix declared smaller than its indices); "no tests" a survivor
#: (nothing checks that code).
SEGFAULT = -11
KILLED = {1, 3, 36, -24, 24, 152, 255, SEGFAULT}
TIMEOUTS = KILLED - {1, 3, SEGFAULT}
NOT_RUN = {None, 2, 34}


def environment(work):
    """mutmut's environment: the tests keep their synthetic model in ``work`` (tests/model_cache.py).

    Each mutant is a new pytest session, which would train the model again; the cache's key
    holds the mutant whenever it is in code that builds the model.
    """
    return dict(os.environ, ITEM2VEC_TEST_MODEL_CACHE=os.path.join(work, "model-cache"))


def scratch_copy(work):
    """The tracked files of the checkout as they are now (edits included) in ``work``."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.split(
        b"\0"
    )
    for name in filter(None, (f.decode() for f in files)):
        source = os.path.join(REPO, name)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(work, name)) or work, exist_ok=True)
            shutil.copy2(source, os.path.join(work, name))


def configure(work, module, tests, keyword):
    """Append mutmut's settings for one scope to the scratch copy's pyproject.toml."""
    tests = [t for t in tests if os.path.isfile(os.path.join(work, t))]
    # The fast tier only (pyproject's markers): a slow test (a bag trained, a process
    # started) costs seconds for every mutant it is picked for.
    selection = ["-q", "-x", "-p", "no:randomly", "-m", MARKER] + (["-k", keyword] if keyword else [])
    with open(os.path.join(work, "pyproject.toml"), "a", encoding="utf-8") as handle:
        handle.write(
            "\n[tool.mutmut]\n"
            'source_paths = ["item2vec/"]\n'
            f"only_mutate = {json.dumps([module])}\n"
            f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
            f"pytest_add_cli_args = {json.dumps(selection)}\n"
            'also_copy = ["models/", "docs/", "README.md", "ask.py", "train_item2vec.py", "benchmarks/"]\n'
            f"timeout_constant = {TIMEOUT_CONSTANT}\n"
        )
    return tests


def verdicts(work, module):
    """Exit code of every mutant of ``module`` (mutmut's .meta file)."""
    with open(os.path.join(work, "mutants", module + ".meta"), encoding="utf-8") as handle:
        return json.load(handle)["exit_code_by_key"]


def summarise(codes):
    run = {name: code for name, code in codes.items() if code not in NOT_RUN}
    killed = sorted(name for name, code in run.items() if code in KILLED)
    survived = sorted(name for name, code in run.items() if code not in KILLED)
    return {
        "mutants": len(run),
        "killed": len(killed),
        "survived": survived,
        "not_covered": sorted(name for name in survived if codes[name] in (5, 33)),
        "timeouts": sum(code in TIMEOUTS for code in run.values()),
        "not_run": len(codes) - len(run),
        "score": round(len(killed) / len(run), 4) if run else None,
    }


def collect_scope(name, work):
    """The result of a run kept in ``work`` (``--collect``), finished or stopped early."""
    module, tests, keyword = SCOPES[name]
    result = summarise(verdicts(work, module))
    # The time of the run itself (its pieces added up), not of a --recheck of its survivors.
    seconds = _seconds_before(work, True) if os.path.exists(os.path.join(work, "seconds")) else None
    result.update(module=module, tests=tests, keyword=keyword, marker=_marker(work), seconds=seconds)
    return result


def _marker(work):
    """The ``-m`` expression a kept run was configured with (None: runs before the tiers had none)."""
    with open(os.path.join(work, "pyproject.toml"), encoding="utf-8") as handle:
        return MARKER if json.dumps(["-m", MARKER])[1:-1] in handle.read() else None


def recheck_scope(name, work, children, minutes=None):
    """Run a kept scope's survivors again with the checkout's current tests (``--recheck``).

    Only valid while the module is the one the run mutated: the mutants are of that copy.
    The scope's current test files are selected (new ones too), against the package's other
    modules as they are now; mutmut then forgets every
    verdict when the selection changed, so the verdicts of the mutants not run again are
    put back from before. Stopped after ``minutes``, the survivors it did not reach keep
    their verdict (still survivors, not untried).
    """
    module, tests, keyword = SCOPES[name]
    _same_module(module, work)
    codes = verdicts(work, module)
    survivors = [m for m, code in codes.items() if code not in KILLED and code not in NOT_RUN]
    for folder in (os.path.join(work, "tests"), os.path.join(work, "mutants", "tests")):
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(os.path.join(REPO, "tests"), folder)
    _current_sources(work, module)
    shutil.copy2(os.path.join(REPO, "pyproject.toml"), os.path.join(work, "pyproject.toml"))
    configure(work, module, tests, keyword)
    mutmut = os.path.join(os.path.dirname(sys.executable), "mutmut")
    if survivors:
        with open(os.path.join(work, "recheck.log"), "wb") as log:
            _run_mutmut([mutmut, "run", "--max-children", str(children), *survivors], work, log, minutes)
    again = verdicts(work, module)
    rechecked = {m: again.get(m) for m in survivors if again.get(m) not in NOT_RUN}
    _write_verdicts(work, module, {**codes, **rechecked})
    return collect_scope(name, work)


def _current_sources(work, module):
    """The package's other modules as they are now, in ``work`` and its mutants (the current tests
    may rely on code changed since the run; only ``module`` stays the copy that was mutated)."""
    package = os.path.join(REPO, "item2vec")
    for folder, _, files in os.walk(package):
        for name in files:
            path = os.path.relpath(os.path.join(folder, name), REPO)
            if path == module or not name.endswith(".py"):
                continue
            for target in (os.path.join(work, path), os.path.join(work, "mutants", path)):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(os.path.join(REPO, path), target)


def _run_mutmut(command, work, log, minutes):
    """Run mutmut in ``work``, stopped after ``minutes``; its exit code (0 when stopped on purpose)."""
    # A session of its own: stopping the run stops mutmut's forked children too.
    process = subprocess.Popen(
        command, cwd=work, stdout=log, stderr=log, env=environment(work), start_new_session=True
    )
    try:
        return process.wait(timeout=None if minutes is None else minutes * 60)
    except subprocess.TimeoutExpired:
        # mutmut itself first, so that it records no verdict for the mutants it was
        # testing (their tests die with it): they stay untried, not survivors.
        process.kill()
        process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return ExitCode.OK  # stopped on purpose: the mutants not tried are counted as such


def _write_verdicts(work, module, codes):
    path = os.path.join(work, "mutants", module + ".meta")
    with open(path, encoding="utf-8") as handle:
        meta = json.load(handle)
    meta["exit_code_by_key"] = codes
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(meta, handle)


def run_scope(name, work, children, minutes=None, resume=False):
    """Run one scope in ``work``; stopped after ``minutes``, continued there with ``resume``.

    mutmut records each mutant's verdict as it comes and, run again in the same folder,
    tries only the mutants without one; the seconds of every piece are added up.
    """
    module, tests, keyword = SCOPES[name]
    if resume:
        _same_module(module, work)
        tests = [t for t in tests if os.path.isfile(os.path.join(work, t))]
    else:
        fresh(work)
        scratch_copy(work)
        tests = configure(work, module, tests, keyword)
    mutmut = os.path.join(os.path.dirname(sys.executable), "mutmut")
    started = time.monotonic()
    with open(os.path.join(work, "mutmut.log"), "ab" if resume else "wb") as log:
        code = _run_mutmut([mutmut, "run", "--max-children", str(children)], work, log, minutes)
    if code != 0:
        raise SystemExit(f"mutmut failed on {name} (exit {code}); see {work}/mutmut.log")
    seconds = round(time.monotonic() - started) + _seconds_before(work, resume)
    with open(os.path.join(work, "seconds"), "w", encoding="utf-8") as handle:
        handle.write(str(seconds))
    result = summarise(verdicts(work, module))
    result.update(module=module, tests=tests, keyword=keyword, marker=MARKER, seconds=seconds)
    return result


def fresh(work):
    """Forget a kept run in ``work`` before a new one (not ``--resume``): mutmut would keep the
    verdicts of every function unchanged since, given by the tests of then, and try only the
    others, and the seconds recorded would be of that remainder alone."""
    shutil.rmtree(os.path.join(work, "mutants"), ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        os.remove(os.path.join(work, "seconds"))


def _seconds_before(work, resume):
    path = os.path.join(work, "seconds")
    if not resume or not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8") as handle:
        return int(handle.read())


def _same_module(module, work):
    """Refuse to record a kept run of a module that has changed since (its mutants are of that copy)."""
    with open(os.path.join(REPO, module), "rb") as now, open(os.path.join(work, module), "rb") as then:
        if now.read() != then.read():
            raise SystemExit(f"{module} changed since the run in {work}: run the scope again instead")


def show(work, mutant):
    """Print one mutant's diff from a kept scratch folder (``--work``)."""
    scope = next((n for n, (module, _, _) in SCOPES.items() if mutant.startswith(_dotted(module))), None)
    if scope is None or not os.path.isdir(os.path.join(work, scope, "mutants")):
        raise SystemExit(f"no kept run of the module of {mutant!r} under {work} (run with --work {work})")
    mutmut = os.path.join(os.path.dirname(sys.executable), "mutmut")
    return subprocess.run([mutmut, "show", mutant], cwd=os.path.join(work, scope)).returncode


def _dotted(module):
    return module[: -len(".py")].replace("/", ".") + "."


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scope", action="append", choices=sorted(SCOPES), help="default: every scope")
    parser.add_argument("--json", help="merge the results into this file (docs/mutation.json)")
    parser.add_argument(
        "--reliability", help="rewrite the generated mutation block of this file (docs/RELIABILITY.md)"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="render --json into --reliability, run nothing"
    )
    parser.add_argument("--children", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--work", help="scratch folder to use and keep (default: a temporary one)")
    parser.add_argument("--show", metavar="MUTANT", help="print a mutant's diff from a run kept with --work")
    parser.add_argument(
        "--collect",
        action="store_true",
        help="record the runs kept under --work (stopped ones too) without running",
    )
    parser.add_argument(
        "--minutes",
        type=float,
        help="stop each scope after this many minutes (its untried mutants are counted as not run; "
        "with --recheck, the survivors not reached stay survivors)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the runs kept under --work where they stopped (the module must be unchanged)",
    )
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="run the survivors of the runs kept under --work again with the current tests, and record them",
    )
    args = parser.parse_args(argv)
    if args.show:
        return show(args.work or ".", args.show)
    for name in [] if args.report_only else args.scope or sorted(SCOPES):
        result = run_and_report(name, args)
        if args.json:
            # Read again: the arguments of equivalent mutants may have been edited meanwhile.
            results = _read(args.json)
            results.setdefault("scopes", {})[name] = result
            _write(args.json, results)
    results = _read(args.json) if args.json else {}
    if args.json:
        # Every scope defined, run or not: the page lists the modules not measured yet.
        results["defined"] = {name: module for name, (module, _, _) in sorted(SCOPES.items())}
        _write(args.json, results)
    if args.reliability:
        from item2vec.research import mutation_report, report

        report.replace_block(args.reliability, "mutation", mutation_report.render(results))
        print(f"wrote the mutation block of {args.reliability}")
    return ExitCode.OK


def _write(path, results):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1, sort_keys=True, ensure_ascii=False)
        handle.write("\n")


def _read(path):
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def run_and_report(name, args):
    """One scope's result, printed as a line."""
    work = os.path.join(args.work, name) if args.work else tempfile.mkdtemp(prefix="mutation-")
    os.makedirs(work, exist_ok=True)
    try:
        if args.recheck:
            result = recheck_scope(name, work, args.children, args.minutes)
        else:
            result = (
                collect_scope(name, work)
                if args.collect
                else run_scope(name, work, args.children, args.minutes, args.resume)
            )
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    result["date"] = datetime.date.today().isoformat()
    print(
        f"{name}: {result['killed']} of {result['mutants']} mutants killed "
        f"({len(result['survived'])} survived, {len(result['not_covered'])} of them never run by the "
        f"tests; {result['not_run']} not run) in {result['seconds']} s",
        flush=True,
    )
    return result


if __name__ == "__main__":
    sys.exit(main())
