"""`citeqa bench`: every figure is present and consistent; no timing thresholds (machines differ)."""

from __future__ import annotations

import io
import json
import time

import pytest
from rich.console import Console

from citeqa.bench import KINDS, _scale_one, render_bench, run_bench
from conftest import CORPUS, ROOT

HUGE = 10**11  # would need terabytes: must be skipped by the RAM cap, never allocated


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("untouched")
    result = run_bench(CORPUS, index_dir, ROOT / "eval" / "gold_dev.jsonl", scale=[2000, HUGE], progress=False)
    assert not any(index_dir.iterdir()), "the bench must build in a temporary folder, not in index_dir"
    return result


def test_all_sections_are_present_and_json_able(figures):
    assert set(figures) == {"machine", "build", "encoder", "query", "memory", "scale", "store_rule"}
    assert json.loads(json.dumps(figures)) == figures
    assert figures["machine"]["cpus"] >= 1 and figures["machine"]["ram_total_mb"] > 0
    assert figures["machine"]["faiss"] and figures["machine"]["python"]


def test_build_is_fresh_then_a_noop(figures):
    b = figures["build"]
    assert b["chunks"] > 40 and b["embedded"] == b["chunks"]
    assert b["seconds"] > 0 and b["chunks_per_s"] > 0 and b["index_bytes"] > 0
    assert b["noop_up_to_date"] is True and b["noop_seconds"] > 0


def test_encoder_query_and_memory_figures_are_sensible(figures):
    e, q, m = figures["encoder"], figures["query"], figures["memory"]
    assert e["load_s"] > 0 and 0 < e["query_p50_ms"] <= e["query_p95_ms"] and e["passages_per_s"] > 0 and e["batch"] == 32
    assert q["questions"] > 0 and 0 < q["p50_ms"] <= q["p95_ms"]
    assert q["mean_ms"] > 0 and 0 < q["search_overhead_ms_p50"] < q["p50_ms"]
    assert 1 <= q["encoder_texts_per_query"] <= 2  # zh: one text; en: the question and its Chinese rendering
    assert 0 < m["rss_after_searcher_load_mb"] <= m["peak_rss_mb"] and m["peak_rss_before_scale_mb"] <= m["peak_rss_mb"]


def test_scale_run_recall_and_ram_cap(figures):
    small, huge = figures["scale"]
    assert small["n"] == 2000 and huge == {"n": HUGE, "skipped": huge["skipped"]} and "RAM" in huge["skipped"]
    for kind in KINDS:
        assert small[kind]["build_s"] >= 0 and 0 < small[kind]["query_p50_ms"] <= small[kind]["query_p95_ms"] and small[kind]["bytes"] > 2000 * 384 * 4
    assert small["flat"]["recall_at_10"] == 1.0
    assert small["hnsw"]["recall_at_10"] > 0.8
    assert 0 < small["ivf"]["recall_at_10"] <= 1.0


def test_store_rule_names_the_threshold_and_the_measurement(figures):
    rule = figures["store_rule"]
    assert "50,000" in rule and "n=2,000" in rule and "flat p50/p95" in rule and "hnsw" in rule and "recall@10" in rule


def test_a_build_over_budget_is_interrupted_and_recorded():
    started = time.perf_counter()
    row = _scale_one(20_000, budget_s=0.05, say=lambda _: None)
    assert row["hnsw"]["skipped"] == "too slow" and row["ivf"]["skipped"] == "too slow"
    assert time.perf_counter() - started < 30  # interrupted, not run to completion (~10 s for hnsw alone)


def test_render_prints_every_section(figures):
    buf = io.StringIO()
    render_bench(Console(file=buf, width=200), figures)
    text = buf.getvalue()
    for word in ("machine", "build", "encoder", "query", "memory", "FAISS at scale", "store rule", "hnsw", "not enough RAM"):
        assert word in text


# ---- bench --cold: `citeqa ask` as new processes -------------------------------------------------


def test_cold_percentiles_use_the_nearest_rank():
    from citeqa.coldstart_bench import stats_ms

    got = stats_ms([i / 1000 for i in range(1, 21)])  # 1 … 20 ms
    assert got["p50_ms"] == 10.5 and got["p95_ms"] == 19.0 and got["min_ms"] == 1.0 and got["max_ms"] == 20.0
    assert stats_ms([0.5])["p95_ms"] == 500.0 and stats_ms([]) == {}


def test_cold_bench_times_both_paths_and_compares_their_hits(app_url, built_index, tmp_path):
    from citeqa.coldstart_bench import render_cold, run_cold

    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"question": "How often is the NNI evaluated?"}\n{"question": "英国研究与创新署每年管理多少科研经费？"}\n', encoding="utf-8")
    figures = run_cold(built_index, CORPUS, gold, runs=2, server=app_url)
    assert json.loads(json.dumps(figures)) == figures
    for path in ("local", "server"):
        f = figures[path]
        assert f["runs"] == 2 and f["failures"] == [] and 0 < f["min_ms"] <= f["p50_ms"] <= f["p95_ms"] <= f["max_ms"]
    assert figures["server"]["started_here"] is False
    assert figures["same_hits"] == {"questions": 2, "differ": []}
    assert figures["machine"]["load_avg_1m_at_start"] >= 0 and "citeqa" in figures["command"]
    buf = io.StringIO()
    render_cold(Console(file=buf, width=200), figures)
    assert "local: p50" in buf.getvalue() and "server: p50" in buf.getvalue() and "2/2 questions" in buf.getvalue()


def test_cold_bench_without_an_index_is_a_clear_error(tmp_path):
    from typer.testing import CliRunner

    from citeqa.cli import app

    got = CliRunner().invoke(app, ["bench", "--cold", "3", "--index", str(tmp_path / "none")])
    assert got.exit_code == 1 and "no index in" in got.output and "citeqa build" in got.output
