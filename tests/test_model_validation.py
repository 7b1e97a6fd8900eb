"""Every field of metadata.json and every array of catalog.npz and item_weights.npz is checked.

(item2vec/model/validation.py)

Each case damages one field or array of a copy of the session's synthetic model (checksums
rewritten where the damage is in an array file, so the check behind the checksum is what
answers) and expects ``load_model`` to refuse it naming the field, and ``ask.py`` to exit 3
with one line. Coverage tests make sure every entry of the tables has a case, so a field or
array added to the tables comes with its own damaged case.
"""

import dataclasses
import json
import os
import warnings
import zipfile

import numpy as np
import pytest
from reliability import (
    break_crc,
    catalog_arrays,
    copy_model,
    file_bytes,
    item_weight_arrays,
    npy_header,
    one_error_line,
    rewrite_checksums,
    run,
    write_catalog,
    write_item_weights,
)

from item2vec.errors import ModelError
from item2vec.model import validation
from item2vec.model.storage import load_model, save_model
from item2vec.training.corpus import WEIGHTINGS
from item2vec.training.trainer import TrainConfig


def set_field(folder, path, value):
    """Set ``metadata.json``'s field at ``path`` ("data.rows"); ``value`` DELETE removes it."""
    file = os.path.join(folder, "metadata.json")
    with open(file, encoding="utf-8") as handle:
        meta = json.load(handle)
    *parents, last = path.split(".", 1)  # "files.vectors.npy": one level of nesting
    target = meta
    for name in parents:
        target = target.setdefault(name, {})
    if value is DELETE:
        target.pop(last)
    else:
        target[last] = value
    with open(file, "w", encoding="utf-8") as handle:
        json.dump(meta, handle)


DELETE = object()

