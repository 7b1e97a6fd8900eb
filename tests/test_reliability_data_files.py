"""Bad data files through load_dataset and the trainer: counted repairs, the dropped-row limit.

The files no engine can use (and the one line each gets) are one table in
tests/test_bad_input_contract.py, run through both engines.

Part of the fault-injection suite; see tests/reliability.py and docs/RELIABILITY.md.
"""

import logging
import os
import shutil

import pytest
from reliability import TRAIN_ARGS, one_error_line

from item2vec.cli import train_command as train_item2vec
from item2vec.errors import DataError
from item2vec.ingest.formats import KAGGLE_ARTISTS, KAGGLE_PLAYS, load_dataset
from item2vec.model.storage import load_model

# == data files =============================================================================


def data_copy(src, tmp_path, plays=None, artists=None):
    """A copy of the synthetic data folder; ``plays``/``artists`` edit the text or give bytes."""
    folder = tmp_path / "data"
    shutil.copytree(src, folder)
    for name, edit in ((KAGGLE_PLAYS, plays), (KAGGLE_ARTISTS, artists)):
        if edit is None:
            continue
        path = folder / name
        if isinstance(edit, bytes):
            path.write_bytes(edit)
        else:
            path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return str(folder)


def _replace_rows(text, rows, column, value):
    lines = text.splitlines()
    for row in rows:
        fields = lines[row].split(",")
        fields[column] = value
        lines[row] = ",".join(fields)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("value", ["abc", "-5", "0", "2.5", "", "1e400", "1" + "0" * 30, str(2**62)])
def test_bad_play_counts_are_dropped_counted_and_logged(
    synthetic_dir, synthetic_dataset, tmp_path, caplog, value
):
    bad_rows = [1, 10, 100]
    folder = data_copy(synthetic_dir, tmp_path, plays=lambda t: _replace_rows(t, bad_rows, 2, value))
    with caplog.at_level(logging.WARNING, logger="item2vec.ingest.formats"):
        dataset = load_dataset(folder)
    assert dataset.repairs == {"play_rows_bad_count": 3}
    # 10**30 is a positive integer: the message says what the rule is (below 2**62).
    assert "dropped 3 play rows whose play count is not a positive integer below 2**62" in caplog.text
    assert len(dataset.plays) == len(synthetic_dataset.plays) - 3
    assert (dataset.plays["plays"] > 0).all()


def test_ids_not_in_the_artist_list_are_dropped_counted_and_logged(synthetic_dir, tmp_path, caplog):
    folder = data_copy(synthetic_dir, tmp_path, plays=lambda t: _replace_rows(t, [2, 3], 1, "777777"))
    with caplog.at_level(logging.WARNING, logger="item2vec.ingest.formats"):
        dataset = load_dataset(folder)
    assert dataset.repairs == {"play_rows_unknown_artist": 2}
    assert "dropped 2 play rows whose artist id is not in the artist list" in caplog.text
    assert not dataset.plays["artist_id"].isin([777777]).any()


def test_repairs_are_recorded_in_the_model(synthetic_dir, tmp_path, caplog):
    # A model trained on repaired data says so in its metadata: never silently.
    folder = data_copy(synthetic_dir, tmp_path, plays=lambda t: _replace_rows(t, [1, 2, 3], 2, "-1"))
    out = str(tmp_path / "model")
    with caplog.at_level(logging.WARNING, logger="item2vec.ingest.formats"):
        assert train_item2vec.main(["--data", folder, "--out", out] + TRAIN_ARGS) == 0
    assert "dropped 3 play rows" in caplog.text
    assert load_model(out).metadata["data"]["repairs"] == {"play_rows_bad_count": 3}


# == dropped-row limit, rows of the wrong length ============================================


def _first_bytes(n):
    return lambda text: text.encode("utf-8")[:n].decode("utf-8", "ignore")


