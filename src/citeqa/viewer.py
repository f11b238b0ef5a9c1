"""The source viewer: a passage shown inside its document, highlighted, with what surrounds it.

Pure functions from (Document, Chunk) to text or HTML, so the app, the CLI (`citeqa show`)
and tests render the same thing. PDFs show the whole page(s) the passage is on; other
documents show the passage's paragraphs and `context` paragraphs either side.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping

from .locate import source_locator
from .models import Chunk, Document


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each blank-line separated paragraph of a cleaned text."""
    return [(m.start(), m.end()) for m in re.finditer(r"\S(?:.*?\S)?(?=\n\n|\s*$)", text, re.S)]


def context_span(doc: Document, chunk: Chunk, context: int = 2) -> tuple[int, int]:
    """The cleaned-text range to show: the passage's page(s) for PDFs, else its paragraphs ± context."""
    pages = [(a, b) for a, b, _ in doc.pages if a < chunk.end and chunk.start < b]
    if pages:
        return pages[0][0], pages[-1][1]
    spans = paragraph_spans(doc.text)
    inside = [i for i, (a, b) in enumerate(spans) if a < chunk.end and chunk.start < b]
    if not inside:
        return chunk.start, chunk.end
    lo, hi = max(inside[0] - context, 0), min(inside[-1] + context, len(spans) - 1)
    return spans[lo][0], spans[hi][1]


def _glossed(text: str, glosses: Mapping[str, str] | None) -> str:
    """Escape text, wrapping known Chinese terms (longest first) in a hover/tap gloss."""
    if not glosses:
        return html.escape(text)
    terms = sorted((t for t in glosses if t and re.search(r"[\u4e00-\u9fff]", t)), key=len, reverse=True)
    if not terms:
        return html.escape(text)
    pattern = re.compile("|".join(map(re.escape, terms)))
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        gloss = html.escape(glosses[m.group(0)], quote=True)
        out.append(f'<span class="citeqa-gloss" title="{gloss}" data-gloss="{gloss}" tabindex="0">{html.escape(m.group(0))}</span>')
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _paragraphs_html(text: str, offset: int, mark: tuple[int, int], glosses: Mapping[str, str] | None) -> str:
    """Paragraphs of text[offset:...] as <p>, with the [mark) range (document offsets) in <mark>."""
    out = []
    for a, b in paragraph_spans(text):
        a, b = a + offset, b + offset
        para = text[a - offset : b - offset]
        lo, hi = max(a, mark[0]), min(b, mark[1])
        if lo < hi:
            body = (
                _glossed(para[: lo - a], glosses)
                + f'<mark class="citeqa-passage" data-start="{mark[0]}" data-end="{mark[1]}">{_glossed(para[lo - a : hi - a], glosses)}</mark>'
                + _glossed(para[hi - a :], glosses)
            )
            out.append(f'<p class="citeqa-para citeqa-current">{body}</p>')
        else:
            out.append(f'<p class="citeqa-para">{_glossed(para, glosses)}</p>')
    return "\n".join(out)


def page_image_html(document: Document, chunk: Chunk) -> str:
    """<img> of the passage's (first) PDF page with the passage highlighted, or "" when it cannot be drawn."""
    from .pageimage import page_png

    segment = next(((a, b, n) for a, b, n in document.pages if a <= chunk.start < b), None)
    if document.source_format != "pdf" or segment is None or not document.path:
        return ""
    png = page_png(document.path, segment[2], document.text[chunk.start : min(chunk.end, segment[1])])
    if not png:
        return ""
    alt = html.escape(f"page {segment[2]} of {document.title}", quote=True)
    return f'<img class="citeqa-page-image" alt="{alt}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def viewer_html(
    document: Document, chunk: Chunk, glosses: Mapping[str, str] | None = None, context: int = 2, page_image: bool = False
) -> str:
    """HTML of the passage inside its document: title, section path, page, highlighted text, "open original".

    `page_image=True` adds the rendered PDF page with the passage highlighted (needs pypdfium2).
    """
    loc = source_locator(chunk, document)
    a, b = context_span(document, chunk, context)
    shown = {t: g for t, g in (glosses or {}).items() if t and t in document.text[a:b]}  # a lexicon can be large
    where = []
    if chunk.section:
        where.append(" › ".join(chunk.section))
    if loc["page"]:
        where.append(f"page {loc['page']}" + (f"–{loc['end_page']}" if loc.get("end_page") else ""))
    where.append(f"chars {chunk.start}–{chunk.end}")
    if document.cites:
        where.append("backs the article's reference " + ", ".join(f"[{n}]" for n in document.cites))
    if loc["start"] is not None:
        src = f"{loc['start']}–{loc['end']}"
        where.append(f"in the {'page text' if loc['page'] else 'source'}: {src}")
    link = html.escape(loc["link"] or "", quote=True)
    opener = f'<a class="citeqa-open" href="{link}" target="_blank" rel="noopener noreferrer">open original</a>' if link else ""
    before = '<p class="citeqa-more">…</p>' if a > 0 else ""
    after = '<p class="citeqa-more">…</p>' if b < len(document.text) else ""
    return (
        f'<div class="citeqa-viewer" data-doc="{html.escape(document.doc_id, quote=True)}" data-link="{link}">'
        f'<div class="citeqa-viewer-head"><strong>{html.escape(document.title)}</strong> {opener}'
        f'<div class="citeqa-where">{html.escape(" · ".join(where))}</div></div>'
        f'{page_image_html(document, chunk) if page_image else ""}'
        f'<div class="citeqa-viewer-body">{before}{_paragraphs_html(document.text[a:b], a, (chunk.start, chunk.end), shown)}{after}</div></div>'
    )


def passage_in_context(document: Document, chunk: Chunk, context: int = 1, width: int = 0) -> str:
    """Plain text for a terminal: the passage between `>>>` and `<<<` inside its paragraphs."""
    a, b = context_span(Document(**{**document.__dict__, "pages": []}), chunk, context)
    a, b = min(a, chunk.start), max(b, chunk.end)
    text = document.text
    return (text[a : chunk.start] + " >>> " + text[chunk.start : chunk.end] + " <<< " + text[chunk.end : b]).strip()
