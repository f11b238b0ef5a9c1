"""Headings by document type, turned into section paths.

Recognised: numbered Chinese headings (`2.1　标题`), Chinese document headings (`第一章`,
`一、`, `（一）`), Markdown `#` lines, `== Title ==`, text underlined with `===`/`---`,
numbered English headings (`1.2 Scope of work`), and bookmarks of a PDF outline. Plain-text
forms count only on a line of their own after a blank line, so a wrapped sentence that
happens to start with a number is not a heading; a `# ` line inside a code block never is.
"""

from __future__ import annotations

import re

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})[\u3000]+\s*(\S.{0,60})$")
MD_HEADING = re.compile(r"^(#{1,6})\s+(\S.*)$")
WIKI_HEADING = re.compile(r"^(={1,6})\s*([^=\s].{0,100}?)\s*\1$")  # == Title ==
TEXT_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?[ \u3000]+([A-Z][^.!?。！？:;]{1,80})$")  # 1.2 Scope of work
_LEADER = re.compile(r"\s*(?:\.{2,}|…+|·{2,})\s*\d+$")  # a printed contents line's dot leader and page number
UNDERLINE = re.compile(r"^(={3,}|-{3,})$")
# Chinese document headings: 第一章 / 第二节 / 一、 / （一） / 第三条, short and without a sentence end.
CN_HEADING = re.compile(r"^(第[一二三四五六七八九十百零\d]{1,4}[章节条]|[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)])[\s\u3000]*([^。！？；;!?]{0,40})$")
CN_LEVELS = {"章": 1, "节": 2, "、": 3, "）": 4, ")": 4, "条": 5}


def is_heading(line: str, standalone: bool = True) -> bool:
    """Numbered Chinese and Markdown headings anywhere; plain-text forms only after a blank line."""
    if (HEADING.match(line) and _CJK_RE.search(line)) or MD_HEADING.match(line):
        return True
    return standalone and bool(TEXT_HEADING.match(line) or WIKI_HEADING.match(line) or CN_HEADING.match(line))


def underlined_headings(lines: list[str]) -> list[str]:
    """`Title` over a `=====`/`-----` line becomes `# Title` / `## Title` (the underline is dropped)."""
    out: list[str] = []
    for line in lines:
        prev = out[-1].strip() if out else ""
        if UNDERLINE.match(line.strip()) and prev and len(prev) <= 100 and not prev.startswith(("#", "```", "|", "-")):
            out[-1] = ("# " if "=" in line else "## ") + prev
            out.append("")
            continue
        out.append(line)
    return out


def section_title(text: str) -> tuple[int, str] | None:
    """(level, title) when a paragraph is a heading."""
    if m := HEADING.match(text):
        return m.group(1).count(".") + 1, f"{m.group(1)} {m.group(2).strip()}"
    if m := MD_HEADING.match(text):
        return len(m.group(1)), m.group(2).strip()
    if m := WIKI_HEADING.match(text):
        return len(m.group(1)), m.group(2).strip()
    if m := TEXT_HEADING.match(text):
        return m.group(1).count(".") + 1, f"{m.group(1)} {m.group(2).strip()}"
    if m := CN_HEADING.match(text):
        return CN_LEVELS[m.group(1)[-1]], f"{m.group(1)}{m.group(2).strip()}"
    return None


def split_at_headings(text: str, spans: list[tuple[int, int]], headings: list) -> tuple[list[tuple[int, int]], dict]:
    """Cut paragraphs where a bookmarked heading (PDF outline) starts; the heading's own span maps to it."""
    marks: dict[tuple[int, int], tuple[int, str]] = {}
    out = list(spans)
    for offset, level, title in sorted((int(o), int(lv), str(t)) for o, lv, t in headings):
        end, k = offset, 0
        want = re.sub(r"\s+", "", title)
        while end < len(text) and k < len(want):
            if not text[end].isspace():
                if text[end] != want[k]:
                    break
                k += 1
            end += 1
        if k < len(want):
            continue
        for i, (a, b) in enumerate(out):
            if a <= offset < b:
                pieces = [(a, offset), (offset, end), (end, b)]
                tight = [(x + len(text[x:y]) - len(text[x:y].lstrip()), y - (len(text[x:y]) - len(text[x:y].rstrip()))) for x, y in pieces]
                out[i : i + 1] = [(x, y) for x, y in tight if y > x]
                marks[tight[1]] = (level, title)
                break
    return out, marks


def is_contents(text: str, titles: set[str]) -> bool:
    """A table of contents: at least two lines, and most of its lines, are the document's own headings.

    It shares words with every question on the chapters it lists and answers none; the
    passages under those headings hold what it names.
    """
    lines = [_LEADER.sub("", " ".join(x.split()).lstrip("-*•· ")) for x in text.split("\n")]  # bullets, "..... 7" off
    lines = [ln for ln in lines if ln]
    hits = sum(ln in titles for ln in lines)
    return hits >= 2 and 2 * hits >= len(lines)
