"""Training runs that are interrupted, crash, run out of disk or race: the previous model survives.

Part of the fault-injection suite; see tests/reliability.py and docs/RELIABILITY.md.
"""

import collections
import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings

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
from item2vec.errors import ModelError, OutputFolderError
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
    assert one_error_line(capsys.readouterr().err) == (
        f"error: {folder}: disk full while writing the model; the previous model (if any) is untouched"
    )
    monkeypatch.undo()
    assert_previous_model_intact(folder, before)


@pytest.mark.parametrize("out", ["file", "under-a-file", "nul"])
def test_an_unusable_output_folder_fails_before_training(synthetic_dir, tmp_path, monkeypatch, capsys, out):
    (tmp_path / "afile").write_text("not a folder")
    kind, out = (
        out,
        {
            "file": tmp_path / "afile",
            "under-a-file": tmp_path / "afile" / "model",
            "nul": tmp_path / "a\x00b",
        }[out],
    )

    def never(*args, **kwargs):
        raise AssertionError("trained although the model could not be written")

    monkeypatch.setattr(train_item2vec, "train", never)
    # --out naming a file is a usage error (2); a folder that cannot be made there, the model's (3).
    expected = 2 if out == tmp_path / "afile" else 3
    assert train_item2vec.main(["--data", synthetic_dir, "--out", str(out)] + TRAIN_ARGS) == expected
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("error: ")
    if expected == 3:
        # Named by the folder given (a NUL byte shown escaped), with the reason.
        shown = str(out).replace("\x00", "\\x00")
        reason = {
            "under-a-file": "cannot write the model: Not a directory; "
            "the previous model (if any) is untouched",
            "nul": "not a usable folder name (embedded null byte)",
        }[kind]
        assert line == f"error: {shown}: {reason}"
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

    # Each model says which it is by its seed (metadata.json holds only known fields).
    def save(vectors, seed):
        for _ in range(6):
            try:
                save_model(
                    folder, model.vectors.ids, vectors, model.catalog, {"hyperparameters": {"seed": seed}}
                )
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=save, args=(v, t)) for v, t in ((a, 0), (b, 1), (a, 0), (b, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    loaded = load_model(folder)  # checksums verify: the files belong together
    expected = unit_rows(a if loaded.metadata["hyperparameters"]["seed"] == 0 else b)
    assert np.array_equal(np.asarray(loaded.vectors.unit), expected)
    assert leftovers(str(tmp_path)) == []


SAVER = """
import sys
import numpy as np
from item2vec.model.storage import load_model, save_model
model = load_model({src!r})
sign = int(sys.argv[1])
for _ in range(8):
    save_model({dst!r}, model.vectors.ids, sign * np.asarray(model.vectors.unit), model.catalog,
               {{"hyperparameters": {{"seed": sign}}}})
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
    assert np.array_equal(
        np.asarray(loaded.vectors.unit), unit_rows(loaded.metadata["hyperparameters"]["seed"] * original)
    )
    assert leftovers(str(tmp_path)) == []


# == determinism ============================================================================


@pytest.mark.slow
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
                           model.metadata, model.item_weights)
"""


@pytest.fixture
def two_models(synthetic_model_dir, tmp_path):
    """Folders of two valid models that answer differently: the shipped test model and a noisy copy."""
    model = load_model(synthetic_model_dir)
    noisy = np.asarray(model.vectors.unit) + np.random.default_rng(0).normal(0, 0.5, model.vectors.unit.shape)
    b = str(tmp_path / "b")
    # The item-item weights too: without them the copy's dial answers differently at its familiar end.
    save_model(
        b, model.vectors.ids, noisy, model.catalog, {"hyperparameters": {"seed": 1}}, model.item_weights
    )
    return synthetic_model_dir, b


def _writer(a, b, folder):
    proc = subprocess.Popen(
        [sys.executable, "-c", SAVE_FOREVER, a, b, folder], env=ENV, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc


KILLS = int(os.environ.get("ITEM2VEC_KILLS", "30"))


@pytest.mark.slow
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


@pytest.mark.slow
def test_sigkill_of_the_real_trainer_at_random_moments_leaves_one_complete_model(synthetic_dir, tmp_path):
    # The same promise through the real program: train_item2vec.py killed anywhere in its
    # run (start-up, loading, training, writing, the swap), alternating two seeds.
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
    # Stratified moments: kill k lands in the k-th of KILLS // 2 equal slices of a run, so half
    # the kills of uniform draws still reach every phase (ITEM2VEC_KILLS=100 for a deeper run).
    rng, kills = random.Random(7), max(KILLS // 2, 1)
    for kill in range(kills):
        proc = subprocess.Popen([*trainer, "--out", folder, *args, "--seed", "34"[kill % 2]], env=ENV)
        time.sleep((kill + rng.random()) / kills * 1.1 * max(seconds))
        proc.kill()
        proc.wait()
        assert _answers(folder, names) in expected, f"kill {kill}"


@pytest.mark.slow
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


# == durability: the order of fsyncs and renames, permissions ================================


class DiskCalls:
    """Records os.fsync (by the path of the fd) and os.rename, in order, as roles.

    A power cut cannot be simulated here; what makes a save survive one is this order:
    every file, then the temp folder, fsynced before the rename; the parent after it.
    """

    def __init__(self, monkeypatch, parent, out):
        self.events = []
        self.parent, self.out = parent, out
        real_fsync, real_rename = os.fsync, os.rename

        def fsync(fd):
            self.events.append(("fsync", self.role(os.readlink(f"/proc/self/fd/{fd}"))))
            return real_fsync(fd)

        def rename(src, dst):
            self.events.append(("rename", self.role(src), self.role(dst)))
            return real_rename(src, dst)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "rename", rename)

    def role(self, path):
        """``tmp/vectors.npy``, ``tmp``, ``aside``, ``out`` or ``parent`` for a path of the save.

        The temp and aside folders are named as a later run looks for them (mkdtemp's 8
        characters after ``NAME.tmp-`` / ``NAME.old-item2vec-``); any other name is kept.
        """
        relative = os.path.relpath(path, self.parent)
        base = os.path.basename(self.out)
        top, _, rest = relative.partition(os.sep)
        patterns = {
            "tmp": re.escape(base) + r"\.tmp-[a-z0-9_]{8}",
            "aside": re.escape(base) + r"\.old-item2vec-[a-z0-9_]{8}",
        }
        role = {base: "out", ".": "parent"}.get(top) or next(
            (name for name, pattern in patterns.items() if re.fullmatch(pattern, top)), top
        )
        return role + ("/" + rest if rest else "")


@pytest.mark.parametrize("replacing", [False, True], ids=["new folder", "replacing a model"])
def test_a_save_fsyncs_files_then_the_folder_before_the_rename_and_the_parent_after(
    synthetic_model_dir, tmp_path, monkeypatch, replacing
):
    model = load_model(synthetic_model_dir)
    folder = copy_model(synthetic_model_dir, tmp_path) if replacing else str(tmp_path / "model")
    calls = DiskCalls(monkeypatch, str(tmp_path), folder)
    save_model(folder, model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, {})
    names = ("vectors.npy", "catalog.npz", "item_weights.npz", "metadata.json")
    files = [("fsync", f"tmp/{name}") for name in names]
    swap = [("rename", "out", "aside")] if replacing else []
    assert calls.events == files + [("fsync", "tmp")] + swap + [("rename", "tmp", "out"), ("fsync", "parent")]
    assert load_model(folder).metadata["n_vectors"] == len(model.vectors)


def test_putting_back_a_model_left_aside_fsyncs_the_parent(previous_model, monkeypatch):
    folder, before = previous_model
    _kill_between_renames(folder, folder)
    calls = DiskCalls(monkeypatch, os.path.dirname(folder), folder)
    load_model(folder)
    assert calls.events == [("rename", "aside", "out"), ("fsync", "parent")]
    assert file_bytes(folder) == before


def test_a_failing_fsync_of_the_temp_folder_fails_the_save_and_keeps_the_previous_model(
    previous_model, monkeypatch
):
    folder, before = previous_model
    model = load_model(folder)
    real_fsync = os.fsync

    def fsync(fd):
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            raise OSError(errno.EIO, "Input/output error")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(storage.ModelError, match="cannot write the model: Input/output error"):
        save_model(folder, model.vectors.ids, -np.asarray(model.vectors.unit), model.catalog, {})
    monkeypatch.undo()
    assert_previous_model_intact(folder, before)


def test_a_saved_model_is_readable_by_every_user(synthetic_model_dir, tmp_path):
    model = load_model(synthetic_model_dir)
    folder = str(tmp_path / "model")
    umask = os.umask(0o022)
    try:
        save_model(folder, model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, {})
    finally:
        os.umask(umask)
    # mkdtemp makes the temp folder 0o700; the saved folder is 0o755 like any other.
    assert oct(os.stat(folder).st_mode & 0o777) == oct(0o755)
    assert {
        name: oct(os.stat(os.path.join(folder, name)).st_mode & 0o777) for name in os.listdir(folder)
    } == {name: oct(0o644) for name in ("metadata.json", "vectors.npy", "catalog.npz", "item_weights.npz")}


@pytest.mark.parametrize("newest_name", ["aaaaaaaa", "zzzzzzzz"])
def test_the_newest_of_several_models_left_aside_is_put_back(synthetic_model_dir, tmp_path, newest_name):
    # Two killed swaps left two complete previous models aside: the newer one is the
    # model the folder held last, whatever the random names sort as.
    model = load_model(synthetic_model_dir)
    folder = str(tmp_path / "model")
    oldest_name = "zzzzzzzz" if newest_name == "aaaaaaaa" else "aaaaaaaa"
    for name, seed, mtime in ((oldest_name, 1, 1_000_000_000), (newest_name, 2, 1_500_000_000)):
        aside = f"{folder}{storage.replace.ASIDE_INFIX}{name}"
        save_model(
            aside,
            model.vectors.ids,
            np.asarray(model.vectors.unit),
            model.catalog,
            {"hyperparameters": {"seed": seed}},
        )
        for file in os.listdir(aside):
            os.utime(os.path.join(aside, file), (mtime, mtime))
    # Newest by its metadata file, whatever the folders' own times or the other files' say.
    newest, oldest = (f"{folder}{storage.replace.ASIDE_INFIX}{n}" for n in (newest_name, oldest_name))
    for path, mtime in ((newest, 1_000_000_000), (oldest, 1_500_000_000)):
        for name in ("vectors.npy", "catalog.npz", ""):
            os.utime(os.path.join(path, name) if name else path, (mtime, mtime))
    assert load_model(folder).metadata["hyperparameters"]["seed"] == 2
    assert os.path.isdir(oldest)


def test_names_like_an_aside_that_are_not_a_model_aside_are_never_touched(synthetic_model_dir, tmp_path):
    # A file named like an aside folder, and folders named like one holding a user's files:
    # a save and a load go past them (however many are listed first) and delete none.
    folder = str(tmp_path / "model")
    shutil.copytree(synthetic_model_dir, folder)
    (tmp_path / f"model{storage.replace.ASIDE_INFIX}f1le0000").write_text("mine")
    users = [f"{folder}{storage.replace.ASIDE_INFIX}user000{i}" for i in range(3)]
    users += [f"{folder}.old-user000{i}" for i in range(3)]
    for path in users:
        os.makedirs(path)
        with open(os.path.join(path, "notes.txt"), "w") as handle:
            handle.write("mine")
    model = load_model(folder)
    save_model(folder, model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, {})
    shutil.rmtree(folder)  # as a swap killed between its renames leaves it, with no model aside
    with pytest.raises(ModelError):
        load_model(folder)
    assert (tmp_path / f"model{storage.replace.ASIDE_INFIX}f1le0000").read_text() == "mine"
    assert all(os.listdir(path) == ["notes.txt"] for path in users)


def test_a_model_aside_under_the_older_name_is_put_back_and_a_users_folders_beside_it_kept(
    synthetic_model_dir, tmp_path, caplog
):
    # Older versions named the aside folder NAME.old-XXXXXXXX (mkdtemp's 8 characters).
    # Folders of the user's named NAME.old-something are skipped, however many come first.
    folder = str(tmp_path / "model")
    legacy = f"{folder}.old-k1ll3d00"
    shutil.copytree(synthetic_model_dir, legacy)
    users = [f"{folder}.old-{name}" for name in ("backup", "2019", "K1LL3D00", "ab", "copy-1", "x" * 9)]
    # Named like an aside but holding a file of the user's too: not a model aside either.
    added = [f"{folder}.old-user000{i}" for i in range(4)]
    for path in users + added:
        shutil.copytree(synthetic_model_dir, path)
    for path in added:
        with open(os.path.join(path, "notes.txt"), "w") as handle:
            handle.write("mine")
    users += added
    with caplog.at_level("WARNING", logger="item2vec.model.replace"):
        assert len(load_model(folder).vectors) > 0
    assert not os.path.exists(legacy) and all(os.path.isdir(p) for p in users)
    assert [r.getMessage() for r in caplog.records] == [
        f"put back the previous model that a killed run left in {legacy}"
    ]


def test_the_warning_of_a_reader_that_cannot_put_the_model_back(
    synthetic_model_dir, tmp_path, monkeypatch, caplog
):
    folder = str(tmp_path / "model")
    aside = f"{folder}{storage.replace.ASIDE_INFIX}ab12cd34"
    shutil.copytree(synthetic_model_dir, aside)

    def refused(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "rename", refused)
    with caplog.at_level("WARNING", logger="item2vec.model.replace"):
        assert storage.replace.recover(folder, storage.MODEL_FILES) == aside
    assert [r.getMessage() for r in caplog.records] == [
        f"a run killed while replacing {folder} left the previous model in {aside}; cannot rename it "
        "back (Permission denied): reading it from there"
    ]


def test_fsync_of_a_folder_ignores_errors_unless_strict(tmp_path):
    # After the rename the model is in place: a folder that cannot be fsynced is no failure.
    missing = str(tmp_path / "gone")
    assert storage.replace.fsync_dir(missing) is None
    with pytest.raises(FileNotFoundError):
        storage.replace.fsync_dir(missing, strict=True)


def test_saving_the_shipped_model_again_writes_its_catalogue_and_metadata_byte_for_byte(tmp_path):
    # The layout of the files (member order, fixed zip timestamps, no compression, JSON
    # indentation and key order) is pinned by the shipped model itself, without the data.
    shipped = os.path.join(REPO, "models")
    model = load_model(shipped)
    folder = str(tmp_path / "model")
    written = save_model(
        folder,
        model.vectors.ids,
        np.asarray(model.vectors.unit),
        model.catalog,
        model.metadata,
        model.item_weights,
    )
    before, after = file_bytes(shipped), file_bytes(folder)
    assert after["catalog.npz"] == before["catalog.npz"]
    assert after["item_weights.npz"] == before["item_weights.npz"]
    # The vectors are normalised again (last-bit differences): only their checksum may differ.
    expected = before["metadata.json"].replace(
        model.metadata["files"]["vectors.npy"].encode(), written["files"]["vectors.npy"].encode()
    )
    assert after["metadata.json"] == expected
    assert storage.Model(None, None, {}).min_count == 1 and load_model(folder).min_count == 3


def test_leftovers_that_cannot_be_deleted_never_fail_a_save(previous_model, monkeypatch):
    # The model is in place once the second rename is done: a stale copy aside, a dead
    # save's temp folder or the previous model that an I/O error keeps from being deleted
    # stays behind until a later save; the save itself succeeds.
    folder, before = previous_model
    parent = os.path.dirname(folder)
    stale = os.path.join(parent, "model.old-item2vec-ab12cd34")
    dead = os.path.join(parent, "model.tmp-ab12cd34")
    for path in (stale, dead):
        shutil.copytree(folder, path)
    model = load_model(folder)

    def unlink(path, *args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "unlink", unlink)
    save_model(folder, model.vectors.ids, np.asarray(model.vectors.unit)[::-1], model.catalog, {})
    monkeypatch.undo()
    assert file_bytes(folder) != before and len(load_model(folder).vectors) == len(model.vectors)
    left = leftovers(parent)
    assert {"model.old-item2vec-ab12cd34", "model.tmp-ab12cd34"} < set(left) and len(left) == 3


@pytest.mark.parametrize("failure", ["disk full", "Ctrl-C"])
def test_a_failed_save_whose_temp_folder_cannot_be_deleted_reports_the_failure(
    previous_model, monkeypatch, failure
):
    # The temp folder is cleaned up on the way out; an I/O error there must not hide why
    # the save failed (a dead temp folder goes at the next save).
    folder, before = previous_model
    model = load_model(folder)
    exc = OSError(errno.ENOSPC, "No space left on device") if failure == "disk full" else KeyboardInterrupt()
    monkeypatch.setattr(storage, "_write_npz", _half_written_then(exc))

    def unlink(path, *args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "unlink", unlink)
    expected = ModelError if failure == "disk full" else KeyboardInterrupt
    with pytest.raises(expected) as caught:
        save_model(folder, model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, {})
    monkeypatch.undo()
    if failure == "disk full":
        assert str(caught.value).startswith(f"{folder}: disk full while writing the model")
    assert file_bytes(folder) == before


def test_checking_the_out_folder_waits_for_no_reader(previous_model):
    # Readers hold a shared lock on the parent while they load; the check before training
    # takes a shared one too, so it never waits for them (an exclusive one would).
    import fcntl

    folder, _ = previous_model
    reader = os.open(os.path.dirname(folder), os.O_RDONLY)
    fcntl.flock(reader, fcntl.LOCK_SH)
    done = []
    thread = threading.Thread(
        target=lambda: done.append(storage.replace.check_writable(folder, storage.MODEL_FILES))
    )
    try:
        thread.start()
        thread.join(timeout=10)
        assert done == [os.path.dirname(folder)]
    finally:
        os.close(reader)  # lets a waiting check finish
        thread.join()


def test_large_finite_rows_are_saved_each_row_checked_alone(synthetic_model_dir, tmp_path):
    # Each row's norm fits a float32 (1.5e19 squared is 2.25e38); the norm of all of them
    # together would not: the check is per row.
    model = load_model(synthetic_model_dir)
    vectors = np.asarray(model.vectors.unit).copy()
    vectors[:2] = 0
    vectors[0, 0] = vectors[1, 1] = 1.5e19
    folder = str(tmp_path / "model")
    save_model(folder, model.vectors.ids, vectors, model.catalog, {})
    assert np.asarray(load_model(folder).vectors.unit)[0, 0] == 1


def test_a_file_system_that_cannot_fsync_a_folder_still_saves(synthetic_model_dir, tmp_path, monkeypatch):
    # EINVAL from fsync of a directory: that file system offers no such guarantee at all.
    model = load_model(synthetic_model_dir)
    real_fsync = os.fsync

    def fsync(fd):
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    folder = str(tmp_path / "model")
    save_model(folder, model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, {})
    monkeypatch.undo()
    assert len(load_model(folder).vectors) == len(model.vectors)


def test_a_folder_of_many_foreign_files_names_three_and_counts_the_rest(synthetic_dir, tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in ("e.txt", "a.txt", "d.txt", "c.txt", "b.txt", "vectors.npy"):
        (folder / name).write_text("x")
    assert train_item2vec.main(["--data", synthetic_dir, "--out", str(folder)] + TRAIN_ARGS) == 2
    assert one_error_line(capsys.readouterr().err) == (
        f"error: {folder}: is not a model folder (it holds 'a.txt', 'b.txt', 'c.txt' and 2 more) and "
        "training replaces the whole --out folder; give --out a new or empty folder, or a folder this "
        "program wrote"
    )
    assert sorted(os.listdir(folder)) == ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "vectors.npy"]


@pytest.mark.parametrize(
    ("bad", "dtype"), [(np.nan, np.float32), (np.inf, np.float32), (3e38, np.float32), (1e30, np.float64)]
)
def test_non_finite_vectors_are_never_saved(previous_model, bad, dtype):
    # 3e38 is a float32, but its row's norm overflows: unit_rows would make it a row of zeros.
    # So does 1e30 given as float64: the norms are taken as the file stores the rows (float32).
    folder, before = previous_model
    model = load_model(folder)
    vectors = np.asarray(model.vectors.unit).astype(dtype)
    vectors[2, :] = bad
    with pytest.raises(storage.ModelError) as caught, warnings.catch_warnings():
        warnings.simplefilter("error")  # and no numpy warning on the way
        save_model(folder, model.vectors.ids, vectors, model.catalog, {})
    assert str(caught.value) == "training produced non-finite vectors; refusing to save them"
    assert_previous_model_intact(folder, before)


def test_a_temp_folder_that_cannot_be_made_is_a_one_line_error(previous_model, monkeypatch):
    folder, before = previous_model
    model = load_model(folder)
    made = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        made.append(kwargs)
        if len(made) > 1:  # the first is check_writable's probe
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_mkdtemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    with pytest.raises(storage.ModelError) as caught:
        save_model(folder, model.vectors.ids, -np.asarray(model.vectors.unit), model.catalog, {})
    assert (
        str(caught.value)
        == f"{folder}: disk full while writing the model; the previous model (if any) is untouched"
    )
    monkeypatch.undo()
    assert_previous_model_intact(folder, before)


def test_only_dead_temp_folders_of_this_program_holding_only_model_files_are_deleted(previous_model):
    # A killed save leaves NAME.tmp-XXXXXXXX (mkdtemp's 8 characters) holding model files:
    # the next save deletes it. Anything else under a similar name is kept, and skipping
    # one (they are visited in name order) never stops the search for the dead one.
    folder, _ = previous_model
    parent = os.path.dirname(folder)
    model = load_model(folder)
    a_file = os.path.join(parent, "model.tmp-aa99yy88")  # a file, not a folder
    open(a_file, "w").write("mine")
    live = os.path.join(parent, "model.tmp-bb34cd56")  # a save still writing it holds its lock
    shutil.copytree(folder, live)
    with_notes = os.path.join(parent, "model.tmp-cc56gh78")  # the user's file in it
    shutil.copytree(folder, with_notes)
    open(os.path.join(with_notes, "notes.txt"), "w").write("mine")
    other_name = os.path.join(parent, "model.tmp-mine")  # not a name mkdtemp makes
    shutil.copytree(folder, other_name)
    dead = os.path.join(parent, "model.tmp-zz12cd34")
    shutil.copytree(folder, dead)
    held = storage.replace.hold(live)
    try:
        save_model(folder, model.vectors.ids, -np.asarray(model.vectors.unit), model.catalog, {})
    finally:
        os.close(held)
    assert not os.path.exists(dead)
    assert os.path.isfile(os.path.join(live, "vectors.npy")) and os.path.isfile(a_file)
    assert os.path.isfile(os.path.join(with_notes, "notes.txt")) and os.path.isfile(
        os.path.join(with_notes, "vectors.npy")
    )
    assert os.path.isfile(os.path.join(other_name, "vectors.npy"))


def test_a_save_leaves_no_file_descriptor_open_and_the_model_knows_its_folder(synthetic_model_dir, tmp_path):
    # The temp folder's lock is held through an fd: it must be closed once the folder is in place.
    model = load_model(synthetic_model_dir)
    folder = str(tmp_path / "model")
    before = set(os.listdir("/proc/self/fd"))
    for sign in (1, -1):
        save_model(folder, model.vectors.ids, sign * np.asarray(model.vectors.unit), model.catalog, {})
    assert set(os.listdir("/proc/self/fd")) - before == set()
    assert load_model(folder).path == folder


@pytest.mark.parametrize("failing", ["aside", "in"])
def test_a_rename_that_fails_during_the_swap_is_reported_and_the_previous_state_kept(
    synthetic_model_dir, tmp_path, monkeypatch, failing
):
    # "aside": renaming the previous model aside fails (nothing to put back: the error is
    # the rename's); "in": renaming the new model in fails where there was no model before.
    model = load_model(synthetic_model_dir)
    folder = copy_model(synthetic_model_dir, tmp_path) if failing == "aside" else str(tmp_path / "model")
    before = file_bytes(folder) if failing == "aside" else None
    real_rename = os.rename

    def rename(src, dst):
        moving = (
            "aside" if os.path.abspath(src) == folder else "in" if ".tmp-" in os.path.basename(src) else None
        )
        if moving == failing:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(storage.ModelError) as caught:
        save_model(folder, model.vectors.ids, -np.asarray(model.vectors.unit), model.catalog, {})
    monkeypatch.undo()
    assert str(caught.value) == (
        f"{folder}: cannot write the model: Permission denied; the previous model (if any) is untouched"
    )
    if failing == "aside":
        assert_previous_model_intact(folder, before)
    else:
        assert not os.path.exists(folder) and leftovers(str(tmp_path)) == []


@pytest.mark.parametrize(
    ("names", "shown"),
    [(["a", "b", "c"], "'a', 'b', 'c'"), (["a", "b", "c", "d"], "'a', 'b', 'c' and 1 more")],
)
def test_foreign_files_are_listed_up_to_three(synthetic_model_dir, tmp_path, names, shown):
    model = load_model(synthetic_model_dir)
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in names:
        (folder / name).write_text("x")
    with pytest.raises(OutputFolderError) as caught:
        save_model(str(folder), model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, {})
    assert str(caught.value).startswith(f"{folder}: is not a model folder (it holds {shown}) and training")
    assert sorted(os.listdir(folder)) == names


def test_an_out_path_that_is_a_file_is_named_so(synthetic_model_dir, tmp_path):
    model = load_model(synthetic_model_dir)
    path = tmp_path / "model"
    path.write_text("mine")
    with pytest.raises(OutputFolderError) as caught:
        save_model(str(path), model.vectors.ids, np.asarray(model.vectors.unit), model.catalog, {})
    assert str(caught.value) == f"{path}: exists and is a file, not a folder; give --out a folder"
    assert path.read_text() == "mine"


def test_the_early_check_probes_the_parent_with_a_temp_folder_named_like_a_save(tmp_path, monkeypatch):
    # The probe proves that the parent is writable (root bypasses permissions, so the calls
    # are recorded): made there, under the name a save's temp folder has, and removed.
    made = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        made.append(kwargs)
        return real_mkdtemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    out = tmp_path / "sub" / "model"
    assert storage.check_writable(str(out)) == str(out.parent)
    assert made == [{"prefix": "model.tmp-", "dir": str(out.parent)}]
    assert os.listdir(out.parent) == []
