"""Bagged embeddings (``--members K``): K seeds, unit rows side by side / sqrt(K)."""

import contextlib
import dataclasses
import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from reliability import copy_model, file_bytes, leftovers

from conftest import REPO, SMALL_CONFIG, Bars
from item2vec.cli import ask_command as ask
from item2vec.cli import train_command as train_item2vec
from item2vec.model.storage import load_model
from item2vec.model.vectors import unit_rows
from item2vec.training import trainer as train_module
from item2vec.training.corpus import write_corpus
from item2vec.training.trainer import TrainConfig, train, train_member

SMALL = TrainConfig(**SMALL_CONFIG)


@pytest.fixture(scope="module")
def members(synthetic_dataset):
    """The one-model runs with seeds s and s+1, and the bag of the two."""
    single = [
        train(synthetic_dataset, dataclasses.replace(SMALL, seed=SMALL.seed + i), progress=False)
        for i in (0, 1)
    ]
    bag = train(synthetic_dataset, dataclasses.replace(SMALL, members=2), progress=False)
    return single, bag


@pytest.mark.slow
def test_bag_is_the_members_unit_rows_side_by_side_over_sqrt_k(members):
    (first, second), bag = members
    assert bag.artist_ids.tolist() == first.artist_ids.tolist() == second.artist_ids.tolist()
    expected = (
        np.hstack([unit_rows(first.vectors), unit_rows(second.vectors)]) * np.float32(1 / np.sqrt(2))
    ).astype(np.float32)
    assert bag.vectors.dtype == np.float32
    assert bag.vectors.shape == (len(first.artist_ids), 2 * SMALL.vector_size)
    assert bag.vectors.tobytes() == expected.tobytes()
    assert bag.config.members == 2


@pytest.mark.slow
def test_bag_cosine_is_the_mean_member_cosine(members):
    (first, second), bag = members
    cosines = [unit_rows(m.vectors) @ unit_rows(m.vectors).T for m in (first, second)]
    np.testing.assert_allclose(bag.vectors @ bag.vectors.T, (cosines[0] + cosines[1]) / 2, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(bag.vectors, axis=1), 1, atol=1e-5)


@pytest.fixture(scope="module")
def three_members(synthetic_dataset):
    """Member i of a bag of three, each trained alone in this process (``train_member``)."""
    config = dataclasses.replace(SMALL, members=3)
    return config, [train_member(synthetic_dataset, config, i) for i in range(3)]


@pytest.mark.slow
@pytest.mark.parametrize("processes", [1, 2, 3])
def test_bagged_training_is_byte_identical_whatever_the_process_count(
    synthetic_dataset, three_members, processes
):
    # 1: one member after another in this process; 2: two processes for three members (one
    # trains two); 3: one process each. Every way gives the bytes of the members trained alone.
    config, alone = three_members
    bag = train(synthetic_dataset, config, progress=False, processes=processes)
    assert bag.vectors.tobytes() == train_module.bag_vectors(m.vectors for m in alone).tobytes()
    assert bag.artist_ids.tolist() == alone[0].artist_ids.tolist()
    assert bag.config == config and bag.n_tokens == alone[0].n_tokens


def test_a_member_trains_alike_from_the_data_or_from_its_corpus_file(
    synthetic_dataset, three_members, tmp_path
):
    # The way the Spark engine hands a member over: the corpus written with the member's seed.
    config, alone = three_members
    vocab = train_module.vocabulary(synthetic_dataset, config.min_count)
    path = str(tmp_path / "corpus.txt")
    counts = write_corpus(
        path, synthetic_dataset.plays, vocab, config.weighting, config.max_repeat, config.seed + 2
    )
    corpus = train_module.CorpusFile(path, *counts, len(vocab))
    from_file = train_member(corpus, config, 2, stream=False)
    assert from_file.vectors.tobytes() == alone[2].vectors.tobytes()
    assert from_file.config.seed == config.seed + 2 and from_file.config.members == 1


