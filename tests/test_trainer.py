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
import time
import types

import numpy as np
import pytest

from conftest import SMALL_CONFIG, Bars
from item2vec.model.storage import load_model
from item2vec.training import trainer
from item2vec.training.corpus import build_sentences, write_corpus

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
    corpus_file = trainer.CorpusFile(path, sentences, tokens, longest, artists)
    trained = trainer.train_member(corpus_file, TINY, progress=True, stream=stream)
    assert trained.streamed is stream and (trained.n_sentences, trained.n_tokens) == (sentences, tokens)
    # One bar step per epoch.
    assert bars.shown() == [(dict(total=2, desc="training", unit="epoch", disable=False), 2, True)]
    on_disk = " (streamed from disk)" if stream else ""
    assert _corpus_line(caplog) == [
        f"corpus: {sentences} sentences, {tokens} tokens, {artists} artists, window 3{on_disk}"
    ]


def test_window_zero_is_the_longest_sentence(corpus, caplog):
    path, counts, artists = corpus
    caplog.set_level("INFO", logger=trainer.__name__)
    whole = dataclasses.replace(TINY, window=0)
    trainer.train_member(trainer.CorpusFile(path, *counts, artists), whole, stream=True)
    trainer.train_member(trainer.CorpusFile(path, *counts, artists), whole, stream=False)
    assert [line.split(", ")[3] for line in _corpus_line(caplog)] == [
        f"window {counts[2]} (streamed from disk)"
    ] + [f"window {max(len(line.split()) for line in open(path, encoding='ascii'))}"]


