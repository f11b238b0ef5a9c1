"""Score a search function against a gold question set and write a report.

Relevance is decided by evidence spans, not by chunk ids, so any chunking or index can be
scored against the same gold file (see /work/shared/eval/README.md for the schema).
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from citeqa.models import SearchResult

RANKING_METRICS = [f"hit_rate@{j}" for j in range(1, 11)] + ["mrr@10", "ndcg@10"]
_REQUIRED: dict[str, type] = {
    "id": str, "lang": str, "question": str, "evidence": list, "mechanism": str, "measure": str, "kind": str,
}


@dataclass(frozen=True)
class GoldItem:
    """One gold question; empty `evidence` means the corpus does not answer it."""

    id: str
    lang: str
    question: str
    evidence: tuple[str, ...]
    mechanism: str
    measure: str
    kind: str
    note: str = ""
    evidence_lang: str = ""  # "zh", "en" or "both": the language(s) of the evidence, when stated
    target_lang: str = ""  # for sets run on one language's corpus only (parallel sets)

    @property
    def answerable(self) -> bool:
        return bool(self.evidence)


class GoldFormatError(ValueError):
    """A gold file line that cannot be used; the message names the file and 1-based line."""


def load_gold(path: str | Path) -> list[GoldItem]:
    """Read a gold JSONL file, failing loudly on the first bad line rather than skipping it."""
    items: list[GoldItem] = []
    first_line: dict[str, int] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue

            def fail(what: str) -> GoldFormatError:
                return GoldFormatError(f"{path} line {n}: {what}")

            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise fail(f"invalid JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise fail("expected a JSON object")
            for name, typ in _REQUIRED.items():
                if name not in obj:
                    raise fail(f"missing field '{name}'")
                if not isinstance(obj[name], typ):
                    raise fail(f"field '{name}' should be {typ.__name__}, got {type(obj[name]).__name__}")
            if not all(isinstance(s, str) and _squash(s) for s in obj["evidence"]):
                raise fail("field 'evidence' should hold non-blank strings")
            if not isinstance(obj.get("note", ""), str):
                raise fail("field 'note' should be str")
            if obj["id"] in first_line:
                raise fail(f"duplicate id '{obj['id']}' (first on line {first_line[obj['id']]})")
            first_line[obj["id"]] = n
            items.append(GoldItem(**{k: obj[k] for k in _REQUIRED if k != "evidence"},
                                  evidence=tuple(obj["evidence"]), note=obj.get("note", ""),
                                  evidence_lang=str(obj.get("evidence_lang", "")), target_lang=str(obj.get("target_lang", ""))))
    return items


def _squash(text: str) -> str:
    """Remove all whitespace (str.split knows Unicode spaces such as U+3000 and NBSP)."""
    return "".join(text.split())


def is_relevant(passage: str, evidence: Iterable[str]) -> bool:
    """True when the passage contains any evidence span, ignoring whitespace on both sides."""
    flat = _squash(passage)
    return any(span and span in flat for span in map(_squash, evidence))


@dataclass
class QuestionResult:
    """What one question produced; `first_rank` is 1-based, None when nothing relevant in top k."""

    id: str
    lang: str
    kind: str
    mechanism: str
    question: str
    answerable: bool
    first_rank: int | None
    abstained: bool
    top_passage: str
    latency_ms: float
    passage_chars: tuple[int, ...]
    scores: dict[str, float] = field(default_factory=dict)  # per-question ranking scores (answerable only)


@dataclass
class EvalRun:
    """Per-question rows of one evaluation; aggregate with `metrics()`."""

    rows: list[QuestionResult]
    k: int = 10

    def metrics(self) -> dict[str, Any]:
        """Overall metrics plus the same keys per language, kind and mechanism."""
        out = _aggregate(self.rows)
        for key, attr in (("by_lang", "lang"), ("by_kind", "kind"), ("by_mechanism", "mechanism")):
            groups = sorted({getattr(r, attr) for r in self.rows})
            out[key] = {g: _aggregate([r for r in self.rows if getattr(r, attr) == g]) for g in groups}
        return out

    def recall_curve(self, lang: str | None = None) -> list[float | None]:
        """recall@1..10 over answerable questions (optionally one language), for plotting."""
        rows = [r for r in self.rows if r.answerable and (lang is None or r.lang == lang)]
        return [_mean([r.scores[f"hit_rate@{j}"] for r in rows]) for j in range(1, 11)]


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _aggregate(rows: list[QuestionResult]) -> dict[str, Any]:
    answerable = [r for r in rows if r.answerable]
    chars = [c for r in rows for c in r.passage_chars]
    abstained = [r for r in rows if r.abstained]
    unanswerable = [r for r in rows if not r.answerable]
    correct_abstain = sum(1 for r in abstained if not r.answerable)
    latency = [r.latency_ms for r in rows]
    out: dict[str, Any] = {"n": len(rows), "n_answerable": len(answerable)}
    for j in (1, 3, 5, 10):
        out[f"recall@{j}"] = _mean([r.scores[f"hit_rate@{j}"] for r in answerable])
    out["mrr@10"] = _mean([r.scores["mrr@10"] for r in answerable])
    out["ndcg@10"] = _mean([r.scores["ndcg@10"] for r in answerable])
    out["mean_passage_chars"] = _mean(chars)
    out["abstain_precision"] = _ratio(correct_abstain, len(abstained))
    out["abstain_recall"] = _ratio(correct_abstain, len(unanswerable))
    out["latency_ms_p50"] = float(np.percentile(latency, 50)) if latency else None
    out["latency_ms_p95"] = float(np.percentile(latency, 95)) if latency else None
    return out


def _ranking_scores(relevant: dict[str, list[bool]]) -> dict[str, dict[str, float]]:
    """Per-question hit rate@1..10, MRR@10 and nDCG@10 from each question's top-k relevance flags.

    The relevant passages of the whole corpus are unknown, so nDCG's ideal ranking is "the
    relevant passages we found, placed first": nDCG measures ordering, not coverage; a question
    with no relevant passage retrieved scores 0. Computed here rather than with an IR library:
    these are a few sums over binary flags, and ranx's numba compilation cost 30-60 s on the
    first evaluation after an install.
    """
    scores = {}
    for qid, flags in relevant.items():
        top = [bool(f) for f in flags[:10]]
        first = top.index(True) + 1 if any(top) else None
        dcg = sum(1 / math.log2(i + 2) for i, rel in enumerate(top) if rel)
        ideal = sum(1 / math.log2(i + 2) for i in range(sum(top)))
        row = {f"hit_rate@{j}": float(first is not None and first <= j) for j in range(1, 11)}
        scores[qid] = row | {"mrr@10": 1 / first if first else 0.0, "ndcg@10": dcg / ideal if ideal else 0.0}
    return scores


def evaluate(items: list[GoldItem], search: Callable[[GoldItem], SearchResult], k: int = 10,
             progress: bool = True) -> EvalRun:
    """Run `search` on every item, timing each call, and judge its top-k hits.

    Ranking is judged on the hits as returned even when the system abstained, so abstention
    is scored separately (abstain_precision/recall) and cannot hide ranking quality.
    """
    rows: list[QuestionResult] = []
    flags: dict[str, list[bool]] = {}
    for n, item in enumerate(items, start=1):
        t0 = time.perf_counter()
        result = search(item)
        latency = (time.perf_counter() - t0) * 1000
        hits = result.hits[:k]
        rel = [is_relevant(h.text, item.evidence) for h in hits]
        if item.answerable:
            flags[item.id] = rel
        rows.append(QuestionResult(
            id=item.id, lang=item.lang, kind=item.kind, mechanism=item.mechanism, question=item.question,
            answerable=item.answerable, first_rank=rel.index(True) + 1 if any(rel) else None,
            abstained=result.abstained, top_passage=hits[0].text if hits else "", latency_ms=latency,
            passage_chars=tuple(len(h.text) for h in hits)))
        if progress:
            print(f"\r[{n}/{len(items)}] {item.id}", end="", file=sys.stderr, flush=True)
    if progress and items:
        print(file=sys.stderr)
    scores = _ranking_scores(flags)
    for row in rows:
        row.scores = scores.get(row.id, {})
    return EvalRun(rows=rows, k=k)
