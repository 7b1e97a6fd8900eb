r"""Train item2vec artist embeddings on Last.fm listening data and write a model folder.

Each user's artists become one "sentence" (play counts weight it by repetition) and
gensim's Word2Vec (skip-gram, negative sampling, context drawn from the shuffled list) learns one
vector per artist. The defaults rebuild the shipped model:

  python train_item2vec.py --data data/ --out models/

With --engine spark, Spark does the work (data from any path Spark reads: a local
folder, hdfs://, s3a://): it reads and cleans the data, builds the catalogue and each
member's corpus, and the members train on its executors, one Spark task each, with gensim:
the same model, byte for byte, as the default engine's. --trainer mllib trains Spark MLlib's
Word2Vec instead (one model, hierarchical softmax):

  python train_item2vec.py --engine spark --data data/ --out models/
  python train_item2vec.py --engine spark --spark-master spark://host:7077 \
      --spark-work hdfs:///tmp --data hdfs:///lastfm/lfm1b/ --out models-lfm1b/

The output folder is replaced atomically: an interrupted or failed run leaves the
previous model as it was. Exit codes: 0 written; 1 Spark failed; 2 bad data or
arguments (or the spark extra is missing); 3 model could not be written; 130 interrupted.
"""

import argparse
import dataclasses
import logging
import os
import sys
import tempfile
import time

from ..errors import EngineError, ExitCode, Item2VecError
from ..ingest.formats import MAX_DROPPED_SHARE, READERS, load_dataset
from ..model.storage import check_writable
from ..query.formatting import safe
from ..training import measured_confidence, romanization
from ..training.trainer import (
    HELP,
    STREAM_ABOVE_ROWS,
    TrainConfig,
    save_trained,
    should_stream,
    train,
)
from .parser import HelpShown, Parser, UsageError, add_version


def share(text):
    """An argparse ``type``: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {text[:40]!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {value:g}")
    return value


def positive(text):
    """An argparse ``type``: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text[:40]!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {value}")
    return value