def test_an_empty_corpus_file_is_refused(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("")
    for stream in (True, False):
        with pytest.raises(ValueError) as refused:
            trainer.train_member(trainer.CorpusFile(str(path), 0, 0, 0, 5), TINY, stream=stream)
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
    trainer.train_and_save(tiny_dataset, str(tmp_path / "quiet"), config, progress=False, **options)
    assert len(bars.shown()) == 1  # no second bar
    assert meta["training_corpus"] == corpus_kind and trained.streamed is (corpus_kind == "file")
    with open(tmp_path / "model" / "metadata.json", encoding="utf-8") as handle:
        assert json.load(handle)["training_corpus"] == corpus_kind
    assert os.path.isfile(tmp_path / "model" / "vectors.npy")


@pytest.mark.parametrize(
    ("setting", "edge", "beyond", "message"),
    [
        ("vector_size", 1, 0, "vector_size must be at least 1"),
        ("window", 0, -1, "window must be 0 (whole list) or positive"),
        ("epochs", 1, 0, "epochs must be at least 1"),
        ("negative", 1, 0, "negative must be at least 1"),
        ("sample", 0.0, -1e-9, "sample must be non-negative"),
        ("alpha", 1e-9, 0.0, "alpha must be positive"),
        ("min_alpha", 0.0, -1e-9, "min_alpha must be between 0 and alpha"),
        ("min_alpha", 0.05, 0.0500001, "min_alpha must be between 0 and alpha"),
        ("min_count", 1, 0, "min_count must be at least 1"),
        ("weighting", "none", "linear", "weighting must be one of none, log, rank"),
        ("max_repeat", 1, 0, "max_repeat must be at least 1"),
        ("workers", 1, 0, "workers must be at least 1"),
        ("members", 1, 0, "members must be at least 1"),
        ("ns_exponent", -50.0, float("nan"), "ns_exponent must be a finite number"),
        ("ns_exponent", 50.0, float("inf"), "ns_exponent must be a finite number"),
    ],
)
def test_each_setting_is_checked_at_its_edge(setting, edge, beyond, message):
    base = trainer.TrainConfig(alpha=0.05, min_alpha=0.0 if setting == "alpha" else 0.0001)
    dataclasses.replace(base, **{setting: edge}).validate()  # the edge itself is allowed
    with pytest.raises(ValueError) as refused:
        dataclasses.replace(base, **{setting: beyond}).validate()
    assert str(refused.value) == message


def test_gensim_gets_every_setting_of_the_config():
    config = trainer.TrainConfig(
        vector_size=7, shrink_windows=True, negative=3, ns_exponent=0.5, sample=0.01, alpha=0.2,
        min_alpha=0.02, epochs=4, seed=11,
    )  # fmt: skip
    assert trainer.gensim_settings(config) == {
        "vector_size": 7,
        "shrink_windows": True,
        "min_count": 1,  # the vocabulary is cut to min_count listeners before
        "hs": 0,
        "negative": 3,
        "ns_exponent": 0.5,
        "sample": 0.01,
        "alpha": 0.2,
        "min_alpha": 0.02,
        "epochs": 4,
        "seed": 11,
    }


def test_a_member_is_gensim_s_skip_gram_on_the_member_s_sentences_in_id_order(tiny_dataset, caplog):
    from gensim.models import Word2Vec

    from item2vec.training.corpus import build_sentences

    config = dataclasses.replace(TINY, members=3)
    caplog.set_level("INFO", logger=trainer.__name__)
    member = trainer.train_member(tiny_dataset, config, 2)
    vocab = trainer.vocabulary(tiny_dataset, config.min_count)
    sentences = build_sentences(
        tiny_dataset.plays, vocab, config.weighting, config.max_repeat, config.seed + 2
    )
    settings = trainer.gensim_settings(dataclasses.replace(config, seed=config.seed + 2))
    model = Word2Vec(sentences, **settings, window=3, sg=1, workers=1)
    order = np.argsort([int(k) for k in model.wv.index_to_key])
    assert member.artist_ids.tolist() == vocab.tolist()
    assert member.vectors.dtype == np.float32 and member.vectors.flags.c_contiguous
    assert member.vectors.tobytes() == np.ascontiguousarray(model.wv.vectors[order]).tobytes()
    assert member.config == trainer.member_config(config, 2) and member.config.seed == config.seed + 2
    assert member.n_sentences == len(sentences) and member.n_tokens == sum(map(len, sentences))
    assert member.streamed is False and member.seconds > 0
    assert any(r.getMessage().startswith(f"trained {len(vocab)} artist vectors in ") for r in caplog.records)


def test_a_member_trains_in_a_fresh_process_when_this_one_runs_other_blas_kernels(
    tiny_dataset, monkeypatch, caplog
):
    jobs = []

    def one_process(function, given, processes):
        jobs.append((function, given, processes))
        yield 0, function(*given[0])

    monkeypatch.setattr(trainer.blas, "kernels_ready", lambda: False)
    monkeypatch.setattr(trainer, "run_in_processes", one_process)
    caplog.set_level("INFO", logger=trainer.__name__)
    here = trainer.train_member(tiny_dataset, TINY, 1, progress=False, stream=True, tmp_dir="/tmp")
    assert [(f.__name__, len(g), p) for f, g, p in jobs] == [("_train_here", 1, 1)]
    assert jobs[0][1][0][1:] == (trainer.member_config(TINY, 1), False, True, "/tmp")
    assert here.streamed and here.config.seed == TINY.seed + 1
    assert "scipy's BLAS was loaded before its kernels could be pinned: training in a fresh process" in [
        r.getMessage() for r in caplog.records
    ]


def test_too_few_artists_with_enough_listeners_is_refused(tiny_dataset):
    with pytest.raises(ValueError) as refused:
        trainer.train(tiny_dataset, dataclasses.replace(TINY, min_count=10**6), progress=False)
    assert (
        str(refused.value)
        == "only 0 artist(s) have at least 1000000 listeners; lower min_count or use more data"
    )
    trainer.check_vocabulary(2, 5)  # two are enough
    with pytest.raises(ValueError, match="^only 1 artist"):
        trainer.check_vocabulary(1, 5)


@pytest.fixture(scope="module")
def tiny_member(tiny_dataset):
    return trainer.train(tiny_dataset, dataclasses.replace(TINY, members=1), progress=False)


def test_the_saved_folder_holds_the_item_item_weights_it_counts(tiny_dataset, tiny_member, tmp_path):
    meta = trainer.save_trained(str(tmp_path / "model"), tiny_member, tiny_dataset)
    assert sorted(os.listdir(tmp_path / "model")) == [
        "catalog.npz",
        "item_weights.npz",
        "metadata.json",
        "vectors.npy",
    ]
    rows = load_model(str(tmp_path / "model")).item_weights.rows
    with_neighbours = sum(bool((row >= 0).any()) for row in rows)
    assert with_neighbours > 1
    assert meta["item_weights"]["artists"] == with_neighbours and meta["item_weights"]["method"] == "EASE"
    assert meta["training_corpus"] == "memory" and meta["trainer"] == "gensim" and "confidence" not in meta


def test_the_metadata_says_what_trained_the_model_and_keeps_its_confidence_table(
    tiny_dataset, tiny_member, tmp_path
):
    from item2vec.query.ranking import DEFAULT_RANKING, rare_ranking

    band = {"min_listeners": 1, "max_listeners": None, "folded": False, "value": 0.5, "low": 0.4, "high": 0.6}
    table = {
        "k": 10,
        "ranking": dataclasses.asdict(DEFAULT_RANKING),
        "rare_ranking": dataclasses.asdict(rare_ranking(DEFAULT_RANKING)),
        "bands": [{**band, "queries": 100, "users": 50}],
    }
    mllib = dataclasses.replace(tiny_member, engine="spark", trainer="mllib", trainer_settings={"maxIter": 2})
    meta = trainer.save_trained(str(tmp_path / "spark"), mllib, tiny_dataset, confidence=table)
    assert meta["training_corpus"] == "spark" and meta["mllib"] == {"maxIter": 2}
    assert meta["confidence"] == table
    assert load_model(str(tmp_path / "spark")).metadata["confidence"] == table
    streamed = dataclasses.replace(tiny_member, streamed=True)
    meta = trainer.save_trained(str(tmp_path / "file"), streamed, tiny_dataset)
    assert meta["training_corpus"] == "file" and "gensim" not in meta


def test_one_model_is_member_0_with_its_raw_vectors_and_a_bar_by_default(
    tiny_dataset, tiny_member, monkeypatch
):
    bars = Bars().install(monkeypatch)
    one = dataclasses.replace(TINY, members=1)
    trained = trainer.train(tiny_dataset, one)
    assert bars.shown() == [(dict(total=2, desc="training", unit="epoch", disable=False), 2, True)]
    assert (
        trained.vectors.tobytes() == tiny_member.vectors.tobytes()
    )  # not unit rows: a bag of one is not made
    assert trained.config == one and trained.config.seed == TINY.seed
    # A member alone shows no bar unless asked.
    bars.made.clear()
    trainer.train_member(tiny_dataset, one)
    assert bars.shown() == []
    trainer.train_member(tiny_dataset, one, progress=True)
    assert len(bars.shown()) == 1


def test_a_streamed_model_writes_its_corpus_in_tmp_dir(tiny_dataset, tmp_path, monkeypatch):
    written = []
    real = trainer.write_corpus

    def write_corpus(path, *args):
        written.append(os.path.dirname(os.path.dirname(path)))
        # A folder left behind by a killed run says what it was.
        assert os.path.basename(os.path.dirname(path)).startswith("item2vec-corpus-")
        return real(path, *args)

    monkeypatch.setattr(trainer, "write_corpus", write_corpus)
    one = dataclasses.replace(TINY, members=1)
    assert trainer.train(tiny_dataset, one, progress=False, stream=True, tmp_dir=str(tmp_path)).streamed
    assert trainer.train_member(tiny_dataset, one, stream=True, tmp_dir=str(tmp_path)).streamed
    assert written == [str(tmp_path)] * 2 and os.listdir(tmp_path) == []


def test_users_with_one_artist_each_leave_nothing_to_learn(tiny_dataset):
    plays = tiny_dataset.plays.drop_duplicates("user").head(30)
    data = dataclasses.replace(tiny_dataset, plays=plays)
    one = dataclasses.replace(TINY, members=1, min_count=1)
    for stream in (False, True):
        with pytest.raises(ValueError) as refused:
            trainer.train(data, one, progress=False, stream=stream)
        assert str(refused.value) == (
            "no user listens to two or more artists of the vocabulary; nothing to learn from"
        )


def test_a_member_trained_alone_checks_its_vocabulary_too(tiny_dataset):
    with pytest.raises(ValueError) as refused:
        trainer.train_member(tiny_dataset, dataclasses.replace(TINY, min_count=10**6))
    assert (
        str(refused.value)
        == "only 0 artist(s) have at least 1000000 listeners; lower min_count or use more data"
    )


def test_an_artist_whose_only_partner_is_the_first_row_counts_as_having_item_weights(tmp_path):
    # Two artists, listed together by every user: each one's only partner is the other, and
    # artist 10's partner is row 0 of the table (row numbers start at 0, -1 is "none").
    import pandas as pd

    from item2vec.ingest.formats import load_dataset
    from item2vec.research.synthetic import write_kaggle

    plays = pd.DataFrame({"user_id": [1, 1, 2, 2, 3, 3], "artist_id": [10, 20] * 3, "scrobbles": [5, 3] * 3})
    write_kaggle(str(tmp_path), plays, pd.DataFrame({"artist_id": [10, 20], "artist_name": ["A", "B"]}))
    dataset = load_dataset(str(tmp_path))
    two = trainer.TrainedModel(np.array([10, 20]), np.eye(2, 4, dtype=np.float32), TINY, 0.0, 3, 6)
    meta = trainer.save_trained(str(tmp_path / "model"), two, dataset)
    assert load_model(str(tmp_path / "model")).item_weights.rows.tolist() == [[1], [0]]
    assert meta["item_weights"]["artists"] == 2


def test_a_streamed_member_trains_on_the_corpus_of_its_own_seed_and_times_itself(tiny_dataset, monkeypatch):
    # The corpus file the member writes is the one the Spark engine hands over for it:
    # its users' tokens in the order of seed config.seed + index.
    written = []
    real = trainer.write_corpus

    def write_corpus(path, *args):
        counts = real(path, *args)
        with open(path, encoding="ascii") as handle:
            written.append([line.split() for line in handle])
        return counts

    monkeypatch.setattr(trainer, "write_corpus", write_corpus)
    before = time.perf_counter()
    member = trainer.train_member(tiny_dataset, TINY, 1, progress=False, stream=True)
    elapsed = time.perf_counter() - before
    vocab = trainer.vocabulary(tiny_dataset, TINY.min_count)
    plays, weighting, repeat = tiny_dataset.plays, TINY.weighting, TINY.max_repeat
    assert written == [build_sentences(plays, vocab, weighting, repeat, TINY.seed + 1)]
    assert build_sentences(plays, vocab, weighting, repeat, 0) != written[0]  # the seed shows
    assert 0 < member.seconds <= elapsed


def test_item_weights_of_other_vectors_are_refused_before_anything_is_written(
    tiny_dataset, tiny_member, tmp_path
):
    from item2vec.model.storage import empty_item_weights

    n = len(tiny_member.artist_ids)
    with pytest.raises(ValueError) as refused:
        trainer.save_trained(
            str(tmp_path / "m"), tiny_member, tiny_dataset, item_weights=empty_item_weights(n - 1)
        )
    assert str(refused.value) == f"{n - 1} rows of item weights for {n} vectors"
    assert os.listdir(tmp_path) == []


def test_the_blas_kernels_of_members_trained_elsewhere_are_recorded(tiny_dataset, tiny_member, tmp_path):
    # Not the kernels of this process (training/blas.py may have pinned Haswell here).
    elsewhere = dataclasses.replace(tiny_member, blas_kernels="Prescott")
    assert trainer.save_trained(str(tmp_path / "a"), elsewhere, tiny_dataset)["blas_kernels"] == "Prescott"
    here = trainer.save_trained(str(tmp_path / "b"), tiny_member, tiny_dataset)["blas_kernels"]
    assert here == (os.environ.get("OPENBLAS_CORETYPE") or "cpu default")


def test_a_member_trained_without_an_index_is_member_0(tiny_dataset):
    # research/leads.py trains its one member so: with the config's own seed.
    assert trainer.train_member(tiny_dataset, TINY, progress=False).config.seed == TINY.seed
