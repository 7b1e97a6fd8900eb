"""Training on planted genres, and the model folder round trip."""

import json
import os

import numpy as np
import pytest

from item2vec.cli import train_command as train_item2vec
from item2vec.model.storage import load_model
from item2vec.research.synthetic import genre_accuracy
from item2vec.training.trainer import TrainConfig, train_and_save, vocabulary


def test_neighbours_come_from_the_planted_genre(synthetic_model_dir):
    model = load_model(synthetic_model_dir)
    share, scored = genre_accuracy(model.vectors.ids, model.vectors.unit, model.catalog.name, topn=5)
    # Four genres: chance is about 0.25. Users stray out of genre 10% of the time.
    assert share > 0.9 and scored == len(model.vectors.ids)


def test_vocabulary_counts_listeners_not_plays(synthetic_dataset):
    plays = synthetic_dataset.plays.copy()
    # One user plays a brand-new artist a million times: still one listener.
    new_id = int(synthetic_dataset.artists["artist_id"].max()) + 1
    plays.loc[len(plays)] = [1, new_id, 10**6]
    data = type(synthetic_dataset)(plays, synthetic_dataset.artists, {}, {}, "test")
    assert new_id not in vocabulary(data, 2)


def test_save_load_round_trip(synthetic_dataset, tmp_path):
    config = TrainConfig(vector_size=8, epochs=2, seed=3, members=1)
    trained, _ = train_and_save(synthetic_dataset, tmp_path / "m", config, progress=False)
    model = load_model(tmp_path / "m")
    assert model.vectors.ids.tolist() == trained.artist_ids.tolist()
    unit = trained.vectors / np.linalg.norm(trained.vectors, axis=1, keepdims=True)
    np.testing.assert_allclose(model.vectors.unit, unit, atol=1e-6)
    assert model.catalog.names == synthetic_dataset.artists["name"].tolist()
    assert model.metadata["hyperparameters"]["vector_size"] == 8
    assert model.min_count == config.min_count


@pytest.mark.slow
def test_train_script_writes_a_complete_model(synthetic_dir, tmp_path, capsys):
    out = tmp_path / "model"
    code = train_item2vec.main(
        ["--data", synthetic_dir, "--out", str(out), "--epochs", "2", "--vector-size", "8", "--quiet"]
    )
    assert code == 0
    assert sorted(os.listdir(out)) == ["catalog.npz", "item_weights.npz", "metadata.json", "vectors.npy"]
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["hyperparameters"]["epochs"] == 2
    assert set(meta["data"]["sha256"]) == {"lastfm_user_scrobbles.csv", "lastfm_artist_list.csv"}
    assert {"gensim", "numpy"} <= set(meta["library_versions"])
    assert meta["training_seconds"] >= 0
    assert "artist vectors" in capsys.readouterr().out
    assert [p for p in os.listdir(tmp_path) if ".tmp-" in p or ".old-" in p] == []


def test_train_script_rejects_bad_settings(synthetic_dir, tmp_path, capsys):
    assert train_item2vec.main(["--data", synthetic_dir, "--out", str(tmp_path / "m"), "--epochs", "0"]) == 2
    assert "epochs must be at least 1" in capsys.readouterr().err
    assert train_item2vec.main(["--data", str(tmp_path / "none"), "--out", str(tmp_path / "m")]) == 2
    assert not (tmp_path / "m").exists()


def test_a_user_with_one_artist_makes_no_sentence():
    import pandas as pd

    from item2vec.training.corpus import build_sentences

    plays = pd.DataFrame({"user": [1, 2, 2, 3], "artist_id": [10, 10, 11, 11], "plays": [500, 5, 9, 7]})
    for weighting in ("none", "log", "rank"):
        sentences = build_sentences(plays, [10, 11], weighting, max_repeat=3, seed=0)
        assert len(sentences) == 1 and sorted(set(sentences[0])) == ["10", "11"], weighting


def test_a_model_folder_is_the_same_from_a_catalogue_given_or_built(synthetic_dataset, tmp_path):
    # save_trained writes catalog.npz through one definition (catalog_arrays) whatever it is
    # given: the data (the pandas engine), or a catalogue built elsewhere (a Catalog, the
    # Spark engine's CatalogParts); the Latin keys of the names are added in both cases.
    from item2vec.model.catalog import Catalog
    from item2vec.training.trainer import save_trained, train

    trained = train(synthetic_dataset, TrainConfig(members=1, epochs=1, vector_size=8), progress=False)
    built = Catalog.from_dataset(synthetic_dataset)
    for name, catalog in (("data", None), ("catalog", built), ("parts", built.parts())):
        save_trained(str(tmp_path / name), trained, synthetic_dataset, catalog=catalog)
    files = [(tmp_path / name / "catalog.npz").read_bytes() for name in ("data", "catalog", "parts")]
    assert files[0] == files[1] == files[2]
