"""save_model and load_model at their edges (item2vec/model/storage.py).

What a model folder's bytes do not depend on (the caller's integer types, the locale, the
chunks a streamed array comes in), how ``item_weights.npz`` is read when it is damaged,
and that a save does not wait for readers before its swap. Small in-process cases on a
copy of the session's synthetic model; the tables of damaged fields and files are in
tests/test_model_validation.py and tests/test_reliability_model_files.py.
"""

import builtins
import dataclasses
import io
import os
import threading
import time
import zipfile

import numpy as np
import pytest
from reliability import break_crc, copy_model, file_bytes, item_weight_arrays, npy_header, rewrite_checksums

from item2vec.errors import ModelError
from item2vec.model import replace, storage
from item2vec.model.catalog import StreamedArray
from item2vec.model.storage import load_model, save_model


def _save(model, folder, **changes):
    """Save ``model`` again into ``folder``; ``changes`` replace save_model's arguments."""
    arguments = {
        "artist_ids": model.vectors.ids,
        "vectors": np.asarray(model.vectors.unit),
        "catalog": model.catalog.parts(),
        "metadata": {},
        "item_weights": model.item_weights,
        **changes,
    }
    return save_model(str(folder), **arguments)


# -- writing --------------------------------------------------------------------------------


def test_the_folder_does_not_depend_on_the_integer_type_of_the_ids(synthetic_model_dir, tmp_path):
    model = load_model(synthetic_model_dir)
    _save(model, tmp_path / "int64", artist_ids=model.vectors.ids.astype(np.int64))
    _save(model, tmp_path / "int32", artist_ids=model.vectors.ids.astype(np.int32))
    assert file_bytes(tmp_path / "int32") == file_bytes(tmp_path / "int64")
    assert load_model(str(tmp_path / "int32")).vectors.ids.dtype == np.int64


def test_the_rows_of_item_weights_are_int16_while_every_vector_row_fits(synthetic_model_dir):
    # The format's rule (both engines write it): int16 up to 32,767 vectors, int32 from 32,768.
    assert storage._item_weights_arrays(None, 2**15 - 1)["rows"].dtype == np.int16
    assert storage._item_weights_arrays(None, 2**15)["rows"].dtype == np.int32
    model = load_model(synthetic_model_dir)
    assert model.item_weights.rows.dtype == np.int16


def test_metadata_is_utf8_whatever_the_locale(synthetic_model_dir, tmp_path, monkeypatch):
    # open() without an encoding takes the locale's: a Latin-1 one is stood in for here.
    def latin1_locale_open(file, mode="r", *args, encoding=None, **kwargs):
        if "b" not in mode and encoding is None:
            encoding = "latin-1"
        return builtins.open(file, mode, *args, encoding=encoding, **kwargs)

    monkeypatch.setattr(storage, "open", latin1_locale_open, raising=False)
    model = load_model(synthetic_model_dir)
    _save(model, tmp_path / "m", metadata={"data": {"sha256": {"björk.csv": "0" * 64}}})
    assert '"björk.csv"'.encode() in (tmp_path / "m" / "metadata.json").read_bytes()
    assert load_model(str(tmp_path / "m")).metadata["data"]["sha256"] == {"björk.csv": "0" * 64}


def test_a_streamed_array_in_another_integer_type_is_written_in_its_declared_one(
    synthetic_model_dir, tmp_path
):
    model = load_model(synthetic_model_dir)
    users = model.catalog.listen_users
    _save(model, tmp_path / "whole")
    streamed = StreamedArray(np.int32, len(users), lambda: [users[:5].astype(np.int64), users[5:]])
    _save(
        model, tmp_path / "chunks", catalog=dataclasses.replace(model.catalog.parts(), listen_users=streamed)
    )
    assert file_bytes(tmp_path / "chunks") == file_bytes(tmp_path / "whole")


def test_a_streamed_array_shorter_than_announced_is_never_written(synthetic_model_dir, tmp_path):
    model = load_model(synthetic_model_dir)
    users = model.catalog.listen_users
    short = StreamedArray(np.int32, len(users), lambda: [users[:-1]])
    with pytest.raises(ModelError) as caught:
        _save(model, tmp_path / "m", catalog=dataclasses.replace(model.catalog.parts(), listen_users=short))
    assert str(caught.value) == f"a streamed array gave {len(users) - 1} values, {len(users)} were announced"
    assert os.listdir(tmp_path) == []


