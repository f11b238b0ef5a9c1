"""One verdict per claim: supported, contradicted, not_found or mixed, with the aligned facts behind it.

The claim is searched, each passage sentence is reduced to statements (`claims.Analyzer`), and a
claim value is compared only with passage values of the same kind whose sentence is about the same
subject (mechanism) and attribute (enough of the claim's other terms). A year alone never
supports a claim; a conflict needs the same alignment a support would need.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .claim_judge import SEARCH_K, YEAR_ANCHOR, Ctx, FactPair, judge_facts, judge_statement
from .claim_terms import english_acronyms, with_acronyms
from .claims import Analyzer, analyzer_for, claim_aliases, is_zh
from .models import Hit, SearchResult
from .search import QueryError, Searcher
from .verify import Verdict
from .verify import check_claim as check_passage

__all__ = ["VERDICTS", "ClaimReport", "FactPair", "analyzer_for", "check_claim", "check_claim_against", "claim_aliases",
           "judge", "judge_claim"]
VERDICTS = ("supported", "contradicted", "not_found", "mixed")


@dataclass
class ClaimReport:
    claim: str
    lang: str
    verdict: str
    confidence: float
    reasons: list[str]
    hits: list[Hit] = field(default_factory=list)
    passage_verdicts: list[str] = field(default_factory=list)
    facts: list[FactPair] = field(default_factory=list)
    abstained: bool = False
    notices: list[str] = field(default_factory=list)
    latency_ms: float = 0.0

    def evidence(self) -> list[dict[str, Any]]:
        return [{**h.to_dict(), "verdict": v, "facts": [f.to_dict() for f in self.facts if f.hit == i]}
                for i, (h, v) in enumerate(zip(self.hits, self.passage_verdicts))]

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "lang": self.lang, "verdict": self.verdict, "confidence": round(self.confidence, 3),
                "reasons": self.reasons, "abstained": self.abstained, "notices": self.notices,
                "latency_ms": round(self.latency_ms, 1), "evidence": self.evidence()}


def judge(searcher: Searcher, result: SearchResult, claim: str) -> ClaimReport:
    """Verdict for a claim over the passages already found for it."""
    an = analyzer_for(searcher)
    view = an.claim(claim)
    plain = an.claim(claim, founder_terms=False) if any(f.unit == "found" for f in view.facts) else view
    ctxs = []
    acronyms = english_acronyms(h.text for h in result.hits)
    for i, hit in enumerate(result.hits):
        for s in an.sentences(hit.text, hit.chunk.mechanism):
            text = with_acronyms(s.text, acronyms) if not is_zh(s.text) else s.text
            align, anchor = an.coverage(view, text)
            owner = an.owner(s, min(anchor, len(s.text) - 1))
            bare = an.coverage(plain, text)[0] if plain is not view else align
            ctxs.append(Ctx(i, s, align, owner, not view.mechanisms or bool(owner & view.mechanisms), bare))
    pairs, statuses = judge_facts(an, view, ctxs)
    anchored = any(st == "supports" for st in statuses)
    pairs += judge_statement(an, view, ctxs, anchored)
    conflict = "conflicts" in statuses or any(p.relation == "conflicts" and p.kind in ("negation", "attribution", "pairing", "contrast") for p in pairs)
    settled = [st for c, st in zip(view.facts, statuses) if c.kind != "year" or st != "none"]
    support = (anchored and all(st in ("supports", "year") for st in settled)) or any(p.kind == "statement" for p in pairs)
    if not result.hits:
        verdict = "not_found"
    elif conflict:
        verdict = "contradicted"
    elif "mixed" in statuses:
        verdict = "mixed"
    elif support:
        verdict = "supported"
    else:
        verdict = "not_found"
    deciding = [p for p in pairs if (p.relation == "conflicts") == (verdict in ("contradicted", "mixed")) or verdict == "mixed"]
    reasons = list(dict.fromkeys(p.reason() for p in (deciding or pairs)))
    if verdict == "not_found":
        reasons = ["no passage states this subject and attribute"] + reasons
    top = max((p.alignment for p in deciding), default=0.0)
    confidence = {"supported": 0.5 + 0.45 * top, "contradicted": 0.5 + 0.45 * top, "mixed": 0.5}.get(verdict, 0.6)
    per_passage = []
    for i in range(len(result.hits)):
        rel = {p.relation for p in pairs if p.hit == i and (p.kind != "year" or p.alignment >= YEAR_ANCHOR)}
        per_passage.append("mixed" if len(rel) == 2 else "contradicted" if "conflicts" in rel else
                           "supported" if "supports" in rel else "not_found")
    return ClaimReport(result.query, result.lang, verdict, confidence, reasons, list(result.hits), per_passage, pairs,
                       result.abstained, list(result.notices), result.latency_ms)


def _blank_mechanisms(an: Analyzer, claim: str) -> str:
    out = claim
    for s, e, _ in sorted(an.mechanism_mentions(claim), reverse=True):
        out = out[:s] + " " + out[e:]
    return out


def check_claim(searcher: Searcher, claim: str, k: int = 5) -> ClaimReport:
    """Search for the claim and judge it; raises search.QueryError for an unsearchable claim."""
    started = time.perf_counter()
    result = searcher.search(claim, k=max(k, SEARCH_K))
    report = judge(searcher, result, claim)
    view = analyzer_for(searcher).claim(claim)
    if report.verdict == "not_found" and view.mechanisms:
        # Whose practice is it? Search again without the claimed body, which search would otherwise favour.
        rest = _blank_mechanisms(analyzer_for(searcher), claim)
        seen = {h.chunk.chunk_id for h in result.hits}
        try:
            more = [h for h in searcher.search(rest, k=max(k, SEARCH_K // 2)).hits if h.chunk.chunk_id not in seen]
        except QueryError:
            more = []
        if more:
            report = judge(searcher, SearchResult(result.query, result.lang, result.hits + more, result.abstained,
                                                  result.confidence, result.notices, result.understood), claim)
    keep = sorted(range(len(report.hits)), key=lambda i: (report.passage_verdicts[i] == "not_found", i))[:k]
    keep.sort()
    remap = {old: new for new, old in enumerate(keep)}
    report.facts = [FactPair(**{**f.__dict__, "hit": remap[f.hit]}) for f in report.facts if f.hit in remap]
    report.hits = [report.hits[i] for i in keep]
    report.passage_verdicts = [report.passage_verdicts[i] for i in keep]
    report.latency_ms = (time.perf_counter() - started) * 1000
    return report


# ---- per-passage badges (the app's earlier view; kept while it is wired to the claim report) ----------

def judge_claim(searcher: Searcher, claim: str, k: int = 5) -> tuple[SearchResult, list[Verdict]]:
    """Search for the claim, then judge each hit's highlighted sentence (whole passage as fallback)."""
    result = searcher.search(claim, k=k)
    aliases = claim_aliases(searcher)
    verdicts = []
    for hit in result.hits:
        a, b = hit.highlight
        verdict = check_passage(result.query, hit.text[a:b], aliases)
        if verdict.verdict == "unclear":
            verdict = check_passage(result.query, hit.text, aliases)
        verdicts.append(verdict)
    return result, verdicts


def check_claim_against(searcher: Searcher, claim: str, k: int = 5) -> dict[str, Any]:
    """JSON form of `judge_claim` plus the claim-level verdict of `check_claim`."""
    result, verdicts = judge_claim(searcher, claim, k)
    passages = [{**h.to_dict(), "verdict": v.verdict, "reasons": v.reasons} for h, v in zip(result.hits, verdicts)]
    report = judge(searcher, result, claim).to_dict()
    return {**report, "claim": result.query, "lang": result.lang, "notices": result.notices, "passages": passages}
