"""Which music artists are similar to this one? Answers from a trained item2vec model.

Examples:
  %(prog)s Rosetta
  %(prog)s Madonna --discover 0     (the familiar end of the dial; 1: the niche end)
  %(prog)s Rosetta --minus Metallica --explain
  %(prog)s "Sister Rosetta Tharpe" --rank cosine
  %(prog)s "Cult Of Luna" --json
  printf 'Rosetta\\nIsis\\n' | %(prog)s --batch -
  %(prog)s                      (interactive prompt with tab completion)

Names match leniently: case, accents, spaces, punctuation ("Jay Z" finds Jay-Z), a
leading article, quotes around the name, and the Latin spellings of names in other
scripts ("Ayumi Hamasaki" finds 浜崎あゆみ). Each answer carries how far to trust it,
measured on held-out users by the artist's listeners; a low one is said above the table.

Exit codes: 0 answered; 1 artist not found or query not answerable (in --batch:
at least one line failed); 2 usage error; 3 model missing or damaged; 130 interrupted.
With --json every error is also a JSON object on standard output.
"""

import contextlib
import json
import logging
import os
import sys

from ..errors import ExitCode, Item2VecError
from ..model.storage import load_model
from ..query.formatting import format_line, format_table, json_record, notes, safe
from ..query.ranking import DEFAULT_DISCOVER, DIAL, RANKINGS
from ..query.recommender import DEFAULT_MIN_LISTENERS, DEFAULT_RANK, DEFAULT_TOP, MAX_TOP, Recommender
from .parser import HelpShown, UsageError, add_version, command_parser, default_model_dir, int_in, number_in

HISTORY = os.path.join(os.path.expanduser("~"), ".item2vec_history")


def to_json(record):
    """One JSON line, readable UTF-8 unless that is unsafe.

    json escapes only C0 controls; C1 controls (U+009B is a terminal CSI), bidi
    overrides and lone surrogates (undecodable command-line bytes, which crash a
    strict UTF-8 stdout) would pass raw, so such a record is written as ASCII.
    """
    line = json.dumps(record, ensure_ascii=False)
    return line if line.isprintable() else json.dumps(record, ensure_ascii=True)


def one_line(message, limit=2000):
    """An error message made safe for a terminal: escaped control characters, one line."""
    return safe(message, limit)


def build_parser(prog="python ask.py"):
    parser = command_parser(__doc__, prog)
    parser.add_argument(
        "artist",
        nargs="*",
        help="artist name (quotes optional; 'id:N' picks by id). Omit it for an interactive prompt.",
    )
    parser.add_argument(
        "-k",
        "--top",
        type=int_in(1, MAX_TOP, "--top"),
        default=DEFAULT_TOP,
        help=f"number of similar artists to show (default {DEFAULT_TOP})",
    )
    parser.add_argument(
        "--plus",
        action="append",
        default=[],
        metavar="NAME",
        help="add this artist's vector to the query (repeatable)",
    )
    parser.add_argument(
        "--minus",
        action="append",
        default=[],
        metavar="NAME",
        help="subtract this artist's vector from the query (repeatable)",
    )
    parser.add_argument(
        "--rank",
        choices=RANKINGS,
        default=DEFAULT_RANK,
        help="evidence (default): embedding similarity plus a bonus for users listing both and for the "
        "artists this one's listeners most often also list, minus a soft penalty for artists with few "
        "listeners, weighed as --discover says; "
        "cosine: embedding similarity alone, as gensim's most_similar",
    )
    parser.add_argument(
        "--discover",
        type=number_in(0, 1, "--discover"),
        default=None,
        metavar="X",
        help="the familiar-to-niche dial of the evidence ranking, from 0 (the well-known artists "
        "this one's listeners most often play: the highest hit rate) to 1 (the lesser-known ones "
        "they share: the most niche co-listens found). It has the positions "
        f"{', '.join(f'{x:g}' for x in DIAL)}; other values go to the nearest "
        f"(default {DEFAULT_DISCOVER:g}). It only reorders: every position ranks the same artists.",
    )
    parser.add_argument(
        "--min-listeners",
        type=int_in(1, 10**9, "--min-listeners"),
        default=DEFAULT_MIN_LISTENERS,
        metavar="N",
        help="only return artists with at least N listeners in the data "
        "(default: no limit; the evidence ranking already ranks thinly heard artists lower)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="add the raw similarity and how many users listen to both the query and each result",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (one object per answer)")
    parser.add_argument(
        "--batch",
        metavar="FILE",
        help="answer one artist name per line of FILE ('-' for stdin), one answer per line; "
        "a line starting with '#' is a comment unless it is an artist's name",
    )
    parser.add_argument(
        "--model",
        default=None,
        metavar="DIR",
        help="model folder (default: $ITEM2VEC_MODEL, else models/ beside ask.py, "
        "else the model installed with the package)",
    )
    add_version(parser)
    return parser


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no such method, or a closed stream
        return False