def test_a_truncated_artist_list_stops_the_run_naming_the_file_and_the_count(synthetic_dir, tmp_path):
    # Half the artist list: every play of a lost artist is dropped, far over the limit.
    folder = data_copy(synthetic_dir, tmp_path, artists=lambda t: "\n".join(t.splitlines()[:61]) + "\n")
    with pytest.raises(DataError) as caught:
        load_dataset(folder)
    message = str(caught.value)
    assert message.startswith(os.path.join(folder, KAGGLE_PLAYS) + ": ")
    assert "name an artist id missing from" in message and KAGGLE_ARTISTS in message
    assert "--max-dropped-share 1" in message and "\n" not in message
    dropped = int(message.split(": ")[1].split(" of its")[0])
    expected = load_dataset(synthetic_dir).plays["artist_id"].gt(60).sum()
    assert dropped >= expected  # (duplicates are summed before counting, so at least as many rows)


def test_the_trainer_goes_on_with_a_damaged_file_when_told_to(synthetic_dir, tmp_path):
    # Without --max-dropped-share it stops (tests/test_bad_input_contract.py, "artists: truncated").
    folder = data_copy(synthetic_dir, tmp_path, artists=lambda t: "\n".join(t.splitlines()[:61]) + "\n")
    out = str(tmp_path / "model")
    argv = ["--data", folder, "--out", out, "--max-dropped-share", "1"] + TRAIN_ARGS
    assert train_item2vec.main(argv) == 0
    assert load_model(out).metadata["data"]["repairs"]["play_rows_unknown_artist"] > 0


@pytest.mark.parametrize("value", ["-0.1", "1.5", "many"])
def test_a_bad_max_dropped_share_is_a_usage_error(synthetic_dir, tmp_path, capsys, value):
    argv = ["--data", synthetic_dir, "--out", str(tmp_path / "m"), "--max-dropped-share", value]
    assert train_item2vec.main(argv + TRAIN_ARGS) == 2
    assert "must be a number from 0 to 1" in one_error_line(capsys.readouterr().err)


def test_the_limit_counts_exactly_one_percent(synthetic_dir, tmp_path):
    # At the limit the run goes on; one row more and it stops.
    rows = len(open(os.path.join(synthetic_dir, KAGGLE_PLAYS)).read().splitlines()) - 1
    allowed = rows // 100
    ok = data_copy(synthetic_dir, tmp_path, plays=lambda t: _replace_rows(t, range(1, allowed + 1), 2, "x"))
    assert load_dataset(ok).repairs["play_rows_bad_count"] == allowed
    shutil.rmtree(ok)
    over = lambda t: _replace_rows(t, range(1, rows // 100 * 2 + 3), 2, "x")  # noqa: E731
    with pytest.raises(DataError, match="cannot be used"):
        load_dataset(data_copy(synthetic_dir, tmp_path, plays=over))


def test_rows_with_too_many_or_too_few_fields_are_both_dropped_and_counted(
    synthetic_dir, synthetic_dataset, tmp_path, caplog
):
    def damage(text):
        lines = text.splitlines()
        lines[1] += ",99"  # too many fields
        lines[2] = lines[2].rsplit(",", 1)[0]  # too few
        return "\n".join(lines) + "\n"

    folder = data_copy(synthetic_dir, tmp_path, plays=damage)
    with caplog.at_level(logging.WARNING, logger="item2vec.ingest.formats"):
        dataset = load_dataset(folder)
    assert dataset.repairs["play_rows_malformed"] == 1  # the long row
    assert dataset.repairs["play_rows_bad_count"] == 1  # the short row: its play count is missing
    assert "dropped 1 play rows with more fields than the header" in caplog.text
    assert len(dataset.plays) == len(synthetic_dataset.plays) - 2


def test_an_artist_name_with_an_unquoted_comma_is_dropped_and_counted(synthetic_dir, tmp_path):
    folder = data_copy(
        synthetic_dir, tmp_path, artists=lambda t: t.replace("g0-a1\n", "Earth, Wind & Fire\n")
    )
    dataset = load_dataset(folder, max_dropped_share=1)
    assert dataset.repairs["artist_rows_malformed"] == 1
    assert dataset.repairs["play_rows_unknown_artist"] > 0
