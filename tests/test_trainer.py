"""The trainer's steps around gensim (training/trainer.py), on tiny data in the test process.

What the members, the corpus file and the metadata get from the trainer, pinned where the
mutation runs see it (tests/test_bagging.py has the bag's side).
"""

import dataclasses
import json
import os
import platform
import re
import sys
import types

import numpy as np
import pytest

from conftest import SMALL_CONFIG, Bars
from item2vec.model.storage import load_model
from item2vec.training import trainer
from item2vec.training.corpus import write_corpus

TINY = trainer.TrainConfig(**dict(SMALL_CONFIG, vector_size=8, epochs=2, window=3))


@pytest.fixture(scope="module")
def corpus(tiny_dataset, tmp_path_factory):
    """TINY's corpus file of the tiny data, and its counts."""
    vocab = trainer.vocabulary(tiny_dataset, TINY.min_count)
    path = str(tmp_path_factory.mktemp("corpus") / "corpus.txt")
    counts = write_corpus(path, tiny_dataset.plays, vocab, TINY.weighting, TINY.max_repeat, TINY.seed)
    return path, counts, len(vocab)


def _corpus_line(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("corpus: ")]


@pytest.mark.parametrize("stream", [True, False])
def test_a_corpus_file_trains_with_a_bar_per_epoch_and_says_what_it_trains_on(
    corpus, monkeypatch, caplog, stream
):
    path, (sentences, tokens, longest), artists = corpus
    bars = Bars().install(monkeypatch)
    caplog.set_level("INFO", logger=trainer.__name__)
    trained = trainer.train_corpus_file(path, (sentences, tokens, longest), artists, TINY, stream=stream)
    assert trained.streamed is stream and (trained.n_sentences, trained.n_tokens) == (sentences, tokens)
    # The bar is on by default (the Spark engine's runs show it), one step per epoch.
    assert bars.shown() == [(dict(total=2, desc="training", unit="epoch", disable=False), 2, True)]
    on_disk = " (streamed from disk)" if stream else ""
    assert _corpus_line(caplog) == [
        f"corpus: {sentences} sentences, {tokens} tokens, {artists} artists, window 3{on_disk}"
    ]


def test_window_zero_is_the_longest_sentence(corpus, caplog):
    path, counts, artists = corpus
    caplog.set_level("INFO", logger=trainer.__name__)
    whole = dataclasses.replace(TINY, window=0)
    trainer.train_corpus_file(path, counts, artists, whole, progress=False)
    trainer.train_corpus_file(path, counts, artists, whole, progress=False, stream=False)
    assert [line.split(", ")[3] for line in _corpus_line(caplog)] == [
        f"window {counts[2]} (streamed from disk)"
    ] + [f"window {max(len(line.split()) for line in open(path, encoding='ascii'))}"]


def test_an_empty_corpus_file_is_refused(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("")
    for stream in (True, False):
        with pytest.raises(ValueError) as refused:
            trainer.train_corpus_file(str(path), (0, 0, 0), 5, TINY, progress=False, stream=stream)
        assert str(refused.value) == (
            "no user listens to two or more artists of the vocabulary; nothing to learn from"
        )


def test_the_corpus_streams_from_disk_above_a_million_rows_unless_told():
    assert trainer.STREAM_ABOVE_ROWS == 1_000_000
    assert not trainer.should_stream(1_000_000) and trainer.should_stream(1_000_001)
    assert trainer.should_stream(10, True) and not trainer.should_stream(10**9, False)


def test_the_metadata_names_the_versions_that_trained_the_model(tiny_dataset, monkeypatch):
    import gensim
    import pandas

    monkeypatch.delitem(sys.modules, "pyspark", raising=False)
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    meta = trainer.build_metadata(TINY, tiny_dataset, 1.234, 10, 20, extra={"engine": "x"})
    assert meta["library_versions"] == {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "gensim": gensim.__version__,
        "pandas": pandas.__version__,
        **meta["library_versions"],  # pyspark too when the Spark engine ran in this process
    }
    assert list(meta["library_versions"])[:4] == ["python", "numpy", "gensim", "pandas"]
    assert meta["training_seconds"] == 1.23 and meta["corpus"] == {"sentences": 10, "tokens": 20}
    assert meta["engine"] == "x" and meta["hyperparameters"] == dataclasses.asdict(TINY)
    assert "pyspark" not in meta["library_versions"] and meta["blas_kernels"] == "Haswell"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", meta["created"])  # UTC, to the second
    # After a Spark run in this process its version too; without a pinned kernel, the CPU's own.
    monkeypatch.setitem(sys.modules, "pyspark", types.SimpleNamespace(__version__="9.8.7"))
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    meta = trainer.build_metadata(TINY, tiny_dataset, 2, 10, 20)
    assert meta["library_versions"]["pyspark"] == "9.8.7" and meta["blas_kernels"] == "cpu default"
    assert meta["training_seconds"] == 2.0


def test_the_saved_catalogue_has_the_latin_keys_of_names_in_other_scripts(tiny_dataset, tmp_path):
    artists = tiny_dataset.artists.copy()
    artists.loc[0, "name"] = "浜崎あゆみ"
    data = dataclasses.replace(tiny_dataset, artists=artists)
    trained = trainer.train(data, dataclasses.replace(TINY, members=1), progress=False)
    trainer.save_trained(str(tmp_path / "model"), trained, data)
    catalog = load_model(str(tmp_path / "model")).catalog
    assert "hamasaki ayumi" in catalog.romanized_of(0) and catalog.romanized_of(1) == []


@pytest.mark.parametrize(("stream", "corpus_kind"), [(None, "memory"), (True, "file"), (False, "memory")])
def test_train_and_save_shows_progress_by_default_and_streams_when_asked(
    tiny_dataset, tmp_path, monkeypatch, stream, corpus_kind
):
    bars = Bars().install(monkeypatch)
    config = dataclasses.replace(TINY, epochs=1, members=1)
    options = {} if stream is None else {"stream": stream}
    trained, meta = trainer.train_and_save(tiny_dataset, str(tmp_path / "model"), config, **options)
    assert bars.shown() == [(dict(total=1, desc="training", unit="epoch", disable=False), 1, True)]
    assert meta["training_corpus"] == corpus_kind and trained.streamed is (corpus_kind == "file")
    with open(tmp_path / "model" / "metadata.json", encoding="utf-8") as handle:
        assert json.load(handle)["training_corpus"] == corpus_kind
    assert os.path.isfile(tmp_path / "model" / "vectors.npy")
