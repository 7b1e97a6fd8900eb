"""Fuzzing (hypothesis) of the model loader and the data readers: damage in, one line out.

* model folders: ``metadata.json`` with any JSON at any field (or any bytes), catalogue
  arrays of any dtype, shape and values, files with bytes flipped, cut or appended, with
  checksums rewritten or not. ``load_model`` returns a model or raises ``ModelError``
  (one line); the folder's bytes are never changed by loading it;
* data files: Kaggle CSV pairs, HetRec, Last.fm-360K and LFM-1b files of arbitrary rows
  (quotes, separators, blank and huge fields, control characters, numbers of any size).
  ``load_dataset`` returns a dataset or raises ``DataError`` (one line);
* the trainer on damaged data exits 0 or 2 and never touches the previous model when it
  does not write a new one.

Each class of input found to escape as another exception became a row of the case table
in docs/RELIABILITY.md ("Fuzzing").
"""

import contextlib
import io
import json
import os
import shutil
import tempfile
import warnings
import zipfile

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reliability import TRAIN_ARGS, catalog_arrays, file_bytes, rewrite_checksums

from item2vec.cli import train_command
from item2vec.errors import DataError, ModelError
from item2vec.ingest.formats import (
    HETREC_ARTISTS,
    HETREC_PLAYS,
    KAGGLE_ARTISTS,
    KAGGLE_PLAYS,
    LASTFM360K_PLAYS,
    LFM1B_ARTISTS,
    LFM1B_EVENTS,
    load_dataset,
)
from item2vec.model.storage import load_model

