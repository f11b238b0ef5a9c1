"""Deterministic claim-vs-passage checking for reviewers.

A claim (Chinese or English) and a retrieved passage are both reduced to comparable
`Fact`s -- money, years, counts of a named thing, frequencies, percentages, durations
and "who funds/chairs/leads" actors -- and compared kind-by-kind. Every verdict carries
the pairings that produced it, so a reviewer can see *why* without trusting a model.
Reading the facts is `facts.py`; this module pairs and compares them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from .facts import Fact, _extract, _is_cjk, _lexicon, extract_facts  # noqa: F401  (extract_facts: re-exported)


@dataclass(frozen=True)
class Verdict:
    verdict: str  # supports | conflicts | unclear
    reasons: list[str]


UNCLEAR = "no comparable numbers, dates or actors"

_TOLERANCE = {"money": (0.05, 0.0), "percent": (0.0, 2.0), "frequency": (0.01, 0.0), "duration": (0.01, 0.0)}


def _interval(f: Fact) -> tuple[float, float]:
    lo = float(f.value)
    return lo, max(lo, f.upper if f.upper is not None else lo)


def _matches(c: Fact, p: Fact) -> bool:
    if c.kind == "actor":
        a, b = str(c.value).lower(), str(p.value).lower()
        return a == b or (min(len(a), len(b)) >= 2 and (a in b or b in a))
    (clo, chi), (plo, phi) = _interval(c), _interval(p)
    rel, ab = _TOLERANCE.get(c.kind, (0.0, 0.0))
    slack = max(ab, rel * max(abs(chi), abs(phi)))
    return clo <= phi + slack and plo <= chi + slack


def _comparable(c: Fact, p: Fact) -> bool:
    """Actor names in different scripts are only comparable once aliases map them to one script."""
    return c.kind != "actor" or _is_cjk(str(c.value)[0]) == _is_cjk(str(p.value)[0])


def _show(f: Fact) -> str:
    """Normalised reading of a fact, language-neutral, for reasons."""
    if f.kind in ("actor", "year"):
        return str(f.value)
    lo, hi = _interval(f)
    span = f"{lo:g}" if hi == lo else f"{lo:g}–{hi:g}"
    if f.kind == "money":
        scales = ((1e12, " trillion"), (1e9, " billion"), (1e6, " million"))
        size, word = next(((s, w) for s, w in scales if lo >= s), (1.0, ""))
        return f"{lo / size:.6g}{word} {f.unit}"
    if f.kind == "percent":
        return f"{lo:.3g}%"
    if f.kind == "frequency":
        if lo >= 1:
            return "every year" if hi == lo == 1 else f"every {span} years"
        return f"{1 / lo:.3g} times a year"
    if f.kind == "duration":
        return f"{span} years"
    return f"{span} {f.unit}"


def _label(f: Fact) -> str:
    """Surface text, plus the normalised reading when the two differ (e.g. 90亿英镑 (9 billion GBP))."""
    if f.kind == "actor":
        return str(f.value)
    shown = _show(f)
    return f.text if re.sub(r"\s", "", shown) == re.sub(r"\s", "", f.text) else f"{f.text} ({shown})"


def check_claim(claim: str, passage: str, aliases: Mapping[str, Iterable[str]] | None = None) -> Verdict:
    """Pair each claim fact with same-kind, same-unit passage facts: equal -> support, all differ -> conflict."""
    lex = _lexicon(aliases)
    passage_facts = _extract(passage, lex)
    supports: list[str] = []
    conflicts: list[str] = []
    missing: list[str] = []
    for c in _extract(claim, lex):
        peers = [p for p in passage_facts if p.kind == c.kind and p.unit == c.unit and _comparable(c, p)]
        role = f" (who {c.unit}s)" if c.kind == "actor" else ""
        hit = next((p for p in peers if _matches(c, p)), None)
        if hit:
            supports.append(f"claim {_label(c)} = passage {_label(hit)}{role}")
        elif peers:
            near = min(peers, key=lambda p: 0.0 if c.kind == "actor" else abs(_interval(c)[0] - _interval(p)[0]))
            conflicts.append(f"claim {_label(c)} ≠ passage {_label(near)}{role}")
        else:
            missing.append(f"claim {_label(c)}: nothing comparable in passage")
    if not supports and not conflicts:
        return Verdict("unclear", [UNCLEAR])
    reasons = list(dict.fromkeys(conflicts + supports + missing))
    return Verdict("conflicts" if conflicts else "supports", reasons)
