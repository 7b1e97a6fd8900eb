"""The EDA command on a small synthetic data set: every promised file, and numbers that match."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from item2vec.ingest.formats import load_dataset
from item2vec.research import eda, eda_figures, eda_stats
from item2vec.research.synthetic import make_plays, write_kaggle
from item2vec.training.trainer import TrainConfig, train_and_save

PROMISED = eda_figures.FIGURES + (eda_figures.MAP_FIGURE, "eda.json", "EDA.md")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Synthetic data with planted faults, a small model, and one run of the command."""
    root = tmp_path_factory.mktemp("eda")
    plays, artists = make_plays(n_users=120, n_genres=3, artists_per_genre=20, seed=5)
    # Planted faults: three duplicated (user, artist) rows, two artists sharing a name,
    # a Cyrillic name, and an artist with exactly one listener.
    plays = pd.concat([plays, plays.iloc[[0, 10, 20]]], ignore_index=True)
    artists.loc[artists["artist_id"] == 2, "name"] = "Red"
    artists.loc[artists["artist_id"] == 3, "name"] = "Red"
    artists.loc[artists["artist_id"] == 4, "name"] = "Земфира"
    lonely = int(artists["artist_id"].max()) + 1
    artists = pd.concat(
        [artists, pd.DataFrame({"artist_id": [lonely], "name": ["Lonely"], "genre": [0]})], ignore_index=True
    )
    plays = pd.concat(
        [plays, pd.DataFrame({"user": [1], "artist_id": [lonely], "plays": [7]})], ignore_index=True
    )
    data_dir = root / "data"
    write_kaggle(str(data_dir), plays, artists)
    dataset = load_dataset(str(data_dir))
    config = TrainConfig(vector_size=8, epochs=2, min_count=3, seed=0, workers=1)
    model_dir = root / "model"
    trained, _ = train_and_save(dataset, str(model_dir), config, progress=False)
    out = root / "docs"
    code = eda.main(
        ["--data", str(data_dir), "--out", str(out), "--model", str(model_dir), "--map-artists", "40"]
    )
    stats = json.loads((out / "eda.json").read_text(encoding="utf-8"))
    return {
        "code": code,
        "out": out,
        "stats": stats,
        "plays": plays,
        "artists": artists,
        "lonely": lonely,
        "n_vectors": len(trained.artist_ids),
    }