def _holds_a_model(folder):
    try:
        return set(storage.MODEL_FILES) <= set(os.listdir(folder))
    except OSError:  # gone meanwhile, or a file
        return False


def test_a_save_writes_its_files_while_a_reader_holds_the_folder(synthetic_model_dir, tmp_path):
    # Readers load under the parent's shared lock; a save takes the exclusive one only for
    # its swap, so it writes meanwhile (it does not queue behind every reader).
    model = load_model(synthetic_model_dir)
    failed = []

    def save():
        try:
            _save(model, tmp_path / "m")
        except BaseException as exc:  # told by the assertion below, not lost with the thread
            failed.append(exc)

    saving = threading.Thread(target=save)
    with replace.locked(str(tmp_path), shared=True):
        saving.start()
        # A temp folder holding every model file: the save has written them under the reader's
        # lock. (Not just any "m.tmp-" name: the save's first check makes one and removes it.)
        deadline, written = time.monotonic() + 10, []
        while not written and time.monotonic() < deadline:
            time.sleep(0.01)
            written = [name for name in os.listdir(tmp_path) if _holds_a_model(tmp_path / name)]
        assert not os.path.exists(tmp_path / "m")  # the swap waits for the reader
    saving.join(60)
    assert not failed, repr(failed)
    assert written and ".tmp-" in written[0], os.listdir(tmp_path)
    assert os.listdir(tmp_path) == ["m"]
    assert len(load_model(str(tmp_path / "m")).vectors) == len(model.vectors)


# -- reading item_weights.npz -----------------------------------------------------------------


def _weights_member(folder, data):
    """item_weights.npz with ``data`` as its ``weights.npy`` (``rows.npy`` kept), checksums rewritten."""
    buffer = io.BytesIO()
    np.save(buffer, item_weight_arrays(folder)["rows"])
    with zipfile.ZipFile(os.path.join(folder, "item_weights.npz"), "w") as archive:
        archive.writestr("rows.npy", buffer.getvalue())
        archive.writestr("weights.npy", data)
    rewrite_checksums(folder)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda d: _weights_member(d, npy_header("zz", (1,))),
            "cannot read item_weights.npz (descr is not a valid dtype descriptor: 'zz')",
        ),
        (
            lambda d: break_crc(d, "item_weights.npz"),
            "cannot read item_weights.npz (Bad CRC-32 for file 'rows.npy')",
        ),
        (
            lambda d: _weights_member(d, npy_header("<f4", (2**40,))),
            "cannot read item_weights.npz (MemoryError: Unable to allocate 4.00 TiB for an array",
        ),
    ],
    ids=["dtype", "crc", "huge"],
)
def test_unreadable_item_weights_are_named_with_numpys_reason(synthetic_model_dir, tmp_path, damage, message):
    folder = copy_model(synthetic_model_dir, tmp_path)
    damage(folder)
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    assert f"model {folder}: {message}" in str(caught.value) and "\n" not in str(caught.value)


def test_pickled_item_weights_are_refused_in_one_line(synthetic_model_dir, tmp_path):
    folder = copy_model(synthetic_model_dir, tmp_path)
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _weights_member(folder, buffer.getvalue())
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    assert str(caught.value).startswith(
        f"model {folder}: item_weights.npz holds Python objects (pickle), which are never loaded: "
        "they could run code; rebuild it with"
    )


def test_item_weights_that_are_a_folder_are_not_called_missing(synthetic_model_dir, tmp_path):
    folder = copy_model(synthetic_model_dir, tmp_path)
    os.remove(os.path.join(folder, "item_weights.npz"))
    os.mkdir(os.path.join(folder, "item_weights.npz"))
    for verify in (True, False):
        with pytest.raises(ModelError, match=r": item_weights.npz is not a regular file; rebuild it with"):
            load_model(folder, verify=verify)


def test_missing_item_weights_are_said_without_the_checksums_too(synthetic_model_dir, tmp_path):
    folder = copy_model(synthetic_model_dir, tmp_path)
    os.remove(os.path.join(folder, "item_weights.npz"))
    with pytest.raises(ModelError, match=r": item_weights.npz is missing; rebuild it with"):
        load_model(folder, verify=False)