def spark_setting(text):
    """An argparse ``type``: ``KEY=VALUE``, returned as a pair."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"must be KEY=VALUE, got {text[:60]!r}")
    return key.strip(), value


def check_engine(args):
    """ValueError when the engine options do not go together."""
    if args.engine != "spark":
        if args.trainer == "mllib":
            raise ValueError("--trainer mllib trains inside Spark: it needs --engine spark")
        if args.spark_master or args.spark_conf or args.spark_work:
            raise ValueError(
                "--spark-master, --spark-conf and --spark-work are only used with --engine spark"
            )
        return
    if args.processes is not None:
        raise ValueError(
            "--processes is for --engine pandas: Spark trains as many members at once "
            "as its executors have cores"
        )
    if args.trainer == "mllib" and args.members > 1:
        raise ValueError("--trainer mllib trains one model: leave --members out, or give --members 1")
    if args.spark_work:
        from ..spark.paths import is_local, local_path

        # Checked now, not after Spark has read the data; other file systems are checked by Spark.
        if is_local(args.spark_work) and not os.path.isdir(local_path(args.spark_work)):
            raise ValueError(f"--spark-work {args.spark_work}: no such folder")


def build_parser(prog="train_item2vec.py"):
    parser = Parser(
        prog=prog,
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data", default="data", metavar="DIR", help="folder with the data files (default: data/)"
    )
    parser.add_argument(
        "--format",
        default="auto",
        choices=["auto", *sorted(READERS)],
        help="input format (default: detect from the file names)",
    )
    parser.add_argument(
        "--out", default="models", metavar="DIR", help="model folder to write (default: models/)"
    )
    parser.add_argument(
        "--max-dropped-share",
        type=share,
        default=MAX_DROPPED_SHARE,
        metavar="SHARE",
        help="stop when a data file loses more than this share of its rows to repairs "
        f"(default {MAX_DROPPED_SHARE}: a damaged or truncated file; 1 trains on whatever is usable)",
    )
    parser.add_argument(
        "--confidence",
        default="auto",
        metavar="FILE",
        help="the evaluation.json whose confidence table (how far to trust an answer, measured on "
        "held-out users by listener band) the model carries; used only when it measured this data "
        "with this configuration (default auto: the checkout's docs/evaluation.json, when there is "
        "one; none: no table, answers say 'not measured')",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar, warnings only")
    parser.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="train from a temporary corpus file instead of sentences in memory "
        f"(default: only above {STREAM_ABOVE_ROWS:,} rows; results differ "
        "from the in-memory mode but are as reproducible)",
    )
    parser.add_argument(
        "--processes",
        type=positive,
        default=None,
        metavar="N",
        help="with --members above 1, train at most N members at once, one process each "
        "(default: as many as there are CPUs; the result does not depend on it; --engine pandas only)",
    )
    engine = parser.add_argument_group("engine")
    engine.add_argument(
        "--engine",
        choices=["pandas", "spark"],
        default="pandas",
        help="pandas: read, clean and train in this machine's processes (default); spark: read, clean and "
        "build the corpora with Spark, from any path Spark reads, and train the members on its executors, "
        "for the same model (needs the spark extra: pip install -e .[spark], and Java 17 or newer)",
    )
    engine.add_argument(
        "--trainer",
        choices=["gensim", "mllib"],
        default="gensim",
        help="gensim: the bag of --members gensim models (default; with --engine spark each member trains "
        "in a Spark task); mllib: one Spark MLlib Word2Vec model (only with --engine spark; "
        "skip-gram with hierarchical softmax: uses vector-size, window, epochs, alpha as step size, seed "
        "and workers as partitions, and has no negative, ns-exponent, sample, min-alpha, shrink-windows)",
    )
    engine.add_argument(
        "--spark-master",
        metavar="URL",
        help="Spark master, e.g. local[4], spark://host:7077, yarn (default: the one spark-submit "
        "was given, else local[*]: all cores of this machine)",
    )
    engine.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        type=spark_setting,
        metavar="KEY=VALUE",
        help="a Spark setting for a session this program starts, e.g. spark.driver.memory=8g "
        "(repeatable; see docs/PERFORMANCE.md)",
    )
    engine.add_argument(
        "--spark-work",
        metavar="DIR",
        help="where Spark writes the members' corpora for the executors to read: a folder or URI every "
        "machine of the cluster shares, e.g. hdfs:///tmp or s3a://bucket/tmp (default: the system's "
        "temporary folder, or /tmp of the cluster's default file system when that is not the local "
        "one); only the run's own subfolder is written, and it is removed at the end",
    )
    group = parser.add_argument_group("hyperparameters (defaults build the shipped model)")
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        if field.type in (bool, "bool"):
            group.add_argument(
                flag,
                action=argparse.BooleanOptionalAction,
                default=field.default,
                help=f"{HELP[field.name]} (default: {field.default})",
            )
        elif field.name == "members":
            # MLlib trains one model (check_engine): its default is 1.
            group.add_argument(
                flag,
                type=int,
                default=None,
                metavar="MEMBERS",
                help=f"{HELP[field.name]} (default: {field.default}; 1 with --trainer mllib)",
            )
        else:
            kind = {"int": int, "float": float, "str": str}.get(field.type, field.type)
            group.add_argument(
                flag,
                type=kind,
                default=field.default,
                metavar=field.name.upper(),
                help=f"{HELP[field.name]} (default: {field.default})",
            )
    add_version(parser)
    return parser


def main(argv=None, prog="train_item2vec.py"):
    """Run the trainer; returns the exit code."""
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
        if args.members is None:
            args.members = 1 if args.trainer == "mllib" else TrainConfig().members
        config = TrainConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)})
        config.validate()
        check_engine(args)
    except HelpShown:
        return ExitCode.OK
    except (UsageError, ValueError) as exc:
        print(f"{prog}: error: {safe(exc, 2000)} (see --help)", file=sys.stderr)
        return ExitCode.USAGE
    handler = logging.StreamHandler()
    handler.addFilter(_not_from_py4j)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(levelname)s: %(message)s",
        handlers=[handler],
    )
    logging.getLogger("gensim").setLevel(logging.WARNING)  # its INFO lines are about its own machinery
    start = time.perf_counter()
    out = safe(args.out, 500)
    state = {"saving": False}  # set once the model folder is being replaced
    try:
        check_writable(args.out)  # fail now, not after the training
        # The Spark engine's driver loads the libraries only to write the model (its JVM is
        # gone by then): checked apart, they do not add to the driver's peak beside the JVM.
        (romanization.check_available_apart if args.engine == "spark" else romanization.check_available)()
        if args.engine == "spark":
            trained, metadata = run_spark(args, config, state)
        else:
            dataset = load_dataset(args.data, args.format, max_dropped_share=args.max_dropped_share)
            confidence = confidence_table(args, config, dataset)
            stream = should_stream(len(dataset.plays), args.stream)
            trained = train(dataset, config, progress=not args.quiet, stream=stream, processes=args.processes)
            state["saving"] = True
            metadata = save_trained(args.out, trained, dataset, confidence)
    except Item2VecError as exc:
        print(f"error: {safe(exc, 2000)}", file=sys.stderr)
        return exc.exit_code
    except ValueError as exc:
        print(f"error: {safe(exc, 2000)}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        if state["saving"]:
            # The swap defers Ctrl-C, so the folder holds one whole model, but which one
            # depends on whether the signal came before or after it.
            print(
                f"\ninterrupted while saving: {out} holds either the previous or the new "
                f"model, complete (never a mix)",
                file=sys.stderr,
            )
        else:
            print(f"\ninterrupted: {out} was not changed", file=sys.stderr)
        return ExitCode.INTERRUPTED
    print(
        f"wrote {out}: {len(trained.artist_ids)} artist vectors (of {metadata['n_artists']} artists) "
        f"from {metadata['data']['users']} users; training {trained.seconds:.1f} s, "
        f"total {time.perf_counter() - start:.1f} s"
    )
    return ExitCode.OK


def confidence_table(args, config, dataset):
    """The confidence table for the model (``--confidence``), or None.

    A file named with ``--confidence`` that cannot be used is a ValueError (exit 2); the
    default (the checkout's docs/evaluation.json) is only used when it can be, else logged.
    """
    if args.confidence == "none":
        return None
    if args.confidence != "auto":
        return measured_confidence.measured_table(
            args.confidence, dataclasses.asdict(config), dataset.checksums
        )
    source = measured_confidence.default_source()
    if source is None:
        return None
    try:
        return measured_confidence.measured_table(source, dataclasses.asdict(config), dataset.checksums)
    except ValueError as exc:
        logging.getLogger(__name__).info("confidence: %s; this model gets no confidence table", exc)
        return None


def _not_from_py4j(record):
    # py4j logs through the root logger (logging.exception in its java_gateway.py), with
    # tracebacks, when a call to the JVM is cut short: Ctrl-C while Spark works, where
    # pyspark's signal handler calls the JVM inside a running call. The failure itself still
    # reaches this program as an exception, which it reports in one line; py4j's INFO lines
    # are about its own machinery.
    return f"{os.sep}py4j{os.sep}" not in record.pathname


def run_spark(args, config, state):
    """The ``--engine spark`` run: Spark loads and cleans, builds the catalogue and the corpora, and
    the members train on its executors (or MLlib trains in Spark); the model folder is written here.

    ``state["saving"]`` is set when the model folder starts being replaced (what Ctrl-C
    then means differs).

    Returns
    -------
    trained : TrainedModel
    metadata : dict
        As written to ``metadata.json``.
    """
    from ..spark import require_spark

    require_spark()
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    from ..spark.session import failure_message, ship_package, spark_session

    try:
        # The driver's own files: the catalogue's spill file (read again when the model is
        # written, after Spark has stopped) and the package shipped to a cluster's executors.
        with tempfile.TemporaryDirectory(prefix="item2vec-spark-driver-") as local:
            with spark_session(args.spark_master, dict(args.spark_conf)) as spark:
                ship_package(spark, local)
                trained, facts, confidence, weights = _spark_steps(spark, args, config, local)
            state["saving"] = True
            metadata = save_trained(args.out, trained, facts, confidence, facts.catalog, weights)
    except (PySparkException, Py4JError) as exc:  # outside the session: while it starts or stops
        raise EngineError(f"Spark failed: {failure_message(exc)}") from None
    return trained, metadata


def _spark_steps(spark, args, config, local):
    """Load, build the catalogue, train and compute the item weights, in the session; returns
    (trained, the data's facts, the confidence table or None, the item weights)."""
    from ..spark import item_weights_task, member_training, paths, pipeline

    if args.trainer == "mllib":
        clean, facts, confidence = _spark_data(spark, args, config, local)
        trained = pipeline.train_mllib(spark, clean, facts, config)
    else:
        # The work folder and the executors' Python first: either fails before the long steps.
        with paths.work_folder(spark, args.spark_work) as work:
            member_training.check_executor_python(spark)
            clean, facts, confidence = _spark_data(spark, args, config, local)
            trained = pipeline.train_bag(spark, clean, facts, config, work, args.stream, not args.quiet)
    # On an executor: the driver stays small (item2vec.spark.item_weights_task).
    weights = item_weights_task.item_weights(spark, facts, trained.artist_ids, not args.quiet)
    return trained, facts, confidence, weights


def _spark_data(spark, args, config, local):
    """The data read and cleaned, its catalogue and facts, and the confidence table they allow."""
    from ..spark import catalog_columns, pipeline

    clean = pipeline.load(spark, args.data, args.format, args.max_dropped_share)
    facts = catalog_columns.data_facts(spark, clean, local)
    return clean, facts, confidence_table(args, config, facts)


def run():
    """Console-script entry: :func:`main`, then exit with its code."""
    sys.exit(main(prog=os.path.basename(sys.argv[0]) or "train_item2vec.py"))
