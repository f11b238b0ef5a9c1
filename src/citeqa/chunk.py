"""Split a cleaned document into sentence-aligned, structure-aware passages.

Headings (see `sections`: numbered, Markdown, `==`, underlined, Chinese `一、`, PDF
bookmarks; list leads `一是…`) form a section path; each rebuilt table cell is its own
passage; body sentences are packed into passages of at most `max_chars`, never crossing a
section, with one sentence of overlap so that a fact that straddles a boundary is whole in
at least one passage. A passage keeps to one page, except that a sentence cut by a page
break runs on to the next page rather than start a passage mid-sentence. Every passage is a
verbatim span: `document.text[chunk.start:chunk.end] == chunk.text`. The English
title/abstract rule applies only to documents of kind "article".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .passage import TEXT_VERSION
from .sections import is_contents, section_title, split_at_headings
from .models import Chunk, Document
from .text import SENTENCE_END, detect_lang  # noqa: F401  (detect_lang: re-exported for readers of chunks)

# v2: headings per document type, passages continue across page breaks;
# v3: web and mail addresses do not decide a passage's language, and a table of contents is no passage
CHUNKER_VERSION = "structure-v3"

CITATION = re.compile(r"\[(\d{1,3}(?:\s*[-–,，]\s*\d{1,3})*)\]")
TABLE_CELL = re.compile(r"^(表\s*\d+ · [^：\n]+ · [^：\n]+)：")
LIST_LEAD = re.compile(r"^([一二三四五六七八九十]+是)([^，。；]{2,40})")


@dataclass(frozen=True)
class ChunkConfig:
    max_chars: int = 400
    overlap_sentences: int = 1
    min_chars: int = 300  # a paragraph shorter than this is packed with the next one

    def signature(self) -> str:
        return f"{CHUNKER_VERSION}:{TEXT_VERSION}:max{self.max_chars}:min{self.min_chars}:ov{self.overlap_sentences}"


def parse_citations(text: str) -> tuple[int, ...]:
    """In-text citation numbers: `[7]`, `[3-5]` -> 3,4,5, `[23, 25]` -> 23,25."""
    found: set[int] = set()
    for m in CITATION.finditer(text):
        for part in re.split(r"\s*[,，]\s*", m.group(1)):
            ends = [int(x) for x in re.split(r"\s*[-–]\s*", part)]
            lo, hi = ends[0], ends[-1]
            if 0 < hi - lo < 50:
                found.update(range(lo, hi + 1))
            else:
                found.add(lo)
    return tuple(sorted(found))


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for part in text.split("\n\n"):
        start = pos + (len(part) - len(part.lstrip()))
        end = pos + len(part.rstrip())
        if end > start:
            spans.append((start, end))
        pos += len(part) + 2
    return spans


def _sentences(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Sentence spans inside [start, end); over-long sentences are cut at commas, then hard."""
    out, s = [], start
    for m in SENTENCE_END.finditer(text, start, end):
        if m.end() > s:
            out.append((s, m.end()))
            s = m.end()
    if s < end:
        out.append((s, end))
    result = []
    for a, b in out:
        while b - a > max_chars:
            window = text[a : a + max_chars]
            cut = max(window.rfind("，"), window.rfind(", "), window.rfind("、"))
            cut = a + (cut + 1 if cut > max_chars // 3 else max_chars)
            result.append((a, cut))
            a = cut
        result.append((a, b))
    # strip whitespace at the edges so spans are tight
    tight = []
    for a, b in result:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            tight.append((a, b))
    return tight


def _continues(prev: str, para: str) -> bool:
    """A paragraph that goes on from the previous page: no sentence end before it, no heading."""
    return bool(prev) and not prev.rstrip().endswith(tuple("。！？；.!?;:：")) and not section_title(para) and (
        para[:1].islower() or bool(re.match(r"[\u4e00-\u9fff，、）)]", para[:1])) or prev.rstrip().endswith("-")
    )


def _kind_of(text: str) -> str:
    if text.startswith(("Abstract:", "Keywords:", "摘要：", "摘   要", "关键词")):
        return "abstract"
    if re.match(r"^\[\d+\]\s", text):
        return "references"
    return "body"


def chunk_document(doc: Document, config: ChunkConfig = ChunkConfig()) -> list[Chunk]:
    """Passages of one document, in reading order."""
    text = doc.text
    chunks: list[Chunk] = []
    path: list[tuple[int, str]] = []
    pending: list[tuple[int, int]] = []  # sentence spans of the current section

    def emit(spans: list[tuple[int, int]], kind: str = "body", label: str = "") -> None:
        a, b = spans[0][0], spans[-1][1]
        body = text[a:b]
        chunks.append(
            Chunk(
                chunk_id=f"{doc.doc_id}:{a}-{b}",
                doc_id=doc.doc_id,
                text=body,
                start=a,
                end=b,
                section=tuple(t for _, t in path),
                page=doc.page_at(a),
                lang=detect_lang(body),
                citations=() if kind == "references" else parse_citations(body),
                kind=kind,
                label=label,
            )
        )

    def flush(kind: str = "", label: str = "") -> None:
        """Pack pending sentences into passages of <= max_chars with sentence overlap."""
        i = 0
        while i < len(pending):
            j = i
            while j + 1 < len(pending) and pending[j + 1][1] - pending[i][0] <= config.max_chars:
                j += 1
            group = pending[i : j + 1]
            emit(group, kind or _kind_of(text[group[0][0] : group[-1][1]]), label)
            if j + 1 >= len(pending):
                break
            back = min(config.overlap_sentences, j - i)
            i = j + 1 - back if back and pending[j + 1][1] - pending[j + 1 - back][0] <= config.max_chars else j + 1
        pending.clear()

    prev_lang = ""
    spans, outline = split_at_headings(text, _paragraph_spans(text), doc.headings)
    fenced = False
    prev_para = ""
    for a, b in spans:
        para = text[a:b]
        lang, kind = detect_lang(para), _kind_of(para)
        code = fenced or para.startswith("```")
        fenced ^= para.count("```") % 2 == 1
        if (a, b) in outline:
            flush()
            level, title = outline[(a, b)]
            path = [p for p in path if p[0] < level] + [(level, title)]
            continue
        heading = None if code else section_title(para)
        if heading:
            flush()
            level, title = heading
            path = [p for p in path if p[0] < level] + [(level, title)]
            prev_lang = lang
            continue
        cell = TABLE_CELL.match(para)
        if cell or re.match(r"^(表\s*\d+|资料来源)", para):
            flush()
            label = cell.group(1) if cell else ""
            table_path = path + [(9, (label or para).split(" · ")[0][:30])]
            saved, path = path, table_path
            pending.extend(_sentences(text, a, b, config.max_chars) if b - a > config.max_chars else [(a, b)])
            flush("table", label)
            path = saved
            continue
        if LIST_LEAD.match(para):
            lead = LIST_LEAD.match(para)
            flush()
            path = [p for p in path if p[0] < 5] + [(5, lead.group(1) + lead.group(2))]
        elif kind == "abstract" and para.startswith("摘"):
            flush()
            path = [(1, "摘要")]
        elif doc.kind == "article" and doc.lang == "zh" and lang == "en" and prev_lang == "zh" and kind != "references":
            flush()
            path = [(1, "English title and abstract")]
        elif kind == "references" and not any(t == "参考文献" for _, t in path):
            flush()
            path = [(1, "参考文献")]
        elif path == [(1, "摘要")]:
            flush()
            path = [(1, "引言")]
        elif pending and doc.page_at(a) != doc.page_at(pending[-1][0]) and _continues(prev_para, para):
            # a sentence cut by a page break stays whole: the passage runs on to the next page
            first = _sentences(text, a, b, config.max_chars)
            if first and first[0][1] - pending[-1][0] <= config.max_chars:
                pending[-1] = (pending[-1][0], first[0][1])
                prev_para = para
                pending.extend(first[1:])
                continue
        elif pending and (kind != _kind_of(text[pending[-1][0] : pending[-1][1]]) or doc.page_at(a) != doc.page_at(pending[0][0])):
            flush()  # a passage keeps to one kind of text and one page, so its page citation is exact
        elif pending and pending[-1][1] - pending[0][0] >= config.min_chars:
            flush()  # a new paragraph starts a new passage unless the current one is still short
        prev_lang = lang
        prev_para = para
        pending.extend(_sentences(text, a, b, config.max_chars))
    flush()
    titles = {" ".join(t.split()) for c in chunks for t in c.section}
    return [c for c in chunks if not is_contents(c.text, titles)]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