#: path -> (bad value, words of the message). One or more cases for every field.
BAD_FIELDS = [
    ("format_version", True, "format version True is not supported"),
    ("format_version", 2.0, "format version 2.0 is not supported"),
    ("format_version", 1, "format version 1 is not supported (this program reads version 2)"),
    ("files", [], "files is a list, expected an object"),
    ("files.vectors.npy", "0" * 63, "files.vectors.npy is '000"),
    ("files.catalog.npz", DELETE, "files lacks the field 'catalog.npz'"),
    ("files.item_weights.npz", "x", "files.item_weights.npz is 'x', not in the form this program writes"),
    ("n_vectors", -1, "n_vectors is -1, expected a whole number of at least 0"),
    ("n_vectors", 10**30, "n_vectors is 1000000000000000000000000000000, expected at most"),
    ("n_vectors", DELETE, "lacks the field 'n_vectors'"),
    ("vector_size", 0, "vector_size is 0, expected a whole number of at least 1"),
    ("n_artists", "9", "n_artists is '9', expected a whole number"),
    (
        "item2vec_version",
        "1.2.0\x1b[2J",
        "item2vec_version is '1.2.0\\x1b[2J', expected a short line of text",
    ),
    ("hyperparameters", "x", "hyperparameters is 'x', expected an object"),
    ("hyperparameters.vector_size", 0, "hyperparameters.vector_size is 0"),
    ("hyperparameters.window", -1, "hyperparameters.window is -1"),
    ("hyperparameters.shrink_windows", 0, "hyperparameters.shrink_windows is 0, expected true or false"),
    ("hyperparameters.epochs", 2.5, "hyperparameters.epochs is 2.5, expected a whole number"),
    ("hyperparameters.negative", True, "hyperparameters.negative is True, expected a whole number"),
    (
        "hyperparameters.ns_exponent",
        float("nan"),
        "hyperparameters.ns_exponent is nan, expected a finite number",
    ),
    ("hyperparameters.sample", -0.1, "hyperparameters.sample is -0.1, expected at least 0"),
    ("hyperparameters.alpha", 0, "hyperparameters.alpha is 0, expected more than 0"),
    ("hyperparameters.min_alpha", "0", "hyperparameters.min_alpha is '0', expected a finite number"),
    ("hyperparameters.min_count", None, "hyperparameters.min_count is None, expected a whole number"),
    (
        "hyperparameters.weighting",
        "square",
        "hyperparameters.weighting is 'square', expected one of none, log, rank",
    ),
    ("hyperparameters.max_repeat", 0, "hyperparameters.max_repeat is 0"),
    ("hyperparameters.seed", "0", "hyperparameters.seed is '0', expected a whole number"),
    ("hyperparameters.workers", 0, "hyperparameters.workers is 0"),
    ("hyperparameters.members", -8, "hyperparameters.members is -8"),
    ("hyperparameters.learning", 1, "hyperparameters has a field this program does not know: 'learning'"),
    ("data", 3, "data is 3, expected an object"),
    ("corpus", {"sentences": 1, "words": 2}, "corpus has a field this program does not know: 'words'"),
    ("data.format", "parquet", "data.format is 'parquet', expected one of kaggle"),
    ("data.sha256", {"a.csv": "xyz"}, "data.sha256['a.csv'] is 'xyz', not in the form this program writes"),
    ("data.repairs", {"rows_dropped": -1}, "data.repairs['rows_dropped'] is -1"),
    ("data.rows", -5, "data.rows is -5"),
    ("data.users", [1], "data.users is a list, expected a whole number"),
    ("data.artists", 1e3, "data.artists is 1000.0, expected a whole number"),
    ("corpus.sentences", -1, "corpus.sentences is -1"),
    ("corpus.tokens", {}, "corpus.tokens is an object, expected a whole number"),
    ("library_versions", {"numpy": 2}, "library_versions['numpy'] is 2, expected a short line of text"),
    ("blas_kernels", 7, "blas_kernels is 7, expected a short line of text"),
    ("training_seconds", -1, "training_seconds is -1, expected at least 0"),
    ("training_seconds", float("inf"), "training_seconds is inf, expected a finite number"),
    ("created", "yesterday", "created is 'yesterday', expected an ISO 8601 date and time"),
    ("training_corpus", "disk", "training_corpus is 'disk', expected one of memory, file, spark"),
    ("engine", "dask", "engine is 'dask', expected one of pandas, spark"),
    ("trainer", "fasttext", "trainer is 'fasttext', expected one of gensim, mllib"),
    ("mllib", {"seed": [1]}, "mllib['seed'] holds an item that is 1"),
    ("mllib", {"seed": None}, "mllib['seed'] is None, expected a finite number"),
    (
        "confidence",
        {"k": 10},
        "confidence is a malformed confidence table (the confidence table lacks ranking",
    ),
    ("item_weights", [], "item_weights is a list, expected an object"),
    ("item_weights.method", "SLIM", "item_weights.method is 'SLIM', expected one of EASE"),
    ("item_weights.lambda", 0, "item_weights.lambda is 0, expected more than 0"),
    ("item_weights.top", -1, "item_weights.top is -1, expected a whole number of at least 0"),
    ("item_weights.artists", DELETE, "item_weights lacks the field 'artists'"),
    ("tag", "a", "has a field this program does not know: 'tag' (written by a newer version?)"),
]


@pytest.mark.parametrize(
    ("path", "value", "words"),
    BAD_FIELDS,
    ids=[f"{p}={'(deleted)' if v is DELETE else repr(v)}"[:60] for p, v, _ in BAD_FIELDS],
)
def test_every_metadata_field_is_checked(synthetic_model_dir, tmp_path, path, value, words):
    folder = copy_model(synthetic_model_dir, tmp_path)
    set_field(folder, path, value)
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    assert words in str(caught.value) and "python train_item2vec.py" in str(caught.value)
    code, out, err = run(["g0-a1", "--model", folder])
    assert code == 3 and out == "" and words in one_error_line(err)


def _leaf_paths(fields, prefix=""):
    for name, field in fields.items():
        yield prefix + name
        if isinstance(field.check, validation.Record):
            yield from _leaf_paths(field.check.fields, prefix + name + ".")


def test_every_field_of_the_table_has_a_damaged_case():
    covered = {path for path, _, _ in BAD_FIELDS}
    assert set(_leaf_paths(validation.METADATA)) - covered == set()


def test_the_hyperparameters_table_is_train_configs():
    assert set(validation.HYPERPARAMETERS) == {f.name for f in dataclasses.fields(TrainConfig)}
    assert validation.WEIGHTINGS == WEIGHTINGS
    # The defaults (the shipped model's) pass; every field present in a trained model is in the table.
    assert validation.Record(validation.HYPERPARAMETERS)(dataclasses.asdict(TrainConfig())) is None


