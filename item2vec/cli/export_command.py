"""Export a model's vectors in the word2vec text format, for gensim and other word2vec tools.

    item2vec-export --model models/ --out artists.w2v   # or: python -m item2vec.cli.export_command

writes ``artists.w2v``, which gensim's ``KeyedVectors.load_word2vec_format``
reads, and ``artists.w2v.names.tsv`` beside it. Keys are artist ids, not names:
two different artists are called "Red" in the Kaggle data, and a name may hold
spaces, which the format cannot. The TSV maps each id to its name and listener
count. The vectors are the model's unit-length rows, written with enough digits
(9 significant) to read back as the same float32 values.
"""

import os
import sys

import numpy as np

from ..errors import ExitCode, Item2VecError
from ..model.storage import load_model
from ..query.formatting import safe
from .parser import HelpShown, Parser, UsageError, add_version, default_model_dir

NAMES_SUFFIX = ".names.tsv"


class ExportError(Item2VecError):
    """The export cannot be written where asked (exit code 2: bad usage)."""

    exit_code = ExitCode.USAGE


def write_word2vec(model, path):
    """Write ``model``'s vectors as word2vec text and the id -> name table beside it.

    Parameters
    ----------
    model : Model
        A loaded model (:func:`item2vec.model.storage.load_model`).
    path : str
        The vectors file; ``path + ".names.tsv"`` gets ``artist_id``, ``name``
        and ``listeners``. Neither may exist already: an export never replaces a file.

    Returns
    -------
    list of str
        The two paths written.
    """
    path = os.fspath(path)
    names_path = path + NAMES_SUFFIX
    ids = model.vectors.ids
    unit = np.asarray(model.vectors.unit, dtype=np.float32)
    rows = [model.catalog.index(int(i)) for i in ids]
    for target in (path, names_path):
        if os.path.lexists(target):
            raise ExportError(
                f"{safe(target, 300)} already exists; choose another --out (an export never replaces a file)"
            )
    written = []
    try:
        # Mode "x": refuse to overwrite anything, including a file that appears meanwhile.
        with open(path, "x", encoding="ascii", newline="\n") as handle:
            written.append(path)
            handle.write(f"{unit.shape[0]} {unit.shape[1]}\n")
            for artist_id, vector in zip(ids.tolist(), unit, strict=True):
                handle.write(str(artist_id) + " " + " ".join(f"{x:.9g}" for x in vector.tolist()) + "\n")
        with open(names_path, "x", encoding="utf-8", newline="\n") as handle:
            written.append(names_path)
            handle.write("artist_id\tname\tlisteners\n")
            for artist_id, row in zip(ids.tolist(), rows, strict=True):
                # Tabs and line breaks inside a name would break the table's rows.
                name = " ".join(model.catalog.names[row].split())
                handle.write(f"{artist_id}\t{name}\t{int(model.catalog.listeners[row])}\n")
    except FileExistsError as exc:
        _remove(written)
        raise ExportError(
            f"{safe(exc.filename, 300)} already exists; choose another --out "
            f"(an export never replaces a file)"
        ) from None
    except OSError as exc:
        _remove(written)
        raise ExportError(f"cannot write {safe(exc.filename or path, 300)}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(written)
        raise
    return [path, names_path]


def _remove(paths):
    # Only files this export created itself (mode "x" guarantees it) are removed.
    for path in paths:
        try:
            os.remove(path)
        except OSError:
            pass


def main(argv=None, prog="item2vec-export"):
    """Run the export command; returns the exit code."""
    parser = Parser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, metavar="DIR", help="model folder (default: as ask.py)")
    parser.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help=f"vectors file to write; the names go to FILE{NAMES_SUFFIX}",
    )
    add_version(parser)
    try:
        args = parser.parse_args(argv)
    except HelpShown:
        return ExitCode.OK
    except UsageError as exc:
        print(f"{parser.prog}: error: {safe(exc, 2000)} (see --help)", file=sys.stderr)
        return ExitCode.USAGE
    try:
        paths = write_word2vec(load_model(args.model or default_model_dir()), args.out)
    except Item2VecError as exc:
        print(f"error: {safe(exc, 2000)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=sys.stderr)
        return ExitCode.INTERRUPTED
    print("wrote " + " and ".join(safe(p, 300) for p in paths))
    return ExitCode.OK


def run():
    """Console-script entry (``item2vec-export``): :func:`main`, then exit with its code."""
    name = os.path.basename(sys.argv[0])
    sys.exit(
        main(prog="python -m item2vec.cli.export_command" if name in ("", "export_command.py") else name)
    )


if __name__ == "__main__":
    run()
