"""Training runs that are interrupted, crash, run out of disk or race: the previous model survives.

Part of the fault-injection suite; see tests/reliability.py and docs/RELIABILITY.md.
"""

import collections
import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

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
from item2vec.cli import train_command as train_item2vec
from item2vec.model import storage
from item2vec.model.storage import load_model, save_model
from item2vec.model.vectors import unit_rows

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
    synthetic_dataset, previous_model, monkeypatch, request
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
    # Python installs this handler only when it starts with SIGINT not ignored; a shell
    # starts background jobs with SIGINT ignored (SIG_IGN), and then no Ctrl-C could arrive.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    handler = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        save_model(
            folder,
            model.vectors.ids,
            np.asarray(model.vectors.unit)[:, ::-1],
            model.catalog,
            {"hyperparameters": {"min_count": 3}},
        )
        raise AssertionError(f"save returned; calls={calls!r}; SIGINT handler was {handler!r}")
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
    # --out naming a file is a usage error (2); a folder that cannot be made there, the model's (3).
    expected = 2 if out == tmp_path / "afile" else 3
    assert train_item2vec.main(["--data", synthetic_dir, "--out", str(out)] + TRAIN_ARGS) == expected
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
from item2vec.model.storage import load_model, save_model
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


# == the output folder: never delete what the tool did not write ===========================