def test_a_deeply_nested_metadata_file_is_refused_in_one_line(synthetic_model_dir, tmp_path):
    # No checksum covers metadata.json: json.load raised RecursionError (a traceback, exit 1).
    folder = copy_model(synthetic_model_dir, tmp_path)
    with open(os.path.join(folder, "metadata.json"), "w", encoding="utf-8") as handle:
        handle.write('{"format_version": 1, "data": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ModelError, match="metadata.json is nested too deeply to be a model's"):
        load_model(folder)
    code, out, err = run(["g0-a1", "--model", folder])
    assert code == 3 and "nested too deeply" in one_error_line(err)


def test_a_nested_value_just_under_the_limit_is_named_by_its_kind(synthetic_model_dir, tmp_path):
    folder = copy_model(synthetic_model_dir, tmp_path)
    set_field(folder, "data.rows", json.loads("[" * 500 + "]" * 500))
    with pytest.raises(ModelError, match="data.rows is a list, expected a whole number"):
        load_model(folder)


def test_a_huge_metadata_file_is_refused_before_it_is_read(synthetic_model_dir, tmp_path):
    folder = copy_model(synthetic_model_dir, tmp_path)
    set_field(folder, "data.repairs", {f"r{i}": i for i in range(100_000)})
    with pytest.raises(ModelError, match=r"metadata.json is larger than any model's \(\d+ bytes\)"):
        load_model(folder)


def _catalog(folder, edit):
    arrays = catalog_arrays(folder)
    edit(arrays)
    write_catalog(folder, arrays)
    rewrite_checksums(folder)


def _users(edit):
    def damage(arrays):
        users = arrays["listen_users"].astype(np.int64)
        edit(users)
        arrays["listen_users"] = users

    return damage


#: case -> (damage of the arrays, words of the message).
BAD_ARRAYS = {
    "negative listener code": (
        _users(lambda u: u.__setitem__(0, -1)),
        "listen_users holds -1, outside 0..2147483647",
    ),
    "listener code above 2**32 (wrapped silently)": (
        _users(lambda u: u.__setitem__(-1, 2**32 + 5)),
        "listen_users holds 4294967301, outside",
    ),
    "uint64 artist id above 2**63": (
        lambda a: a.update(artist_ids=a["artist_ids"].astype(np.uint64) + np.uint64(2**63)),
        "artist_ids holds 922337203685477",
    ),
    "negative artist id": (lambda a: a["artist_ids"].__setitem__(0, -3), "artist_ids holds -3, outside"),
    "negative listener count": (lambda a: a["listeners"].__setitem__(0, -1), "listeners holds -1"),
    "negative vector id": (lambda a: a["vector_ids"].__setitem__(0, -1), "vector_ids holds -1"),
    "negative names offset": (lambda a: a["names_offsets"].__setitem__(1, -2), "names_offsets holds -2"),
    "negative indptr": (lambda a: a["listen_indptr"].__setitem__(1, -2), "listen_indptr holds -2"),
    "names as int8": (
        lambda a: a.update(names_utf8=a["names_utf8"].astype(np.int8)),
        "names_utf8 holds int8 of shape",
    ),
    "listeners as booleans": (lambda a: a.update(listeners=a["listeners"] > 0), "listeners holds bool"),
    "ids as a 2-D column": (lambda a: a.update(artist_ids=a["artist_ids"][:, None]), "expected 1-D integers"),
    "ids as strings": (lambda a: a.update(vector_ids=a["vector_ids"].astype(str)), "vector_ids holds <U"),
    "Latin keys as int64": (
        lambda a: a.update(romanized_ascii=a["romanized_ascii"].astype(np.int64)),
        "romanized_ascii holds int64 of shape",
    ),
    "a negative Latin key offset": (
        lambda a: a.update(romanized_offsets=np.array([-1], dtype=np.int64)),
        "romanized_offsets holds -1, outside",
    ),
    "Latin key rows as floats": (
        lambda a: a.update(romanized_rows=a["romanized_rows"].astype(np.float64)),
        "romanized_rows holds float64 of shape",
    ),
    "an unknown array": (
        lambda a: a.update(confidence=np.zeros(3)),
        "an array this program does not know: 'confidence'",
    ),
    "a missing array": (lambda a: a.pop("listeners"), "lacks listeners"),
    "two missing arrays": (
        lambda a: (a.pop("vector_ids"), a.pop("listeners")),
        "catalog.npz: lacks listeners, vector_ids;",
    ),
    "vector ids for other vectors": (
        lambda a: a.update(vector_ids=a["vector_ids"][:-1]),
        "vector ids for other vectors (counts differ)",
    ),
    "artist tables of different lengths": (
        lambda a: a.update(listeners=a["listeners"][:-1]),
        "artist tables of different lengths",
    ),
    "artist ids not sorted": (
        lambda a: a.update(artist_ids=a["artist_ids"][::-1].copy()),
        "artist ids not sorted",
    ),
    "vector ids repeated": (
        lambda a: a["vector_ids"].__setitem__(1, a["vector_ids"][0]),
        "vector ids not sorted",
    ),
    "vector ids missing from the artist table": (
        lambda a: a["vector_ids"].__setitem__(-1, a["artist_ids"][-1] + 1),
        "vector ids missing from the artist table",
    ),
    "names table truncated": (lambda a: a.update(names_utf8=a["names_utf8"][:-1]), "names table truncated"),
    "listener table truncated": (
        lambda a: a.update(listen_users=a["listen_users"][:-1]),
        "listener table truncated",
    ),
    "names offsets out of order": (
        lambda a: a["names_offsets"].__setitem__(2, a["names_offsets"][1] - 1),
        "names table offsets out of order",
    ),
    "names offsets not from 0": (
        lambda a: a["names_offsets"].__setitem__(0, 1),
        "names table offsets out of order",
    ),
    "listener offsets out of order": (
        lambda a: a["listen_indptr"].__setitem__(2, a["listen_indptr"][1] - 1),
        "listener table offsets out of order",
    ),
    "listener counts differ from the table": (
        lambda a: a["listeners"].__setitem__(0, a["listeners"][0] + 1),
        "listener counts differ from the listener table",
    ),
    "an artist's listeners repeated": (
        _users(lambda u: u.__setitem__(1, u[0])),
        "an artist's listeners not sorted",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ARRAYS))
def test_every_catalog_array_is_checked(synthetic_model_dir, tmp_path, case):
    damage, words = BAD_ARRAYS[case]
    folder = copy_model(synthetic_model_dir, tmp_path)
    _catalog(folder, damage)
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    assert words in str(caught.value) and "catalog.npz" in str(caught.value)
    code, out, err = run(["g0-a1", "--model", folder])
    assert code == 3 and out == "" and words in one_error_line(err)


def test_every_consistency_check_and_array_has_a_damaged_case():
    # (the counts in metadata.json: test_metadata_counts_must_match_the_files)
    words = (
        " ".join(w for _, w in BAD_ARRAYS.values())
        + " metadata.json counts other vectors or artists than the files hold"
    )
    assert [problem for _, problem in validation.CONSISTENCY if problem not in words] == []
    assert [name for name in validation.CATALOG if f"{name} holds" not in words] == []


def _item_weights(folder, edit):
    arrays = item_weight_arrays(folder)
    edit(arrays)
    write_item_weights(folder, arrays)
    rewrite_checksums(folder)


def _set(name, index, value):
    def damage(arrays):
        arrays[name] = arrays[name].copy()
        arrays[name][index] = value

    return damage


#: case -> (damage of the item-item weights' arrays, words of the message).
BAD_ITEM_WEIGHTS = {
    "rows below -1": (_set("rows", (0, 0), -2), "rows holds -2, outside -1..2147483647"),
    "rows as floats": (
        lambda a: a.update(rows=a["rows"].astype(np.float32)),
        "rows holds float32 of shape (120, 64), expected 2-D integers",
    ),
    "rows one-dimensional": (lambda a: a.update(rows=a["rows"][:, 0]), "expected 2-D integers"),
    "weights as float64": (
        lambda a: a.update(weights=a["weights"].astype(np.float64)),
        "weights holds float64 of shape (120, 64), expected 2-D float32",
    ),
    "an unknown array": (
        lambda a: a.update(scores=np.zeros(3)),
        "an array this program does not know: 'scores'",
    ),
    "weights missing": (lambda a: a.pop("weights"), "item_weights.npz: lacks weights"),
    "a row short": (
        lambda a: a.update(rows=a["rows"][:-1], weights=a["weights"][:-1]),
        "item weights for other vectors (row counts differ)",
    ),
    "weights of another shape": (
        lambda a: a.update(weights=a["weights"][:, :-1].copy()),
        "item weights and their rows of different shapes",
    ),
    "a row that does not exist": (_set("rows", (0, 0), 120), "item weights name rows that do not exist"),
    "a NaN weight": (_set("weights", (0, 0), np.nan), "item weights that are not finite"),
    "a negative weight": (
        _set("weights", (0, 0), -0.5),
        "item weights not positive where a partner is named",
    ),
    "a weight where no partner is named": (
        lambda a: (_set("rows", (0, 0), -1)(a), _set("weights", (0, 0), -0.5)(a)),
        "item weights not 0 where no partner is named",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ITEM_WEIGHTS))
def test_every_item_weights_array_is_checked(synthetic_model_dir, tmp_path, case):
    damage, words = BAD_ITEM_WEIGHTS[case]
    folder = copy_model(synthetic_model_dir, tmp_path)
    _item_weights(folder, damage)
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    assert words in str(caught.value) and "item_weights.npz" in str(caught.value)
    code, out, err = run(["g0-a1", "--model", folder])
    assert code == 3 and out == "" and words in one_error_line(err)


def test_every_item_weights_check_and_array_has_a_damaged_case():
    words = " ".join(w for _, w in BAD_ITEM_WEIGHTS.values())
    assert [problem for _, problem in validation.ITEM_WEIGHTS_CONSISTENCY if problem not in words] == []
    assert [name for name in validation.ITEM_WEIGHTS if f"{name} holds" not in words] == []


def test_item_weights_that_would_not_load_are_never_written(synthetic_model_dir, tmp_path):
    model = load_model(synthetic_model_dir)
    table = model.item_weights
    table.weights[0, 0] = -1.0  # a named partner with a negative weight
    with pytest.raises(ModelError, match="item_weights.npz: inconsistent files: item weights not positive"):
        save_model(
            str(tmp_path / "m"), model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, {}, table
        )
    assert os.listdir(tmp_path) == []


def test_listener_codes_need_to_increase_only_within_each_artist(synthetic_model_dir):
    # Codes drop where a new artist's row starts: a check over the whole array would refuse
    # every model; one that skipped the first or last row would miss damage there.
    catalog = load_model(synthetic_model_dir).catalog
    users, indptr = catalog.listen_users.astype(np.int64), catalog.listen_indptr
    assert np.any(np.diff(users) < 0) and validation._rows_sorted(indptr, users)
    for row in (0, len(indptr) - 2):
        damaged = users.copy()
        start = indptr[row]
        damaged[start + 1] = damaged[start]
        assert not validation._rows_sorted(indptr, damaged), row


def test_metadata_counts_must_match_the_files(synthetic_model_dir, tmp_path):
    folder = copy_model(synthetic_model_dir, tmp_path)
    set_field(folder, "n_artists", 3)
    with pytest.raises(ModelError, match="metadata.json counts other vectors or artists than the files hold"):
        load_model(folder)


@pytest.mark.parametrize(
    ("metadata", "words"),
    [
        ({"tag": "a"}, "metadata.json: has a field this program does not know: 'tag'"),
        ({"hyperparameters": {"min_count": 0}}, "metadata.json: hyperparameters.min_count is 0"),
    ],
)
def test_a_model_that_would_not_load_is_never_written(synthetic_model_dir, tmp_path, metadata, words):
    previous = copy_model(synthetic_model_dir, tmp_path)
    before = file_bytes(previous)
    model = load_model(previous)
    with pytest.raises(ModelError, match="refusing to write a model this program could not load") as caught:
        save_model(previous, model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, metadata)
    assert words in str(caught.value)
    assert file_bytes(previous) == before and sorted(os.listdir(tmp_path)) == ["model"]


def test_a_catalog_that_would_not_load_is_never_written(synthetic_model_dir, tmp_path):
    model = load_model(synthetic_model_dir)
    model.catalog.listeners[0] += 1  # no longer the length of its listener row
    # The offsets written are the listener counts' (catalog_arrays): they pass the table's end.
    with pytest.raises(ModelError, match="catalog.npz: inconsistent files: listener table truncated"):
        save_model(str(tmp_path / "m"), model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, {})
    assert os.listdir(tmp_path) == []


def _streamed(users, sizes):
    """``users`` as a StreamedArray handing out chunks of the given sizes, in turn."""
    from item2vec.model.catalog import StreamedArray

    def chunks():
        start = 0
        for size in sizes:
            yield users[start : start + size]
            start += size
        yield users[start:]

    return StreamedArray(np.int32, len(users), chunks)


@pytest.mark.parametrize("sizes", [[1], [7, 1, 300], [10_000, 10_000]])
def test_a_streamed_incidence_is_written_as_the_whole_array_would_be(synthetic_model_dir, tmp_path, sizes):
    # The Spark engine hands the incidence over in chunks; the file must not show it.
    model = load_model(synthetic_model_dir)
    parts = model.catalog.parts()
    save_model(str(tmp_path / "whole"), model.vectors.ids, np.asarray(model.vectors.unit), parts, {})
    streamed = dataclasses.replace(parts, listen_users=_streamed(model.catalog.listen_users, sizes))
    save_model(str(tmp_path / "chunks"), model.vectors.ids, np.asarray(model.vectors.unit), streamed, {})
    for name in ("catalog.npz", "vectors.npy"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "chunks" / name).read_bytes()


@pytest.mark.parametrize(
    "damage, problem",
    [
        ("swap", "inconsistent files: an artist's listeners not sorted"),
        ("negative", "listen_users holds -1, outside 0..2147483647"),
    ],
)
def test_a_streamed_incidence_that_would_not_load_is_never_written(
    synthetic_model_dir, tmp_path, damage, problem
):
    model = load_model(synthetic_model_dir)
    users = model.catalog.listen_users.copy()
    row = int(np.argmax(model.catalog.listeners >= 2))  # an artist with two listeners or more
    at = int(model.catalog.listen_indptr[row])
    if damage == "swap":  # the row's first two listeners out of order, across two chunks
        users[at], users[at + 1] = users[at + 1], users[at]
    else:
        users[at] = -1
    parts = dataclasses.replace(model.catalog.parts(), listen_users=_streamed(users, [at + 1]))
    with pytest.raises(ModelError) as caught:
        save_model(str(tmp_path / "m"), model.vectors.ids, np.asarray(model.vectors.unit), parts, {})
    assert (
        str(caught.value) == f"refusing to write a model this program could not load: catalog.npz: {problem}"
    )
    assert os.listdir(tmp_path) == []


#: Values at the edge of what each check accepts: all of them load.
EDGE_VALUES = [
    ("hyperparameters.window", 0),
    ("hyperparameters.sample", 0),
    ("hyperparameters.min_alpha", 0.0),
    ("hyperparameters.alpha", 1e-12),
    ("hyperparameters.ns_exponent", -1.5),
    ("hyperparameters.seed", -(2**63)),
    ("hyperparameters.min_count", 1),
    ("hyperparameters.shrink_windows", True),
    ("hyperparameters.weighting", "none"),
    ("data.rows", 0),
    ("data.repairs", {}),
    ("data.sha256", {"x" * 255: "0123456789abcdef" * 4}),
    ("training_seconds", 0),
    ("item2vec_version", "v" * 40),
    ("created", "2026-11-29"),
    (
        "mllib",
        {"vectorSize": 32, "stepSize": 0.05, "seed": 0, "flag": False, "ignored_hyperparameters": ["sample"]},
    ),
    ("training_corpus", "spark"),
]


@pytest.mark.parametrize(("path", "value"), EDGE_VALUES, ids=[p for p, _ in EDGE_VALUES])
def test_values_at_the_edge_of_each_check_load(synthetic_model_dir, tmp_path, path, value):
    folder = copy_model(synthetic_model_dir, tmp_path)
    set_field(folder, path, value)
    assert load_model(folder).metadata[path.split(".")[0]] is not None


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "item2vec_version",
            "v" * 41,
            "item2vec_version is 'vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv..., expected a short line of text",
        ),
        (
            "data.sha256",
            {"x" * 256: "0" * 64},
            "data.sha256 has a key that is '" + "x" * 36 + "..., expected a short line of text",
        ),
        (
            "hyperparameters.seed",
            2**63,
            "hyperparameters.seed is 9223372036854775808, expected at most 9223372036854775807",
        ),
        (
            "mllib",
            {"ignored": ["ok", 3]},
            "mllib['ignored'] holds an item that is 3, expected a short line of text",
        ),
        ("mllib", {"note": "a\nb"}, "mllib['note'] is 'a\\nb', expected a short line of text"),
        ("created", 20261129, "created is 20261129, expected a short line of text"),
        ("created", "2" * 41, "created is '" + "2" * 36 + "..., expected a short line of text"),
        ("library_versions", 3, "library_versions is 3, expected an object"),
    ],
)
def test_what_is_just_past_the_edge_is_refused_with_the_whole_message(
    synthetic_model_dir, tmp_path, path, value, message
):
    folder = copy_model(synthetic_model_dir, tmp_path)
    set_field(folder, path, value)
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    assert f"model {folder}: metadata.json: {message}; rebuild it with: " in str(caught.value)


