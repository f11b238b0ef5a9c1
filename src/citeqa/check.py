"""Check a claim against the passages search finds for it: one verdict per passage, with reasons.

`verify.check_claim` is deterministic and only knows generic language; this module feeds it the
corpus's own names (mined glosses and manifest facet aliases) so that "UKRI" and "英国研究与创新署"
count as one actor.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .models import SearchResult
from .search import Searcher
from .verify import Verdict, check_claim


@lru_cache(maxsize=8)
def claim_aliases(searcher: Searcher) -> dict[str, list[str]]:
    """Names of one thing (acronym ↔ English ↔ Chinese), keyed by its facet value, else its shortest Latin name.

    Gloss pairs and facet alias lists are merged whenever they share a term, so NNI, National
    Nanotechnology Initiative, 美国国家纳米技术计划 and 纳米计划 end up in one group.
    """
    mechanisms = searcher.facets.values.get("mechanism", {})
    groups = [{p.en, p.zh} for p in searcher.lexicon.pairs if p.source == "gloss"]
    groups += [{value, *aliases} for value, aliases in mechanisms.items()]
    merged: list[set[str]] = []
    for group in groups:
        for other in [m for m in merged if m & group]:
            merged.remove(other)
            group |= other
        merged.append(group)
    aliases: dict[str, list[str]] = {}
    for group in merged:
        key = min(group, key=lambda t: (t not in mechanisms, not t.isascii(), len(t), t))
        aliases[key] = sorted(group - {key})
    return aliases


def judge_claim(searcher: Searcher, claim: str, k: int = 5) -> tuple[SearchResult, list[Verdict]]:
    """Search for the claim, then judge each hit; raises search.QueryError for an unsearchable claim.

    The highlighted sentence is judged first: a whole passage mentions many numbers, and a claim
    compared against all of them over-reports conflicts. The whole passage is the fallback only
    when the sentence has nothing comparable.
    """
    result = searcher.search(claim, k=k)
    aliases = claim_aliases(searcher)
    verdicts = []
    for hit in result.hits:
        a, b = hit.highlight
        verdict = check_claim(result.query, hit.text[a:b], aliases)
        if verdict.verdict == "unclear":
            verdict = check_claim(result.query, hit.text, aliases)
        verdicts.append(verdict)
    return result, verdicts


def check_claim_against(searcher: Searcher, claim: str, k: int = 5) -> dict[str, Any]:
    """JSON form of `judge_claim`: each hit's `to_dict()` plus its verdict and reasons."""
    result, verdicts = judge_claim(searcher, claim, k)
    passages = [{**h.to_dict(), "verdict": v.verdict, "reasons": v.reasons} for h, v in zip(result.hits, verdicts)]
    return {"claim": result.query, "lang": result.lang, "notices": result.notices, "passages": passages}
