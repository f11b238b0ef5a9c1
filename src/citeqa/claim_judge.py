"""Comparing a claim's statements with passage sentences: values kind by kind, then polarity,
attribution and whole-statement support. `check.judge` builds the aligned sentences (`Ctx`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .claim_contrast import ruled_out
from .claims import _CLAUSE, Analyzer, ClaimView, Sentence, is_zh, negated
from .facts import Fact
from .verify import _label, _matches

# Share of the claim's other terms a sentence must contain before its values are compared, per value kind.
# Chosen on eval/claims_dev.jsonl (see eval/CLAIMS.md); years need more because many sentences carry one.
MIN_ALIGN = {"money": 0.25, "count": 0.25, "percent": 0.25, "frequency": 0.3, "duration": 0.3, "year": 0.75, "actor": 0.0}
YEAR_ANCHOR = 0.75  # a matching year counts towards support only in a sentence this well aligned
STATEMENT = 0.9  # a claim without comparable values is supported by one clause holding this share of its terms
NEGATION = 0.6  # a clause this well aligned with the opposite polarity contradicts the claim
ATTRIBUTION = 0.75  # ... and one this well aligned that the sources give to another mechanism
SEARCH_K = 10  # passages judged per claim; the report shows the k best, deciding passages first
CLOSE = 0.15  # support and conflict within this alignment of each other make a fact "mixed"
_LOCAL_BODY = re.compile(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff]{2,8}?(?:会议|委员会|理事会|办公室|工作组|小组)")


@dataclass
class FactPair:
    """A claim value set against a passage value (or a statement against a sentence)."""

    kind: str
    relation: str  # supports | conflicts
    claim: str
    passage: str
    sentence: str
    alignment: float
    hit: int  # index into the evidence list

    def reason(self) -> str:
        sign = "=" if self.relation == "supports" else "≠"
        if self.kind in ("negation", "attribution", "statement", "pairing", "contrast"):
            return f"{self.claim} — passage: “{self.sentence}”"
        return f"claim {self.claim} {sign} passage {self.passage} — “{self.sentence}”"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "relation": self.relation, "claim": self.claim, "passage": self.passage,
                "sentence": self.sentence, "alignment": round(self.alignment, 3)}




# ---- comparing values ------------------------------------------------------------------------------

def _comparable(an: Analyzer, c: Fact, p: Fact) -> bool:
    if c.kind != p.kind:
        return False
    if c.kind == "actor" and c.unit != p.unit:
        return False
    if c.kind == "count" and c.unit != p.unit:
        if is_zh(c.unit) != is_zh(p.unit):
            return bool(an.same_name(c.unit, p.unit))  # landmark vs 地标
        # the two languages' nouns fall into different tables (会议 meeting, councils): compare the words themselves
        return is_zh(c.text) != is_zh(p.text) and bool(an.same_name(an.counted(c), an.counted(p)))
    return True


def _modifier_fits(an: Analyzer, c: Fact, p: Fact, peers: list[Fact]) -> bool:
    """Counts of one noun are told apart by their modifier (内阁成员 vs 专家成员) when the claim's names one of them."""
    mc = an.count_modifier(c)
    named = [q for q in peers if q.kind == "count" and q.unit == c.unit and mc and an.count_modifier(q)
             and an.same_name(mc, an.count_modifier(q))]
    return not named or p in named


def _equal(an: Analyzer, c: Fact, p: Fact) -> bool | None:
    if c.kind == "actor":
        return an.same_name(str(c.value), str(p.value))
    return _matches(c, p) and (c.kind != "money" or c.unit == p.unit)


def _other_body(an: Analyzer, view: ClaimView, s: Sentence, p: Fact) -> bool:
    """A role stated of a body named just before it ("预算战略会议 … 主席由X担任") that the claim does not name."""
    before = s.text[: max(0, s.text.find(p.text))]
    names = _LOCAL_BODY.findall(before[-40:])
    if not names:
        return False
    keys = {k for _, _, k in an.entities(names[-1])}
    return not (keys & view.mechanisms) and names[-1] not in view.text and an.coverage(view, names[-1])[0] < 0.5


@dataclass
class Ctx:
    hit: int
    sentence: Sentence
    align: float
    owner: set[str]
    subject_ok: bool
    actor_align: float = 0.0  # alignment without the founder's own name, for comparing founders


def _around(text: str, p: Fact) -> str:
    """The words next to a passage value, where the noun it measures sits ("两年任期", "a two-year term")."""
    return text[max(0, p.span[0] - 8): p.span[0]] + " " + text[p.span[1]: p.span[1] + 24]


def _years(facts: list[Fact]) -> set[int]:
    return {int(f.value) for f in facts if f.kind == "year"}


