"""train_item2vec.py's own code (cli/train_command.py) in-process: its help, its option types, its entry.

Fast tests (no training): the paths of the program that run before or around the work, and
the order of the Spark engine's steps with stand-ins for them (tests/test_spark_cli.py runs
them for real, in the slow tier).
"""

import contextlib
import dataclasses
import logging
import os
import re
import sys

import numpy as np
import pytest

from item2vec.cli import train_command
from item2vec.training.trainer import TrainConfig, TrainedModel


def test_the_help_names_every_option_its_argument_and_what_it_does():
    # As a user reads it (line breaks aside); the hyperparameters' lines come from trainer.HELP.
    text = " ".join(train_command.build_parser().format_help().split())
    expected = (
        "usage: train_item2vec.py [-h] [--data DIR] [--format {auto,hetrec,kaggle,lastfm360k,lfm1b}] "
        "[--out DIR] [--max-dropped-share SHARE] [--confidence FILE] [--quiet] [--stream | --no-stream] "
        "[--processes N] [--engine {pandas,spark}] [--trainer {gensim,mllib}] [--spark-master URL] "
        "[--spark-conf KEY=VALUE] [--spark-work DIR] [--vector-size VECTOR_SIZE] [--window WINDOW] "
        "[--shrink-windows | --no-shrink-windows] [--epochs EPOCHS] [--negative NEGATIVE] "
        "[--ns-exponent NS_EXPONENT] [--sample SAMPLE] [--alpha ALPHA] [--min-alpha MIN_ALPHA] "
        "[--min-count MIN_COUNT] [--weighting WEIGHTING] [--max-repeat MAX_REPEAT] [--seed SEED] "
        "[--workers WORKERS] [--members MEMBERS] [--version] "
        "Train item2vec artist embeddings on Last.fm listening data and write a model folder. "
        "options: -h, --help show this help message and exit "
        "--data DIR folder with the data files (default: data/) "
        "--format {auto,hetrec,kaggle,lastfm360k,lfm1b} input format (default: detect from the file names) "
        "--out DIR model folder to write (default: models/) "
        "--max-dropped-share SHARE stop when a data file loses more than this share of its rows to repairs "
        "(default 0.01: a damaged or truncated file; 1 trains on whatever is usable) "
        "--confidence FILE the evaluation.json whose confidence table (how far to trust an answer, measured "
        "on held-out users by listener band) the model carries; used only when it measured this data with "
        "this configuration (default auto: the checkout's docs/evaluation.json, when there is one; none: no "
        "table, answers say 'not measured') "
        "--quiet no progress bar, warnings only "
        "--stream, --no-stream train from a temporary corpus file instead of sentences in memory (default: "
        "only above 1,000,000 rows; results differ from the in-memory mode but are as reproducible) "
        "--processes N with --members above 1, train at most N members at once, one process each (default: "
        "as many as there are CPUs; the result does not depend on it; --engine pandas only) "
        "--version show program's version number and exit "
        "engine: --engine {pandas,spark} pandas: read, clean and train in this machine's processes "
        "(default); spark: read, clean and build the corpora with Spark, from any path Spark reads, and "
        "train the members on its executors, for the same model (needs the spark extra: pip install -e "
        ".[spark], and Java 17 or newer) "
        "--trainer {gensim,mllib} gensim: the bag of --members gensim models (default; with --engine spark "
        "each member trains in a Spark task); mllib: one Spark MLlib Word2Vec model (only with --engine "
        "spark; skip-gram with hierarchical softmax: uses vector-size, window, epochs, alpha as step size, "
        "seed and workers as partitions, and has no negative, ns-exponent, sample, min-alpha, shrink- "
        "windows) "
        "--spark-master URL Spark master, e.g. local[4], spark://host:7077, yarn (default: the one "
        "spark-submit was given, else local[*]: all cores of this machine) "
        "--spark-conf KEY=VALUE a Spark setting for a session this program starts, e.g. "
        "spark.driver.memory=8g (repeatable; see docs/PERFORMANCE.md) "
        "--spark-work DIR where Spark writes the members' corpora for the executors to read: a folder or "
        "URI every machine of the cluster shares, e.g. hdfs:///tmp or s3a://bucket/tmp (default: the "
        "system's temporary folder, or /tmp of the cluster's default file system when that is not the local "
        "one); only the run's own subfolder is written, and it is removed at the end "
        "hyperparameters (defaults build the shipped model): "
        "--vector-size VECTOR_SIZE embedding dimensions (default: 32) "
        "--window WINDOW context window in tokens; 0 = the user's whole list (item2vec) (default: 20) "
        "--shrink-windows, --no-shrink-windows sample a smaller effective window per token (word2vec's "
        "default; off for sets) (default: False) "
        "--epochs EPOCHS passes over the corpus (default: 10) "
    )
    assert text.startswith(expected), text
    assert (
        "--members MEMBERS bagged members: K models with seeds seed..seed+K-1, vectors concatenated as unit "
        "rows / sqrt(K) (cosine = mean member cosine) (default: 8; 1 with --trainer mllib) "
        'Each user\'s artists become one "sentence"'
    ) in text
    assert text.endswith("3 model could not be written; 130 interrupted.")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--spark-conf", "spark.driver.memory"],
            "argument --spark-conf: must be KEY=VALUE, got 'spark.driver.memory'",
        ),
        (["--spark-conf", " =8g"], "argument --spark-conf: must be KEY=VALUE, got ' =8g'"),
        (
            ["--spark-conf", "a=b"],
            "--spark-master, --spark-conf and --spark-work are only used with --engine spark",
        ),
        (
            ["--spark-master", "local[2]"],
            "--spark-master, --spark-conf and --spark-work are only used with --engine spark",
        ),
        (["--trainer", "mllib"], "--trainer mllib trains inside Spark: it needs --engine spark"),
        (["--processes", "0"], "argument --processes: must be a whole number of at least 1, got 0"),
        (["--processes", "two"], "argument --processes: must be a whole number of at least 1, got 'two'"),
        (
            ["--max-dropped-share", "-0.5"],
            "argument --max-dropped-share: must be a number from 0 to 1, got -0.5",
        ),
        # Spark's own options: checked before Spark starts.
        (
            ["--engine", "spark", "--processes", "1"],
            "--processes is for --engine pandas: Spark trains as many members at once "
            "as its executors have cores",
        ),
        (
            ["--engine", "spark", "--trainer", "mllib", "--members", "2"],
            "--trainer mllib trains one model: leave --members out, or give --members 1",
        ),
        (
            ["--engine", "spark", "--spark-work", "/no/such/folder"],
            "--spark-work /no/such/folder: no such folder",
        ),
        (
            ["--engine", "spark", "--spark-work", "file:///no/such/folder"],
            "--spark-work file:///no/such/folder: no such folder",
        ),
        (["--engine", "spark", "--spark-work", "w" * 3000], f"--spark-work {'w' * 1986}…"),  # cut at 2000
    ],
)
def test_each_usage_error_is_one_line_naming_what_is_wrong(argv, message, tmp_path, capsys):
    assert train_command.main([*argv, "--out", str(tmp_path / "m")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"train_item2vec.py: error: {message} (see --help)\n"
    assert not (tmp_path / "m").exists()


def test_a_spark_setting_is_a_stripped_key_and_the_value_after_the_first_equals_sign():
    args = train_command.build_parser().parse_args(
        ["--spark-conf", " spark.driver.memory =8g", "--spark-conf", "spark.x=a=b", "--spark-conf", "k="]
    )
    assert args.spark_conf == [("spark.driver.memory", "8g"), ("spark.x", "a=b"), ("k", "")]
    assert train_command.spark_setting("k=v") == ("k", "v")


def test_py4j_s_own_log_lines_are_left_out_and_others_kept():
    def record(path):
        return logging.LogRecord("root", logging.ERROR, path, 1, "call failed", None, None)

    keep = train_command._not_from_py4j
    assert not keep(record(os.path.join(os.sep, "venv", "site-packages", "py4j", "java_gateway.py")))
    assert keep(record(os.path.join(os.sep, "venv", "site-packages", "item2vec", "cli", "train_command.py")))
    assert keep(record(os.path.join(os.sep, "venv", "py4j_notes.py")))


@pytest.mark.parametrize(
    ("argv0", "prog"), [("/usr/bin/train-item2vec", "train-item2vec"), ("", "train_item2vec.py")]
)
def test_the_console_entry_exits_with_main_s_code_under_the_program_s_name(argv0, prog, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [argv0, "--epochs", "0"])
    with pytest.raises(SystemExit) as exited:
        train_command.run()
    assert exited.value.code == 2
    assert capsys.readouterr().err == f"{prog}: error: epochs must be at least 1 (see --help)\n"


class SparkSteps:
    """Stand-ins for the Spark engine's steps: each call is recorded in order; a step can fail."""

    def __init__(self, monkeypatch):
        from item2vec.spark import (
            catalog_columns,
            item_weights_task,
            member_training,
            paths,
            pipeline,
            session,
        )

        self.calls = []
        self.fail = {}
        self.trained = TrainedModel(
            np.array([10, 20]), np.ones((2, 4), np.float32), TrainConfig(), 1.25, 3, 6
        )
        self.facts = catalog_columns.DataFacts(catalog="the catalogue", facts={"sha256": {}})
        self.local = None
        monkeypatch.setattr(session, "spark_session", self.spark_session)
        monkeypatch.setattr(session, "ship_package", self.step("ship"))
        monkeypatch.setattr(paths, "work_folder", self.work_folder)
        monkeypatch.setattr(member_training, "check_executor_python", self.step("python"))
        monkeypatch.setattr(pipeline, "load", self.step("load", "clean"))
        monkeypatch.setattr(catalog_columns, "data_facts", self.step("facts", self.facts))
        monkeypatch.setattr(pipeline, "train_bag", self.step("bag", self.trained))
        monkeypatch.setattr(pipeline, "train_mllib", self.step("mllib", self.trained))
        monkeypatch.setattr(item_weights_task, "item_weights", self.step("weights", "the weights"))
        monkeypatch.setattr(
            train_command, "save_trained", self.step("save", {"n_artists": 5, "data": {"users": 3}})
        )

    def step(self, name, result=None):
        def call(*args, **kwargs):
            self.calls.append((name, *args, *sorted(kwargs.items())))
            if name in self.fail:
                raise self.fail[name]
            return result

        return call

    @contextlib.contextmanager
    def spark_session(self, master, conf):
        self.calls.append(("session", master, conf))
        if "session" in self.fail:
            raise self.fail["session"]
        yield "spark"
        self.calls.append(("session stopped",))

    @contextlib.contextmanager
    def work_folder(self, spark, base):
        self.calls.append(("work", spark, base))
        yield "work/run-1"
        self.calls.append(("work removed",))


@pytest.fixture
def spark_steps(monkeypatch):
    pytest.importorskip("pyspark")
    return SparkSteps(monkeypatch)


def quiet_spark_run(tmp_path):
    """The arguments of a quiet Spark run of data ``d`` into ``tmp_path/m``, with no confidence table."""
    return [
        "--engine",
        "spark",
        "--data",
        "d",
        "--out",
        str(tmp_path / "m"),
        "--confidence",
        "none",
        "--quiet",
    ]


def test_the_spark_engine_runs_its_steps_in_order_and_writes_the_model_after_the_session(
    spark_steps, tmp_path, capsys
):
    out = str(tmp_path / "m")
    argv = ["--engine", "spark", "--data", "hdfs:///lastfm", "--format", "kaggle", "--out", out, "--quiet"]
    argv += ["--spark-master", "local[2]", "--spark-conf", "a=1", "--spark-work", str(tmp_path)]
    argv += ["--confidence", "none", "--max-dropped-share", "0.5", "--members", "2", "--stream"]
    assert train_command.main(argv) == 0
    calls = spark_steps.calls
    local = calls[1][2]  # the driver's own folder: the package shipped from it, the spill file in it
    assert os.path.basename(local).startswith("item2vec-spark-driver-") and not os.path.exists(local)
    config = calls[6][4]
    assert config.members == 2
    assert calls == [
        ("session", "local[2]", {"a": "1"}),
        ("ship", "spark", local),
        ("work", "spark", str(tmp_path)),  # first: a bad --spark-work fails before the long steps
        ("python", "spark"),  # and executors that cannot train a member
        ("load", "spark", "hdfs:///lastfm", "kaggle", 0.5),
        ("facts", "spark", "clean", local),
        # the bag trains in the work folder, from a stream when asked, without a bar when --quiet
        ("bag", "spark", "clean", spark_steps.facts, config, "work/run-1", True, False),
        ("work removed",),
        ("weights", "spark", spark_steps.facts, spark_steps.trained.artist_ids, False),  # an executor's task
        ("session stopped",),
        ("save", out, spark_steps.trained, spark_steps.facts, None, "the catalogue", "the weights"),
    ]
    printed = capsys.readouterr().out
    assert printed.startswith(
        f"wrote {out}: 2 artist vectors (of 5 artists) from 3 users; training 1.2 s, total "
    )


def test_mllib_trains_in_the_session_without_a_work_folder(spark_steps, tmp_path):
    out = str(tmp_path / "m")
    argv = ["--engine", "spark", "--trainer", "mllib", "--data", "d", "--out", out, "--confidence", "none"]
    assert train_command.main([*argv, "--quiet"]) == 0
    assert [c[0] for c in spark_steps.calls] == [
        "session",
        "ship",
        "load",
        "facts",
        "mllib",
        "weights",
        "session stopped",
        "save",
    ]
    assert spark_steps.calls[4][:4] == ("mllib", "spark", "clean", spark_steps.facts)
    assert spark_steps.calls[4][4].members == 1  # MLlib trains one model


@pytest.mark.parametrize("where", ["session", "bag", "save"])
def test_a_spark_failure_is_one_line_and_exit_1_wherever_it_happens(spark_steps, tmp_path, capsys, where):
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    spark_steps.fail[where] = (
        PySparkException("[CANNOT_START] the master is unreachable")
        if where != "bag"
        else Py4JError("gateway gone")
    )
    argv = quiet_spark_run(tmp_path)
    assert train_command.main(argv) == 1
    said = "[CANNOT_START] the master is unreachable" if where != "bag" else "gateway gone"
    assert capsys.readouterr().err == f"error: Spark failed: {said}\n"


@pytest.mark.parametrize(
    ("where", "said"), [("bag", "was not changed"), ("save", "interrupted while saving")]
)
def test_ctrl_c_in_a_spark_run_says_whether_the_model_was_being_replaced(
    spark_steps, tmp_path, capsys, where, said
):
    spark_steps.fail[where] = KeyboardInterrupt()
    argv = quiet_spark_run(tmp_path)
    assert train_command.main(argv) == 130
    assert said in capsys.readouterr().err


def test_the_spark_run_s_confidence_table_is_read_from_the_file_named(spark_steps, tmp_path, capsys):
    argv = ["--engine", "spark", "--data", "d", "--out", str(tmp_path / "m"), "--quiet"]
    assert train_command.main([*argv, "--confidence", str(tmp_path / "none.json")]) == 2
    assert capsys.readouterr().err.startswith(
        f"error: cannot read the confidence table of {tmp_path / 'none.json'}"
    )
    assert "save" not in [c[0] for c in spark_steps.calls]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--processes", "x" * 50], f"must be a whole number of at least 1, got {'x' * 40!r}"),
        (["--max-dropped-share", "y" * 50], f"must be a number from 0 to 1, got {'y' * 40!r}"),
        (["--spark-conf", "z" * 70], f"must be KEY=VALUE, got {'z' * 60!r}"),
    ],
)
def test_a_long_bad_value_is_cut_in_its_message(argv, message, tmp_path, capsys):
    assert train_command.main([*argv, "--out", str(tmp_path / "m")]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("share", ["0", "0.5", "1"])
def test_every_share_from_0_to_1_is_accepted(share):
    assert train_command.build_parser().parse_args(["--max-dropped-share", share]).max_dropped_share == float(
        share
    )


@pytest.mark.parametrize("processes", ["1", "2"])
def test_one_process_or_more_is_accepted(processes):
    assert train_command.build_parser().parse_args(["--processes", processes]).processes == int(processes)


def write_evaluation(path, config, checksums):
    """An evaluation.json whose confidence table (the checkout's) measured ``checksums`` with ``config``."""
    import dataclasses
    import json

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(repo, "docs", "evaluation.json"), encoding="utf-8") as handle:
        measured = json.load(handle)["confidence"]
    measured.update(config=dataclasses.asdict(config), data_sha256=checksums)
    path.write_text(json.dumps({"confidence": measured}), encoding="utf-8")
    return str(path)


