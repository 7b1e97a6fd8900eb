"""Training from a corpus file (gensim corpus_file mode) instead of sentences held in memory."""

import json

import numpy as np
import pytest

from conftest import SMALL_CONFIG
from item2vec.cli import train_command as train_item2vec
from item2vec.research.synthetic import genre_accuracy
from item2vec.training.corpus import build_sentences, write_corpus
from item2vec.training.trainer import TrainConfig, train, vocabulary


def read_lines(path):
    with open(path, encoding="ascii") as handle:
        return [line.split() for line in handle.read().splitlines()]


def test_one_chunk_writes_exactly_the_in_memory_corpus(tmp_path, synthetic_dataset):
    vocab = vocabulary(synthetic_dataset, 3)
    path = str(tmp_path / "corpus.txt")
    counts = write_corpus(path, synthetic_dataset.plays, vocab, "log", 4, seed=9, chunk_users=10**6)
    expected = build_sentences(synthetic_dataset.plays, vocab, "log", 4, seed=9)
    assert read_lines(path) == expected
    assert counts == (len(expected), sum(map(len, expected)), max(map(len, expected)))


def test_any_chunk_size_writes_exactly_the_in_memory_corpus(tmp_path, synthetic_dataset):
    vocab = vocabulary(synthetic_dataset, 3)
    whole = build_sentences(synthetic_dataset.plays, vocab, "rank", 3, seed=9)
    for chunk_users in (1, 37, 400):
        path = str(tmp_path / f"corpus-{chunk_users}.txt")
        write_corpus(path, synthetic_dataset.plays, vocab, "rank", 3, seed=9, chunk_users=chunk_users)
        assert read_lines(path) == whole, chunk_users


def test_row_order_of_the_plays_does_not_change_the_corpus(tmp_path, synthetic_dataset):
    vocab = vocabulary(synthetic_dataset, 3)
    shuffled = synthetic_dataset.plays.sample(frac=1.0, random_state=0)
    write_corpus(str(tmp_path / "a.txt"), shuffled, vocab, "rank", 2, chunk_users=50)
    write_corpus(str(tmp_path / "b.txt"), synthetic_dataset.plays, vocab, "rank", 2, chunk_users=50)
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()
    assert build_sentences(shuffled, vocab, "rank", 2) == build_sentences(
        synthetic_dataset.plays, vocab, "rank", 2
    )


def test_streamed_training_is_reproducible_and_finds_the_genres(synthetic_dataset):
    config = TrainConfig(**SMALL_CONFIG)
    first = train(synthetic_dataset, config, progress=False, stream=True)
    again = train(synthetic_dataset, config, progress=False, stream=True)
    memory = train(synthetic_dataset, config, progress=False)
    assert first.streamed and not memory.streamed
    assert first.vectors.tobytes() == again.vectors.tobytes()  # workers=1: byte-identical
    assert np.array_equal(first.artist_ids, memory.artist_ids)
    assert (first.n_sentences, first.n_tokens) == (memory.n_sentences, memory.n_tokens)
    names = dict(synthetic_dataset.artists[["artist_id", "name"]].values.tolist())
    share, _ = genre_accuracy(first.artist_ids, first.vectors, names, topn=5)
    assert share > 0.8  # chance is 0.25 with 4 genres


def test_train_script_stream_flag_is_recorded(tmp_path, synthetic_dir):
    out = tmp_path / "model"
    args = ["--data", synthetic_dir, "--out", str(out), "--quiet", "--vector-size", "8", "--epochs", "2"]
    args += ["--members", "1"]  # one model: what is recorded does not depend on the bag
    assert train_item2vec.main(args + ["--stream"]) == 0
    with open(out / "metadata.json", encoding="utf-8") as handle:
        assert json.load(handle)["training_corpus"] == "file"
    assert train_item2vec.main(args) == 0  # 400 users: below the automatic threshold
    with open(out / "metadata.json", encoding="utf-8") as handle:
        assert json.load(handle)["training_corpus"] == "memory"


def test_streaming_with_nothing_to_learn_raises(synthetic_dataset):
    plays = synthetic_dataset.plays.groupby("user").head(1)  # one artist per user: no context anywhere
    data = type(synthetic_dataset)(
        plays=plays, artists=synthetic_dataset.artists, checksums={}, repairs={}, format="test"
    )
    with pytest.raises(ValueError, match="nothing to learn"):
        train(data, TrainConfig(min_count=1, members=1), progress=False, stream=True)