def _never_trains(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("trained although the output folder is refused")

    monkeypatch.setattr(train_item2vec, "train", never)


@pytest.mark.parametrize("with_model", [False, True], ids=["plain folder", "model plus a user file"])
def test_training_refuses_a_folder_holding_files_it_did_not_write(
    synthetic_dir, synthetic_model_dir, tmp_path, monkeypatch, capsys, with_model
):
    folder = tmp_path / "somedir"
    if with_model:
        shutil.copytree(synthetic_model_dir, folder)
    else:
        folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    before = file_bytes(str(folder))
    _never_trains(monkeypatch)
    assert train_item2vec.main(["--data", synthetic_dir, "--out", str(folder)] + TRAIN_ARGS) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "is not a model folder" in line and "'notes.txt'" in line and "new or empty folder" in line
    assert file_bytes(str(folder)) == before


def test_files_appearing_during_training_are_not_deleted_either(synthetic_dir, tmp_path, monkeypatch, capsys):
    # Checked again under the lock at the swap: the user may drop a file in while training runs.
    folder = tmp_path / "model"
    real_train = train_item2vec.train

    def train_then_user_writes(*args, **kwargs):
        trained = real_train(*args, **kwargs)
        folder.mkdir()
        (folder / "notes.txt").write_text("mine")
        return trained

    monkeypatch.setattr(train_item2vec, "train", train_then_user_writes)
    assert train_item2vec.main(["--data", synthetic_dir, "--out", str(folder)] + TRAIN_ARGS) == 2
    assert "'notes.txt'" in one_error_line(capsys.readouterr().err)
    assert os.listdir(folder) == ["notes.txt"] and leftovers(str(tmp_path)) == []


@pytest.mark.parametrize("content", ["empty", "damaged model"])
def test_an_empty_folder_or_a_damaged_model_is_replaced(synthetic_dir, tmp_path, content):
    folder = tmp_path / "model"
    folder.mkdir()
    if content == "damaged model":
        (folder / "vectors.npy").write_bytes(b"half")
    assert train_item2vec.main(["--data", synthetic_dir, "--out", str(folder)] + TRAIN_ARGS) == 0
    assert len(load_model(str(folder)).vectors) > 0


# == SIGKILL: automatic recovery, readers during a swap =====================================

ENV = dict(os.environ, PYTHONPATH=REPO)

KILL_BETWEEN_RENAMES = """
import os, signal, sys
import numpy as np
from item2vec.model import storage
model = storage.load_model(sys.argv[1])
real_rename = os.rename
def rename(src, dst):
    real_rename(src, dst)
    os.kill(os.getpid(), signal.SIGKILL)  # the old model is aside, the new one not yet in
os.rename = rename
storage.save_model(sys.argv[2], model.vectors.ids, np.asarray(model.vectors.unit)[::-1], model.catalog, {})
"""


def _kill_between_renames(src, folder):
    """Leave ``folder`` as a SIGKILL between the two renames of a real save leaves it."""
    proc = subprocess.run(
        [sys.executable, "-c", KILL_BETWEEN_RENAMES, src, folder], env=ENV, capture_output=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert not os.path.exists(folder)
    aside, temp = leftovers(os.path.dirname(folder))  # the old model aside, the new one's temp folder
    assert ".tmp-" in temp and ".old-item2vec-" in aside
    return os.path.join(os.path.dirname(folder), aside)


def test_a_swap_killed_between_its_renames_is_undone_by_the_next_ask(previous_model, caplog):
    folder, before = previous_model
    _kill_between_renames(folder, folder)
    code, out, err = run(["g0-a1", "--model", folder, "-k", "3"])
    assert code == 0, err
    assert "put back the previous model" in caplog.text
    assert file_bytes(folder) == before
    # A reader deletes nothing: the dead run's temp folder goes at the next save.
    assert [n for n in leftovers(os.path.dirname(folder)) if ".tmp-" not in n] == []


def test_a_swap_killed_between_its_renames_is_undone_by_the_next_training(synthetic_dir, previous_model):
    folder, _ = previous_model
    _kill_between_renames(folder, folder)
    assert train_item2vec.main(["--data", synthetic_dir, "--out", folder] + TRAIN_ARGS) == 0
    assert len(load_model(folder).vectors) > 0
    assert leftovers(os.path.dirname(folder)) == []


def test_a_reader_that_cannot_rename_answers_from_the_model_aside(previous_model, monkeypatch, caplog):
    # Without write permission (a shared install) the reader cannot put the folder back;
    # it answers from the complete previous model where it lies. (Tests run as root, who
    # may rename anything, so the refusal is injected.)
    folder, before = previous_model
    aside = _kill_between_renames(folder, folder)

    def refused(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "rename", refused)
    code, out, err = run(["g0-a1", "--model", folder, "-k", "3", "--json"])
    assert code == 0 and "cannot rename it back" in caplog.text and "reading it from there" in caplog.text
    assert json.loads(out)["results"]
    assert not os.path.exists(folder) and file_bytes(aside) == before


def test_stale_leftovers_of_this_program_are_removed_and_others_kept(synthetic_dir, previous_model):
    # After the second rename (or while deleting the old model) a kill leaves a stale copy.
    folder, _ = previous_model
    parent = os.path.dirname(folder)
    stale = os.path.join(parent, "model.old-item2vec-ab12cd34")
    shutil.copytree(folder, stale)
    os.remove(os.path.join(stale, "catalog.npz"))  # half deleted
    mine = os.path.join(parent, "model.old-backup")  # a user's own folder: never touched
    shutil.copytree(folder, mine)
    assert train_item2vec.main(["--data", synthetic_dir, "--out", folder] + TRAIN_ARGS) == 0
    assert not os.path.exists(stale) and os.path.isfile(os.path.join(mine, "catalog.npz"))


def _answers(model_dir, names):
    """What ``ask.py --batch - --json`` prints for ``names`` from one model."""
    code, out, _ = run(["--batch", "-", "--json", "-k", "3", "--model", model_dir], "\n".join(names).encode())
    assert code == 0
    return out


SAVE_FOREVER = """
import sys
import numpy as np
from item2vec.model import storage
a, b = storage.load_model(sys.argv[1]), storage.load_model(sys.argv[2])
print("ready", flush=True)
while True:
    for model in (a, b):
        storage.save_model(sys.argv[3], model.vectors.ids, np.asarray(model.vectors.unit), model.catalog,
                           model.metadata)
"""


@pytest.fixture
def two_models(synthetic_model_dir, tmp_path):
    """Folders of two valid models that answer differently: the shipped test model and a noisy copy."""
    model = load_model(synthetic_model_dir)
    noisy = np.asarray(model.vectors.unit) + np.random.default_rng(0).normal(0, 0.5, model.vectors.unit.shape)
    b = str(tmp_path / "b")
    save_model(b, model.vectors.ids, noisy, model.catalog, {"tag": "b"})
    return synthetic_model_dir, b


def _writer(a, b, folder):
    proc = subprocess.Popen(
        [sys.executable, "-c", SAVE_FOREVER, a, b, folder], env=ENV, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc


KILLS = int(os.environ.get("ITEM2VEC_KILLS", "30"))


def test_sigkill_at_random_moments_always_leaves_one_complete_model(two_models, tmp_path):
    a, b = two_models
    names = ["g0-a1", "g1-a2", "g3-a3"]
    expected = {_answers(a, names), _answers(b, names)}
    assert len(expected) == 2
    folder = str(tmp_path / "model")
    rng = random.Random(11)
    states = collections.Counter()
    for _ in range(KILLS):
        writer = _writer(a, b, folder)
        time.sleep(rng.uniform(0.0, 0.3))
        writer.kill()
        writer.wait()
        names_left = leftovers(str(tmp_path))
        if not os.path.exists(folder) and not names_left:
            states["before the first save"] += 1  # there is no model yet, rightly
            continue
        states["between the renames" if not os.path.exists(folder) else "model in place"] += 1
        states["with a previous model aside"] += any(".old-" in n for n in names_left)
        assert _answers(folder, names) in expected
        assert os.path.isdir(folder)
    print(f"{KILLS} kills: {dict(states)}")
    # The next save clears what the dead runs left (their temp folders, stale copies aside).
    model = load_model(folder)
    save_model(folder, model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, model.metadata)
    assert leftovers(str(tmp_path)) == []


def test_sigkill_of_the_real_trainer_at_random_moments_leaves_one_complete_model(synthetic_dir, tmp_path):
    # The same promise through the real program: train_item2vec.py killed anywhere in its
    # run (start-up, loading, training, writing, the swap), 30 times, alternating two seeds.
    names = ["g0-a1", "g1-a2", "g3-a3"]
    trainer = [sys.executable, os.path.join(REPO, "train_item2vec.py"), "--data", synthetic_dir]
    at = TRAIN_ARGS.index("--seed")
    args = TRAIN_ARGS[:at] + TRAIN_ARGS[at + 2 :]
    expected, seconds = set(), []
    for seed in ("3", "4"):
        start = time.perf_counter()
        out = str(tmp_path / f"seed{seed}")
        subprocess.run([*trainer, "--out", out, *args, "--seed", seed], env=ENV, check=True, timeout=300)
        seconds.append(time.perf_counter() - start)
        expected.add(_answers(out, names))
    assert len(expected) == 2
    folder = str(tmp_path / "model")
    shutil.copytree(str(tmp_path / "seed3"), folder)
    rng = random.Random(7)
    for kill in range(KILLS):
        proc = subprocess.Popen([*trainer, "--out", folder, *args, "--seed", "34"[kill % 2]], env=ENV)
        time.sleep(rng.uniform(0.0, 1.1 * max(seconds)))
        proc.kill()
        proc.wait()
        assert _answers(folder, names) in expected, f"kill {kill}"


def test_four_batch_readers_during_replacement_never_fail(two_models, tmp_path):
    a, b = two_models
    names = ["g0-a1", "g1-a2", "g3-a3"]
    expected = {_answers(a, names), _answers(b, names)}
    folder = str(tmp_path / "model")
    shutil.copytree(a, folder)
    reader = READ_FOREVER.format(names="\\n".join(names))
    writer = _writer(a, b, folder)
    try:
        readers = [
            subprocess.Popen(
                [sys.executable, "-c", reader, folder, "3"], env=ENV, stdout=subprocess.PIPE, text=True
            )
            for _ in range(4)
        ]
        outputs = [proc.communicate(timeout=120)[0] for proc in readers]
    finally:
        writer.kill()
        writer.wait()
    answers = [json.loads(line) for output in outputs for line in output.splitlines()]
    assert len(answers) >= 4
    for answer in answers:
        assert answer["code"] == 0, answer["err"]
        assert answer["out"] in expected


READ_FOREVER = """
import io, json, sys, time
from item2vec.cli import ask_command as ask

class Stdin(io.StringIO):
    def __init__(self, data):
        super().__init__()
        self.buffer = io.BytesIO(data)

    def isatty(self):
        return False

end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    out, err = io.StringIO(), io.StringIO()
    argv = ["--batch", "-", "--json", "-k", "3", "--model", sys.argv[1]]
    code = ask.main(argv, stdin=Stdin("{names}".encode()), out=out, err=err)
    print(json.dumps({{"code": code, "out": out.getvalue(), "err": err.getvalue()}}), flush=True)
"""