#: Examples per fuzzing test; ITEM2VEC_FUZZ_EXAMPLES=2000 for a long pass (docs/RELIABILITY.md).
EXAMPLES = int(os.environ.get("ITEM2VEC_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@contextlib.contextmanager
def model_copy(source):
    with tempfile.TemporaryDirectory(prefix="fuzz-") as scratch:
        folder = os.path.join(scratch, "model")
        shutil.copytree(source, folder)
        yield folder


def assert_refused_or_loaded(folder):
    """The property: a model, or one ModelError line; the folder as it was."""
    before = file_bytes(folder)
    try:
        model = load_model(folder)
    except ModelError as exc:
        assert "\n" not in str(exc) and "Traceback" not in str(exc)
        assert str(exc).startswith(f"model {folder}: ")
    else:
        assert len(model.vectors) == model.metadata["n_vectors"]
    assert file_bytes(folder) == before


# -- metadata.json -----------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def _paths(value, prefix=()):
    """Every path to a value inside a JSON document, the document itself first."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))


def _set(document, path, value):
    if not path:
        return value
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


@FUZZ
@given(data=st.data(), value=JSON, delete=st.booleans())
def test_any_json_at_any_field_of_the_metadata(synthetic_model_dir, data, value, delete):
    with model_copy(synthetic_model_dir) as folder:
        path = os.path.join(folder, "metadata.json")
        with open(path, encoding="utf-8") as handle:
            meta = json.load(handle)
        where = data.draw(st.sampled_from(list(_paths(meta))))
        if delete and where:
            parent = meta
            for key in where[:-1]:
                parent = parent[key]
            parent.pop(where[-1])
        else:
            meta = _set(meta, where, value)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(meta, handle)
        assert_refused_or_loaded(folder)


@FUZZ
@example(text=b'{"format_version": 1, "files": ' + b"[" * 5000 + b"]" * 5000 + b"}")
@example(text=b'{"format_version": 1e400}')
@example(text=b'{"format_version": 1' + b"0" * 5000 + b"}")
@given(text=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_as_the_metadata(synthetic_model_dir, text):
    with model_copy(synthetic_model_dir) as folder:
        with open(os.path.join(folder, "metadata.json"), "wb") as handle:
            handle.write(text)
        assert_refused_or_loaded(folder)


# -- catalog.npz and vectors.npy ---------------------------------------------------------------

DTYPES = st.sampled_from(
    [
        "int8",
        "uint8",
        "int16",
        "int32",
        "uint32",
        "int64",
        "uint64",
        "float32",
        "float64",
        "bool",
        "<U3",
        ">i8",
    ]
)


@st.composite
def damaged_array(draw, array):
    """``array`` with one damage: another dtype, shape, length, or values."""
    damage = draw(st.sampled_from(["dtype", "2-D", "length", "values", "empty"]))
    if damage == "dtype":
        with np.errstate(all="ignore"):
            return array.astype(draw(DTYPES))
    if damage == "2-D":
        return array[: len(array) // 2 * 2].reshape(-1, 2) if len(array) >= 2 else array.reshape(1, -1)
    if damage == "length":
        cut = draw(st.integers(0, len(array)))
        return np.concatenate([array[:cut], array[: draw(st.integers(0, 3))]])
    if damage == "empty":
        return array[:0]
    changed = array.astype(np.int64) if array.dtype.kind in "iub" else array.copy()
    for _ in range(draw(st.integers(1, 3))):
        if len(changed):
            at = draw(st.integers(0, len(changed) - 1))
            changed[at] = draw(st.integers(-(2**63), 2**63 - 1)) if changed.dtype.kind == "i" else 0
    return changed


@FUZZ
@given(data=st.data(), rehash=st.booleans())
def test_any_damage_to_the_catalogue_arrays(synthetic_model_dir, data, rehash):
    with model_copy(synthetic_model_dir) as folder:
        arrays = catalog_arrays(folder)
        for name in data.draw(st.lists(st.sampled_from(sorted(arrays)), min_size=1, max_size=3, unique=True)):
            arrays[name] = data.draw(damaged_array(arrays[name]))
        if data.draw(st.booleans()):
            arrays[data.draw(st.sampled_from(["extra", *sorted(arrays)]))] = np.arange(3)
        np.savez(os.path.join(folder, "catalog.npz"), **arrays)
        if rehash:
            rewrite_checksums(folder)
        assert_refused_or_loaded(folder)


@FUZZ
@given(data=st.data(), rehash=st.booleans())
def test_any_damage_to_the_vectors(synthetic_model_dir, data, rehash):
    with model_copy(synthetic_model_dir) as folder:
        path = os.path.join(folder, "vectors.npy")
        vectors = np.load(path)
        damage = data.draw(st.sampled_from(["dtype", "1-D", "3-D", "rows", "values", "scale"]))
        if damage == "dtype":
            vectors = vectors.astype(data.draw(DTYPES))
        elif damage == "1-D":
            vectors = vectors.ravel()
        elif damage == "3-D":
            vectors = vectors[:, :, None]
        elif damage == "rows":
            vectors = vectors[: data.draw(st.integers(0, len(vectors)))]
        elif damage == "values":
            at = (
                data.draw(st.integers(0, vectors.shape[0] - 1)),
                data.draw(st.integers(0, vectors.shape[1] - 1)),
            )
            vectors[at] = data.draw(st.floats(width=32))
        else:
            vectors = vectors * np.float32(data.draw(st.floats(0, 2, width=32)))
        np.save(path, vectors)
        if rehash:
            rewrite_checksums(folder)
        assert_refused_or_loaded(folder)


@FUZZ
@example(name="catalog.npz", at=0, length=0, junk=b"PK\x03\x04", mode="replace", rehash=True)
@given(
    name=st.sampled_from(["vectors.npy", "catalog.npz", "metadata.json"]),
    at=st.integers(0, 10**6),
    length=st.integers(0, 64),
    junk=st.binary(min_size=0, max_size=64),
    mode=st.sampled_from(["replace", "cut", "append", "insert"]),
    rehash=st.booleans(),
)
def test_any_bytes_flipped_cut_or_added_in_any_file(
    synthetic_model_dir, name, at, length, junk, mode, rehash
):
    with model_copy(synthetic_model_dir) as folder:
        path = os.path.join(folder, name)
        with open(path, "rb") as handle:
            data = handle.read()
        at = at % (len(data) + 1)
        if mode == "replace":
            data = data[:at] + junk + data[at + len(junk) :]
        elif mode == "cut":
            data = data[:at] + data[at + length :]
        elif mode == "append":
            data = data + junk
        else:
            data = data[:at] + junk + data[at:]
        with open(path, "wb") as handle:
            handle.write(data)
        if rehash and name != "metadata.json":
            with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
                rewrite_checksums(folder)  # (when the metadata is still readable)
        assert_refused_or_loaded(folder)


def _npy_with_header(header):
    """An .npy file's bytes with a hand-written header dict (version 1.0)."""
    text = header.encode("latin1")
    text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text


def test_a_catalogue_member_declaring_a_huge_array_is_refused(synthetic_model_dir):
    # 2**40 int64 in a few bytes: np.load would allocate 8 TB (MemoryError) or more.
    with model_copy(synthetic_model_dir) as folder:
        arrays = catalog_arrays(folder)
        del arrays["listen_users"]
        np.savez(os.path.join(folder, "catalog.npz"), **arrays)
        with zipfile.ZipFile(os.path.join(folder, "catalog.npz"), "a") as archive:
            archive.writestr(
                "listen_users.npy",
                _npy_with_header("{'descr': '<i8', 'fortran_order': False, 'shape': (1099511627776,), }"),
            )
        rewrite_checksums(folder)
        assert_refused_or_loaded(folder)


# -- data files --------------------------------------------------------------------------------

FIELD = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(
        ["", " ", "1e3", "1e400", "nan", "-0", "+7", "0x10", "\ufeff1", "1.5", '"', '""', "a,b", "\x00"]
    ),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
)
ROWS = st.lists(st.lists(FIELD, min_size=0, max_size=5), max_size=12)


def _csv(header, rows, sep):
    lines = [sep.join(header)] + [sep.join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def assert_read_or_refused(path):
    try:
        # A RuntimeWarning would be printed under the trainer's one error line.
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            dataset = load_dataset(path, max_dropped_share=1)
    except DataError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert len(dataset.plays) > 0 and (dataset.plays["plays"] > 0).all()
        assert dataset.plays["artist_id"].isin(dataset.artists["artist_id"]).all()


@FUZZ
@given(plays=ROWS, artists=ROWS, valid=st.integers(0, 6))
@example(plays=[["1", "1", "1", "x"]], artists=[], valid=0)  # every play row too long: no rows left
def test_any_rows_in_the_kaggle_files(plays, artists, valid):
    # A few valid rows first, so that some inputs get past "no usable row" to the cleaning.
    artists = [["1", "Metallica"], ["2", "Björk"]][: valid // 3] + artists
    plays = [["1", "1", "10"], ["2", "2", "3"], ["2", "1", "4"]][:valid] + plays
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        with open(os.path.join(folder, KAGGLE_ARTISTS), "wb") as handle:
            handle.write(_csv(["artist_id", "artist_name"], artists, ","))
        with open(os.path.join(folder, KAGGLE_PLAYS), "wb") as handle:
            handle.write(_csv(["user_id", "artist_id", "scrobbles"], plays, ","))
        assert_read_or_refused(folder)


@FUZZ
@given(plays=ROWS, artists=ROWS)
def test_any_rows_in_the_hetrec_files(plays, artists):
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        with open(os.path.join(folder, HETREC_ARTISTS), "wb") as handle:
            handle.write(_csv(["id", "name", "url", "pictureURL"], [["1", "A", "u", "p"]] + artists, "\t"))
        with open(os.path.join(folder, HETREC_PLAYS), "wb") as handle:
            handle.write(_csv(["userID", "artistID", "weight"], [["2", "1", "5"]] + plays, "\t"))
        assert_read_or_refused(folder)


@FUZZ
@given(rows=ROWS)
def test_any_rows_in_a_lastfm360k_file(rows):
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        path = os.path.join(folder, LASTFM360K_PLAYS)
        with open(path, "wb") as handle:
            handle.write(_csv([], [["a" * 40, "mbid", "Artist", "12"]] + rows, "\t")[1:])
        assert_read_or_refused(path)


@FUZZ
@given(events=ROWS, artists=ROWS)
def test_any_rows_in_lfm1b_files(events, artists):
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        with open(os.path.join(folder, LFM1B_ARTISTS), "wb") as handle:
            handle.write(_csv([], [["1", "A"]] + artists, "\t")[1:])
        with open(os.path.join(folder, LFM1B_EVENTS), "wb") as handle:
            handle.write(_csv([], [["7", "1", "1", "1", "1385938800"]] + events, "\t")[1:])
        assert_read_or_refused(folder)


@settings(max_examples=max(8, EXAMPLES // 50), deadline=None, suppress_health_check=list(HealthCheck))
@given(plays=ROWS)
def test_the_trainer_on_damaged_data_exits_0_or_2_and_keeps_the_previous_model(
    synthetic_dir, synthetic_model_dir, plays
):
    with tempfile.TemporaryDirectory(prefix="fuzz-") as scratch:
        data, model = os.path.join(scratch, "data"), os.path.join(scratch, "model")
        shutil.copytree(synthetic_dir, data)
        shutil.copytree(synthetic_model_dir, model)
        before = file_bytes(model)
        with open(os.path.join(data, KAGGLE_PLAYS), "ab") as handle:
            handle.write(_csv([], plays, ",")[1:])
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = train_command.main(["--data", data, "--out", model] + TRAIN_ARGS)
        assert code in (0, 2) and "Traceback" not in err.getvalue()
        if code == 2:
            assert file_bytes(model) == before and len(err.getvalue().strip().splitlines()) == 1
        else:
            load_model(model)
