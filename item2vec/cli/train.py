"""Train item2vec artist embeddings on Last.fm listening data and write a model folder.

Each user's artists become one "sentence" (play counts weight it by repetition) and
gensim's Word2Vec (skip-gram, negative sampling, context drawn from the shuffled list) learns one
vector per artist. The defaults rebuild the shipped model:

  python train_item2vec.py --data data/ --out models/

The output folder is replaced atomically: an interrupted or failed run leaves the
previous model as it was. Exit codes: 0 written; 2 bad data or arguments;
3 model could not be written; 130 interrupted.
"""

import argparse
import dataclasses
import logging
import os
import sys
import time

# The training module first: importing it pins OpenBLAS's kernels before anything loads them.
from ..train import HELP, STREAM_ABOVE_ROWS, TrainConfig, save_trained, train  # isort: skip
from ..data import MAX_DROPPED_SHARE, READERS, load_dataset
from ..errors import DataError, ModelError, OutputFolderError
from ..formatting import safe
from ..storage import check_writable
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
        "(default: as many as there are CPUs; the result does not depend on it)",
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
        config = TrainConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)})
        config.validate()
    except HelpShown:
        return 0
    except (UsageError, ValueError) as exc:
        print(f"{prog}: error: {safe(exc, 2000)} (see --help)", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO, format="%(levelname)s: %(message)s"
    )
    logging.getLogger("gensim").setLevel(logging.WARNING)
    start = time.perf_counter()
    out = safe(args.out, 500)
    saving = False
    try:
        check_writable(args.out)  # fail now, not after the training
        dataset = load_dataset(args.data, args.format, max_dropped_share=args.max_dropped_share)
        stream = len(dataset.plays) > STREAM_ABOVE_ROWS if args.stream is None else args.stream
        trained = train(dataset, config, progress=not args.quiet, stream=stream, processes=args.processes)
        saving = True
        metadata = save_trained(args.out, trained, dataset)
    except (DataError, ModelError, OutputFolderError) as exc:
        print(f"error: {safe(exc, 2000)}", file=sys.stderr)
        return exc.exit_code
    except ValueError as exc:
        print(f"error: {safe(exc, 2000)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if saving:
            # The swap defers Ctrl-C, so the folder holds one whole model, but which one
            # depends on whether the signal came before or after it.
            print(
                f"\ninterrupted while saving: {out} holds either the previous or the new "
                f"model, complete (never a mix)",
                file=sys.stderr,
            )
        else:
            print(f"\ninterrupted: {out} was not changed", file=sys.stderr)
        return 130
    print(
        f"wrote {out}: {len(trained.artist_ids)} artist vectors (of {metadata['n_artists']} artists) "
        f"from {dataset.n_users} users; training {trained.seconds:.1f} s, "
        f"total {time.perf_counter() - start:.1f} s"
    )
    return 0


def run():
    """Console-script entry: :func:`main`, then exit with its code."""
    sys.exit(main(prog=os.path.basename(sys.argv[0]) or "train_item2vec.py"))