def error_record(query, exc):
    """The JSON object of a failure: ``{"query", "error", "suggestions"}`` (query None: not about a name)."""
    return {"query": query, "error": str(exc), "suggestions": list(getattr(exc, "suggestions", []))}


class _ReadError(Exception):
    """Reading the batch file failed (not answering a line, not writing an answer)."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


def _lines(handle):
    """The lines of a batch file; an OSError while reading it becomes :class:`_ReadError`."""
    while True:
        try:
            line = handle.readline()
        except OSError as exc:
            raise _ReadError(exc) from None
        if not line:
            return
        yield line


class Session:
    """One invocation's model, options and output streams."""

    def __init__(self, args, out, err):
        self.args, self.out, self.err = args, out, err
        self.recommender = Recommender(load_model(args.model or default_model_dir()))

    def ask(self, query, plus=(), minus=()):
        return self.recommender.answer(
            query,
            plus,
            minus,
            topn=self.args.top,
            min_listeners=self.args.min_listeners,
            rank=self.args.rank,
            discover=self.args.discover,
        )

    def one(self, query, plus, minus):
        """Answer one query, printing a table or JSON; returns the exit code."""
        try:
            answer = self.ask(query, plus, minus)
        except Item2VecError as exc:
            if self.args.json:
                print(to_json(error_record(query, exc)), file=self.out)
            print(f"error: {one_line(exc)}", file=self.err)
            return exc.exit_code
        for note in notes(answer):
            print(f"note: {safe(note, 400)}", file=self.err)
        if self.args.json:
            print(to_json(json_record(answer)), file=self.out)
        else:
            print(format_table(answer, self.args.min_listeners, self.args.explain), file=self.out)
        return ExitCode.OK

    def batch(self, stream):
        """Answer every line of a stream (binary, or text); returns 0 when all lines were answered."""
        failed = 0
        # On a terminal stdout and stderr are the same screen: say each error once there.
        echo_errors = not (_isatty(self.out) and _isatty(self.err))
        for number, raw in enumerate(stream, 1):
            try:
                if isinstance(raw, bytes):
                    raw = raw.rstrip(b"\r\n")
                    # Decoded here, line by line, so one bad line is reported and the rest answered.
                    query = raw.decode("utf-8")
                else:
                    query = raw.rstrip("\r\n")
                if not query.strip() or self._comment(query):
                    continue  # blank lines and comments, as in any list a user writes
                answer = self.ask(query, self.args.plus, self.args.minus)
            except UnicodeDecodeError as exc:
                query, failure = (
                    raw.decode("utf-8", "backslashreplace"),
                    Item2VecError(f"not valid UTF-8 (byte {exc.start} of the line)"),
                )
            except Item2VecError as exc:
                failure = exc
            else:
                for note in notes(answer):
                    print(f"note: line {number}: {safe(note, 400)}", file=self.err)
                line = to_json(json_record(answer)) if self.args.json else format_line(answer)
                print(line, file=self.out, flush=True)
                continue
            failed += 1
            if self.args.json:
                print(to_json(error_record(query, failure)), file=self.out, flush=True)
            elif echo_errors:
                print(f"{safe(query, 80)}: error: {one_line(failure)}", file=self.out, flush=True)
            print(f"error: line {number}: {one_line(failure)}", file=self.err)
        return ExitCode.FAILED if failed else ExitCode.OK

    def _comment(self, line):
        """Whether a batch line is a comment: it starts with '#' and is no artist's name ('#2 Orchestra')."""
        if not line.lstrip().startswith("#"):
            return False
        names = self.recommender.names
        return not (names.lookup("exact", line) or names.lookup("exact", line.strip()))

    def prompt(self):
        """Interactive loop with readline editing, history and tab completion."""
        readline = _line_editing(self.recommender.names)
        print("Type an artist name (Tab completes; empty line or Ctrl-D quits).", file=self.err)
        try:
            while True:
                try:
                    line = input("artist> ").strip()
                except KeyboardInterrupt:
                    print(file=self.err)
                    continue
                if not line:
                    break
                self.one(line, self.args.plus, self.args.minus)
                print(file=self.out)
        except EOFError:
            print(file=self.err)
        finally:
            if readline is not None:
                with contextlib.suppress(OSError):
                    readline.write_history_file(HISTORY)
        return ExitCode.OK

    def batch_file(self, path, prog):
        """Answer every line of the file ``path`` (``-``: standard input); returns the exit code.

        Only a failure to open or read the file is "cannot read FILE" (exit 2); a failure
        to write an answer (stdout closed: ``| head``) propagates as it does for ``-``.
        """
        try:
            handle = open(path, "rb")  # closed below; its lines are read one at a time
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
            return self._unreadable(path, prog, exc)
        try:
            with handle:
                return self.batch(_lines(handle))
        except _ReadError as exc:
            return self._unreadable(path, prog, exc.error)

    def _unreadable(self, path, prog, exc):
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        message = f"cannot read {safe(path)}: {one_line(reason)}"
        if self.args.json:
            print(to_json(error_record(None, message)), file=self.out)
        print(f"{prog}: error: {message}", file=self.err)
        return ExitCode.USAGE


