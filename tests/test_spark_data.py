"""The Spark engine reads, cleans and builds the corpus exactly as the pandas path does (local Spark).

Each test reads the same files with both engines and compares what they give:
the cleaned plays, the artist table, the counted repairs, and the corpus file
byte for byte, on the real Kaggle data, on generated listening events with every
kind of faulty line, and on small HetRec and Last.fm-360K files.
"""

import numpy as np
import pandas as pd
import pytest
from test_events import DIRTY_LINES, DIRTY_REPAIRS
from test_formats import write_360k, write_hetrec

from conftest import SMALL_CONFIG
from item2vec.errors import DataError
from item2vec.ingest.cleaning import Dataset, as_int
from item2vec.ingest.formats import LFM1B_EVENTS, load_dataset
from item2vec.research.synthetic import genre_accuracy, write_lfm1b
from item2vec.training.corpus import token_keys, write_corpus
from item2vec.training.trainer import TrainConfig, vocabulary

pytestmark = pytest.mark.spark

#: Lines only the Spark reader could get wrong: they are not in its fast path.
SPARK_ODD_LINES = [
    "\ufeff7\t5\t1\t1\t1200000000",  # a byte-order mark inside the file: not an integer for pandas either
    "7\t5\talbum \ufffd\t1\t1200000000",  # U+FFFD written as text: valid UTF-8, a valid event
    "8\t5\t1\t1\t1200000000\r",  # CR LF line end
    "   ",  # spaces only: skipped, not a row
    "\t\t\t\t",  # tabs only: a row of empty fields, malformed
    "9\t123456789012345678\t1\t1\t1",  # 18 digits: canonical, artist unknown
    "9\t5\t1\t1\t+12",  # signed timestamp: valid
    "9\t 6\t1\t1\t1e3",  # padded id, timestamp in exponent form: valid
]


def assert_same_data(spark_data, pandas_data):
    pd.testing.assert_frame_equal(spark_data.plays, pandas_data.plays)
    assert spark_data.artists.values.tolist() == pandas_data.artists.values.tolist()
    assert spark_data.repairs == pandas_data.repairs
    assert spark_data.checksums == pandas_data.checksums
    assert spark_data.format == pandas_data.format


def spark_dataset(clean):
    """The Spark engine's cleaned data as a Dataset, its pairs collected (the tests' small data only:
    the engine itself never brings them to the driver)."""
    from item2vec.spark.paths import checksums

    plays = clean.pairs.toPandas().astype(np.int64).sort_values(["user", "artist_id"]).reset_index(drop=True)
    return Dataset(plays, clean.artists, checksums(clean.inputs), clean.repairs, clean.format)


def load_both(spark, path, fmt="auto", share=None):
    """(Spark's CleanPlays, as a Dataset) and the pandas engine's Dataset of the same files."""
    from item2vec.spark import pipeline

    clean = pipeline.load(spark, path, fmt, share)
    expected = load_dataset(path, fmt, **({} if share is None else {"max_dropped_share": share}))
    return clean, spark_dataset(clean), expected


def assert_same_catalogue(spark, clean, dataset, tmp_path):
    """The catalogue and the metadata facts Spark computes equal the pandas engine's, byte for byte."""
    from item2vec.model.catalog import Catalog
    from item2vec.model.storage import _write_npz
    from item2vec.spark.catalog_columns import data_facts

    facts = data_facts(spark, clean, str(tmp_path))
    assert facts.summary() == dataset.summary()
    _write_npz(str(tmp_path / "spark.npz"), facts.catalog.arrays())
    _write_npz(str(tmp_path / "pandas.npz"), Catalog.from_dataset(dataset).arrays())
    assert (tmp_path / "spark.npz").read_bytes() == (tmp_path / "pandas.npz").read_bytes()
    return facts


def member_corpus(work, index):
    """The one data file Spark wrote for member ``index``."""
    (part,) = [p for p in (work / f"member-{index}").iterdir() if p.name.startswith("part-")]
    return part.read_bytes()


def assert_same_corpora(spark, clean, dataset, tmp_path, config):
    """Each member's corpus, as Spark writes it for the executors, is the pandas engine's."""
    from item2vec.spark import corpus_columns as corpus

    vocab = vocabulary(dataset, config.min_count)
    work = tmp_path / "work"
    work.mkdir()
    counts = corpus.write_member_corpora(spark, clean.pairs, vocab, config, f"file://{work}", progress=False)
    for i in range(config.members):
        path = str(tmp_path / f"pandas-{i}.txt")
        expected = write_corpus(
            path, dataset.plays, vocab, config.weighting, config.max_repeat, config.seed + i
        )
        assert counts == expected
        assert member_corpus(work, i) == (tmp_path / f"pandas-{i}.txt").read_bytes(), i
    return member_corpus(work, 0)


