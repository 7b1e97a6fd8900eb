"""Fault injection through the real entry points: bad input, damaged files, interruptions.

Every case of docs/RELIABILITY.md is here, exercised through ``ask.main``,
``train_item2vec.main``, :func:`item2vec.storage.load_model` or
:func:`item2vec.data.load_dataset`. Damaged models are copies of the session's
synthetic model; where a damage must get past the SHA-256 check to reach a
later check, the test rewrites the checksum (``_rehash``) on purpose.
"""

import errno
import hashlib
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import unicodedata

import numpy as np
import pytest

from conftest import REPO, SMALL_CONFIG, Stdin
from item2vec import storage
from item2vec.cli import ask
from item2vec.cli import train as train_item2vec
from item2vec.data import KAGGLE_ARTISTS, KAGGLE_PLAYS, load_dataset
from item2vec.errors import DataError, ModelError
from item2vec.research.synthetic import make_plays, write_kaggle
from item2vec.storage import load_model, save_model
from item2vec.train import TrainConfig, train_and_save
from item2vec.vectors import unit_rows

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


def _rehash(folder):
    """Rewrite the stored checksums so a damage reaches the checks behind the checksum."""
    path = os.path.join(folder, "metadata.json")
    with open(path, encoding="utf-8") as handle:
        meta = json.load(handle)
    for name in ("vectors.npy", "catalog.npz"):
        with open(os.path.join(folder, name), "rb") as handle:
            meta["files"][name] = hashlib.sha256(handle.read()).hexdigest()
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(meta, handle)


def _catalog_arrays(folder):
    with np.load(os.path.join(folder, "catalog.npz")) as archive:
        return {key: archive[key] for key in archive.files}


def _write_catalog(folder, arrays, allow_pickle=False):
    np.savez(os.path.join(folder, "catalog.npz"), allow_pickle=allow_pickle, **arrays)


def leftovers(parent):
    """Temporary or displaced folders a save left behind."""
    return sorted(n for n in os.listdir(parent) if ".tmp-" in n or ".old-" in n)


# -- a model whose catalogue holds hostile names --------------------------------------------

HOSTILE = {2: "\x1b[2Jevil\x07", 3: "!!!", 4: "#1", 5: "\u202eRed", 6: "\u202eRed", 7: "\u009b31mcsi"}


@pytest.fixture(scope="module")
def hostile_model_dir(tmp_path_factory):
    """Synthetic data whose artist names carry escape sequences, bidi overrides and punctuation."""
    plays, artists = make_plays(n_users=400, seed=7)
    for artist_id, name in HOSTILE.items():
        artists.loc[artists["artist_id"] == artist_id, "name"] = name
    data = tmp_path_factory.mktemp("hostile-data")
    write_kaggle(str(data), plays, artists)
    dataset = load_dataset(str(data))
    assert set(HOSTILE.values()) <= set(dataset.artists["name"])
    config = TrainConfig(**SMALL_CONFIG)
    folder = tmp_path_factory.mktemp("hostile-model") / "model"
    train_and_save(dataset, str(folder), config, progress=False)
    return str(folder)


# == query input ============================================================================


@pytest.mark.parametrize("argv", [[""], ["   "], ["\t", " "]])
def test_empty_or_blank_name_is_a_usage_error(synthetic_model_dir, argv):
    code, out, err = run(argv + ["--model", synthetic_model_dir])
    assert code == 2 and out == ""
    assert "empty" in one_error_line(err)


def test_a_1mb_name_is_refused_in_one_short_line(synthetic_model_dir):
    huge = "x" * (1 << 20)
    code, out, err = run([huge, "--model", synthetic_model_dir])
    assert code == 1
    assert len(one_error_line(err)) < 300
    # The same line in --batch: reported briefly, and the next line is still answered.
    code, out, err = run(["--batch", "-", "--model", synthetic_model_dir], stdin=huge.encode() + b"\ng0-a1\n")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2 and all(len(line) < 400 for line in lines)
    assert "error" in lines[0] and lines[1].startswith("g0-a1: ")
    assert all(len(line) < 300 for line in err.splitlines())