@pytest.mark.slow
def test_one_member_is_the_plain_model(synthetic_dataset, members):
    (first, _), _ = members
    assert train(
        synthetic_dataset, dataclasses.replace(SMALL, members=1), progress=False
    ).vectors.tobytes() == (first.vectors.tobytes())


@pytest.mark.slow
def test_train_script_with_members_writes_a_model_ask_answers_from(synthetic_dir, tmp_path):
    out = str(tmp_path / "bag")
    args = ["--data", synthetic_dir, "--out", out, "--quiet", "--vector-size", "8", "--epochs", "2"]
    assert train_item2vec.main(args + ["--members", "2", "--processes", "2"]) == 0
    model = load_model(out)
    assert model.vectors.unit.shape[1] == 16
    meta = json.load(open(os.path.join(out, "metadata.json")))
    assert meta["hyperparameters"]["members"] == 2
    assert meta["hyperparameters"]["vector_size"] == 8  # one member's
    assert meta["vector_size"] == 16  # the stored width
    assert model.min_count == SMALL.min_count
    stdout, err = io.StringIO(), io.StringIO()
    name = model.catalog.names[int(np.searchsorted(model.catalog.ids, model.vectors.ids[0]))]
    assert ask.main([name, "--json", "--model", out], out=stdout, err=err) == 0, err.getvalue()
    assert len(json.loads(stdout.getvalue())["results"]) > 0