def _rewrite(folder, name, data):
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(data)
    rewrite_checksums(folder)


@pytest.mark.parametrize(
    ("scale", "loads"), [(1.0009, True), (0.9991, True), (1.0011, False), (0.9989, False)]
)
def test_unit_length_is_checked_to_one_in_a_thousand_and_a_zero_row_passes(
    synthetic_model_dir, tmp_path, scale, loads
):
    folder = copy_model(synthetic_model_dir, tmp_path)
    path = os.path.join(folder, "vectors.npy")
    vectors = np.load(path).astype(np.float64)
    vectors[1] *= scale
    vectors[0] = 0  # a zero row stays zero (never a vector of a trained artist, but not a damage)
    np.save(path, vectors.astype(np.float32))
    rewrite_checksums(folder)
    if loads:
        assert not np.asarray(load_model(folder).vectors.unit)[0].any()
    else:
        with pytest.raises(ModelError, match="vectors.npy holds vectors that are not unit length"):
            load_model(folder)


def test_names_that_are_not_utf8_are_refused(synthetic_model_dir, tmp_path):
    folder = copy_model(synthetic_model_dir, tmp_path)
    arrays = catalog_arrays(folder)
    arrays["names_utf8"] = arrays["names_utf8"].copy()
    arrays["names_utf8"][0] = 0xFF
    write_catalog(folder, arrays)
    rewrite_checksums(folder)
    with pytest.raises(ModelError, match=r": names table is not valid UTF-8; rebuild it with"):
        load_model(folder)


