"""Per-document guards: page furniture repeated across PDF pages, junk-like text, unpunctuated runs.

Each guard reports what it did as (reason, text) pairs, like cleaning does, so a build can
tell the user; nothing disappears silently.
"""

from __future__ import annotations

import re
from collections import Counter

EDGE_LINES = 3  # running heads/footers sit in the first or last lines of a page's text
MIN_PAGES = 3  # with fewer pages a repeated line cannot be told from content
REPEAT_SHARE = 0.4  # a line on 40 % of the pages (page numbers masked) is furniture; odd/even running heads are ~50 % each
JUNK_MIN_LETTERS = 200  # only long stretches are judged
COMMON_CJK_SHARE = 0.6  # natural Chinese: ≥ 0.9 of characters are GB2312 level-1; random CJK ~0.18
WORDLIKE_SHARE = 0.5  # natural Latin text: most letters are in short words with vowels
UNPUNCTUATED = 1000  # characters without a sentence end before a stretch is reported
_SENTENCE_END = re.compile(r"[。！？；!?;.]")


def _mask(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()))


def repeated_furniture(pages: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Remove lines repeated at the top or bottom of many pages (running heads, footers, page numbers)."""
    if len(pages) < MIN_PAGES:
        return pages, []
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [ln for ln in page.split("\n") if ln.strip()]
        edge = lines[:EDGE_LINES] + lines[-EDGE_LINES:]
        counts.update({_mask(ln) for ln in edge if len(ln.strip()) <= 120})
    need = max(2, int(len(pages) * REPEAT_SHARE + 0.999))
    furniture = {m for m, n in counts.items() if n >= need}
    if not furniture:
        return pages, []
    out, removed = [], []
    for page in pages:
        lines = page.split("\n")
        nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
        edge = set(nonblank[:EDGE_LINES] + nonblank[-EDGE_LINES:])
        kept = []
        for i, ln in enumerate(lines):
            if i in edge and _mask(ln) in furniture:
                removed.append(("running head or footer repeated across pages", ln.strip()))
            else:
                kept.append(ln)
        out.append("\n".join(kept))
    return out, removed


def _common_cjk(ch: str) -> bool:
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xB0 <= b[0] <= 0xD7


def junk_reason(text: str) -> str | None:
    """Why a stretch of text looks like junk (random characters, encoded data), or None."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < JUNK_MIN_LETTERS:
        return None
    cjk = [c for c in letters if "\u3400" <= c <= "\u9fff"]
    if len(cjk) > len(letters) / 2:
        share = sum(map(_common_cjk, cjk)) / len(cjk)
        if share < COMMON_CJK_SHARE:
            return f"only {share:.0%} of its Chinese characters are common ones (natural text ≥ 90 %)"
        return None
    words = re.findall(r"[^\W\d_]+", text)
    total = sum(map(len, words))
    good = sum(len(w) for w in words if len(w) <= 20 and re.search(r"[aeiouyAEIOUYà-ÿ]", w))
    if total and good / total < WORDLIKE_SHARE:
        return f"only {good / total:.0%} of its letters form word-like tokens"
    return None


def unpunctuated_runs(text: str) -> list[int]:
    """Lengths of stretches longer than UNPUNCTUATED characters with no sentence end."""
    return [len(run) for run in _SENTENCE_END.split(text) if len(run) > UNPUNCTUATED]


def guard_paragraphs(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Drop junk-like paragraphs and report unpunctuated runs (the chunker cuts them to size)."""
    kept, removed = [], []
    for para in text.split("\n\n"):
        if junk_reason(para):  # judge sentence by sentence, so one junk run does not take its neighbours
            pieces = []
            for piece in re.split(r"(?<=[。！？.!?])", para):
                reason = junk_reason(piece)
                if reason:
                    removed.append(("junk-like text, skipped", f"{reason}: {piece[:60]}…"))
                else:
                    pieces.append(piece)
            para = "".join(pieces).strip()
            if not para:
                continue
        for n in unpunctuated_runs(para):
            removed.append(("long text without sentence punctuation, cut into bounded passages", f"{n} characters: {para[:60]}…"))
        kept.append(para)
    return "\n\n".join(kept), removed