HOSTILE_TEXT = ["\x1b[31mred\x07", "\x1b]0;owned\x07", "\u009b2J", "\u202eevil", "a\nb", "\x00"]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
@pytest.mark.parametrize(
    "where", ["artist", "plus", "minus", "model", "top", "unknown-option", "batch-line", "batch-file", "json"]
)
def test_control_characters_in_any_input_are_never_echoed_raw(synthetic_model_dir, tmp_path, text, where):
    model = ["--model", synthetic_model_dir]
    stdin = b""
    argv = {
        "artist": [text] + model,
        "plus": ["g0-a1", "--plus", text] + model,
        "minus": ["g0-a1", "--minus", text] + model,
        "model": ["g0-a1", "--model", str(tmp_path / text)],
        "top": ["g0-a1", "--top", text] + model,
        "unknown-option": ["g0-a1", "--x" + text] + model,
        "batch-line": ["--batch", "-"] + model,
        "batch-file": ["--batch", str(tmp_path / text)] + model,
        "json": [text, "--json"] + model,
    }[where]
    if where == "batch-line":
        stdin = b"g0-a1\n" + text.encode("utf-8", "surrogateescape") + b"\n"
    code, out, err = run(argv, stdin=stdin)
    assert code in (1, 2, 3)
    assert "Traceback" not in err
    assert_no_raw_controls(out)
    assert_no_raw_controls(err)


def test_hostile_names_from_the_data_are_shown_escaped(hostile_model_dir):
    model = ["--model", hostile_model_dir]
    # Results, suggestions, ambiguity notes, batch lines and JSON all carry catalogue names.
    for argv, stdin in [
        (["g0-a1", "--top", "1000"], b""),
        (["g0-a1", "--top", "1000", "--explain"], b""),
        (["evil"], b""),
        (["\u202ered"], b""),
        (["g0-a1", "--top", "1000", "--json"], b""),
        (["--batch", "-", "--top", "1000"], b"g0-a1\nevi\n\xe2\x80\xaeRed\n"),
        (["--batch", "-", "--json", "--top", "1000"], b"g0-a1\nevi\n"),
    ]:
        code, out, err = run(argv + model, stdin=stdin)
        assert code in (0, 1), (argv, err)
        assert_no_raw_controls(out)
        assert_no_raw_controls(err)
    code, out, _ = run(["g0-a1", "--top", "1000"] + model)
    assert "\\x1b[2Jevil\\x07" in out  # shown, escaped, not dropped
    code, out, err = run(["\u202eRed"] + model)
    assert code == 0 and "2 artists are named" in err


def test_json_survives_a_strict_utf8_stdout_and_undecodable_arguments(synthetic_model_dir):
    # Undecodable bytes in argv arrive as lone surrogates (surrogateescape); a real
    # stdout with errors="strict" cannot encode them raw.
    buffer = io.BytesIO()
    out = io.TextIOWrapper(buffer, encoding="utf-8", errors="strict")
    code, _, err = run(["\udcff", "--json", "--model", synthetic_model_dir], out=out)
    out.flush()
    assert code == 1 and "Traceback" not in err
    record = json.loads(buffer.getvalue().decode("utf-8"))
    assert record["query"] == "\udcff" and "Unknown artist" in record["error"]


def test_batch_reports_an_invalid_utf8_line_and_goes_on(synthetic_model_dir):
    code, out, err = run(
        ["--batch", "-", "--model", synthetic_model_dir], stdin=b"g0-a1\n\xff\xfe bad \x1b\nG1-A1\n"
    )
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("g0-a1: ") and lines[2].startswith("g1-a1: ")
    assert "\\xff\\xfe bad" in lines[1] and "not valid UTF-8" in lines[1]
    assert one_error_line(err).startswith("error: line 2:")
    assert_no_raw_controls(out)


def test_batch_accepts_a_text_stream_without_a_binary_buffer(synthetic_model_dir):
    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO("g0-a1\nnobody\n")  # no .buffer, e.g. a caller's StringIO
    code = ask.main(["--batch", "-", "--model", synthetic_model_dir], stdin=stdin, out=out, err=err)
    assert code == 1
    assert out.getvalue().splitlines()[0].startswith("g0-a1: ")
    assert "line 2" in one_error_line(err.getvalue())


def test_names_of_only_punctuation(synthetic_model_dir, hostile_model_dir):
    for name in ("!!!", "...", "?", "-", "#"):
        code, out, err = run([name, "--model", synthetic_model_dir])
        assert code == 1 and out == ""
        assert "Unknown artist" in one_error_line(err)
    # An artist really called "!!!" is found, and one called "#1" by its name, not as id 1.
    code, out, err = run(["!!!", "--json", "--model", hostile_model_dir])
    assert code == 0 and json.loads(out)["artist_id"] == 3
    code, out, err = run(["#1", "--json", "--model", hostile_model_dir])
    assert code == 0 and json.loads(out)["artist_id"] == 4