def test_without_verify_the_checksums_are_not_read(synthetic_model_dir, tmp_path):
    folder = copy_model(synthetic_model_dir, tmp_path)
    set_field(folder, "files.vectors.npy", "0" * 64)  # a well-formed checksum of other bytes
    with pytest.raises(ModelError, match="vectors.npy does not match its checksum in metadata.json"):
        load_model(folder)
    assert len(load_model(folder, verify=False).vectors) == len(load_model(synthetic_model_dir).vectors)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("vectors", "the arrays hold Python objects (pickle), which are never loaded: they could run code"),
        (
            "catalog member",
            "the arrays hold Python objects (pickle), which are never loaded: they could run code",
        ),
        ("header", "cannot read arrays ("),
    ],
)
def test_what_np_load_refuses_is_said_in_one_line(synthetic_model_dir, tmp_path, where, message):
    folder = copy_model(synthetic_model_dir, tmp_path)
    if where == "vectors":
        np.save(os.path.join(folder, "vectors.npy"), np.array([{"a": 1}], dtype=object), allow_pickle=True)
        rewrite_checksums(folder)
    elif where == "catalog member":
        arrays = catalog_arrays(folder)
        arrays["listeners"] = np.array([{"a": 1}], dtype=object)
        write_catalog(folder, arrays, allow_pickle=True)
        rewrite_checksums(folder)
    else:
        data = open(os.path.join(folder, "vectors.npy"), "rb").read()
        _rewrite(folder, "vectors.npy", data[:10] + b"{'descr': <f4" + data[23:])
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    assert f"model {folder}: {message}" in str(caught.value) and "\n" not in str(caught.value)


