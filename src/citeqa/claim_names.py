"""Do two names (actors, counted nouns) agree, across English and Chinese?

True / False when the index's aliases or the lexicon can tell, None when the claim's name cannot
be read in the passage's script (a None never decides a verdict).
"""

from __future__ import annotations

import re
from typing import Any

import jieba

from .text import EN_STOP, ZH_STOP, en_tokens
from .facts import _is_cjk


# English abbreviations of places a dictionary lists only in full
_ABBREVIATIONS = {"UK": "United Kingdom", "US": "United States", "USA": "United States", "EU": "European Union"}
_ABBREVIATION = re.compile(r"\b(?:U\.?K\.?|U\.?S\.?A?\.?|EU)(?![A-Za-z])")


def is_zh(text: str) -> bool:
    cjk = sum(_is_cjk(c) for c in text)
    return cjk >= max(2, 0.2 * len(text.replace(" ", "")))


def same_name(an: Any, claim_side: str, passage_side: str) -> bool | None:
    """Do two names (actors, modifiers) agree? None when the claim side cannot be read in the passage's script."""
    a, b = claim_side.strip(), passage_side.strip()
    ka, kb = named(an, a), named(an, b)
    if ka and kb:
        return ka == kb
    if is_zh(a) == is_zh(b) or not a or not b:
        la, lb = a.lower(), b.lower()
        if not is_zh(a):
            ta, tb = set(en_tokens(la)), set(en_tokens(lb))
            return bool(ta & tb) and len(ta & tb) >= 0.5 * max(len(ta), len(tb))  # a shared title is not one person
        return la in lb or lb in la
    if is_zh(a):
        return _zh_name_in_english(an, a, b)
    a = _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m[0].replace(".", "")], a)
    terms = an.terms_for(a)
    total = sum(w for _, w in terms)
    if any(w >= 0.5 * total and b in t and b != t for t, w in terms):
        return False  # a more specific title than the passage's (副总统 vs 总统)
    phrase = bool(total) and sum(w for t, w in terms if len(t) >= 2 and t in b) >= 0.5 * total  # "Prime Minister" -> 首相
    words = [w for w in re.findall(r"[A-Za-z]+", a) if w.lower() not in EN_STOP]
    alts = [[t.term for t in an.lexicon.translate_en(w) if len(t.term) >= 2] for w in words] if an.lexicon else []
    got = sum(any(t in b for t in x) for x in alts)
    if words and got >= 0.75 * len(words):
        return True
    if phrase:
        return None if got < len(words) - 1 else True  # the phrase agrees but a word of it ("of Finance") is not there
    if not total and not any(alts):
        return False  # a name the sources never use, where they name someone else
    return False if got == 0 else None


def named(an: Any, name: str) -> str | None:
    """The entity a name is, when one alias covers most of it ("the European Commission")."""
    if key := an.alias_of.get(name.lower()):
        return key
    bare = re.sub(r"^(?:the|a|an)\s+", "", name.strip(), flags=re.I)
    hits = an.entities(bare)
    best = max(hits, key=lambda h: h[1] - h[0], default=None)
    return best[2] if best and best[1] - best[0] >= 0.6 * len(bare) else None

def _reads(seq: tuple[str, ...], target: set[str]) -> bool:
    """An English sense is in a name when all its words are, or two thirds of a long one
    ("Commission of European Union" in "European Commission")."""
    return set(seq) <= target or (len(seq) >= 3 and len(set(seq) & target) >= 2 / 3 * len(seq))


def _zh_name_in_english(an: Any, a: str, b: str) -> bool | None:
    """A Chinese name against an English one, through the lexicon's zh→en senses of its words."""
    if an.lexicon is None:
        return None
    words = [w for w in jieba.lcut(a) if all(_is_cjk(c) for c in w) and w not in ZH_STOP]
    target = set(en_tokens(b))
    senses = [an.english_of(w) for w in words]
    got = sum(any(_reads(seq, target) for seq in x) for x in senses if x)
    if words and got == len(words):
        return True
    kb = named(an, b)
    if kb and got == 0 and any(is_zh(x) for x in an.aliases[kb]):
        return False  # the passage names a known body whose Chinese names the claim does not use
    return None  # a partial or failed reading decides nothing
