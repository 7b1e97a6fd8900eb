"""The word2vec-format export, read back by gensim itself, through ``item2vec-export``'s main."""

import csv
import os

import numpy as np
import pytest
from gensim.models import KeyedVectors

from item2vec.cli import export_command as export
from item2vec.model.storage import load_model


@pytest.fixture(scope="module")
def exported(synthetic_model_dir, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("export") / "artists.w2v")
    assert export.main(["--model", synthetic_model_dir, "--out", path]) == 0
    return path


def test_gensim_reads_the_export_and_gives_our_answers(exported, synthetic_model_dir):
    keyed = KeyedVectors.load_word2vec_format(exported, binary=False)
    ours = load_model(synthetic_model_dir).vectors
    assert keyed.index_to_key == [str(i) for i in ours.ids]
    np.testing.assert_array_equal(keyed.vectors, np.asarray(ours.unit))  # 9 digits: float32 round-trips
    for artist_id in ours.ids[::7]:
        theirs = keyed.most_similar(str(artist_id), topn=10)
        ids, scores = ours.most_similar(int(artist_id), topn=10)
        assert [int(k) for k, _ in theirs] == ids.tolist()
        np.testing.assert_allclose([s for _, s in theirs], scores, atol=1e-5)


def test_names_table_maps_every_key_to_its_artist(exported, synthetic_model_dir):
    model = load_model(synthetic_model_dir)
    with open(exported + export.NAMES_SUFFIX, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert [int(r["artist_id"]) for r in rows] == model.vectors.ids.tolist()
    for row in rows:
        assert row["name"] == model.catalog.name(int(row["artist_id"]))
        assert int(row["listeners"]) == model.catalog.listeners_of(int(row["artist_id"]))


@pytest.mark.parametrize("existing", ["vectors", "names"])
def test_an_export_never_replaces_a_file(synthetic_model_dir, tmp_path, capsys, existing):
    path = str(tmp_path / "mine.txt")
    victim = path if existing == "vectors" else path + export.NAMES_SUFFIX
    with open(victim, "w") as handle:
        handle.write("my notes\n")
    assert export.main(["--model", synthetic_model_dir, "--out", path]) == 2
    assert open(victim).read() == "my notes\n"
    assert os.listdir(tmp_path) == [os.path.basename(victim)]  # nothing half-written left
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exists" in err[0]


def test_an_unwritable_place_is_one_line_and_exit_2(synthetic_model_dir, tmp_path, capsys):
    assert export.main(["--model", synthetic_model_dir, "--out", str(tmp_path / "no" / "such" / "f")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write" in err[0]
