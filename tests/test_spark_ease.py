"""The Spark engine computes the item-item weights on an executor, and they are the driver's own."""

import numpy as np
import pytest

from conftest import SMALL_CONFIG
from item2vec.cli.train_command import main
from item2vec.model.storage import load_model

pytestmark = pytest.mark.spark


@pytest.mark.slow
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


def test_a_cluster_s_driver_jvm_is_small_and_the_user_s_settings_win():
    """On a cluster the driver's JVM gets Spark's smallest heap and the serial collector; local mode,
    whose executors share that JVM, keeps 2 GB and G1; --spark-conf overrides either."""
    pytest.importorskip("pyspark")
    from item2vec.spark.session import settings

    cluster = settings("spark://127.0.0.1:7077")
    assert cluster["spark.driver.memory"] == "512m"
    assert "-XX:+UseSerialGC" in cluster["spark.driver.extraJavaOptions"].split()
    assert "-Dlog4j2.configurationFile=file:" in cluster["spark.driver.extraJavaOptions"]
    local = settings("local[2]")
    assert local["spark.driver.memory"] == "2g"
    assert "UseSerialGC" not in local["spark.driver.extraJavaOptions"]
    mine = settings(
        "spark://127.0.0.1:7077", {"spark.driver.memory": "4g", "spark.driver.extraJavaOptions": "-Dx=1"}
    )
    assert (mine["spark.driver.memory"], mine["spark.driver.extraJavaOptions"]) == ("4g", "-Dx=1")
