"""Score the claim checker on a labelled claim set (`citeqa eval --claims FILE`).

Each line of the set is `{"id", "lang", "claim", "label", "error_kind", "evidence", "note"}` with
label supported / contradicted / not_found (eval/CLAIMS.md). Reported: accuracy overall, per
class, per error kind and per language, the confusion matrix, and how many `supported` verdicts
were wrong (the error a reviewer pays for).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, TextIO

from .check import VERDICTS, check_claim
from .search import Searcher

LABELS = ("supported", "contradicted", "not_found")


def load_claims(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            if row.get("label") not in LABELS or not str(row.get("claim", "")).strip():
                raise ValueError(f"{path}:{n}: needs a claim and a label in {LABELS}")
            rows.append(row)
    return rows


def _share(rows: list[dict[str, Any]]) -> dict[str, Any]:
    right = sum(r["verdict"] == r["label"] for r in rows)
    return {"n": len(rows), "right": right, "accuracy": round(right / len(rows), 3) if rows else None}


def evaluate_claims(searcher: Searcher, path: Path, k: int = 5) -> dict[str, Any]:
    """Check every claim in the set and compare with its label."""
    rows, latencies = [], []
    for row in load_claims(path):
        started = time.perf_counter()
        report = check_claim(searcher, row["claim"], k=k)
        latencies.append((time.perf_counter() - started) * 1000)
        rows.append({**row, "verdict": report.verdict, "confidence": report.confidence, "reasons": report.reasons[:3]})
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {"label": defaultdict(list), "error_kind": defaultdict(list), "lang": defaultdict(list)}
    for r in rows:
        for key in groups:
            if r.get(key):
                groups[key][r[key]].append(r)
    said_supported = [r for r in rows if r["verdict"] == "supported"]
    confusion = Counter((r["label"], r["verdict"]) for r in rows)
    latencies.sort()
    return {
        "file": str(path), "k": k, **_share(rows),
        "per_class": {lab: _share(groups["label"][lab]) for lab in LABELS if groups["label"][lab]},
        "per_error_kind": {kind: _share(v) for kind, v in sorted(groups["error_kind"].items())},
        "per_lang": {lang: _share(v) for lang, v in sorted(groups["lang"].items())},
        "wrong_supported": {"n": len(said_supported), "wrong": sum(r["label"] != "supported" for r in said_supported),
                            "share": round(sum(r["label"] != "supported" for r in said_supported) / len(said_supported), 3) if said_supported else 0.0},
        "confusion": {lab: {v: confusion[(lab, v)] for v in VERDICTS} for lab in LABELS},
        "latency_ms": {"p50": round(latencies[len(latencies) // 2], 1) if latencies else None,
                       "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None},
        "errors": [{k2: r.get(k2) for k2 in ("id", "lang", "claim", "label", "error_kind", "verdict", "reasons")}
                   for r in rows if r["verdict"] != r["label"]],
    }


def print_claim_eval(result: dict[str, Any], out: TextIO | None = None, show_errors: bool = True) -> None:
    """Plain-text tables of `evaluate_claims`."""
    import sys

    out = out or sys.stdout
    w = out.write
    w(f"claims: {result['n']}  accuracy {result['accuracy']}  ({result['file']}, k={result['k']})\n")
    ws = result["wrong_supported"]
    w(f"'supported' verdicts wrong: {ws['wrong']} of {ws['n']} ({ws['share']:.1%})\n")
    for title, key in (("class", "per_class"), ("error kind", "per_error_kind"), ("language", "per_lang")):
        w(f"\n{title:<20} {'n':>4} {'right':>6} {'accuracy':>9}\n")
        for name, s in result[key].items():
            w(f"{name:<20} {s['n']:>4} {s['right']:>6} {s['accuracy']:>9}\n")
    w("\nconfusion (rows: label, columns: verdict)\n" + f"{'':<14}" + "".join(f"{v:>14}" for v in VERDICTS) + "\n")
    for lab, row in result["confusion"].items():
        w(f"{lab:<14}" + "".join(f"{row[v]:>14}" for v in VERDICTS) + "\n")
    lat = result["latency_ms"]
    w(f"\ncheck latency per claim: p50 {lat['p50']} ms, p95 {lat['p95']} ms\n")
    if show_errors and result["errors"]:
        w("\nwrong verdicts:\n")
        for e in result["errors"]:
            w(f"  {e['id']} [{e['label']}/{e.get('error_kind') or '-'} -> {e['verdict']}] {e['claim']}\n")
            for r in e["reasons"][:2]:
                w(f"      {r[:160]}\n")