def judge_facts(an: Analyzer, view: ClaimView, ctxs: list[Ctx]) -> tuple[list[FactPair], list[str]]:
    """Each claim value against its best-aligned passage values: the pairs and one status per value."""
    pairs, statuses = [], []
    cyears = _years(view.facts)
    for c in view.facts:
        found: list[tuple[float, bool, Ctx, Fact]] = []
        head = an.head(view, c) if c.kind == "duration" else None  # a term's length is not a plan's horizon
        for ctx in ctxs:
            align = ctx.actor_align if c.kind == "actor" else ctx.align
            if not ctx.subject_ok or align < MIN_ALIGN[c.kind]:
                continue
            if c.kind == "actor" and not view.mechanisms and align < 0.75:
                continue  # no named subject: the rest of the claim must say whose role it is
            pyears = _years(ctx.sentence.facts)
            if c.kind != "year" and cyears and pyears and not cyears & pyears:
                continue  # the passage speaks of another time
            for p in ctx.sentence.facts:
                if not _comparable(an, c, p) or (c.kind == "actor" and _other_body(an, view, ctx.sentence, p)):
                    continue
                if head and not an.holds(head, _around(ctx.sentence.text, p)):
                    continue
                if c.kind == "count" and not _modifier_fits(an, c, p, ctx.sentence.facts):
                    continue
                if c.kind == "year" and not view.event:
                    continue  # a year is compared only as the date of an event both sides name
                eq = _equal(an, c, p)
                if eq is not None:
                    found.append((align, eq, ctx, p))
        sup = max((a for a, eq, _, _ in found if eq), default=None)
        con = max((a for a, eq, ctx, _ in found if not eq and not any(e and x is ctx for _, e, x, _ in found)), default=None)
        status = "none"
        if sup is not None and (con is None or sup >= con + CLOSE):
            status = "supports"
        elif con is not None and (sup is None or con >= sup + CLOSE):
            status = "conflicts"
        elif sup is not None:
            status = "mixed"
        if c.kind == "year" and status == "supports" and sup < YEAR_ANCHOR:
            status = "year"  # agrees, but a year alone never carries support
        statuses.append(status)
        for a, eq, ctx, p in found:
            if (eq and a == sup) or (not eq and a == con):
                pairs.append(FactPair(c.kind if c.kind != "actor" else f"who {c.unit}s", "supports" if eq else "conflicts",
                                      _label(c), _label(p), ctx.sentence.quote, a, ctx.hit))
    return pairs, statuses


def judge_statement(an: Analyzer, view: ClaimView, ctxs: list[Ctx], anchored: bool) -> list[FactPair]:
    """Polarity, attribution and whole-statement support, from the best-aligned clause."""
    out: list[FactPair] = []
    best: tuple[float, str, Ctx] | None = None
    for ctx in ctxs:
        if ctx.subject_ok:
            for clause in _CLAUSE.findall(ctx.sentence.text):
                cov, _ = an.coverage(view, clause)
                if best is None or cov > best[0]:
                    best = (cov, clause, ctx)
    if not view.facts and (best is None or best[0] < STATEMENT):
        for ctx in ctxs:
            covs = [an.coverage(view, c)[0] for c in _CLAUSE.findall(ctx.sentence.text)]
            if ctx.subject_ok and ctx.align >= 0.95 and sum(c >= 0.5 for c in covs) >= 2:
                out.append(FactPair("pairing", "conflicts", "the sources pair these terms differently", "",
                                    ctx.sentence.quote, ctx.align, ctx.hit))
                return out
    contrast = [(ctx, y) for ctx in ctxs if ctx.subject_ok and ctx.align >= ATTRIBUTION and (y := ruled_out(an, view, ctx.sentence.text))]
    if contrast:
        ctx, y = max(contrast, key=lambda x: x[0].align)
        out.append(FactPair("contrast", "conflicts", f"the sources rule out “{y}”", y, ctx.sentence.quote, ctx.align, ctx.hit))
    elif best and best[0] >= NEGATION and negated(best[1]) != view.negated:
        say = "the sources state the opposite" if view.negated else "the sources state it negatively"
        out.append(FactPair("negation", "conflicts", say, best[1], best[2].sentence.quote, best[0], best[2].hit))
    elif best and best[0] >= STATEMENT and not view.facts:
        out.append(FactPair("statement", "supports", "the claim's terms, same subject and polarity", best[1],
                            best[2].sentence.quote, best[0], best[2].hit))
    if view.mechanisms and not anchored and not out:
        top = max((c for c in ctxs if c.owner), key=lambda c: c.align, default=None)
        own = max((c.align for c in ctxs if c.subject_ok), default=0.0)
        values = [c for c in view.facts if c.kind != "year" and not (c.kind == "actor" and c.value in view.mechanisms)]  # the body itself
        same_values = not values or any(_comparable(an, c, p) and _equal(an, c, p) for c in values for p in top.sentence.facts) if top else False
        if top and same_values and top.align >= ATTRIBUTION and not top.owner & view.mechanisms and own < top.align - CLOSE:
            whose = ", ".join(sorted(top.owner))
            out.append(FactPair("attribution", "conflicts", f"the sources give this to {whose}, not {', '.join(sorted(view.mechanisms))}",
                                whose, top.sentence.quote, top.align, top.hit))
    return out
