"""Integration on the real Kaggle data (skipped unless in $ITEM2VEC_DATA, data/ or ../shared/data)."""

import hashlib
import io
import json
import os

import pytest

from conftest import REPO, shared_data_or_skip
from item2vec.cli import ask
from item2vec.cli import train as train_item2vec

SHIPPED = os.path.join(REPO, "models")


def _top10(model_dir, query="Rosetta", *options):
    out, err = io.StringIO(), io.StringIO()
    code = ask.main([query, "--json", "--model", model_dir, *options], out=out, err=err)
    assert code == 0, err.getvalue()
    return [r["artist"] for r in json.loads(out.getvalue())["results"]]


def assert_cult_of_luna_for_rosetta(model_dir):
    """The user's example neighbour of Rosetta is found.

    Among artists with at least 5 listeners it is in the top 10 (4th with the single
    shipped model, 2nd with a bag of 8). The default ranking shows 3-listener screamo and
    post-metal acts that 2 of Rosetta's 3 listeners also list first, so there it is 11th
    with the single model and 9th with the bag: the top 15 is asked for.
    """
    assert "Cult Of Luna" in _top10(model_dir, "Rosetta", "--min-listeners", "5")
    assert "Cult Of Luna" in _top10(model_dir, "Rosetta", "-k", "15")


@pytest.fixture(scope="module")
def retrained(tmp_path_factory):
    data = shared_data_or_skip()
    out = str(tmp_path_factory.mktemp("real") / "models")
    assert train_item2vec.main(["--data", data, "--out", out, "--quiet"]) == 0
    return out


def test_default_training_finds_cult_of_luna_for_rosetta(retrained):
    assert_cult_of_luna_for_rosetta(retrained)


def test_shipped_model_answers_rosetta_with_cult_of_luna():
    assert_cult_of_luna_for_rosetta(SHIPPED)


def test_shipped_model_is_what_the_default_command_rebuilds(retrained):
    shipped = json.load(open(os.path.join(SHIPPED, "metadata.json")))
    rebuilt = json.load(open(os.path.join(retrained, "metadata.json")))
    # "members" (bagging) came after the shipped model was written; absent means one model.
    assert {"members": 1, **shipped["hyperparameters"]} == rebuilt["hyperparameters"]
    assert shipped["data"]["sha256"] == rebuilt["data"]["sha256"]
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
    digest = [
        hashlib.sha256(open(os.path.join(d, "vectors.npy"), "rb").read()).hexdigest()
        for d in (SHIPPED, retrained)
    ]
    assert digest[0] == digest[1]
    assert _top10(SHIPPED) == _top10(retrained)