def test_each_array_check_at_its_edges():
    problem = validation.array_problem
    assert problem("listen_users", np.array([], dtype=np.int32)) is None  # empty: no min() to take
    assert problem("listen_users", np.array([0, 2**31 - 1], dtype=np.int64)) is None
    assert problem("listen_users", np.array([2**31], dtype=np.int64)) == (
        "listen_users holds 2147483648, outside 0..2147483647"
    )
    assert problem("artist_ids", np.array([2**63 - 1], dtype=np.uint64)) is None
    assert problem("artist_ids", np.array([1, 2], dtype=np.int16)) is None
    assert problem("names_utf8", np.array([0xFF], dtype=np.uint8)) is None
    assert problem("names_utf8", np.array([1], dtype=np.int64)) == (
        "names_utf8 holds int64 of shape (1,), expected 1-D bytes (uint8)"
    )
    assert (
        problem("vector_ids", np.array([1.0]))
        == "vector_ids holds float64 of shape (1,), expected 1-D integers"
    )


def test_each_order_check_at_its_edges():
    increasing = validation._strictly_increasing
    assert increasing(np.array([])) and increasing(np.array([7])) and increasing(np.array([1, 2, 9]))
    assert not increasing(np.array([5, 3])) and not increasing(np.array([1, 1]))
    in_order = validation._offsets_in_order
    assert (
        in_order(np.array([0, 0, 3, 3]))
        and not in_order(np.array([1, 3]))
        and not in_order(np.array([0, 2, 1]))
    )
    rows = validation._rows_sorted
    assert rows(np.array([0, 1]), np.array([4])) and rows(np.array([0, 0]), np.array([], dtype=np.int32))
    assert not rows(np.array([0, 2]), np.array([3, 1]))  # two codes of one artist, falling
    assert not rows(np.array([0, 0, 2]), np.array([3, 1]))  # a first artist without listeners
    assert rows(np.array([0, 1, 3]), np.array([5, 1, 2]))  # a drop where the second artist starts
    assert rows(np.array([0, 2, 2]), np.array([1, 2]))  # a last artist without listeners