@pytest.fixture
def evaluation(tmp_path):
    """An evaluation.json whose table measured data ``{"plays.csv": "1" * 64}`` with the default settings."""
    return write_evaluation(tmp_path / "evaluation.json", TrainConfig(), {"plays.csv": "1" * 64})


def _confidence(value, checksums):
    import argparse
    import types

    return train_command.confidence_table(
        argparse.Namespace(confidence=value), TrainConfig(), types.SimpleNamespace(checksums=checksums)
    )


def test_the_confidence_table_comes_from_the_file_named_or_the_checkout_s_unless_none(
    evaluation, monkeypatch, caplog
):
    from item2vec.training import measured_confidence

    data = {"plays.csv": "1" * 64}
    table = _confidence(evaluation, data)
    assert table["k"] == 10 and len(table["bands"]) == 8
    assert _confidence(evaluation, {"plays.csv": "2" * 64}) is None  # measured other data
    monkeypatch.setattr(measured_confidence, "default_source", lambda: evaluation)
    assert _confidence("auto", data) == table
    assert _confidence("none", data) is None  # not even the checkout's
    monkeypatch.setattr(measured_confidence, "default_source", lambda: None)
    assert _confidence("auto", data) is None  # an installed package: no docs/evaluation.json
    # The checkout's file unusable: logged, and the model gets no table (the user did not name it).
    monkeypatch.setattr(measured_confidence, "default_source", lambda: evaluation + ".gone")
    with caplog.at_level(logging.INFO, logger="item2vec.cli.train_command"):
        assert _confidence("auto", data) is None
    assert caplog.messages == [
        f"confidence: cannot read the confidence table of {evaluation}.gone: [Errno 2] No such file or "
        f"directory: '{evaluation}.gone'; this model gets no confidence table"
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["--engine", "spark", "--trainer", "mllib", "--members", "1"],
        ["--engine", "spark", "--spark-work", "hdfs:///tmp"],  # checked by Spark, not here
        ["--engine", "spark", "--spark-work", "."],
    ],
)
def test_spark_options_that_go_together_pass_the_checks(argv, tmp_path, capsys):
    # The run stops at the first step after the checks: the output folder is a file.
    (tmp_path / "m").write_text("mine")
    assert train_command.main([*argv, "--out", str(tmp_path / "m")]) == 2
    assert (
        capsys.readouterr().err
        == f"error: {tmp_path / 'm'}: exists and is a file, not a folder; give --out a folder\n"
    )
    assert (tmp_path / "m").read_text() == "mine"