@pytest.mark.parametrize("minus", ["g0-a1", " G0-A1 ", "id:1"])
def test_minus_equal_to_the_query(synthetic_model_dir, minus):
    code, out, err = run(["g0-a1", "--minus", minus, "--model", synthetic_model_dir])
    assert code == 1 and out == ""
    assert "--minus" in one_error_line(err)
    # In --batch that line fails and the others are answered.
    code, out, err = run(
        ["--batch", "-", "--minus", minus, "--model", synthetic_model_dir], stdin=b"g0-a1\ng0-a2\n"
    )
    assert code == 1
    lines = out.splitlines()
    assert "error" in lines[0] and lines[1].startswith("g0-a2 - g0-a1: ")


@pytest.mark.parametrize("option", ["--minus", "--plus"])
def test_minus_or_plus_without_an_artist(synthetic_model_dir, option):
    code, out, err = run([option, "g0-a1", "--model", synthetic_model_dir])
    assert code == 2 and out == ""
    assert "no artist given" in one_error_line(err)


@pytest.mark.parametrize("option", ["--minus", "--plus"])
def test_unknown_minus_or_plus_names_the_unknown_artist(synthetic_model_dir, option):
    code, out, err = run(["g0-a1", option, "g0-a11x", "--model", synthetic_model_dir])
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert "'g0-a11x'" in line and "Did you mean: g0-a11" in line


@pytest.mark.parametrize("top", ["0", "-3", "abc", "1.5", "", "1001", "99999999999999999999", "9" * 5000])
def test_bad_top_is_a_usage_error(synthetic_model_dir, top):
    code, out, err = run(["g0-a1", "--top", top, "--model", synthetic_model_dir])
    assert code == 2 and out == ""
    assert "--top" in one_error_line(err)


def test_largest_top_returns_every_candidate(synthetic_model_dir):
    code, out, err = run(
        ["g0-a1", "--top", "1000", "--json", "--min-listeners", "1", "--model", synthetic_model_dir]
    )
    assert code == 0
    results = json.loads(out)["results"]
    assert len(results) == len(load_model(synthetic_model_dir).vectors) - 1


def test_help_returns_0_through_main_and_prints_to_out(synthetic_model_dir):
    for flag in ("--help", "-h", "--he"):
        code, out, err = run([flag])
        assert code == 0 and "Exit codes" in out and err == ""


def test_trainer_help_returns_0_through_main(capsys):
    assert train_item2vec.main(["--help"]) == 0
    assert "--epochs" in capsys.readouterr().out


def test_ctrl_c_during_a_batch_exits_130_after_the_answers_so_far(synthetic_model_dir, monkeypatch):
    real = ask.Recommender.answer
    calls = []

    def answer(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ask.Recommender, "answer", answer)
    code, out, err = run(["--batch", "-", "--model", synthetic_model_dir], stdin=b"g0-a1\ng0-a2\ng0-a3\n")
    assert code == 130
    assert out.splitlines()[0].startswith("g0-a1: ") and len(out.splitlines()) == 1
    assert one_error_line(err) == "interrupted"


# == model files ============================================================================


def _truncate(folder, name="vectors.npy"):
    path = os.path.join(folder, name)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])


def _set_metadata(folder, edit):
    path = os.path.join(folder, "metadata.json")
    meta = json.load(open(path, encoding="utf-8"))
    edit(meta)
    json.dump(meta, open(path, "w", encoding="utf-8"))


def _vectors(folder, edit):
    path = os.path.join(folder, "vectors.npy")
    vectors = np.load(path)
    np.save(path, edit(vectors))


def _catalog(folder, edit):
    arrays = _catalog_arrays(folder)
    edit(arrays)
    _write_catalog(folder, arrays)


def _nan(v):
    v[3, 1] = np.nan
    return v


