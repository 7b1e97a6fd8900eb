"""Helpers of the fault-injection tests (tests/test_reliability_*.py).

Every case of docs/RELIABILITY.md is exercised through ``ask.main``,
``train_item2vec.main``, :func:`item2vec.model.storage.load_model` or
:func:`item2vec.ingest.formats.load_dataset`. Damaged models are copies of the session's
synthetic model; where a damage must get past the SHA-256 check to reach a
later check, the test rewrites the checksum (:func:`rewrite_checksums`) on purpose.
"""

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import unicodedata

import numpy as np

from conftest import Stdin
from item2vec.cli import ask_command as ask

HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
#: A short training, enough to write a real model folder.
TRAIN_ARGS = [
    "--vector-size",
    "8",
    "--epochs",
    "2",
    "--min-count",
    "3",
    "--workers",
    "1",
    "--members",
    "1",
    "--seed",
    "3",
    "--quiet",
]


def run(argv, stdin=b"", out=None):
    out = out if out is not None else io.StringIO()
    err = io.StringIO()
    code = ask.main(argv, stdin=Stdin(stdin), out=out, err=err)
    return code, out.getvalue() if isinstance(out, io.StringIO) else None, err.getvalue()


def assert_no_raw_controls(text):
    """Nothing that could drive a terminal: only newlines among the control characters."""
    raw = [c for c in text if c != "\n" and unicodedata.category(c) in HIDDEN]
    assert not raw, f"raw control characters {raw!r} in {text[:300]!r}"


def one_error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def copy_model(src, tmp_path, name="model"):
    dst = tmp_path / name
    shutil.copytree(src, dst)
    return str(dst)


def file_bytes(folder):
    return {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))}


def rewrite_checksums(folder):
    """Rewrite the stored checksums so a damage reaches the checks behind the checksum."""
    path = os.path.join(folder, "metadata.json")
    with open(path, encoding="utf-8") as handle:
        meta = json.load(handle)
    for name in ("vectors.npy", "catalog.npz", "item_weights.npz"):
        with open(os.path.join(folder, name), "rb") as handle:
            meta["files"][name] = hashlib.sha256(handle.read()).hexdigest()
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(meta, handle)


def catalog_arrays(folder):
    with np.load(os.path.join(folder, "catalog.npz")) as archive:
        return {key: archive[key] for key in archive.files}


def write_catalog(folder, arrays, allow_pickle=False):
    np.savez(os.path.join(folder, "catalog.npz"), allow_pickle=allow_pickle, **arrays)


def item_weight_arrays(folder):
    with np.load(os.path.join(folder, "item_weights.npz")) as archive:
        return {key: archive[key] for key in archive.files}


def write_item_weights(folder, arrays, allow_pickle=False):
    np.savez(os.path.join(folder, "item_weights.npz"), allow_pickle=allow_pickle, **arrays)


def npy_header(descr, shape):
    """A .npy file's first bytes up to its data (version 1.0): an array of ``descr`` and ``shape``
    as the header says, whatever data follows (or none)."""
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


def break_crc(folder, name):
    """Flip the last byte of the first member's data in the archive ``name`` of ``folder``, so that
    its CRC-32 no longer matches; the checksums are rewritten to let the damage reach the reader."""
    import zipfile

    path = os.path.join(folder, name)
    data = bytearray(open(path, "rb").read())
    first = zipfile.ZipFile(path).infolist()[0]
    local = first.header_offset
    start = local + 30 + int.from_bytes(data[local + 26 : local + 28], "little")
    start += int.from_bytes(data[local + 28 : local + 30], "little")
    data[start + first.compress_size - 1] ^= 0xFF
    with open(path, "wb") as handle:
        handle.write(bytes(data))
    rewrite_checksums(folder)


def leftovers(parent):
    """Temporary or displaced folders a save left behind."""
    return sorted(n for n in os.listdir(parent) if ".tmp-" in n or ".old-" in n)


@contextlib.contextmanager
def time_limit(seconds):
    """Raise TimeoutError in the main thread after ``seconds`` (a hang fails instead of stalling the run)."""

    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
