"""The Spark engine computes the item-item weights on an executor, and they are the driver's own."""

import numpy as np
import pytest

from conftest import SMALL_CONFIG
from item2vec.cli.train_command import main
from item2vec.model.storage import load_model

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_the_spark_run_computes_the_item_weights_in_a_task_not_on_the_driver(
    spark, synthetic_dir, tmp_path, monkeypatch
):
    """EASE fails if called in the driver's process; the run still writes the weights the pandas
    engine computes from the same catalogue, byte for byte."""
    from item2vec.training import ease

    computed = ease.ease_weights
    calls = []
    monkeypatch.setattr(ease, "ease_weights", lambda *a, **k: calls.append(a))
    flags = ["--data", str(synthetic_dir), "--quiet", "--members", "1", "--epochs", "1"]
    flags += ["--vector-size", str(SMALL_CONFIG["vector_size"])]
    flags += ["--min-count", str(SMALL_CONFIG["min_count"])]
    assert main([*flags, "--engine", "spark", "--out", str(tmp_path / "spark")]) == 0
    assert not calls
    model = load_model(str(tmp_path / "spark"))
    expected = computed(model.catalog, model.vectors.ids)
    assert model.item_weights.top > 0 and (model.item_weights.rows >= 0).any()
    assert np.array_equal(model.item_weights.rows, expected.rows)
    assert model.item_weights.weights.tobytes() == expected.weights.tobytes()