DAMAGES = {
    # case: (damage, rewrite checksums?, words the message must contain)
    "vectors missing": (lambda d: os.remove(os.path.join(d, "vectors.npy")), False, "vectors.npy is missing"),
    "catalog missing": (lambda d: os.remove(os.path.join(d, "catalog.npz")), False, "catalog.npz is missing"),
    "metadata missing": (
        lambda d: os.remove(os.path.join(d, "metadata.json")),
        False,
        "metadata.json is missing",
    ),
    "vectors truncated": (_truncate, False, "does not match its checksum"),
    "vectors truncated, checksum rewritten": (_truncate, True, "vectors.npy is truncated"),
    "catalog truncated": (lambda d: _truncate(d, "catalog.npz"), False, "does not match its checksum"),
    "catalog from another run": (
        lambda d: _catalog(d, lambda a: a.update(listeners=a["listeners"] + 1)),
        False,
        "does not match its checksum",
    ),
    "one vector row fewer than ids": (lambda d: _vectors(d, lambda v: v[:-1]), True, "vector ids for"),
    "one vector id fewer than rows": (
        lambda d: _catalog(d, lambda a: a.update(vector_ids=a["vector_ids"][:-1])),
        True,
        "vector ids for",
    ),
    "names table shorter than ids": (
        lambda d: _catalog(d, lambda a: a.update(names_offsets=a["names_offsets"][:-2])),
        True,
        "artist tables of different lengths",
    ),
    "names bytes cut": (
        lambda d: _catalog(d, lambda a: a.update(names_utf8=a["names_utf8"][:-3])),
        True,
        "names table truncated",
    ),
    "names offsets scrambled": (
        lambda d: _catalog(d, lambda a: a["names_offsets"].__setitem__(5, 10**9)),
        True,
        "offsets out of order",
    ),
    "vector ids not in catalogue": (
        lambda d: _catalog(d, lambda a: a.update(vector_ids=a["vector_ids"] + 10**6)),
        True,
        "vector ids missing from the artist table",
    ),
    "ids stored as floats": (
        lambda d: _catalog(d, lambda a: a.update(artist_ids=a["artist_ids"] * 1.0)),
        True,
        "expected 1-D integers",
    ),
    "metadata not JSON": (
        lambda d: open(os.path.join(d, "metadata.json"), "w").write('{"format_version": 1,'),
        False,
        "not valid JSON",
    ),
    "metadata binary": (
        lambda d: open(os.path.join(d, "metadata.json"), "wb").write(b"\xff\xfe\x00\x01"),
        False,
        "not valid JSON",
    ),
    "metadata a list": (
        lambda d: open(os.path.join(d, "metadata.json"), "w").write("[1]"),
        False,
        "not a JSON object",
    ),
    "metadata without checksums": (
        lambda d: _set_metadata(d, lambda m: m.pop("files")),
        False,
        "lists no file checksums",
    ),
    "metadata hyperparameters mangled": (
        lambda d: _set_metadata(d, lambda m: m.update(hyperparameters="x")),
        False,
        "malformed hyperparameters",
    ),
    "format version 2": (
        lambda d: _set_metadata(d, lambda m: m.update(format_version=2)),
        False,
        "format version 2 is not supported",
    ),
    "format version a string": (
        lambda d: _set_metadata(d, lambda m: m.update(format_version="1")),
        False,
        "format version '1' is not supported",
    ),
    "format version absent": (
        lambda d: _set_metadata(d, lambda m: m.pop("format_version")),
        False,
        "format version None is not supported",
    ),
    "NaN vector": (lambda d: _vectors(d, _nan), False, "does not match its checksum"),
    "NaN vector, checksum rewritten": (lambda d: _vectors(d, _nan), True, "NaN or infinite"),
    "vectors not unit length, checksum rewritten": (
        lambda d: _vectors(d, lambda v: v * 3),
        True,
        "not unit length",
    ),
    "vectors float64, checksum rewritten": (
        lambda d: _vectors(d, lambda v: v.astype(np.float64)),
        True,
        "expected 2-D float32",
    ),
    "catalog file is text": (
        lambda d: open(os.path.join(d, "catalog.npz"), "w").write("hello"),
        True,
        "catalog.npz is not a NumPy archive",
    ),
    "vectors file is text": (
        lambda d: open(os.path.join(d, "vectors.npy"), "w").write("hello"),
        True,
        "not a NumPy array file",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGES))
def test_damaged_model_is_refused_with_the_reason_and_a_rebuild_hint(synthetic_model_dir, tmp_path, case):
    damage, rehash, words = DAMAGES[case]
    folder = copy_model(synthetic_model_dir, tmp_path)
    damage(folder)
    if rehash:
        _rehash(folder)
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    message = str(caught.value)
    assert words in message and "python train_item2vec.py" in message and folder in message
    # Through the query tool: exit 3, one line.
    code, out, err = run(["g0-a1", "--model", folder])
    assert code == 3 and out == ""
    assert words in one_error_line(err)


def test_missing_model_folder(tmp_path):
    missing = str(tmp_path / "nowhere")
    with pytest.raises(ModelError, match="folder not found; rebuild it with: python train_item2vec.py"):
        load_model(missing)
    code, out, err = run(["g0-a1", "--model", missing])
    assert code == 3 and "folder not found" in one_error_line(err)


def test_missing_model_folder_points_at_a_previous_model_left_by_a_killed_swap(synthetic_model_dir, tmp_path):
    # A run killed (SIGKILL) between the two renames of the swap leaves the previous model here.
    shutil.copytree(synthetic_model_dir, tmp_path / "model.old-k3j2")
    with pytest.raises(ModelError) as caught:
        load_model(str(tmp_path / "model"))
    assert "model.old-k3j2" in str(caught.value)
    os.rename(tmp_path / "model.old-k3j2", tmp_path / "model")
    assert len(load_model(str(tmp_path / "model")).vectors) > 0


