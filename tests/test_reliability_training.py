"""Training runs that are interrupted, crash, run out of disk or race: the previous model survives.

Part of the fault-injection suite; see tests/reliability.py and docs/RELIABILITY.md.
"""

import errno
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest
from reliability import (
    TRAIN_ARGS,
    copy_model,
    file_bytes,
    leftovers,
    one_error_line,
    run,
)

from conftest import REPO
from item2vec import storage
from item2vec.cli import train as train_item2vec
from item2vec.storage import load_model, save_model
from item2vec.vectors import unit_rows

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
