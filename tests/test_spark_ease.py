"""The Spark engine's driver stays small: the item-item weights are computed on an executor (and are
the driver's own), its JVM's settings, and a setting Spark refuses told as such."""

import numpy as np
import pytest

from conftest import SMALL_CONFIG
from item2vec.cli.train_command import main
from item2vec.model.storage import load_model


@pytest.mark.spark  # (and so slow)
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


class _Java:
    """A stand-in for a py4j Java throwable."""

    def __init__(self, text):
        self.text = text

    def toString(self):  # noqa: N802 (Java's name)
        return self.text

    def getCause(self):  # noqa: N802
        return None


class _JavaError(Exception):
    def __init__(self, java):
        super().__init__("An error occurred while calling None.org.apache.spark.api.java.JavaSparkContext.")
        self.java_exception = java


def test_a_setting_spark_refuses_at_its_start_is_told_not_blamed_on_java(monkeypatch):
    """A driver heap below Spark's floor: the one line says what Spark said, not that Java is missing."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    from item2vec.errors import EngineError
    from item2vec.spark import session

    refused = (
        "org.apache.spark.SparkException: [INVALID_DRIVER_MEMORY.SYSTEM_MEMORY] Insufficient driver memory: "
        "System memory 268435456 must be at least 471859200.\nPlease increase heap size"
    )

    def refuse(self):
        raise _JavaError(_Java(refused))

    monkeypatch.setattr(session, "_active_session", lambda: None)
    monkeypatch.setattr(session, "find_java", lambda: "/usr/bin/java")
    monkeypatch.setattr(SparkSession.Builder, "getOrCreate", refuse)
    with pytest.raises(EngineError) as told:
        session.get_spark("spark://127.0.0.1:7077", {"spark.driver.memory": "256m"})
    assert str(told.value) == (
        "could not start Spark: SparkException: [INVALID_DRIVER_MEMORY.SYSTEM_MEMORY] Insufficient driver "
        "memory: System memory 268435456 must be at least 471859200."
    )
