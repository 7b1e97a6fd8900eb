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
    assert (
        capsys.readouterr().err
        == f"error: cannot write {tmp_path / 'no' / 'such' / 'f'}: No such file or directory\n"
    )


def test_an_export_says_what_it_wrote_in_plain_lines(synthetic_model_dir, tmp_path, capsys):
    path = str(tmp_path / "artists.w2v")
    assert export.main(["--model", synthetic_model_dir, "--out", path]) == 0
    assert capsys.readouterr().out == f"wrote {path} and {path}{export.NAMES_SUFFIX}\n"
    for written in (path, path + export.NAMES_SUFFIX):
        with open(written, "rb") as handle:
            text = handle.read()
        assert b"\r" not in text and text.endswith(b"\n") and text.decode("ascii")
    model = load_model(synthetic_model_dir)
    with open(path, encoding="ascii") as handle:
        assert handle.readline() == f"{len(model.vectors.ids)} {model.vectors.unit.shape[1]}\n"


def test_export_help_usage_errors_and_the_console_entry(synthetic_model_dir, tmp_path, capsys, monkeypatch):
    assert export.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: item2vec-export [-h] [--model DIR] --out FILE [--version]\n")
    words = " ".join(out.split())  # argparse wraps the description
    assert (
        "Export a model's vectors in the word2vec text format, for gensim and other word2vec tools." in words
    )
    assert "writes ``artists.w2v``" not in words  # only the first paragraph
    assert "--model DIR model folder (default: as ask.py) --out FILE" in words
    assert f"vectors file to write; the names go to FILE{export.NAMES_SUFFIX}" in out
    assert export.main(["--model", synthetic_model_dir]) == 2
    assert capsys.readouterr().err == (
        "item2vec-export: error: the following arguments are required: --out (see --help)\n"
    )
    assert export.main(["--model", str(tmp_path / "none"), "--out", str(tmp_path / "a.w2v")]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and os.listdir(tmp_path) == []
    assert export.main(["--model", str(tmp_path / ("m" * 2100)), "--out", str(tmp_path / "a.w2v")]) == 3
    err = capsys.readouterr().err  # the model error, cut at 2000 characters
    assert err.startswith("error: ") and err.endswith("…\n") and len(err) == len("error: ") + 2000 + 1
    for argv0, prog in (
        ("/usr/bin/item2vec-export", "item2vec-export"),
        ("export_command.py", None),
        ("", None),
    ):
        monkeypatch.setattr("sys.argv", [argv0, "--help"])
        with pytest.raises(SystemExit) as stopped:
            export.run()
        usage = capsys.readouterr().out.splitlines()[0]
        assert stopped.value.code == 0
        assert usage.startswith(f"usage: {prog or 'python -m item2vec.cli.export_command'} [-h]")


def test_an_interrupted_export_leaves_nothing(synthetic_model_dir, tmp_path, capsys, monkeypatch):
    model = load_model(synthetic_model_dir)

    class Interrupted:
        def __getitem__(self, row):
            raise KeyboardInterrupt  # Ctrl-C while the names are being written

    model.catalog.names = Interrupted()
    monkeypatch.setattr(export, "load_model", lambda path: model)
    path = str(tmp_path / "artists.w2v")
    assert export.main(["--out", path]) == 130
    assert capsys.readouterr().err == "interrupted: nothing written\n"
    assert os.listdir(tmp_path) == []


def test_long_paths_are_cut_at_300_characters_and_names_keep_to_one_line(
    synthetic_model_dir, tmp_path, capsys, monkeypatch
):
    folder = tmp_path / ("d" * 200)
    folder.mkdir()
    path = str(folder / ("f" * 150))
    cut = path[:299] + "…"
    model = load_model(synthetic_model_dir)
    model.catalog.names = list(model.catalog.names)
    model.catalog.names[model.catalog.index(int(model.vectors.ids[0]))] = "Sigur  Rós\tx\ny"
    monkeypatch.setattr(export, "load_model", lambda where: model)
    assert export.main(["--out", path]) == 0
    assert capsys.readouterr().out == f"wrote {cut} and {cut}\n"
    with open(path + export.NAMES_SUFFIX, encoding="utf-8") as handle:
        assert handle.readline() == "artist_id\tname\tlisteners\n"
        assert handle.readline().split("\t")[1] == "Sigur Rós x y"
    assert export.main(["--out", path]) == 2  # it exists now
    assert capsys.readouterr().err == (
        f"error: {cut} already exists; choose another --out (an export never replaces a file)\n"
    )
    missing = str(folder / "no" / ("f" * 150))
    assert export.main(["--out", missing]) == 2
    assert capsys.readouterr().err == f"error: cannot write {missing[:299]}…: No such file or directory\n"
    assert export.main(["--out", path, "-" + "x" * 2100]) == 2
    err = capsys.readouterr().err
    message = ("unrecognized arguments: -" + "x" * 2100)[:1999] + "…"
    assert err == f"item2vec-export: error: {message} (see --help)\n"


def test_a_file_that_appears_while_exporting_is_not_replaced(
    synthetic_model_dir, tmp_path, capsys, monkeypatch
):
    # The check before writing saw nothing; the file appeared before the open (mode "x" refuses it).
    path = tmp_path / "artists.w2v"
    path.write_text("theirs\n", encoding="utf-8")
    monkeypatch.setattr(export.os.path, "lexists", lambda target: False)
    assert export.main(["--model", synthetic_model_dir, "--out", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"error: {path} already exists; choose another --out (an export never replaces a file)\n"
    )
    assert path.read_text(encoding="utf-8") == "theirs\n" and os.listdir(tmp_path) == ["artists.w2v"]


def test_the_file_that_cannot_be_written_is_the_one_named(synthetic_model_dir, tmp_path, capsys, monkeypatch):
    # A 246-character name leaves room for the vectors file but not for its names file (255 at most).
    monkeypatch.chdir(tmp_path)
    path = "f" * 246
    assert export.main(["--model", synthetic_model_dir, "--out", path]) == 2
    assert capsys.readouterr().err == f"error: cannot write {path}{export.NAMES_SUFFIX}: File name too long\n"
    assert os.listdir(tmp_path) == []  # the vectors file written first is removed
    # A long name that appears meanwhile is cut like every other.
    folder = tmp_path / ("d" * 200)
    folder.mkdir()
    appeared = folder / ("a" * 150)
    appeared.write_text("theirs\n", encoding="utf-8")
    monkeypatch.setattr(export.os.path, "lexists", lambda target: False)
    assert export.main(["--model", synthetic_model_dir, "--out", str(appeared)]) == 2
    cut = str(appeared)[:299] + "…"
    assert capsys.readouterr().err == (
        f"error: {cut} already exists; choose another --out (an export never replaces a file)\n"
    )
