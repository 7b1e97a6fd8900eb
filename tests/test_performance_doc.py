"""docs/PERFORMANCE.md's Spark section: rendered from docs/scaling.json, its figures computed right."""

import os
import sys

import pytest

pytest.importorskip("jinja2")

from item2vec.research import scaling_report  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _result(engine, events, pairs, tokens, stages, peak, sha="abc", train=None):
    result = {
        "kind": "events",
        "engine": engine,
        "events": events,
        "pairs": pairs,
        "users": events // 1000,
        "vocabulary": 900,
        "tokens": tokens,
        "corpus_sha256": sha,
        "peak_rss_mb": peak,
        "stages": [{"stage": n, "wall_s": w, "cpu_s": c, "peak_rss_mb": peak} for n, w, c in stages],
    }
    if train:
        result.update(
            train_epochs=10,
            train_mode="memory",
            genre_accuracy=0.9,
            config={"vector_size": 32, "window": 20, "negative": 5, "workers": 1},
        )
        result["stages"].append({"stage": "train", "wall_s": train, "cpu_s": train, "peak_rss_mb": 300})
    return result


def _pair(events, pandas_s, spark_s, spark_later_s, peak, same=True):
    pairs, tokens = events // 10, events // 5
    pandas = _result(
        "pandas", events, pairs, tokens, [("aggregate", pandas_s, pandas_s), ("corpus", 1, 1)], peak / 2
    )
    spark = _result(
        "spark",
        events,
        pairs,
        tokens,
        [
            ("startup", 10, 15),
            ("aggregate", spark_s, 2 * spark_s),
            ("corpus", 2, 4),
            ("aggregate (run 2)", spark_later_s, 2 * spark_later_s),
            ("corpus (run 2)", 1.5, 3),
        ],
        peak,
        sha="abc" if same else "def",
        train=1000.0,
    )
    return [pandas, spark]


def test_the_figures_and_targets_are_computed_from_the_results():
    results = _pair(10_000_000, 5.0, 20.0, 10.0, 3000) + _pair(100_000_000, 50.0, 120.0, 100.0, 5000)
    figures = scaling_report.performance(results, lfm1b_events=1_000_000_000)
    assert [s["events"] for s in figures["sizes"]] == [10_000_000, 100_000_000]
    ten = figures["sizes"][0]
    assert (ten["ratio_first"], ten["ratio_best"]) == (4.0, 2.0)
    # Met: the later run is within 3x.
    assert figures["targets"]["ratio"] == {"first": 4.0, "best": 2.0, "met": True}
    assert figures["targets"]["rss"] == {"events": 100_000_000, "peak_mb": 5000, "met": False}
    assert figures["training_dominates"]
    estimate = figures["estimate"]
    assert estimate["from_events"] == 100_000_000
    assert estimate["spark_aggregate_cpu_h"] == pytest.approx(200.0 * 10 / 3600)  # best later run's CPU x 10
    assert estimate["pairs"] == pytest.approx(100_000_000)
    # Marginal memory per pair between the two sizes: (2500 - 1500) MB over 9M pairs.
    assert estimate["pandas_bytes_per_pair"] == pytest.approx(1000e6 / 9_000_000)
    # 200M tokens x 10 epochs at 20M tokens x 10 epochs per 1000 CPU s.
    assert estimate["train_cpu_h"] == pytest.approx(200e6 * 10 / (20e6 * 10 / 1000) / 3600)
    text = scaling_report.render_performance(results)
    assert "| 10,000,000 | 1,000,000 | 2,000,000 | 5.0 | 20.0 / 10.0 | 4.00x / 2.00x |" in text
    assert "5,000 MB**" in text and "**not met**" in text


def test_a_different_corpus_is_reported_not_hidden():
    text = scaling_report.render_performance(_pair(10_000_000, 5.0, 6.0, 5.0, 3000, same=False))
    assert "| **no** |" in text
    assert "same corpus bytes at every size: **no**" in text


def test_the_committed_section_is_the_rendering_of_the_committed_results():
    from item2vec.research import report

    saved = report.read_json(os.path.join(REPO, "docs", "scaling.json"))
    results = [r for r in saved if r.get("kind") == "events"]
    assert results, "docs/scaling.json holds no events results"
    path = os.path.join(REPO, "docs", "PERFORMANCE.md")
    assert report.block(path, "spark") == scaling_report.render_performance(results).strip(), (
        "docs/PERFORMANCE.md's Spark section is stale: python benchmarks/scaling.py --report-only "
        "--json docs/scaling.json --performance docs/PERFORMANCE.md"
    )


@pytest.mark.spark
def test_the_events_benchmark_runs_both_engines_and_renders_the_section(tmp_path):
    pytest.importorskip("pyspark")
    import subprocess

    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text("# before\n<!-- begin spark -->\nold\n<!-- end spark -->\n# after\n", encoding="utf-8")
    command = [sys.executable, os.path.join(REPO, "benchmarks", "scaling.py"), "--events", "20000"]
    command += ["--engines", "pandas", "spark", "--repeat", "2", "--train-epochs", "1"]
    command += ["--data-dir", str(tmp_path / "data"), "--json", str(tmp_path / "s.json")]
    command += ["--performance", str(doc), "--plot", str(tmp_path / "s.png")]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    from item2vec.research import report

    results = report.read_json(str(tmp_path / "s.json"))
    assert {r["engine"] for r in results} == {"pandas", "spark"}
    (row,) = scaling_report.performance(results)["sizes"]
    assert row["same_corpus"] and row["spark_later_s"]  # the second Spark run is reported
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# before\n") and text.endswith("# after\n") and "old" not in text
    assert f"| {row['events']:,} | {row['pairs']:,} |" in text
    assert (tmp_path / "s.png").stat().st_size > 0


def test_the_reproduced_model_s_checksums_are_the_shipped_ones():
    """PERFORMANCE.md names the SHA-256 of the shipped arrays that retraining reproduces."""
    import json

    meta = json.load(open(os.path.join(REPO, "models", "metadata.json"), encoding="utf-8"))["files"]
    text = open(os.path.join(REPO, "docs", "PERFORMANCE.md"), encoding="utf-8").read()
    assert f"(SHA-256 `{meta['vectors.npy'][:8]}…`, `{meta['catalog.npz'][:8]}…`:" in text
