"""Source locators: where a passage sits in the user's own file, not only in citeqa's cleaned copy.

Cleaning joins wrapped lines, removes page furniture and rebuilds tables, so cleaned offsets
do not index the file. At ingest time `align` maps every non-space cleaned character back to
the reader's raw text (decoded file, PDF page text, HTML visible text) as compact runs; a
locator is then two lookups. Characters citeqa made up (a rebuilt table cell's label) map to
nothing and are skipped.
"""

from __future__ import annotations

import bisect
from array import array
import re
from pathlib import Path
from urllib.parse import quote

from .models import Chunk, Document

TABLE_LABEL = re.compile(r"^表\s*\d+ · [^：\n]+ · [^：\n]+：(—$)?")
ANCHOR = 10  # characters that must agree to re-synchronise after a gap
WINDOW = 20000  # how far ahead a gap may reach (a removed foreign abstract, a moved table part)


def _squash_index(text: str) -> tuple[str, array]:
    keep = array("q", (i for i, ch in enumerate(text) if not ch.isspace()))
    return "".join(text[i] for i in keep), keep


def _common(a: str, i: int, b: str, j: int) -> int:
    """Length of the common prefix of a[i:] and b[j:], compared in blocks."""
    n, step = 0, 1024
    while step:
        if i + n + step <= len(a) and j + n + step <= len(b) and a[i + n : i + n + step] == b[j + n : j + n + step]:
            n += step
        else:
            step //= 2
    return n


class _Runs:
    """Builds runs from (clean, raw) character pairs in order."""

    def __init__(self, raw: str):
        self.raw, self.runs = raw, []

    def add(self, cpos: array, rpos: array, p: int, q: int, k: int) -> None:
        runs, raw = self.runs, self.raw
        for t in range(k):
            c, r = cpos[p + t], rpos[q + t]
            if runs:
                last = runs[-1]
                gap_c, gap_r = c - (last[0] + last[2]), r - (last[1] + last[2])
                if gap_c == gap_r and 0 <= gap_c <= 8:  # same offset across a run of spaces
                    last[2] = c - last[0] + 1
                    continue
                if gap_r > 0 and raw[last[1] + last[2] : r].strip():
                    runs.append([c, r, 1, last[1] + last[2]])  # raw text the cleaned text left out comes first
                    continue
            runs.append([c, r, 1])


def align(raw: str, clean: str) -> list[list[int]]:
    """Runs [clean_start, raw_start, length(, raw_gap_start)] mapping cleaned characters onto `raw`.

    A fourth element marks raw text the cleaned text left out just before the run.

    Paragraph by paragraph (a rebuilt table can move text), each paragraph is located by its
    opening characters, then walked in stretches that agree; after a mismatch the walk resumes
    where the next ANCHOR characters agree again.
    """
    sraw, rpos = _squash_index(raw)
    out = _Runs(raw)
    cursor, start = 0, 0
    for para in clean.split("\n\n"):
        label = TABLE_LABEL.match(para)
        skip = label.end() if label else 0  # a rebuilt cell's label is citeqa's, not the source's
        sq, cpos = _squash_index(para[skip:])
        cpos = array("q", (start + skip + i for i in cpos))
        start += len(para) + 2
        if not sq:
            continue
        head = sq[:16]
        q = sraw.find(head, cursor)
        if q < 0:
            q = sraw.find(head)
        q = q if q >= 0 else cursor
        p, synced = 0, sraw.startswith(head, q)
        while p < len(sq) and q <= len(sraw):
            if synced:
                k = _common(sq, p, sraw, q)
                if k:
                    out.add(cpos, rpos, p, q, k)
                    p, q = p + k, q + k
                    continue
            anchor = sq[p : p + ANCHOR]
            hit = sraw.find(anchor, q, q + WINDOW + len(anchor))
            if hit >= 0 and (len(anchor) >= 4 or hit == q):
                q, synced = hit, True
            else:
                p, synced = p + 1, False
        cursor = max(cursor, q)
    return out.runs


def map_span(runs: list[list[int]], start: int, end: int) -> tuple[int, int, list[list[int]]] | None:
    """Raw [start, end) covering the mapped characters of cleaned [start, end), and the raw gaps inside
    it that are not part of the passage (removed page furniture, a table printed in between)."""
    if not runs:
        return None
    starts = [r[0] for r in runs]
    i = max(bisect.bisect_right(starts, start) - 1, 0)
    pieces: list[tuple[int, int]] = []
    gaps: list[list[int]] = []
    while i < len(runs) and runs[i][0] < end:
        c0, r0, n = runs[i][:3]
        lo, hi = max(start, c0), min(end, c0 + n)
        if lo < hi:
            if pieces and len(runs[i]) > 3 and lo == c0 and pieces[-1][1] <= runs[i][3] < r0:
                gaps.append([runs[i][3], r0])
            pieces.append((r0 + lo - c0, r0 + hi - c0))
        i += 1
    if not pieces:  # nothing of the source in it (an empty table cell): an empty span where it would be
        after = [r for r in runs if r[0] >= end]
        return (after[0][1], after[0][1], []) if after else None
    return pieces[0][0], pieces[-1][1], gaps