class Payload:
    """Pickles to "create this folder": proof of whether anything unpickled it."""

    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return os.mkdir, (self.sentinel,)


def test_pickle_payload_is_live(tmp_path):
    # The payload used below really runs when unpickled: the tests that it does not run can fail.
    sentinel = str(tmp_path / "ran")
    path = str(tmp_path / "a.npy")
    np.save(path, np.array([Payload(sentinel)], dtype=object), allow_pickle=True)
    np.load(path, allow_pickle=True)
    assert os.path.isdir(sentinel)


@pytest.mark.parametrize("where", ["vectors.npy", "catalog member", "catalog is a raw pickle"])
def test_loading_never_unpickles(synthetic_model_dir, tmp_path, where):
    folder = copy_model(synthetic_model_dir, tmp_path)
    sentinel = str(tmp_path / "payload-ran")
    evil = np.array([Payload(sentinel)] * 4, dtype=object)
    if where == "vectors.npy":
        np.save(os.path.join(folder, "vectors.npy"), evil, allow_pickle=True)
    elif where == "catalog member":
        arrays = _catalog_arrays(folder)
        arrays["names_utf8"] = evil
        _write_catalog(folder, arrays, allow_pickle=True)
    else:
        import pickle

        with open(os.path.join(folder, "catalog.npz"), "wb") as handle:
            pickle.dump(Payload(sentinel), handle)
    _rehash(folder)
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    assert not os.path.exists(sentinel)
    assert "allow_pickle" not in str(caught.value)  # no advice to load it "unsafely"
    code, _, err = run(["g0-a1", "--model", folder])
    assert code == 3 and not os.path.exists(sentinel)


def test_package_never_loads_with_pickle():
    # Static guard: no pickle import, and every np.load of the package says allow_pickle=False.
    package = os.path.join(REPO, "item2vec")
    for name in sorted(os.listdir(package)) + ["../ask.py", "../train_item2vec.py"]:
        if not name.endswith(".py"):
            continue
        source = open(os.path.join(package, name), encoding="utf-8").read()
        assert "import pickle" not in source and "allow_pickle=True" not in source, name
        for call in source.split("np.load(")[1:]:
            assert "allow_pickle=False" in call.split(")")[0] + call.split("\n")[0], name


# == data files =============================================================================


def data_copy(src, tmp_path, plays=None, artists=None):
    """A copy of the synthetic data folder; ``plays``/``artists`` edit the text or give bytes."""
    folder = tmp_path / "data"
    shutil.copytree(src, folder)
    for name, edit in ((KAGGLE_PLAYS, plays), (KAGGLE_ARTISTS, artists)):
        if edit is None:
            continue
        path = folder / name
        if isinstance(edit, bytes):
            path.write_bytes(edit)
        else:
            path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return str(folder)


def _replace_rows(text, rows, column, value):
    lines = text.splitlines()
    for row in rows:
        fields = lines[row].split(",")
        fields[column] = value
        lines[row] = ",".join(fields)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("which, delimiter", [("plays", ";"), ("plays", "\t"), ("artists", ";")])
def test_wrong_delimiter(synthetic_dir, tmp_path, which, delimiter):
    edit = lambda t: t.replace(",", delimiter)  # noqa: E731
    folder = data_copy(synthetic_dir, tmp_path, **{which: edit})
    name = KAGGLE_PLAYS if which == "plays" else KAGGLE_ARTISTS
    with pytest.raises(DataError, match="is the delimiter ','") as caught:
        load_dataset(folder)
    assert name in str(caught.value)


@pytest.mark.parametrize("which", ["plays", "artists"])
def test_missing_header_line(synthetic_dir, tmp_path, which):
    folder = data_copy(synthetic_dir, tmp_path, **{which: lambda t: t.split("\n", 1)[1]})
    with pytest.raises(DataError, match="is the header line missing"):
        load_dataset(folder)


def test_missing_column(synthetic_dir, tmp_path):
    drop_last = lambda t: "\n".join(line.rsplit(",", 1)[0] for line in t.splitlines()) + "\n"  # noqa: E731
    folder = data_copy(synthetic_dir, tmp_path, plays=drop_last)
    with pytest.raises(DataError, match=f"{KAGGLE_PLAYS}: missing column scrobbles"):
        load_dataset(folder)