@pytest.fixture(scope="module")
def dirty_events(tmp_path_factory):
    """Generated LFM-1b events with one line of every fault appended."""
    folder = tmp_path_factory.mktemp("dirty-events")
    write_lfm1b(str(folder), 40_000, n_users=200, n_genres=4, artists_per_genre=30, seed=5)
    with open(folder / LFM1B_EVENTS, "a", encoding="utf-8", newline="") as handle:
        handle.write("\n".join(DIRTY_LINES + SPARK_ODD_LINES) + "\n")
    return folder


def test_events_with_faulty_lines_give_the_same_plays_repairs_catalogue_and_corpus(
    spark, dirty_events, tmp_path
):
    clean, data, expected = load_both(spark, str(dirty_events), share=1)
    assert_same_data(data, expected)
    # The pandas reader's counts of the appended faults, plus the Spark-only odd lines.
    assert data.repairs == {
        **DIRTY_REPAIRS,
        "play_rows_bad_id": DIRTY_REPAIRS["play_rows_bad_id"] + 1,
        "play_rows_malformed": DIRTY_REPAIRS["play_rows_malformed"] + 1,
        "play_rows_unknown_artist": DIRTY_REPAIRS["play_rows_unknown_artist"] + 1,
    }
    assert_same_catalogue(spark, clean, expected, tmp_path)
    for n, config in enumerate(
        (TrainConfig(min_count=2, members=2), TrainConfig(weighting="log", max_repeat=4, seed=-3, members=1))
    ):
        (tmp_path / str(n)).mkdir()
        assert_same_corpora(spark, clean, expected, tmp_path / str(n), config)


def test_events_file_given_directly(spark, dirty_events):
    _, whole, expected = load_both(spark, str(dirty_events / LFM1B_EVENTS), "lfm1b", 1)
    assert_same_data(whole, expected)


def test_hetrec_and_360k_give_the_same_data(spark, tmp_path):
    hetrec = write_hetrec(tmp_path)
    with open(tmp_path / "user_artists.dat", "a", encoding="utf-8") as handle:
        handle.write("5\t1\t3\textra\n 5 \t2\t7.0\nx\t2\t1\n")  # too long; padded and float-typed; bad user
    _, data, expected = load_both(spark, hetrec, "hetrec", 1)
    assert_same_data(data, expected)
    path = write_360k(tmp_path / "plays.tsv", extra_lines=["u9\t\tSolo\t3\textra", "u9\t\t Solo \t4"])
    # Tiny input splits: many partitions, so the first-appearance numbering must follow file order.
    spark.conf.set("spark.sql.files.maxPartitionBytes", "256")
    try:
        assert spark.read.text(path).rdd.getNumPartitions() > 3
        clean, data, expected = load_both(spark, path, "lastfm360k", 1)
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert_same_data(data, expected)
    assert_same_catalogue(spark, clean, expected, tmp_path)


def test_kaggle_style_csv_with_faults_and_quotes(spark, tmp_path):
    (tmp_path / "lastfm_artist_list.csv").write_text(
        "\ufeffartist_id,artist_name\n"
        '1,"Tyler, The Creator"\n2,"The ""Best"" Band"\n3,  \n3,Again\nx,Bad\n4,Four,extra\n5,Five\n',
        encoding="utf-8",
    )
    (tmp_path / "lastfm_user_scrobbles.csv").write_text(
        "user_id,artist_id,scrobbles\n"
        "1,1,10\n1,2,5\n1,1,3\n2,1,7\n2,5,1\n2,3,2\n3,1,1\n3,2,0\n3,9,4\n3,2,x\n,2,3\n"
        "4,1,2,\n4,2\n 4 ,5,1e2\n   \n\t\n5,1,1.5\n",
        encoding="utf-8",
    )
    _, data, expected = load_both(spark, str(tmp_path), "kaggle", 1)
    assert set(expected.repairs) >= {"play_rows_malformed", "artist_rows_duplicate_id", "play_rows_bad_count"}
    assert_same_data(data, expected)


