"""Write the artist explorer: one self-contained HTML page to open in any browser, offline.

Examples:
  item2vec-explore --out explorer.html
  item2vec-explore --model models/ --out explorer.html --force

The page has a search box that finds artists as ask.py does, the answer ask.py
--explain gives for the chosen artist (precomputed for every artist), and a map
of all artists with a vector; clicking an artist in the answer or on the map
asks for it. It needs no server and makes no network request.

An existing --out is replaced only if it is an explorer page this tool wrote
(or with --force).

Exit codes: 0 written; 1 a library of the explore extra is missing; 2 usage error
or --out cannot be written; 3 model missing or damaged; 130 interrupted.
"""

import contextlib
import logging
import os
import sys
import time

from ..errors import ExitCode, Item2VecError
from ..query.formatting import safe
from .parser import HelpShown, UsageError, add_version, command_parser, default_model_dir


def build_parser(prog="item2vec-explore"):
    parser = command_parser(__doc__, prog)
    parser.add_argument("--out", required=True, metavar="FILE", help="the HTML page to write")
    parser.add_argument(
        "--model",
        default=None,
        metavar="DIR",
        help="model folder (default: as ask.py: $ITEM2VEC_MODEL, else models/, else the installed model)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace --out even if it is not a page this tool wrote"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress messages")
    add_version(parser)
    return parser


def main(argv=None, out=None, err=None, prog="item2vec-explore"):
    """Run the command line; returns the exit code instead of exiting."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    parser = build_parser(prog)
    try:
        with contextlib.redirect_stdout(out):
            args = parser.parse_args(argv)
    except HelpShown:
        return ExitCode.OK
    except UsageError as exc:
        print(f"{prog}: error: {safe(exc, 2000)} (see --help)", file=err)
        return ExitCode.USAGE
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("item2vec")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.WARNING if args.quiet else logging.INFO)
    try:
        from ..explore import build_page, check_target, write_page
        from ..model.storage import load_model

        started = time.perf_counter()
        # Refuse a foreign --out before the minute of work, not after it (checked again when writing).
        check_target(args.out, args.force)
        html = build_page(load_model(args.model or default_model_dir()))
        size = write_page(html, args.out, force=args.force)
        print(
            f"wrote {safe(args.out, 300)} ({size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s",
            file=out,
        )
        return ExitCode.OK
    except Item2VecError as exc:
        print(f"error: {safe(exc, 2000)}", file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=err)
        return ExitCode.INTERRUPTED
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def run():
    """Console-script entry: :func:`main`, then exit with its code."""
    name = os.path.basename(sys.argv[0])
    module_run = name in ("", "explore_command.py")
    sys.exit(main(prog="python -m item2vec.cli.explore_command" if module_run else name))


if __name__ == "__main__":
    run()