def test_every_promised_file_exists_and_is_not_empty(run):
    assert run["code"] == 0
    for name in PROMISED:
        path = run["out"] / name
        assert path.is_file(), name
        assert path.stat().st_size > 1000 if name.endswith(".png") else path.stat().st_size > 0, name
    for name in PROMISED:
        if name.endswith(".png"):
            assert (run["out"] / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_size_numbers_match_the_synthetic_data(run):
    plays, size = run["plays"], run["stats"]["size"]
    unique = plays.drop_duplicates(["user", "artist_id"])
    assert size["users"] == plays["user"].nunique()
    assert size["artists"] == len(run["artists"])
    assert size["rows"] == len(unique) == len(plays) - 3
    assert size["plays"] == int(plays["plays"].sum())
    per_user = unique.groupby("user").size()
    apu = run["stats"]["artists_per_user"]
    assert apu["max"] == per_user.max() and apu["users_at_max"] == int((per_user == per_user.max()).sum())


def test_faults_are_found(run):
    faults = run["stats"]["faults"]
    assert faults["raw_rows"] == len(run["plays"])
    assert faults["duplicate_rows_summed"] == 3 and faults["duplicate_pairs"] == 3
    assert faults["duplicate_pairs_by_copies"] == {"2": 3}
    assert [g["name"] for g in faults["same_name"]] == ["Red"]
    assert faults["same_name"][0]["ids"] == [2, 3]
    scripts = {g["script"]: g["artists"] for g in faults["scripts"]}
    assert scripts["Cyrillic"] == 1 and scripts["Latin"] == len(run["artists"]) - 1
    listeners = run["plays"].drop_duplicates(["user", "artist_id"]).groupby("artist_id")["user"].nunique()
    assert faults["one_listener_artists"] == int((listeners == 1).sum()) >= 1


def test_long_tail_and_method_numbers(run):
    stats = run["stats"]
    bins = stats["long_tail"]["bins"]
    assert sum(b["artists"] for b in bins) == stats["size"]["artists_heard"]
    assert sum(b["plays_pct"] for b in bins) == pytest.approx(100.0)
    assert 0 < stats["long_tail"]["gini_plays_per_artist"] < 1
    method = stats["method"]
    assert method["min_count"] == 3 and method["hyperparameters_from"] == "model"
    assert method["vocab"] == method["model_vectors"] == run["n_vectors"]
    assert method["one_listener_example"]["artist"] == "Lonely"
    assert "1 listener" in method["one_listener_example"]["message"]
    assert stats["embedding_map"]["artists"] == 40


def test_report_quotes_the_numbers_and_links_every_figure(run):
    text = (run["out"] / "EDA.md").read_text(encoding="utf-8")
    for name in eda_figures.FIGURES + (eda_figures.MAP_FIGURE,):
        assert f"]({name})" in text, name
    assert f"| users | {run['stats']['size']['users']:,} |" in text
    assert "Lonely" in text and "Red" in text


def test_gini_and_lorenz():
    assert eda_stats.gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert eda_stats.gini([0, 0, 0, 10]) == pytest.approx(0.75)  # n-1/n for one holder of n
    xs, ys = eda_stats.lorenz([3, 1, 2])
    assert np.allclose(xs, [0, 1 / 3, 2 / 3, 1]) and np.allclose(ys, [0, 1 / 6, 3 / 6, 1])


def test_script_classes():
    assert eda_stats.script_of("Björk") == "Latin"
    assert eda_stats.script_of("Земфира") == "Cyrillic"
    assert eda_stats.script_of("いきものがかり") == "Japanese"
    assert eda_stats.script_of("下川みくに") == "Japanese"
    assert eda_stats.script_of("七瀬光") == "Han"
    assert eda_stats.script_of("Animal Джаz") == "Latin + other"
    assert eda_stats.script_of("!!!") == "no letters"
    assert eda.stray_suffix("Paramore\u6500") and not eda.stray_suffix("Mc \ubabd")
    assert eda.mixes_latin_cyrillic("Pani\u0441 At The Disco") and not eda.mixes_latin_cyrillic("Radio Чача")


def test_missing_data_folder_is_a_clean_error(tmp_path, capsys):
    assert eda.main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "docs")]) == 2
    assert "no such data folder" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "docs")


def test_ctrl_c_while_computing_writes_nothing_and_returns_130(synthetic_dir, tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(eda, "compute", interrupted)
    out = tmp_path / "docs"
    assert eda.main(["--data", synthetic_dir, "--out", str(out)]) == 130
    assert capsys.readouterr().err.strip() == f"interrupted: nothing was written to {out}"
    assert not out.exists()


def test_usage_errors_return_2(tmp_path, capsys):
    assert eda.main(["--data", str(tmp_path), "--map-artists", "3"]) == 2
    assert "--map-artists" in capsys.readouterr().err
    assert eda.main([]) == 2


def test_render_only_reproduces_what_the_command_wrote(run, tmp_path):
    """The JSON the command wrote renders to the Markdown it wrote, also through --render-only."""
    written = (run["out"] / "EDA.md").read_text(encoding="utf-8")
    assert eda.render(run["stats"]) == written
    (tmp_path / "eda.json").write_bytes((run["out"] / "eda.json").read_bytes())
    assert eda.main(["--render-only", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "EDA.md").read_text(encoding="utf-8") == written
    assert run["stats"]["command"].startswith("python -m item2vec.research.eda ")
