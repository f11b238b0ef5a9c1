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