@pytest.mark.parametrize("value", ["abc", "-5", "0", "2.5", "", "1e400"])
def test_bad_play_counts_are_dropped_counted_and_logged(
    synthetic_dir, synthetic_dataset, tmp_path, caplog, value
):
    bad_rows = [1, 10, 100]
    folder = data_copy(synthetic_dir, tmp_path, plays=lambda t: _replace_rows(t, bad_rows, 2, value))
    with caplog.at_level(logging.WARNING, logger="item2vec.data"):
        dataset = load_dataset(folder)
    assert dataset.repairs == {"play_rows_bad_count": 3}
    assert "dropped 3 play rows whose play count is not a positive integer" in caplog.text
    assert len(dataset.plays) == len(synthetic_dataset.plays) - 3
    assert (dataset.plays["plays"] > 0).all()


def test_ids_not_in_the_artist_list_are_dropped_counted_and_logged(synthetic_dir, tmp_path, caplog):
    folder = data_copy(synthetic_dir, tmp_path, plays=lambda t: _replace_rows(t, [2, 3], 1, "777777"))
    with caplog.at_level(logging.WARNING, logger="item2vec.data"):
        dataset = load_dataset(folder)
    assert dataset.repairs == {"play_rows_unknown_artist": 2}
    assert "dropped 2 play rows whose artist id is not in the artist list" in caplog.text
    assert not dataset.plays["artist_id"].isin([777777]).any()


def test_when_no_row_is_usable_it_is_an_error_not_an_empty_model(synthetic_dir, tmp_path):
    every_row = lambda t: _replace_rows(t, range(1, len(t.splitlines())), 1, "777777")  # noqa: E731
    folder = data_copy(synthetic_dir, tmp_path, plays=every_row)
    with pytest.raises(DataError, match="none of its .* rows is usable"):
        load_dataset(folder)


@pytest.mark.parametrize(
    "which, content, words",
    [
        ("plays", b"", "file is empty"),
        ("artists", b"", "file is empty"),
        ("plays", b"user_id,artist_id,scrobbles\n", "has a header but no rows"),
    ],
)
def test_empty_files(synthetic_dir, tmp_path, which, content, words):
    folder = data_copy(synthetic_dir, tmp_path, **{which: content})
    with pytest.raises(DataError, match=words) as caught:
        load_dataset(folder)
    assert (KAGGLE_PLAYS if which == "plays" else KAGGLE_ARTISTS) in str(caught.value)


def _gzip(path):
    import gzip

    return gzip.compress(open(path, "rb").read())


@pytest.mark.parametrize("kind", ["gzip", "png", "latin-1", "utf-16"])
def test_a_file_that_is_not_utf8_text(synthetic_dir, tmp_path, kind):
    original = os.path.join(synthetic_dir, KAGGLE_ARTISTS)
    content = {
        "gzip": _gzip(original),
        # UTF-16 (an Excel export) without a BOM is valid UTF-8 full of NUL bytes.
        "utf-16": open(original, encoding="utf-8").read().encode("utf-16-le"),
        "png": b"\x89PNG\r\n\x1a\n" + bytes(range(1, 256)) * 8,
        "latin-1": open(original, "rb").read() + "999,Bj\u00f6rk\n".encode("latin-1"),
    }[kind]
    folder = data_copy(synthetic_dir, tmp_path, artists=content)
    with pytest.raises(DataError) as caught:
        load_dataset(folder)
    message = str(caught.value)
    assert KAGGLE_ARTISTS in message and ("not a text file" in message or "not UTF-8" in message)
    if kind == "utf-16":
        assert "not a text file" in message
    if kind == "latin-1":  # the real place, not pandas' buffer offset
        lines = open(original, "rb").read().count(b"\n")
        assert f"at line {lines + 1} " in message


def test_bad_data_through_the_trainer_exits_2_and_keeps_the_model(
    synthetic_dir, synthetic_model_dir, tmp_path, capsys
):
    model = copy_model(synthetic_model_dir, tmp_path)
    before = file_bytes(model)
    folder = data_copy(synthetic_dir, tmp_path, plays=lambda t: t.replace(",", ";"))
    code = train_item2vec.main(["--data", folder, "--out", model] + TRAIN_ARGS)
    assert code == 2
    assert KAGGLE_PLAYS in one_error_line(capsys.readouterr().err)
    assert file_bytes(model) == before


def test_repairs_are_recorded_in_the_model(synthetic_dir, tmp_path, caplog):
    # A model trained on repaired data says so in its metadata: never silently.
    folder = data_copy(synthetic_dir, tmp_path, plays=lambda t: _replace_rows(t, [1, 2, 3], 2, "-1"))
    out = str(tmp_path / "model")
    with caplog.at_level(logging.WARNING, logger="item2vec.data"):
        assert train_item2vec.main(["--data", folder, "--out", out] + TRAIN_ARGS) == 0
    assert "dropped 3 play rows" in caplog.text
    assert load_model(out).metadata["data"]["repairs"] == {"play_rows_bad_count": 3}


