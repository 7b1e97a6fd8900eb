"""Damaged, missing and hostile model folders: refused with the reason, never unpickled.

Part of the fault-injection suite; see tests/reliability.py and docs/RELIABILITY.md.
"""

import json
import os
import re

import numpy as np
import pytest
from reliability import (
    catalog_arrays,
    copy_model,
    item_weight_arrays,
    one_error_line,
    rewrite_checksums,
    run,
    write_catalog,
    write_item_weights,
)

from conftest import REPO
from item2vec.errors import ModelError
from item2vec.model.storage import load_model

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
    arrays = catalog_arrays(folder)
    edit(arrays)
    write_catalog(folder, arrays)


def _nan(v):
    v[3, 1] = np.nan
    return v


def _item_weights(folder, edit):
    arrays = item_weight_arrays(folder)
    edit(arrays)
    write_item_weights(folder, arrays)


def _set(key, index, value):
    def edit(arrays):
        arrays[key][index] = value

    return edit


DAMAGES = {
    # case: (damage, rewrite checksums?, words the message must contain)
    "vectors missing": (lambda d: os.remove(os.path.join(d, "vectors.npy")), False, "vectors.npy is missing"),
    "catalog missing": (lambda d: os.remove(os.path.join(d, "catalog.npz")), False, "catalog.npz is missing"),
    "metadata missing": (
        lambda d: os.remove(os.path.join(d, "metadata.json")),
        False,
        "metadata.json is missing",
    ),
    "metadata a FIFO": (
        lambda d: (os.remove(os.path.join(d, "metadata.json")), os.mkfifo(os.path.join(d, "metadata.json"))),
        False,
        "metadata.json is not a regular file",
    ),
    "vectors a folder": (
        lambda d: (os.remove(os.path.join(d, "vectors.npy")), os.mkdir(os.path.join(d, "vectors.npy"))),
        False,
        "vectors.npy is not a regular file",
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
        "metadata.json: lacks the field 'files'",
    ),
    "metadata hyperparameters mangled": (
        lambda d: _set_metadata(d, lambda m: m.update(hyperparameters="x")),
        False,
        "metadata.json: hyperparameters is 'x', expected an object",
    ),
    "format version 3": (
        lambda d: _set_metadata(d, lambda m: m.update(format_version=3)),
        False,
        "format version 3 is not supported",
    ),
    "format version 1 (before the item-item weights), their file gone": (
        lambda d: (
            _set_metadata(d, lambda m: m.update(format_version=1)),
            os.remove(os.path.join(d, "item_weights.npz")),
        ),
        False,
        "format version 1 is not supported",
    ),
    "item weights missing": (
        lambda d: os.remove(os.path.join(d, "item_weights.npz")),
        False,
        "item_weights.npz is missing",
    ),
    "item weights truncated": (
        lambda d: _truncate(d, "item_weights.npz"),
        False,
        "does not match its checksum",
    ),
    "item weights file is text": (
        lambda d: open(os.path.join(d, "item_weights.npz"), "w").write("hello"),
        True,
        "item_weights.npz is not a NumPy archive",
    ),
    "item weights without their weights": (
        lambda d: _item_weights(d, lambda a: a.pop("weights")),
        True,
        "item_weights.npz: lacks weights",
    ),
    "item weights one row short": (
        lambda d: _item_weights(d, lambda a: a.update(rows=a["rows"][:-1], weights=a["weights"][:-1])),
        True,
        "item weights for other vectors (row counts differ)",
    ),
    "item weights name a row that does not exist": (
        lambda d: _item_weights(d, lambda a: a["rows"].__setitem__((2, 0), len(a["rows"]) + 5)),
        True,
        "item weights name rows that do not exist",
    ),
    "item weights negative": (
        lambda d: _item_weights(d, _set("weights", (2, 0), -0.5)),
        True,
        "not positive where a partner is named",
    ),
    "item weights NaN": (
        lambda d: _item_weights(d, _set("weights", (2, 0), np.nan)),
        True,
        "item weights that are not finite",
    ),
    "item weights as float64": (
        lambda d: _item_weights(d, lambda a: a.update(weights=a["weights"].astype(np.float64))),
        True,
        "expected 2-D float32",
    ),
    "item weights rows as floats": (
        lambda d: _item_weights(d, lambda a: a.update(rows=a["rows"] * 1.0)),
        True,
        "expected 2-D integers",
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
    "Latin spellings without their rows": (
        lambda d: _catalog(d, lambda a: a.pop("romanized_rows")),
        True,
        "lacks romanized_rows",
    ),
    "Latin spelling of a row outside the catalogue": (
        lambda d: _catalog(d, lambda a: a.update(_latin(b"hamasaki ayumi", 10**6))),
        True,
        "romanized rows outside the catalogue",
    ),
    "Latin spelling that is not lower-case ASCII words": (
        lambda d: _catalog(d, lambda a: a.update(_latin(b"Hamasaki  Ayumi", 0))),
        True,
        "lower-case ASCII words",
    ),
    "Latin spelling of the row just past the catalogue": (
        lambda d: _catalog(d, lambda a: a.update(_latin(b"hamasaki ayumi", len(a["artist_ids"])))),
        True,
        "romanized rows outside the catalogue",
    ),
    "Latin spelling holding a byte that is not ASCII": (
        lambda d: _catalog(d, lambda a: a.update(_latin("café".encode(), 0))),
        True,
        "lower-case ASCII words",
    ),
    "Latin spellings without two of their arrays": (
        lambda d: _catalog(d, lambda a: (a.pop("romanized_rows"), a.pop("romanized_offsets"))),
        True,
        "lacks romanized_offsets, romanized_rows",
    ),
    "Latin spellings and rows of different lengths": (
        lambda d: _catalog(d, lambda a: a.update(_latins(b"abcdef", [0, 3, 6], [0]))),
        True,
        "romanized keys and rows of different lengths",
    ),
    "Latin spelling offsets out of order": (
        lambda d: _catalog(d, lambda a: a.update(_latins(b"abcdef", [0, 3, 3, 6], [0, 0, 0]))),
        True,
        "romanized keys table offsets out of order",
    ),
    "Latin spellings of rows out of order": (
        lambda d: _catalog(d, lambda a: a.update(_latins(b"abcdef", [0, 3, 6], [1, 0]))),
        True,
        "romanized rows not sorted",
    ),
    "Latin spellings cut short": (
        lambda d: _catalog(
            d, lambda a: a.update({**_latin(b"hamasaki ayumi", 0), "romanized_ascii": _bytes(b"ham")})
        ),
        True,
        "romanized keys table truncated",
    ),
    "confidence table with a share above 1": (
        lambda d: _set_metadata(d, lambda m: m.update(confidence=_confidence(value=1.5))),
        False,
        "malformed confidence table",
    ),
    "confidence table with overlapping bands": (
        lambda d: _set_metadata(d, lambda m: m.update(confidence=_confidence(overlap=True))),
        False,
        "overlap",
    ),
}


def _bytes(text):
    return np.frombuffer(text, dtype=np.uint8)


def _latin(key, row):
    """The three arrays of one Latin spelling ``key`` of catalogue ``row``."""
    return {
        "romanized_ascii": _bytes(key),
        "romanized_offsets": np.array([0, len(key)], dtype=np.int64),
        "romanized_rows": np.array([row], dtype=np.int64),
    }


def _latins(blob, offsets, rows):
    """The three arrays of Latin spellings as given, consistent or not."""
    return {
        "romanized_ascii": _bytes(blob),
        "romanized_offsets": np.array(offsets, dtype=np.int64),
        "romanized_rows": np.array(rows, dtype=np.int64),
    }


def _confidence(value=0.5, overlap=False):
    ranking = {"weight": 0.25, "shrink": 5.0, "discount": 0.2, "power": 0.5, "ease": 0.1}
    band = {"min_listeners": 3, "max_listeners": 9, "folded": False, "value": value, "low": 0.4, "high": 0.6}
    bands = [{**band, "queries": 10, "users": 5}]
    if overlap:
        bands.append({**bands[0], "min_listeners": 5, "max_listeners": None})
    return {"k": 10, "ranking": ranking, "rare_ranking": ranking, "bands": bands}


@pytest.mark.parametrize("case", list(DAMAGES))
def test_damaged_model_is_refused_with_the_reason_and_a_rebuild_hint(synthetic_model_dir, tmp_path, case):
    damage, rehash, words = DAMAGES[case]
    folder = copy_model(synthetic_model_dir, tmp_path)
    damage(folder)
    if rehash:
        rewrite_checksums(folder)
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    message = str(caught.value)
    # The words as words (not inside longer ones), the rebuild hint and the folder.
    assert re.search(rf"(^|\W){re.escape(words)}(\W|$)", message), message
    assert "python train_item2vec.py" in message and folder in message
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


def test_a_folder_that_is_not_a_model_is_never_advised_as_out(tmp_path):
    # Advising "--out SOMEDIR" for the user's own folder would point them at deleting it.
    folder = tmp_path / "somedir"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    code, out, err = run(["g0-a1", "--model", str(folder)])
    line = one_error_line(err)
    assert code == 3 and "not a model folder" in line and "'notes.txt'" in line
    assert "--out" not in line and "train_item2vec.py wrote" in line
    # A damaged model (only our files, one missing) still gets the rebuild advice.
    (folder / "notes.txt").unlink()
    (folder / "vectors.npy").write_bytes(b"half")
    code, out, err = run(["g0-a1", "--model", str(folder)])
    assert code == 3 and "metadata.json is missing" in err and f"--out {folder}" in err


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


@pytest.mark.parametrize(
    "where", ["vectors.npy", "catalog member", "catalog is a raw pickle", "item weights member"]
)
def test_loading_never_unpickles(synthetic_model_dir, tmp_path, where):
    folder = copy_model(synthetic_model_dir, tmp_path)
    sentinel = str(tmp_path / "payload-ran")
    evil = np.array([Payload(sentinel)] * 4, dtype=object)
    if where == "vectors.npy":
        np.save(os.path.join(folder, "vectors.npy"), evil, allow_pickle=True)
    elif where == "catalog member":
        arrays = catalog_arrays(folder)
        arrays["names_utf8"] = evil
        write_catalog(folder, arrays, allow_pickle=True)
    elif where == "item weights member":
        arrays = item_weight_arrays(folder)
        arrays["weights"] = evil
        write_item_weights(folder, arrays, allow_pickle=True)
    else:
        import pickle

        with open(os.path.join(folder, "catalog.npz"), "wb") as handle:
            pickle.dump(Payload(sentinel), handle)
    rewrite_checksums(folder)
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