def test_the_gensim_bag_has_8_members_unless_told(spark_steps, tmp_path):
    argv = quiet_spark_run(tmp_path)
    assert train_command.main(argv) == 0
    [bag] = [call for call in spark_steps.calls if call[0] == "bag"]
    assert bag[4].members == TrainConfig().members == 8


def test_help_through_main_names_the_program(capsys):
    assert train_command.main(["--help"], prog="train-item2vec") == 0
    assert capsys.readouterr().out.startswith("usage: train-item2vec [-h]")
    assert train_command.main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: train_item2vec.py [-h]")


@pytest.mark.parametrize(("quiet", "level"), [([], logging.INFO), (["--quiet"], logging.WARNING)])
def test_the_program_logs_on_stderr_as_level_and_message_without_py4j_s_lines(
    quiet, level, tmp_path, monkeypatch
):
    # A fresh process's root logger has no handler (basicConfig then installs one): pytest's are set aside.
    monkeypatch.setattr(logging.root, "handlers", [])
    monkeypatch.setattr(logging.root, "level", logging.WARNING)
    monkeypatch.setattr(logging.getLogger("gensim"), "level", logging.NOTSET)
    assert train_command.main(["--data", str(tmp_path / "none"), "--out", str(tmp_path / "m"), *quiet]) == 2
    [handler] = logging.root.handlers
    assert logging.root.level == level and logging.getLogger("gensim").level == logging.WARNING
    assert handler.formatter._fmt == "%(levelname)s: %(message)s"
    assert handler.filters == [train_command._not_from_py4j]


