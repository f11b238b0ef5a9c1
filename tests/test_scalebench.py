"""The searcher scale benchmark: a tiny synthetic index built and measured end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from citeqa.scalebench import KEYS, InjectedEncoder, run_searcher_scale, source_pool, write_corpus

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pool() -> dict:
    return source_pool([ROOT / "corpus"])


def test_pool_has_both_languages_and_facets(pool):
    assert len(pool["sentences"]["zh"]) > 50 and len(pool["sentences"]["en"]) > 5
    assert len(pool["rows"]["zh"]) == len(pool["sentences"]["zh"])
    assert "mechanism" in pool["facets"]


def test_corpus_is_distinct_recombined_text_and_only_its_folder_is_replaced(pool, tmp_path):
    folder = tmp_path / "corpus"
    written = write_corpus(pool, 200, folder)
    paragraphs = [p for f in folder.rglob("*.md") for p in f.read_text(encoding="utf-8").split("\n\n") if not p.startswith("#")]
    assert written == len(paragraphs) >= 150
    assert len(set(paragraphs)) == len(paragraphs)
    assert all(len(p) <= 400 for p in paragraphs)
    assert {f.parent.name for f in folder.rglob("*.md")} == {"zh", "en"}
    write_corpus(pool, 50, folder)  # a folder it wrote is replaced
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("user data", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_corpus(pool, 50, foreign)
    assert (foreign / "keep.txt").read_text(encoding="utf-8") == "user data"


def test_injected_vectors_follow_their_sources(pool):
    rng = np.random.default_rng(1)
    sources = rng.standard_normal((len(pool["texts"]), 384)).astype(np.float32)
    sources /= np.linalg.norm(sources, axis=1, keepdims=True)
    enc = InjectedEncoder(pool, sources)
    sentence, row = pool["sentences"]["zh"][0], pool["rows"]["zh"][0]
    v = enc.encode_passages([sentence, "完全不在来源里的一句话。"])
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert float(v[0] @ sources[row]) > 0.8  # a noisy copy of its source passage's vector
    assert abs(float(v[1] @ sources[row])) < 0.5  # unknown text gets a random direction
    assert np.array_equal(enc.encode_passages([sentence]), v[:1])  # deterministic


def test_tiny_run_reports_every_key(tmp_path):
    questions = ["How much research funding does UKRI manage each year?", "日本综合科学技术创新会议如何统筹预算？"]
    rows = run_searcher_scale([300], questions, tmp_path / "work", budget_s=600, sources=[ROOT / "corpus"], vectors="random")
    assert len(rows) == 1
    row = rows[0]
    for key in (*KEYS, "build_s"):
        assert row[key] > 0, key
    build = row["details"]["build"]
    assert build["passages"] >= 200 and "lexicon" in build["phases_s"]
    assert row["details"]["filter"]["mechanism"]
    anchors = row["anchors"]  # each question against its own bm25s + FAISS calls, plain and filtered
    for key in ("sum_ms_p50", "sum_ms_p95", "filtered_sum_ms_p95", "query_over_anchor_p95", "filtered_over_anchor_p95"):
        assert anchors[key] > 0, key
    json.dumps(rows)  # the report is JSON as it is