def test_spark_integers_follow_the_pandas_rules(spark):
    from pyspark.sql import functions as F

    from item2vec.spark.delimited import as_int as spark_as_int

    texts = [
        "7", " 7 ", "+7", "-7", "7.0", "7.", ".5", "7.5", "1e3", "1E3", "1e-3", "1e400", "inf", "nan",
        "0x10", "1_000", "1 000", "--1", "\u0663", "\xa07\xa0", "\u20037", "\x1c7", "7\x1f", "\x0b7\x0c",
        "\u200b7", "4611686018427387903", "4611686018427387904", "-4611686018427387904", "9" * 25,
        "0" * 30 + "5", "1e18", "4.6e18", "", " ", "+", ".", "e5", "5e", "true", "1,000", "7d", "7f",
        "0x1p3", "\ufeff7", "123456789012345678", "9007199254740993",
    ]  # fmt: skip
    ints, ok = as_int(pd.Series(texts, dtype=object))
    expected = [int(i) if o else None for i, o in zip(ints, ok, strict=True)]
    frame = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "i int, t string")
    rows = frame.select("i", spark_as_int(F.col("t")).alias("v")).orderBy("i").collect()
    assert [r.v for r in rows] == expected


def test_spark_token_keys_equal_numpy(spark):
    from pyspark.sql import functions as F

    from item2vec.spark.corpus_columns import token_key

    rng = np.random.default_rng(1)
    users = rng.integers(-(2**62), 2**62, 300)
    artists = rng.integers(0, 2**40, 300)
    copies = rng.integers(0, 4, 300)
    frame = spark.createDataFrame(
        pd.DataFrame({"i": np.arange(300), "u": users, "a": artists, "c": copies}),
        "i long, u long, a long, c long",
    )
    for seed in (0, 7, -3):
        keys = frame.select("i", token_key(seed, F.col("u"), F.col("a"), F.col("c")).alias("k"))
        got = np.array([r.k for r in keys.orderBy("i").collect()], dtype=np.int64)
        assert np.array_equal(got, token_keys(seed, users, artists, copies))


def test_mllib_on_a_dataset_learns_the_planted_genres_and_repeats_itself(spark, synthetic_dataset):
    from item2vec.spark.mllib import train_mllib_dataset

    config = TrainConfig(**{**SMALL_CONFIG, "epochs": 3})
    first = train_mllib_dataset(spark, synthetic_dataset, config)
    again = train_mllib_dataset(spark, synthetic_dataset, config)
    assert first.trainer == "mllib" and first.trainer_settings["numPartitions"] == 1
    assert np.array_equal(first.artist_ids, vocabulary(synthetic_dataset, config.min_count))
    assert first.vectors.tobytes() == again.vectors.tobytes()  # one partition: deterministic
    names = dict(synthetic_dataset.artists[["artist_id", "name"]].values.tolist())
    share, _ = genre_accuracy(first.artist_ids, first.vectors, names, topn=5)
    assert share > 0.6  # chance is 0.25 with 4 genres


def test_paths_through_hadoops_file_system_api(spark, dirty_events, tmp_path, monkeypatch):
    """hdfs:// and s3a:// paths take the Hadoop branch of item2vec.spark.paths; Hadoop's own
    file:// file system stands in for them here."""
    from item2vec.spark import paths as files
    from item2vec.spark import pipeline

    monkeypatch.setattr(files, "is_local", lambda path: False)
    uri = f"file://{dirty_events}"
    assert files.detect_format(spark, uri) == "lfm1b"
    data = spark_dataset(pipeline.load(spark, uri, max_dropped_share=1))
    expected = load_dataset(str(dirty_events), max_dropped_share=1)
    pd.testing.assert_frame_equal(data.plays, expected.plays)
    assert data.repairs == expected.repairs and data.checksums == {}  # remote files are not hashed
    (tmp_path / "empty.tsv").write_text("")
    for path, message in (
        (f"file://{tmp_path}/nowhere", "no such data folder"),
        (f"file://{tmp_path}/missing.tsv", "file not found"),
        (f"file://{tmp_path}/empty.tsv", "file is empty"),
    ):
        with pytest.raises(DataError, match=message):
            pipeline.load(spark, path, "lastfm360k" if path.endswith(".tsv") else "auto")
    (tmp_path / "bad.tsv").write_bytes(b"u1\t\tD\xe9j\xe0 Vu\t3\nu2\t\tB\t4\n")
    with pytest.raises(
        DataError, match="bad.tsv: not UTF-8 text \\(some lines hold bytes that are not UTF-8\\)"
    ):
        pipeline.load(spark, f"file://{tmp_path}/bad.tsv", "lastfm360k", 1)