# == training: interruptions, crashes, concurrency, full disk ===============================


@pytest.fixture
def previous_model(synthetic_model_dir, tmp_path):
    """A model folder in place before a training run, and its exact bytes."""
    folder = copy_model(synthetic_model_dir, tmp_path)
    return folder, file_bytes(folder)


def assert_previous_model_intact(folder, before):
    assert file_bytes(folder) == before
    assert len(load_model(folder).vectors) > 0
    assert leftovers(os.path.dirname(folder)) == []


def test_ctrl_c_during_training_leaves_the_previous_model(synthetic_dir, previous_model, monkeypatch, capsys):
    folder, before = previous_model

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_item2vec, "train", interrupted)
    code = train_item2vec.main(["--data", synthetic_dir, "--out", folder] + TRAIN_ARGS)
    assert code == 130
    assert "was not changed" in capsys.readouterr().err
    assert_previous_model_intact(folder, before)


def _half_written_then(exc):
    """A stand-in for the catalogue writer that writes part of the file, then fails."""

    def write(path, arrays):
        with open(path, "wb") as handle:
            handle.write(b"PK\x03\x04" + b"\x00" * 1000)
        raise exc

    return write


def test_ctrl_c_while_saving_leaves_the_previous_model(synthetic_dir, previous_model, monkeypatch, capsys):
    folder, before = previous_model
    monkeypatch.setattr(storage, "_write_npz", _half_written_then(KeyboardInterrupt()))
    code = train_item2vec.main(["--data", synthetic_dir, "--out", folder] + TRAIN_ARGS)
    assert code == 130
    assert "interrupted while saving" in one_error_line(capsys.readouterr().err)
    assert_previous_model_intact(folder, before)


def test_a_crash_while_saving_leaves_the_previous_model(synthetic_dir, previous_model, monkeypatch):
    folder, before = previous_model
    monkeypatch.setattr(storage, "_write_npz", _half_written_then(RuntimeError("bug")))
    with pytest.raises(RuntimeError, match="bug"):
        train_item2vec.main(["--data", synthetic_dir, "--out", folder] + TRAIN_ARGS)
    assert_previous_model_intact(folder, before)


def test_interrupt_between_the_two_renames_restores_the_previous_model(
    synthetic_dir, previous_model, monkeypatch
):
    folder, before = previous_model
    real_rename = os.rename

    def rename(src, dst):
        if ".tmp-" in os.fspath(src):  # moving the new model in: the old one is already aside
            raise KeyboardInterrupt
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    assert train_item2vec.main(["--data", synthetic_dir, "--out", folder] + TRAIN_ARGS) == 130
    monkeypatch.undo()
    assert_previous_model_intact(folder, before)


def test_double_ctrl_c_during_the_swap_still_leaves_a_whole_model(
    synthetic_dataset, previous_model, monkeypatch
):
    # A real SIGINT after the old model is moved aside, and another one before each later
    # rename (the user pressing Ctrl-C twice): without deferring them, the second stops
    # the restore and no model is left under the folder's name.
    folder, _ = previous_model
    real_rename = os.rename
    calls = []

    def ctrl_c():
        # What Python does when SIGINT arrives: call the installed handler, here and now.
        # (os.kill would let the interpreter run it a few bytecodes later, on another
        # thread's signal delivery, which made the test flaky.)
        signal.getsignal(signal.SIGINT)(signal.SIGINT, None)

    def rename(src, dst):
        calls.append(src)
        if len(calls) == 1:
            real_rename(src, dst)
            ctrl_c()
        else:
            ctrl_c()
            real_rename(src, dst)

    model = load_model(folder)
    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        save_model(
            folder,
            model.vectors.ids,
            np.asarray(model.vectors.unit)[:, ::-1],
            model.catalog,
            {"hyperparameters": {"min_count": 3}},
        )
    monkeypatch.undo()
    assert len(load_model(folder).vectors) == len(model.vectors)
    assert leftovers(os.path.dirname(folder)) == []


@pytest.mark.parametrize("where", ["catalog", "fsync"])
def test_full_disk_is_reported_and_leaves_the_previous_model(
    synthetic_dir, previous_model, monkeypatch, capsys, where
):
    folder, before = previous_model
    full = OSError(errno.ENOSPC, "No space left on device")
    if where == "catalog":
        monkeypatch.setattr(storage, "_write_npz", _half_written_then(full))
    else:

        def fsync(fd):
            raise full

        monkeypatch.setattr(os, "fsync", fsync)
    code = train_item2vec.main(["--data", synthetic_dir, "--out", folder] + TRAIN_ARGS)
    assert code == 3
    assert "disk full" in one_error_line(capsys.readouterr().err)
    monkeypatch.undo()
    assert_previous_model_intact(folder, before)


