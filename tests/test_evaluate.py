"""Tests for citeqa.evaluate: hand-computed metrics on tiny fake runs, gold parsing, reports."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from citeqa.eval_report import write_report
from citeqa.evaluate import EvalRun, GoldFormatError, GoldItem, evaluate, is_relevant, load_gold
from citeqa.models import Chunk, Hit, SearchResult

GOLD_DEV = Path(__file__).resolve().parents[1] / "eval" / "gold_dev.jsonl"


def pad(text: str) -> str:
    """Every fake passage is 10 characters, so mean_passage_chars is 10 by construction."""
    return text.ljust(10, "·")


def result(texts: list[str], abstained: bool = False) -> SearchResult:
    hits = [
        Hit(chunk=Chunk(chunk_id=f"c{i}", doc_id="doc", text=t, start=0, end=len(t)), score=1.0 / (i + 1),
            title="t", highlight=(0, len(t)), rank=i + 1)
        for i, t in enumerate(texts)
    ]
    return SearchResult(query="q", lang="zh", hits=hits, abstained=abstained)


def item(id: str, lang: str, evidence: tuple[str, ...], kind: str = "fact", question: str = "q?") -> GoldItem:
    return GoldItem(id=id, lang=lang, question=question, evidence=evidence, mechanism="NNI", measure="budget",
                    kind=kind)


def run_fake(items: list[GoldItem], results: dict[str, SearchResult]) -> EvalRun:
    return evaluate(items, lambda it: results[it.id], k=10, progress=False)


X = pad("无关")  # irrelevant filler


@pytest.fixture(scope="module")
def ranking_run() -> EvalRun:
    # q1 en: relevant at rank 2 only.                 RR=1/2  nDCG=(1/log2 3)/1                 = 0.630930
    # q2 zh: relevant at ranks 1 and 3.               RR=1    nDCG=(1+1/log2 4)/(1+1/log2 3)   = 1.5/1.630930 = 0.919721
    # q3 zh (number): relevant at rank 4 only.        RR=1/4  nDCG=(1/log2 5)/1                 = 0.430677
    # q4 en: nothing relevant retrieved.              RR=0    nDCG=0
    # q5 en unanswerable, abstained: not in ranking metrics.
    items = [
        item("q1", "en", ("甲一",)),
        item("q2", "zh", ("乙二", "乙三")),
        item("q3", "zh", ("丙三",), kind="number"),
        item("q4", "en", ("丁四",)),
        item("q5", "en", (), kind="unanswerable", question="a | b"),
    ]
    results = {
        "q1": result([X, pad("甲一"), X]),
        "q2": result([pad("乙二"), X, pad("乙三")]),
        "q3": result([X, X, X, pad("丙三"), X]),
        "q4": result([X, X]),
        "q5": result([X], abstained=True),
    }
    return run_fake(items, results)


def test_ranking_metrics_by_hand(ranking_run: EvalRun) -> None:
    m = ranking_run.metrics()
    assert m["n"] == 5
    # Over the 4 answerable questions; first relevant ranks are 2, 1, 4, none.
    assert m["recall@1"] == pytest.approx(1 / 4)  # only q2
    assert m["recall@3"] == pytest.approx(2 / 4)  # q1, q2
    assert m["recall@5"] == pytest.approx(3 / 4)  # q1, q2, q3
    assert m["recall@10"] == pytest.approx(3 / 4)
    assert m["mrr@10"] == pytest.approx((0.5 + 1 + 0.25 + 0) / 4)  # 0.4375
    ndcg = [1 / math.log2(3), 1.5 / (1 + 1 / math.log2(3)), 1 / math.log2(5), 0.0]
    assert ndcg == pytest.approx([0.630930, 0.919721, 0.430677, 0.0], abs=1e-6)
    assert m["ndcg@10"] == pytest.approx(sum(ndcg) / 4)  # 0.495332
    assert m["mean_passage_chars"] == pytest.approx(10.0)
    assert [r.first_rank for r in ranking_run.rows] == [2, 1, 4, None, None]


def test_metrics_grouped(ranking_run: EvalRun) -> None:
    m = ranking_run.metrics()
    en, zh = m["by_lang"]["en"], m["by_lang"]["zh"]
    assert set(en) == set(zh) >= {"n", "recall@1", "mrr@10", "ndcg@10", "abstain_precision", "latency_ms_p95"}
    assert en["n"] == 3 and zh["n"] == 2
    assert en["recall@3"] == pytest.approx(1 / 2)  # q1 yes, q4 no
    assert en["mrr@10"] == pytest.approx((0.5 + 0) / 2)
    assert zh["recall@1"] == pytest.approx(1 / 2)  # q2 yes, q3 no
    assert zh["mrr@10"] == pytest.approx((1 + 0.25) / 2)
    assert m["by_kind"]["number"]["recall@5"] == pytest.approx(1.0)
    assert m["by_kind"]["unanswerable"]["recall@1"] is None  # no answerable items in the group
    assert m["by_mechanism"]["NNI"]["n"] == 5
    assert m["latency_ms_p50"] >= 0 and m["latency_ms_p95"] >= m["latency_ms_p50"]


def test_abstention_precision_recall() -> None:
    # Abstained: u1 (unanswerable, correct) and a1 (answerable, wrong); u2 unanswerable not abstained.
    # precision = 1 correct / 2 abstained = 0.5; recall = 1 correct / 2 unanswerable = 0.5.
    items = [item("u1", "en", (), "unanswerable"), item("u2", "zh", (), "unanswerable"),
             item("a1", "en", ("证据",)), item("a2", "zh", ("证据",))]
    results = {"u1": result([X], abstained=True), "u2": result([X]),
               "a1": result([pad("证据")], abstained=True), "a2": result([X])}
    m = run_fake(items, results).metrics()
    assert m["abstain_precision"] == pytest.approx(0.5)
    assert m["abstain_recall"] == pytest.approx(0.5)
    # a1 abstained but its hits are still ranked: a1 hit at 1, a2 missed.
    assert m["recall@1"] == pytest.approx(0.5)
    # zh: nothing abstained -> precision undefined (None), recall 0/1 unanswerable.
    assert m["by_lang"]["zh"]["abstain_precision"] is None
    assert m["by_lang"]["zh"]["abstain_recall"] == 0.0


def test_no_relevant_anywhere_scores_zero() -> None:
    m = run_fake([item("a", "en", ("没有",))], {"a": result([X, X])}).metrics()
    assert m["recall@10"] == 0.0 and m["mrr@10"] == 0.0 and m["ndcg@10"] == 0.0
    assert m["abstain_precision"] is None and m["abstain_recall"] is None


def test_is_relevant_ignores_whitespace() -> None:
    passage = "统筹管理 英国每年\n90亿英镑\u3000的科研 经费。"
    assert is_relevant(passage, ["无关的句子", "英国每年 90 亿英镑的\t科研"])
    assert is_relevant("ESFRI  road\nmap", ["roadmap"])
    assert not is_relevant(passage, ["英国每年80亿英镑"])
    assert not is_relevant(passage, [])
    assert not is_relevant(passage, [" \u3000"])  # a blank span must not match everything


GOOD = {"id": "x-1", "lang": "zh", "question": "q", "evidence": ["a"], "mechanism": "NNI", "measure": "budget",
        "kind": "fact"}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_gold_bad_json_names_line(tmp_path: Path) -> None:
    p = write_lines(tmp_path / "gold.jsonl",
                    [json.dumps(GOOD), json.dumps({**GOOD, "id": "x-2"}), '{"id": "x-3", "lang": '])
    with pytest.raises(GoldFormatError, match=r"gold\.jsonl line 3: invalid JSON"):
        load_gold(p)


def test_load_gold_missing_field_names_line(tmp_path: Path) -> None:
    missing = {k: v for k, v in GOOD.items() if k != "question"} | {"id": "x-2"}
    p = write_lines(tmp_path / "gold.jsonl", [json.dumps(GOOD), json.dumps(missing)])
    with pytest.raises(GoldFormatError, match=r"gold\.jsonl line 2: missing field 'question'"):
        load_gold(p)


@pytest.mark.parametrize("second, message", [
    ({**GOOD}, r"line 3: duplicate id 'x-1' \(first on line 1\)"),
    ({**GOOD, "id": "x-2", "evidence": "a"}, r"line 3: field 'evidence' should be list"),
    ({**GOOD, "id": "x-2", "evidence": [1]}, r"line 3: field 'evidence' should hold non-blank strings"),
])
def test_load_gold_rejects(tmp_path: Path, second: dict, message: str) -> None:
    p = write_lines(tmp_path / "gold.jsonl", [json.dumps(GOOD), "", json.dumps(second)])  # blank line 2 counts
    with pytest.raises(GoldFormatError, match=message):
        load_gold(p)


def test_load_gold_skips_blank_lines(tmp_path: Path) -> None:
    p = write_lines(tmp_path / "gold.jsonl", ["", json.dumps({**GOOD, "note": "n"}), "   ", json.dumps({**GOOD, "id": "x-2"})])
    items = load_gold(p)
    assert [i.id for i in items] == ["x-1", "x-2"]
    assert items[0].evidence == ("a",) and items[0].note == "n" and items[1].note == ""


@pytest.mark.skipif(not GOLD_DEV.exists(), reason="shared dev gold set not present")
def test_load_gold_dev_set() -> None:
    items = load_gold(GOLD_DEV)
    assert len(items) == 60
    assert {i.lang for i in items} == {"zh", "en"}
    assert sum(1 for i in items if not i.evidence) == 4  # the unanswerable ones


def test_write_report_single_and_ablation(tmp_path: Path, ranking_run: EvalRun) -> None:
    write_report(ranking_run, tmp_path / "single")
    for name in ("metrics.json", "report.md", "recall_at_k.png"):
        assert (tmp_path / "single" / name).stat().st_size > 0
    metrics = json.loads((tmp_path / "single" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["recall@1"] == pytest.approx(0.25) and "by_lang" in metrics
    report = (tmp_path / "single" / "report.md").read_text(encoding="utf-8")
    assert "a \\| b" in report  # pipe in a question is escaped
    assert (tmp_path / "single" / "recall_at_k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    write_report({"bm25": ranking_run, "dense": ranking_run}, tmp_path / "ablation")
    metrics = json.loads((tmp_path / "ablation" / "metrics.json").read_text(encoding="utf-8"))
    assert set(metrics) == {"bm25", "dense"}
    report = (tmp_path / "ablation" / "report.md").read_text(encoding="utf-8")
    assert "## Ablation" in report and "| bm25 |" in report
    assert (tmp_path / "ablation" / "recall_at_k.png").exists()


def test_a_report_never_overwrites_a_folder_of_someone_elses_files(tmp_path):
    from citeqa.eval_report import report_folder

    theirs = tmp_path / "notes"
    theirs.mkdir()
    (theirs / "metrics.json").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="did not write"):
        report_folder(theirs)
    assert (theirs / "metrics.json").read_text(encoding="utf-8") == "mine"
    ours = report_folder(tmp_path / "report")
    assert report_folder(ours) == ours  # a folder citeqa marked may be written again