@pytest.mark.parametrize("quiet", [False, True])
def test_the_pandas_engine_hands_each_step_its_options(quiet, tmp_path, monkeypatch, capsys):
    import dataclasses

    from item2vec.ingest.formats import load_dataset
    from item2vec.research.synthetic import make_plays, write_kaggle

    data = tmp_path / "data"
    write_kaggle(str(data), *make_plays(n_users=60, seed=3))
    config = dataclasses.replace(TrainConfig(), epochs=1, vector_size=4, members=2, min_count=2)
    checksums = load_dataset(str(data)).checksums
    table = write_evaluation(tmp_path / "evaluation.json", config, checksums)
    seen = {}

    def spy(name, real):
        def call(*args, **kwargs):
            seen[name] = (args, kwargs)
            return real(*args, **kwargs)

        return call

    for name in ("load_dataset", "train", "save_trained"):
        monkeypatch.setattr(train_command, name, spy(name, getattr(train_command, name)))
    out = str(tmp_path / "m")
    argv = ["--data", str(data), "--format", "kaggle", "--out", out, "--confidence", table, "--no-stream"]
    argv += ["--epochs", "1", "--vector-size", "4", "--members", "2", "--min-count", "2", "--processes", "1"]
    argv += ["--max-dropped-share", "0.5"] + (["--quiet"] if quiet else [])
    assert train_command.main(argv) == 0
    assert seen["load_dataset"] == ((str(data), "kaggle"), {"max_dropped_share": 0.5})
    dataset = seen["train"][0][0]
    assert seen["train"] == ((dataset, config), {"progress": not quiet, "stream": False, "processes": 1})
    trained = seen["save_trained"][0][1]
    assert seen["save_trained"][0][0] == out and seen["save_trained"][0][2] is dataset
    assert seen["save_trained"][0][3]["k"] == 10  # the table of the file named, which measured this run
    printed = capsys.readouterr().out
    vectors, artists = len(trained.artist_ids), len(dataset.artists)
    assert printed.startswith(f"wrote {out}: {vectors} artist vectors (of {artists} artists) from 60 users;")
    training, total = (
        float(x) for x in re.fullmatch(r".* training (\S+) s, total (\S+) s\n", printed).groups()
    )
    assert 0 <= training <= total < 600