def _line_editing(index):
    """Readline with history and Tab completion of artist names, or None where there is none."""
    try:
        import readline
    except ImportError:  # pragma: no cover - e.g. Windows without pyreadline
        return None
    matches = []

    def complete(text, state):
        if state == 0:
            typed = readline.get_line_buffer()
            matches[:] = index.complete(typed)
            # Readline inserts the matches' common prefix; when that would not extend
            # what was typed ("bjo": Björk, Bjornstad), Tab takes the best-known match.
            common = os.path.commonprefix([m.casefold() for m in matches])
            if len(matches) > 1 and len(common) < len(typed.strip()):
                del matches[1:]
        return matches[state] if state < len(matches) else None

    readline.set_completer_delims("")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
    readline.parse_and_bind("set completion-ignore-case on")
    readline.parse_and_bind("set show-all-if-ambiguous on")  # list on the first Tab
    with contextlib.suppress(OSError, UnicodeDecodeError):
        readline.read_history_file(HISTORY)
    return readline


def parse_arguments(parser, argv, stdin):
    """The parsed arguments and the query they name; raises UsageError or HelpShown."""
    args = parser.parse_args(argv)
    query = " ".join(args.artist).strip()
    if args.artist and not query:
        raise UsageError("the artist name is empty")
    if args.batch and args.artist:
        raise UsageError("give either an artist or --batch, not both")
    if not args.artist and not args.batch and not stdin.isatty():
        raise UsageError("no artist given (use --batch - to read names from standard input)")
    if any(not name.strip() for name in args.plus + args.minus):
        raise UsageError("a --plus/--minus name is empty")
    if args.discover is not None and args.rank == "cosine":
        raise UsageError("--discover moves the evidence ranking; --rank cosine has no dial")
    return args, query


def wants_json(argv):
    """Whether ``--json`` (or an abbreviation argparse accepts) is among the options of ``argv``.

    Looked at before parsing, so that a usage error too can be reported as JSON.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    options = argv[: argv.index("--")] if "--" in argv else argv
    return any(len(a) >= 4 and "--json".startswith(a) for a in options)


def main(argv=None, stdin=None, out=None, err=None, prog="python ask.py"):
    """Run the command line; returns the exit code instead of exiting."""
    stdin = stdin if stdin is not None else sys.stdin
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=err)
    parser = build_parser(prog)
    as_json = wants_json(argv)

    def fail(message, code, prefix="error"):
        # With --json every error is also an object on stdout, for the scripts that read it.
        if as_json:
            print(to_json(error_record(None, message)), file=out)
        print(f"{prefix}: {one_line(message)}" if prefix else message, file=err)
        return code

    try:
        with contextlib.redirect_stdout(out):
            args, query = parse_arguments(parser, argv, stdin)
    except HelpShown:
        return ExitCode.OK
    except UsageError as exc:
        # argparse quotes unknown arguments raw: escape them like any other user text.
        return fail(f"{exc} (see --help)", ExitCode.USAGE, f"{prog}: error")
    try:
        session = Session(args, out, err)
        if args.batch == "-":
            return session.batch(getattr(stdin, "buffer", stdin))
        if args.batch:
            return session.batch_file(args.batch, prog)
        if query:
            return session.one(query, args.plus, args.minus)
        return session.prompt()
    except Item2VecError as exc:
        return fail(str(exc), exc.exit_code)
    except BrokenPipeError:
        raise  # stdout closed (`| head`): run() ends quietly, as Unix tools do
    except OSError as exc:
        # Writing an answer failed (a full disk under a redirection): not the input's fault.
        return fail(f"cannot write the answers: {exc.strerror or exc}", ExitCode.FAILED)
    except KeyboardInterrupt:
        return fail("interrupted", ExitCode.INTERRUPTED, prefix=None)


def program_name(argv0):
    """How the program was started, for ``--help`` and errors: ``item2vec-ask`` or ``python ask.py``."""
    name = os.path.basename(argv0) or "ask.py"
    return f"python {name}" if name.endswith(".py") else name


def run():
    """Console-script entry: :func:`main` with the process's streams, then exit."""
    try:
        code = main(prog=program_name(sys.argv[0]))
        sys.stdout.flush()
    except BrokenPipeError:
        # Output piped into e.g. `head`: stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    sys.exit(code)