@pytest.mark.parametrize("flag", ["--members", "--processes"])
def test_zero_members_or_processes_is_a_usage_error(synthetic_dir, tmp_path, capsys, flag):
    code = train_item2vec.main(["--data", synthetic_dir, "--out", str(tmp_path / "m"), flag, "0"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "at least 1" in err
    assert not os.path.exists(tmp_path / "m")


def _alive(pid):
    """Whether ``pid`` exists, zombies included (a reaped child is gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_ctrl_c_during_bagged_training_stops_the_members_and_keeps_the_previous_model(
    synthetic_dir, synthetic_model_dir, tmp_path, monkeypatch, capsys, request
):
    folder = copy_model(synthetic_model_dir, tmp_path)
    before = file_bytes(folder)
    # Members that would train for minutes, so the interrupt surely comes while they run.
    slow = train_module.member_config
    monkeypatch.setattr(
        train_module, "member_config", lambda c, i: dataclasses.replace(slow(c, i), epochs=100_000)
    )
    # A real SIGINT to this process, the parent, once its members run; Python raises
    # KeyboardInterrupt only with its default handler installed (background jobs start
    # with SIGINT ignored).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    pids = []

    def interrupt_when_members_run():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(pids) < 2:
            pids[:] = [p.pid for p in multiprocessing.active_children()]
            time.sleep(0.05)
        time.sleep(1.0)  # past start-up: inside gensim
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt_when_members_run, daemon=True)
    thread.start()
    started = time.monotonic()
    code = train_item2vec.main(
        ["--data", synthetic_dir, "--out", folder, "--quiet", "--members", "2", "--processes", "2"]
    )
    thread.join()
    assert code == 130
    assert time.monotonic() - started < 60
    assert "was not changed" in capsys.readouterr().err
    assert len(pids) == 2
    assert not any(_alive(pid) for pid in pids), "member processes left running or as zombies"
    assert file_bytes(folder) == before
    assert leftovers(os.path.dirname(folder)) == []


@pytest.mark.slow
def test_an_interrupt_between_two_finished_members_stops_the_others_at_once(synthetic_dataset, monkeypatch):
    # Member 0 finishes at once, the others would train for minutes; the interrupt lands
    # while the parent counts member 0 on the progress bar, outside the wait for results.
    quick = train_module.member_config
    monkeypatch.setattr(
        train_module,
        "member_config",
        lambda c, i: dataclasses.replace(quick(c, i), epochs=1 if i == 0 else 100_000),
    )
    import tqdm.auto

    class Interrupted(tqdm.auto.tqdm):
        def update(self, n=1):
            raise KeyboardInterrupt

    monkeypatch.setattr(tqdm.auto, "tqdm", Interrupted)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt) as caught:
        train(synthetic_dataset, dataclasses.replace(SMALL, members=3), progress=False, processes=2)
    # The traceback (so the trainer's frames) is still alive here, as in a caller's except
    # block (train_item2vec.py prints its message there): the members must be gone already.
    assert caught.traceback and multiprocessing.active_children() == []
    assert time.monotonic() - started < 60


def _members_of(pid):
    """Pids of the member processes of ``pid`` (its spawned pool workers)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except (OSError, ValueError):  # not a process, or gone meanwhile
            continue
        if int(fields[1]) == pid and b"spawn_main" in command:
            found.append(int(entry))
    return found


def _running(pid):
    """Whether ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux stops a dead parent's members")
def test_a_trainer_killed_outright_leaves_no_member_running(synthetic_dir, tmp_path):
    # SIGKILL (or an uncaught SIGTERM) gives the trainer no chance to stop its members:
    # they must stop by themselves, not train on for minutes as orphans.
    trainer = subprocess.Popen(
        [sys.executable, os.path.join(REPO, "train_item2vec.py"), "--data", synthetic_dir]
        + ["--out", str(tmp_path / "model"), "--quiet", "--members", "2", "--processes", "2"]
        + ["--epochs", "100000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    members = []
    try:
        deadline = time.monotonic() + 60
        while len(members) < 2 and time.monotonic() < deadline:
            members = _members_of(trainer.pid)
            time.sleep(0.1)
        assert len(members) == 2, "the members did not start"
        time.sleep(1.0)  # past start-up: training
        trainer.kill()
        trainer.wait()
        deadline = time.monotonic() + 20
        while any(_running(pid) for pid in members) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_running(pid) for pid in members), "members still training after their parent died"
    finally:
        trainer.kill()
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert not os.path.exists(tmp_path / "model")


@pytest.mark.slow
def test_streamed_members_bag_like_the_in_memory_ones(synthetic_dataset, tmp_path):
    # --stream and --members combine: each member writes and trains from its own corpus file.
    config = dataclasses.replace(SMALL, members=2)
    bag = train(synthetic_dataset, config, progress=False, stream=True, tmp_dir=str(tmp_path))
    single = [
        train(synthetic_dataset, train_module.member_config(config, i), progress=False, stream=True).vectors
        for i in (0, 1)
    ]
    assert bag.streamed
    assert bag.vectors.tobytes() == train_module.bag_vectors(single).tobytes()
    assert os.listdir(tmp_path) == []


# A bag trained in this process (``processes=1``): fast, and the mutation runs can see every
# line of the bag's code, which they cannot in spawned member processes.
TINY = dataclasses.replace(SMALL, vector_size=8, epochs=1, members=2)


@pytest.fixture(scope="module")
def tiny_members(tiny_dataset):
    return [train_member(tiny_dataset, TINY, i) for i in range(TINY.members)]


def _bag_of(members):
    return (
        np.hstack([unit_rows(m.vectors) for m in members]) * np.float32(1 / np.sqrt(len(members)))
    ).astype(np.float32)


def _no_processes(*args, **kwargs):
    raise AssertionError("a member process was started")


def test_a_bag_trained_with_one_process_trains_its_members_here_one_after_another(
    tiny_dataset, tiny_members, monkeypatch, caplog
):
    monkeypatch.setattr(train_module, "run_in_processes", _no_processes)
    bars = Bars().install(monkeypatch)
    caplog.set_level("INFO", logger=train_module.__name__)
    started = time.perf_counter()
    bag = train(tiny_dataset, TINY, progress=True, processes=1)
    took = time.perf_counter() - started
    assert bag.vectors.tobytes() == _bag_of(tiny_members).tobytes()
    assert bag.vectors.dtype == np.float32 and bag.vectors.flags.c_contiguous
    assert bag.vectors.shape == (len(tiny_members[0].artist_ids), 2 * TINY.vector_size)
    assert bag.artist_ids.tolist() == tiny_members[0].artist_ids.tolist()
    assert bag.config == TINY and not bag.streamed
    assert (bag.n_sentences, bag.n_tokens) == (tiny_members[0].n_sentences, tiny_members[0].n_tokens)
    assert 0 < bag.seconds <= took
    messages = [r.getMessage() for r in caplog.records if r.name == train_module.__name__]
    assert "training 2 bagged members in 1 processes" in messages
    n = len(bag.artist_ids)
    assert any(m.startswith(f"trained {n} bagged artist vectors (2 members) in ") for m in messages)
    # One bar for the bag, counting members to the end; the members' epoch bars are hidden.
    assert bars.shown() == [(dict(total=2, desc="training members", unit="member", disable=False), 2, True)]
    assert len(bars.made) == 3


def test_bag_vectors_are_unit_rows_side_by_side_over_sqrt_k(tiny_members):
    three = [*tiny_members, tiny_members[0]]
    combined = train_module.bag_vectors(m.vectors for m in three)
    assert combined.dtype == np.float32 and combined.flags.c_contiguous
    assert combined.tobytes() == _bag_of(three).tobytes()
    np.testing.assert_allclose(np.linalg.norm(combined, axis=1), 1, atol=1e-6)


def _in_order_of(order, calls):
    """A stand-in for the process pool: runs the jobs here, yields them in ``order``."""

    def run(function, jobs, processes):
        calls.append((len(jobs), processes))
        for i in order(range(len(jobs))):
            yield i, function(*jobs[i])

    return run


@pytest.mark.parametrize(
    ("processes", "cpus", "started"),
    [(None, 2, 2), (5, 1, 2), (None, None, None), (None, 1, None), (2, 8, 2), (1, 8, None)],
)
def test_the_process_count_is_at_most_the_members_and_one_means_here(
    tiny_dataset, tiny_members, monkeypatch, processes, cpus, started
):
    # Default: one process per core, never more than members; no core count known: one.
    calls = []
    monkeypatch.setattr(train_module, "run_in_processes", _in_order_of(reversed, calls))
    monkeypatch.setattr(train_module.os, "cpu_count", lambda: cpus)
    bag = train(tiny_dataset, TINY, progress=False, processes=processes)
    assert calls == ([] if started is None else [(2, started)])
    # Results come back as members finish, not in order: each lands in its own place.
    assert bag.vectors.tobytes() == _bag_of(tiny_members).tobytes()


def test_a_bag_uses_processes_when_this_process_runs_other_blas_kernels(tiny_dataset, monkeypatch):
    calls = []
    monkeypatch.setattr(train_module, "run_in_processes", _in_order_of(list, calls))
    monkeypatch.setattr(train_module.blas, "kernels_ready", lambda: False)
    bars = Bars().install(monkeypatch)
    train(tiny_dataset, TINY, progress=False, processes=1)
    assert calls == [(2, 1)]
    assert bars.shown() == [] and len(bars.made) == 3  # progress=False: no bar shows


def test_members_with_another_vocabulary_are_refused(tiny_dataset, tiny_members, monkeypatch):
    def run(function, jobs, processes):
        yield 0, tiny_members[0]
        other = dataclasses.replace(tiny_members[1], artist_ids=tiny_members[1].artist_ids + 1)
        yield 1, other

    monkeypatch.setattr(train_module, "run_in_processes", run)
    with pytest.raises(AssertionError, match="^bagged member 1 has another vocabulary than member 0$"):
        train(tiny_dataset, TINY, progress=False, processes=2)


def test_a_streamed_bag_writes_each_member_s_corpus_in_tmp_dir(tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(train_module, "run_in_processes", _no_processes)
    written = []
    real = train_module.write_corpus

    def write_corpus(path, *args):
        written.append(os.path.dirname(os.path.dirname(path)))
        return real(path, *args)

    monkeypatch.setattr(train_module, "write_corpus", write_corpus)
    bag = train(tiny_dataset, TINY, progress=False, stream=True, tmp_dir=str(tmp_path), processes=1)
    streamed = [train_member(tiny_dataset, TINY, i, stream=True) for i in range(2)]
    assert bag.streamed is True
    assert bag.vectors.tobytes() == _bag_of(streamed).tobytes()
    assert written[:2] == [str(tmp_path)] * 2
    assert os.listdir(tmp_path) == []
