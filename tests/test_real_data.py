"""Integration on the real Kaggle data (skipped unless in $ITEM2VEC_DATA, data/ or ../shared/data)."""

import dataclasses
import hashlib
import io
import json
import os

import numpy as np
import pytest

from conftest import REPO, shared_data_or_skip
from item2vec import load_model
from item2vec.cli import ask_command as ask
from item2vec.cli import train_command as train_item2vec
from item2vec.ingest.formats import load_dataset
from item2vec.model.vectors import unit_rows
from item2vec.training.member_pool import run_in_processes
from item2vec.training.trainer import TrainConfig, build_metadata, member_config, train_member

SHIPPED = os.path.join(REPO, "models")


def _top10(model_dir, query="Rosetta", *options):
    out, err = io.StringIO(), io.StringIO()
    code = ask.main([query, "--json", "--model", model_dir, *options], out=out, err=err)
    assert code == 0, err.getvalue()
    return [r["artist"] for r in json.loads(out.getvalue())["results"]]


@pytest.fixture(scope="module")
def retrained(tmp_path_factory):
    """The whole default command, run only when ITEM2VEC_FULL_REBUILD=1 (8 members: 1-3 minutes)."""
    data = shared_data_or_skip()
    if os.environ.get("ITEM2VEC_FULL_REBUILD") != "1":
        pytest.skip("set ITEM2VEC_FULL_REBUILD=1 to retrain the whole shipped model and compare bytes")
    out = str(tmp_path_factory.mktemp("real") / "models")
    assert train_item2vec.main(["--data", data, "--out", out, "--quiet"]) == 0
    return out


def _comparable(shipped, rebuilt):
    """Skip when the bytes may legitimately differ: other library versions or BLAS kernels."""
    same_libraries = all(
        shipped["library_versions"].get(k) == rebuilt["library_versions"].get(k)
        for k in ("gensim", "numpy", "pandas")
    )
    if not same_libraries:
        pytest.skip("library versions differ from the shipped model's; bytes may legitimately differ")
    if shipped.get("blas_kernels") != rebuilt.get("blas_kernels"):
        pytest.skip(
            f"OpenBLAS kernels differ ({rebuilt.get('blas_kernels')} here, "
            f"{shipped.get('blas_kernels')} for the shipped model); bytes may legitimately differ"
        )


def test_shipped_model_answers_rosetta_with_cult_of_luna():
    """The user's example neighbour of Rosetta is in its top 10, with or without a filter.

    Under the default ranking 3-listener screamo and post-metal acts that 2 of Rosetta's
    3 listeners also list come first (same scene, less known), so Cult Of Luna is not
    near the top there; among artists with at least 5 listeners it is.
    """
    assert "Cult Of Luna" in _top10(SHIPPED)
    assert "Cult Of Luna" in _top10(SHIPPED, "Rosetta", "--min-listeners", "5")[:5]


def test_shipped_model_was_trained_with_the_default_settings():
    shipped = json.load(open(os.path.join(SHIPPED, "metadata.json")))
    assert shipped["hyperparameters"] == dataclasses.asdict(TrainConfig())


#: The members retrained by the CI-sized check: the first and the last.
CHECKED_MEMBERS = (0, TrainConfig().members - 1)


@pytest.fixture(scope="module")
def retrained_members():
    """The data and :data:`CHECKED_MEMBERS` retrained with the default settings, side by side."""
    dataset = load_dataset(shared_data_or_skip())
    jobs = [(dataset, TrainConfig(), member) for member in CHECKED_MEMBERS]
    trained = dict(run_in_processes(train_member, jobs, len(jobs)))
    return dataset, {member: trained[i] for i, member in enumerate(CHECKED_MEMBERS)}


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("member", CHECKED_MEMBERS)
def test_shipped_members_are_what_the_default_settings_retrain(retrained_members, member):
    """Each member's block of the shipped vectors is that member retrained (CI-sized check).

    The stored rows are the bag re-normalised as a whole (storage.save_model), so one
    member's block matches its retraining to float32 rounding, not bit for bit; the
    byte-identity of the whole folder is checked by the ITEM2VEC_FULL_REBUILD test below.
    """
    shipped = json.load(open(os.path.join(SHIPPED, "metadata.json")))
    config = TrainConfig()
    dataset, members = retrained_members
    trained = members[member]
    assert trained.config == member_config(config, member)
    _comparable(shipped, build_metadata(config, dataset, 0, 0, 0))
    model = load_model(SHIPPED)
    np.testing.assert_array_equal(model.vectors.ids, trained.artist_ids)
    d = config.vector_size
    block = np.asarray(model.vectors.unit[:, member * d : (member + 1) * d])
    expected = unit_rows(trained.vectors) / np.sqrt(config.members)
    np.testing.assert_allclose(block, expected, atol=1e-6, rtol=0)


@pytest.mark.slow
@pytest.mark.realdata
def test_shipped_model_is_what_the_default_command_rebuilds(retrained):
    shipped = json.load(open(os.path.join(SHIPPED, "metadata.json")))
    rebuilt = json.load(open(os.path.join(retrained, "metadata.json")))
    assert shipped["hyperparameters"] == rebuilt["hyperparameters"]
    assert shipped["data"]["sha256"] == rebuilt["data"]["sha256"]
    _comparable(shipped, rebuilt)
    digest = [
        hashlib.sha256(open(os.path.join(d, "vectors.npy"), "rb").read()).hexdigest()
        for d in (SHIPPED, retrained)
    ]
    assert digest[0] == digest[1]
    assert _top10(SHIPPED) == _top10(retrained)