def test_an_error_message_from_numpy_is_cut_to_its_first_line():
    from item2vec.model.storage import _first_line

    assert _first_line(ValueError("  cannot parse\nheader: {...}")) == "cannot parse"
    assert _first_line(ValueError("")) == "ValueError" and _first_line(MemoryError()) == "MemoryError"
    assert _first_line(ValueError("x" * 500)) == "x" * 200


def test_metadata_is_written_as_readable_utf8(synthetic_model_dir, tmp_path):
    model = load_model(synthetic_model_dir)
    folder = str(tmp_path / "model")
    meta = {"data": {"sha256": {"björk.csv": "0" * 64}}}
    save_model(folder, model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, meta)
    text = open(os.path.join(folder, "metadata.json"), "rb").read()
    assert '"björk.csv"'.encode() in text and text.endswith(b"}\n") and text.startswith(b'{\n  "data": {')


def test_huge_finite_vectors_are_refused_without_a_numpy_warning(synthetic_model_dir, tmp_path):
    folder = copy_model(synthetic_model_dir, tmp_path)
    path = os.path.join(folder, "vectors.npy")
    vectors = np.load(path)
    vectors[3] = 3e38  # finite, but the norm overflows float32
    np.save(path, vectors)
    rewrite_checksums(folder)
    with pytest.raises(ModelError, match="not unit length"), warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(folder)


