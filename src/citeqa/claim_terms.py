"""A claim's terms in both languages, and how much of them a passage sentence holds.

Each term (`Concept`) keeps Chinese surface forms, matched as substrings of a Chinese sentence,
and English renderings as stem sequences, matched against an English sentence's stemmed words.
So an English claim meets an English passage through its own words, a Chinese claim meets it
through the lexicon's zh→en translations, and either meets a Chinese passage as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from .text import EN_STOP, en_tokens, stem

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&'\-]*|\d+(?:\.\d+)?")
UNREADABLE = 0.5  # share of its weight a term with no English rendering still counts against an English sentence


@dataclass(frozen=True)
class Concept:
    """One thing a claim talks about; matched when any of its forms occurs.

    `forms`: surface forms (Chinese terms, names in either script, event stems), substring-matched.
    `en`: English renderings as stem sequences, all of whose stems must be in an English sentence.
    `where`: "any", or "zh"/"en" for a term that only exists on one side (a phrase translation,
    an English word the lexicon cannot put into Chinese).
    """

    forms: tuple[str, ...]
    weight: float
    en: tuple[tuple[str, ...], ...] = ()
    where: str = "any"


def stems(phrase: str) -> tuple[str, ...]:
    """Content stems of an English word or phrase ("term of office" -> term, offic)."""
    return tuple(en_tokens(phrase))


def english_forms(terms: Iterable[Any], keep: float = 0.2) -> tuple[tuple[str, ...], ...]:
    """Stem sequences of weighted translations (lexicon `WeightedTerm`s), dropping the faint ones."""
    terms = [t for t in terms if t.term.strip() and t.term.isascii()]
    top = max((t.weight for t in terms), default=0.0)
    out = [stems(t.term) for t in terms if t.weight >= keep * top]
    return tuple(dict.fromkeys(s for s in out if s))


def _latin_form_at(form: str, low: str) -> int:
    m = re.search(rf"(?<![a-z0-9]){re.escape(form.lower())}(?![a-z0-9])", low)
    return m.start() if m else -1


def _stem_positions(text: str) -> dict[str, int]:
    """First offset of each stemmed content word of an English text."""
    out: dict[str, int] = {}
    for m in _WORD.finditer(text):
        w = m.group()
        if w.lower() in EN_STOP or (len(w) < 2 and not w.isdigit()):
            continue
        out.setdefault(stem(w), m.start())
    return out


def english_coverage(concepts: list[Concept], text: str) -> tuple[float, int]:
    """Weighted share of the claim's terms an English sentence holds, and where the heaviest one is."""
    low, where = text.lower(), _stem_positions(text)
    total = got = best = 0.0
    anchor = -1
    for c in concepts:
        if c.where == "zh":
            continue
        latin = [f for f in c.forms if f.isascii()]
        if not c.en and not latin:
            total += UNREADABLE * c.weight  # a Chinese word with no English rendering: unmatched, counted lightly
            continue
        total += c.weight
        spots = [p for p in (_latin_form_at(f, low) for f in latin) if p >= 0]
        spots += [min(where[s] for s in seq) for seq in c.en if seq and all(s in where for s in seq)]
        if spots:
            got += c.weight
            if c.weight > best:
                best, anchor = c.weight, min(spots)
    return (got / total if total else 0.0), anchor


def chinese_coverage(concepts: list[Concept], text: str) -> tuple[float, int]:
    """Weighted share of the claim's terms a Chinese sentence holds (surface forms as substrings)."""
    total = got = best = 0.0
    anchor = -1
    low = text.lower()
    for c in concepts:
        if c.where == "en":
            continue
        total += c.weight
        pos = min((p for p in (low.find(f.lower()) for f in c.forms) if p >= 0), default=-1)
        if pos >= 0:
            got += c.weight
            if c.weight > best:
                best, anchor = c.weight, pos
    return (got / total if total else 0.0), anchor


_ACRONYM_DEF = re.compile(r"((?:[A-Z][\w’'-]*\s+(?:(?:of|on|for|and|the|in|&)\s+)*){2,9})\(([A-Z][A-Za-z&]{1,9})\)")


def english_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Acronyms the passages define ("National Nanotechnology Advisory Panel (NNAP)"): acronym -> name.

    Kept only when the acronym's capitals are the initials of the name's last capitalised words.
    """
    out: dict[str, str] = {}
    for text in texts:
        for m in _ACRONYM_DEF.finditer(text):
            caps = [c for c in m[2] if c.isupper()]
            words = re.findall(r"[A-Z][\w’'-]*", m[1])
            if len(caps) >= 2 and len(words) >= len(caps) and [w[0] for w in words[-len(caps):]] == caps:
                start = m[1].find(words[-len(caps)])
                out.setdefault(m[2], m[1][start:].strip())
    return out


def with_acronyms(text: str, acronyms: dict[str, str]) -> str:
    """An English sentence plus the names of the acronyms it uses, so claim words for the name align."""
    extra = [name for acr, name in acronyms.items() if name not in text and re.search(rf"(?<![A-Za-z]){re.escape(acr)}(?![A-Za-z])", text)]
    return text + (" (" + "; ".join(extra) + ")" if extra else "")