@pytest.mark.parametrize("out", ["file", "under-a-file", "nul"])
def test_an_unusable_output_folder_fails_before_training(synthetic_dir, tmp_path, monkeypatch, capsys, out):
    (tmp_path / "afile").write_text("not a folder")
    out = {
        "file": tmp_path / "afile",
        "under-a-file": tmp_path / "afile" / "model",
        "nul": tmp_path / "a\x00b",
    }[out]

    def never(*args, **kwargs):
        raise AssertionError("trained although the model could not be written")

    monkeypatch.setattr(train_item2vec, "train", never)
    assert train_item2vec.main(["--data", synthetic_dir, "--out", str(out)] + TRAIN_ARGS) == 3
    assert "error:" in one_error_line(capsys.readouterr().err)
    assert (tmp_path / "afile").read_text() == "not a folder"


def test_junk_left_by_a_killed_run_breaks_nothing(synthetic_dir, previous_model):
    folder, _ = previous_model
    parent = os.path.dirname(folder)
    for junk in ("model.tmp-k1ll3d", "model.old-k1ll3d"):
        os.mkdir(os.path.join(parent, junk))
        with open(os.path.join(parent, junk, "vectors.npy"), "wb") as handle:
            handle.write(b"half")
    assert train_item2vec.main(["--data", synthetic_dir, "--out", folder] + TRAIN_ARGS) == 0
    assert len(load_model(folder).vectors) > 0
    code, out, _ = run(["g0-a1", "--model", folder])
    assert code == 0


def _two_models(synthetic_model_dir):
    model = load_model(synthetic_model_dir)
    a = np.array(model.vectors.unit)
    b = -a  # a different, equally valid model
    return model, a, b


def test_concurrent_saves_from_threads_never_mix_or_fail(synthetic_model_dir, tmp_path):
    model, a, b = _two_models(synthetic_model_dir)
    folder = str(tmp_path / "model")
    errors = []

    def save(vectors, tag):
        for _ in range(6):
            try:
                save_model(folder, model.vectors.ids, vectors, model.catalog, {"tag": tag})
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [
        threading.Thread(target=save, args=(v, t)) for v, t in ((a, "a"), (b, "b"), (a, "a"), (b, "b"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    loaded = load_model(folder)  # checksums verify: the files belong together
    expected = unit_rows(a if loaded.metadata["tag"] == "a" else b)
    assert np.array_equal(np.asarray(loaded.vectors.unit), expected)
    assert leftovers(str(tmp_path)) == []


SAVER = """
import sys
import numpy as np
from item2vec.storage import load_model, save_model
model = load_model({src!r})
sign = float(sys.argv[1])
for _ in range(8):
    save_model({dst!r}, model.vectors.ids, sign * np.asarray(model.vectors.unit), model.catalog,
               {{"sign": sign}})
"""


def test_concurrent_saves_from_two_processes_never_mix(synthetic_model_dir, tmp_path):
    folder = str(tmp_path / "model")
    script = SAVER.format(repo=REPO, src=synthetic_model_dir, dst=folder)
    procs = [
        subprocess.Popen([sys.executable, "-c", script, sign], stderr=subprocess.PIPE) for sign in ("1", "-1")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    loaded = load_model(folder)
    original = np.asarray(load_model(synthetic_model_dir).vectors.unit)
    assert np.array_equal(np.asarray(loaded.vectors.unit), unit_rows(loaded.metadata["sign"] * original))
    assert leftovers(str(tmp_path)) == []


# == determinism ============================================================================


def test_same_data_seed_and_one_worker_give_byte_identical_vectors(synthetic_dir, tmp_path):
    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    assert train_item2vec.main(["--data", synthetic_dir, "--out", first] + TRAIN_ARGS) == 0
    # The second run in a fresh interpreter with another hash seed, as a user's rerun would be.
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run(
        [sys.executable, os.path.join(REPO, "train_item2vec.py"), "--data", synthetic_dir, "--out", second]
        + TRAIN_ARGS,
        check=True,
        env=env,
        cwd=REPO,
        capture_output=True,
    )
    for name in ("vectors.npy", "catalog.npz"):
        assert open(os.path.join(first, name), "rb").read() == open(os.path.join(second, name), "rb").read()
    # And the seed matters: another seed gives other vectors.
    third = str(tmp_path / "third")
    args = [a if a != "3" else "4" for a in TRAIN_ARGS]
    assert train_item2vec.main(["--data", synthetic_dir, "--out", third] + args) == 0
    assert (
        open(os.path.join(first, "vectors.npy"), "rb").read()
        != open(os.path.join(third, "vectors.npy"), "rb").read()
    )