def test_ctrl_c_while_training_names_the_output_folder_cut_to_500_characters(tmp_path, monkeypatch, capsys):
    from item2vec.research.synthetic import make_plays, write_kaggle

    write_kaggle(str(tmp_path / "data"), *make_plays(n_users=20, seed=3))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_command, "train", interrupted)
    out = tmp_path / ("d" * 200) / ("d" * 200) / ("d" * 200) / "model"
    assert len(str(out)) > 600
    argv = ["--data", str(tmp_path / "data"), "--out", str(out), "--confidence", "none", "--quiet"]
    assert train_command.main(argv) == 130
    assert capsys.readouterr().err == f"\ninterrupted: {str(out)[:499]}… was not changed\n"


@pytest.mark.parametrize("what", ["data", "confidence"])
def test_a_long_error_is_cut_to_2000_characters(what, tmp_path, capsys):
    # A data folder that does not exist (a DataError), and a confidence file that cannot be
    # read (a ValueError): both name a path of 3000 characters.
    from item2vec.research.synthetic import make_plays, write_kaggle

    write_kaggle(str(tmp_path / "data"), *make_plays(n_users=20, seed=3))
    missing = str(tmp_path / ("x" * 250)) * 12
    argv = ["--data", missing, "--confidence", "none"]
    if what == "confidence":
        argv = ["--data", str(tmp_path / "data"), "--confidence", missing]
    assert train_command.main([*argv, "--out", str(tmp_path / "m"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.endswith("…\n") and len(err) == len("error: ") + 2000 + 1


def test_without_options_the_defaults_build_the_shipped_model_from_data_into_models():
    import dataclasses

    args = train_command.build_parser().parse_args([])
    assert (args.data, args.out, args.format, args.confidence) == ("data", "models", "auto", "auto")
    assert (args.engine, args.trainer, args.spark_master, args.spark_conf, args.spark_work) == (
        "pandas",
        "gensim",
        None,
        [],
        None,
    )
    assert (args.stream, args.processes, args.members, args.quiet) == (None, None, None, False)
    # members stays None until main knows the trainer (8 for gensim, 1 for MLlib); the rest: TrainConfig's.
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig) if f.name != "members"}
    assert {name: getattr(args, name) for name in defaults} == defaults
    assert train_command.build_parser().parse_args(["--no-shrink-windows"]).shrink_windows is False
    assert train_command.build_parser().parse_args(["--shrink-windows"]).shrink_windows is True


def test_the_help_keeps_the_examples_lines_as_written(capsys):
    assert train_command.main(["--help"]) == 0
    text = capsys.readouterr().out
    assert (
        "\n\n  python train_item2vec.py --data data/ --out models/\n\nWith --engine spark, Spark does" in text
    )
    assert (
        "hierarchical softmax):\n\n  python train_item2vec.py --engine spark --data data/ --out models/\n"
        in text
    )
    # A command continued on the next line keeps its backslash: pasted into a shell, it still runs.
    assert "--spark-master spark://host:7077 \\\n      --spark-work hdfs:///tmp --data" in text


def test_an_mllib_run_reads_the_data_in_the_session_and_carries_the_confidence_table(spark_steps, tmp_path):
    from item2vec.training import measured_confidence

    config = TrainConfig(members=1)
    table = write_evaluation(tmp_path / "evaluation.json", config, {})  # the stand-in data's checksums
    argv = ["--engine", "spark", "--trainer", "mllib", "--data", "d", "--out", str(tmp_path / "m"), "--quiet"]
    assert train_command.main([*argv, "--confidence", table]) == 0
    calls = {call[0]: call for call in spark_steps.calls}
    local = calls["ship"][2]
    assert calls["load"] == ("load", "spark", "d", "auto", 0.01)
    assert calls["facts"] == ("facts", "spark", "clean", local)
    assert calls["mllib"] == ("mllib", "spark", "clean", spark_steps.facts, config)
    assert calls["save"][4]["k"] == 10  # the table measured with these settings
    assert measured_confidence.measured_table(table, dataclasses.asdict(config), {}) == calls["save"][4]


def test_only_the_spark_engine_checks_the_romanisation_libraries_in_another_process(
    spark_steps, tmp_path, monkeypatch, capsys
):
    # The Spark driver keeps them out of its memory beside the JVM; the pandas engine loads them anyway.
    from item2vec.training import romanization

    checked = []
    monkeypatch.setattr(romanization, "check_available", lambda: checked.append("here"))
    monkeypatch.setattr(romanization, "check_available_apart", lambda: checked.append("apart"))
    assert train_command.main(quiet_spark_run(tmp_path)) == 0
    assert checked == ["apart"]
    train_command.main(["--data", str(tmp_path / "no-data"), "--out", str(tmp_path / "p"), "--quiet"])
    assert checked == ["apart", "here"]