def _bad_descr(folder):
    path = os.path.join(folder, "vectors.npy")
    data = open(path, "rb").read()
    header = b"{'descr': 'zz', 'fortran_order': False, 'shape': (1, 1), }"
    _rewrite(folder, "vectors.npy", data[:10] + header.ljust(len(data[10:128])) + data[128:])


def _huge_member(folder):
    arrays = catalog_arrays(folder)
    del arrays["listen_users"]
    np.savez(os.path.join(folder, "catalog.npz"), **arrays)
    with zipfile.ZipFile(os.path.join(folder, "catalog.npz"), "a") as archive:
        archive.writestr("listen_users.npy", npy_header("<i8", (2**40,)))
    rewrite_checksums(folder)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_bad_descr, "cannot read arrays (descr is not a valid dtype descriptor: 'zz')"),
        (lambda d: break_crc(d, "catalog.npz"), "cannot read arrays (Bad CRC-32 for file 'artist_ids.npy')"),
        (_huge_member, "cannot read arrays (MemoryError: Unable to allocate 8.00 TiB for an array"),
    ],
    ids=["dtype", "crc", "huge"],
)
def test_an_unreadable_array_is_named_with_numpys_reason(synthetic_model_dir, tmp_path, damage, message):
    folder = copy_model(synthetic_model_dir, tmp_path)
    damage(folder)
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    assert f"model {folder}: {message}" in str(caught.value)