_CJK_PUNCT = "，。、；：？！“”‘’（）《》【】"


def _clean_block(block: str) -> list[str]:
    """A passage block as the page shows it: no list dash or heading mark, table cells apart."""
    block = re.sub(r"^(?:- |#{1,6} |```\w*)", "", block.strip())
    return [" ".join(cell.split()) for cell in block.split(" | ") if cell.strip()]


def text_fragment(text: str, words: int = 4) -> str:
    """A `#:~:text=start,end` link fragment a browser scrolls to and highlights.

    Browsers match a fragment only at word boundaries: Latin text is cut between words,
    Chinese at punctuation (or after a few characters when a clause is long). Marks citeqa
    added (list dashes, ` | ` between table cells) are left out.
    """
    cells = [c for block in text.split("\n\n") for c in _clean_block(block)]
    if not cells:
        return ""
    enc = lambda s: quote(s, safe="")  # noqa: E731 — commas and dashes must be escaped in fragments
    first, last = cells[0], cells[-1]
    if len(cells) == 1 and len(first) <= 80:
        return "#:~:text=" + enc(first)
    if sum(ord(ch) > 0x2E80 for ch in first + last) > len(first + last) / 3:
        head = re.split(f"[{_CJK_PUNCT}]", first)[0] or first
        head = head if 4 <= len(head) <= 40 else first[:12]
        clauses = [c for c in re.split(f"(?<=[{_CJK_PUNCT}])", last) if c]
        tail = clauses[-1] if clauses and 4 <= len(clauses[-1]) <= 40 else last[-12:]
    else:
        head, tail = " ".join(first.split(" ")[:words]), " ".join(last.split(" ")[-words:])
    return f"#:~:text={enc(head)},{enc(tail)}"


def source_locator(chunk: Chunk, document: Document) -> dict:
    """Where `chunk` is in the user's source: path, url, page, [start, end) there, and a link.

    .txt/.md: offsets into the decoded file text; PDF: page number and offsets into that
    page's extracted text; HTML: offsets into the page's visible text, and a link to the URL
    (or file) with a text fragment that scrolls to the passage. `parts` has one entry per
    page the passage touches (a sentence cut by a page break runs on to the next page), each
    with the `gaps` inside it that are not the passage's (removed furniture, a moved table).
    """
    segments = [(max(chunk.start, a), min(chunk.end, b), n) for a, b, n in document.pages if a < chunk.end and chunk.start < b]
    parts = []
    for a, b, page in segments or [(chunk.start, chunk.end, None)]:
        span = map_span(document.source_map, a, b)
        if span:
            parts.append({"page": page, "start": span[0], "end": span[1], "gaps": span[2]})
    path = document.path
    base = document.url or (Path(path).resolve().as_uri() if path else "")
    link = base
    page = parts[0]["page"] if parts else chunk.page
    if document.source_format == "html" and base:
        link = base.split("#")[0] + text_fragment(_body(chunk))
    elif page and base.lower().split("?")[0].endswith(".pdf"):
        link = f"{base.split('#')[0]}#page={page}"
    return {
        "path": path,
        "url": document.url,
        "page": page,
        "start": parts[0]["start"] if parts else None,
        "end": parts[-1]["end"] if parts else None,
        "end_page": parts[-1]["page"] if len(parts) > 1 else None,
        "parts": parts,
        "link": link,
        "format": document.source_format or "text",
    }


def located_text(locator: dict, pages: list[str]) -> str:
    """The source's own text at a locator (gaps left out); `pages` as the reader returned them."""
    out = []
    for part in locator.get("parts", []):
        text = pages[(part["page"] or 1) - 1]
        pos = part["start"]
        for a, b in part["gaps"]:
            out.append(text[pos:a])
            pos = b
        out.append(text[pos : part["end"]])
    return "".join(out)


def _body(chunk: Chunk) -> str:
    """The part of a passage that is the source's own words (a table cell's label is citeqa's)."""
    if chunk.kind == "table" and chunk.label and chunk.text.startswith(chunk.label + "："):
        body = chunk.text[len(chunk.label) + 1 :]
        return "" if body == "—" else body
    return chunk.text
