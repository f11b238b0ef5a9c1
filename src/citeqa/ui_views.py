"""HTML views of the app: answers, claim checks, the Browse matrix and the Documents table.

Pure functions of a Searcher and its results; every piece of passage or user text goes through
`esc` (html.escape), and nothing is fetched from outside the server.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from .models import Chunk, Hit, SearchResult
from .present import NO_SUPPORT, citation_line, references_lines, support_of
from .search import Filters, Searcher

BROWSE_CELL_CHARS = 48  # matrix cells show a preview; the click shows the whole passage
BROWSE_BODY_CANDIDATES = 40  # passages searched for a cell's body passages (table cells among them are skipped)


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def error_html(message: str) -> str:
    return f'<div class="cq-error">{esc(message)}</div>'


def notices_html(notices: list[str]) -> str:
    return "".join(f'<div class="cq-notice">note: {esc(n)}</div>' for n in notices)


def _link(url: str | None) -> str:
    return f' <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>' if url and url.startswith(("http://", "https://")) else ""


def _chunk_tags(c: Chunk) -> str:
    return "".join(f'<span class="cq-tag">{esc(t)}</span>' for t in (c.lang, c.kind, c.mechanism, c.measure) if t)


def passage_html(hit: Hit, followed: dict[str, Hit | None] | None = None, badge: str = "", reasons: list[str] | None = None,
                 reference: str = "") -> str:
    """One cited passage: best sentence marked, citation line, references (+ followed sources), copy button.

    `reference` is the document's formatted reference (GB/T 7714 or APA); "copy citation" carries it.
    """
    a, b = hit.highlight
    text = esc(hit.text[:a]) + "<mark>" + esc(hit.text[a:b]) + "</mark>" + esc(hit.text[b:])
    cite = citation_line(hit)
    copy = f"“{hit.text[a:b].strip()}” — {reference + ' ' if reference else ''}({cite})"
    refs = []
    for c, line in zip(hit.citations, references_lines(hit)):
        item = esc(line) + _link(c.url)
        source = (followed or {}).get(c.source_doc or "")
        if source is not None:
            item += (f"<details><summary>follow citation → {esc(source.title)}</summary>"
                     f"{passage_html(source)}</details>")
        refs.append(f"<li>{item}</li>")
    why = "".join(f"<li>{esc(r)}</li>" for r in reasons or [])
    return (
        f'<article class="cq-hit"><div class="cq-head">{badge}<b>#{hit.rank}</b><span>score {hit.score:.3f}</span>{_chunk_tags(hit.chunk)}'
        f'<button class="cq-copy" type="button" data-copy="{esc(copy)}">copy citation</button></div>'
        + (f'<ul class="cq-refs">{why}</ul>' if why else "")
        + f'<div class="cq-text">{text}</div><div class="cq-cite">{esc(cite)}</div>'
        + (f'<ul class="cq-refs">{"".join(refs)}</ul>' if refs else "")
        + "</article>"
    )


def document_reference(searcher: Searcher, doc_id: str) -> str:
    """The document as a reference: GB/T 7714 for a Chinese document, APA otherwise ("" when unknown)."""
    from .reference import format_reference

    doc = searcher.data.documents.get(doc_id)
    if doc is None:
        return ""
    try:
        return format_reference(doc, "gbt7714" if doc.lang == "zh" else "apa")
    except Exception:  # a citation is a convenience: the passage is still shown
        return ""


def follow_citations(searcher: Searcher, result: SearchResult) -> dict[str, Hit | None]:
    """For each cited reference linked to an indexed source, that source's best passage for this question."""
    followed: dict[str, Hit | None] = {}
    for doc_id in {c.source_doc for h in result.hits for c in h.citations if c.source_doc}:
        hits = searcher.search(result.query, k=1, filters=Filters(doc_id=doc_id)).hits
        followed[doc_id] = hits[0] if hits else None
    return followed


def result_html(searcher: Searcher, result: SearchResult, elapsed_ms: float | None = None) -> str:
    """The whole answer: notices, the plain no-support line when abstaining, ranked passages, latency."""
    parts = [notices_html(result.notices)]
    parts.append(f'<div class="cq-meta">question: <b>{esc(result.query)}</b> · read as {esc(result.lang)}'
                 + (f" · searched as: {esc(result.understood['translation'])}" if result.understood.get("translation") else "") + "</div>")
    support, why = support_of(result)
    if support == "none":
        parts.append(f'<div class="cq-nosupport">{esc(NO_SUPPORT + (f" {why[0].upper()}{why[1:]}." if why else ""))}</div>')
    elif support:
        parts.append(f'<div class="cq-support cq-{esc(support)}"><b>{esc(support)} support</b> — how well the best passage matches the question</div>')
    followed = follow_citations(searcher, result)
    parts += [passage_html(h, followed, reference=document_reference(searcher, h.chunk.doc_id)) for h in result.hits]
    page = f" · page {elapsed_ms:.0f} ms" if elapsed_ms is not None else ""
    parts.append(f'<div class="cq-footer">{len(result.hits)} passages · search {result.latency_ms:.0f} ms{page} · confidence {result.confidence:.2f}</div>')
    return "".join(parts)


# ---- Browse: Table 1 as a mechanisms × measures matrix ----------------------------------------

def table_matrix(searcher: Searcher) -> tuple[list[str], list[str], dict[tuple[str, str], Chunk]]:
    """Rows, columns and cells of the table, read from cell labels "表1 · row · column" (first table wins a clash)."""
    rows: list[str] = []
    cols: list[str] = []
    cells: dict[tuple[str, str], Chunk] = {}
    for c in _passages_of_kind(searcher.chunks, "table"):
        parts = c.label.split(" · ")
        if c.kind != "table" or len(parts) != 3:
            continue
        row, col = parts[1], parts[2]
        rows += [row] if row not in rows else []
        cols += [col] if col not in cols else []
        cells.setdefault((row, col), c)
    return rows, cols, cells


def _passages_of_kind(chunks: Any, kind: str) -> Any:
    """Passages of one kind, from the saved code column when there is one (not by parsing every passage)."""
    col = getattr(chunks, "columns", {}).get("kind") if isinstance(getattr(chunks, "columns", None), dict) else None
    if col is None:
        return (c for c in chunks if c.kind == kind)
    code = col.code(kind)
    return (chunks[int(i)] for i in np.flatnonzero(col.codes == code)) if code >= 0 else iter(())


def cell_preview(c: Chunk) -> str:
    """The cell's own words (its label stripped), cut to fit the matrix."""
    text = c.text.removeprefix(c.label).lstrip("：: ")
    return text if len(text) <= BROWSE_CELL_CHARS else text[: BROWSE_CELL_CHARS - 1] + "…"


def cell_html(searcher: Searcher, cell: Chunk) -> str:
    """The cell's own passage, then body passages on the same mechanism (and measure, when any match)."""
    own = Hit(chunk=cell, score=1.0, title=searcher.titles.get(cell.doc_id, cell.doc_id), highlight=(0, len(cell.text)),
              citations=[searcher.cite(n) for n in cell.citations], rank=1)
    body: list[Hit] = []
    for measure in (cell.measure or None, None):
        result = searcher.search(cell.text, k=BROWSE_BODY_CANDIDATES, filters=Filters(mechanism=cell.mechanism or None, measure=measure))
        body = [h for h in result.hits if h.chunk.kind != "table"][:3]
        if body:
            break
    for rank, h in enumerate(body, start=1):
        h.rank = rank
    return (f'<h3>{esc(cell.label)}</h3>{passage_html(own)}<h4>Passages that elaborate it</h4>'
            + ("".join(passage_html(h) for h in body) or '<div class="cq-meta">no body passage found</div>'))


# ---- Documents ---------------------------------------------------------------------------------

def documents_html(searcher: Searcher, corpus_dir: Path) -> str:
    """What is indexed and how, and which references can be followed to a source document."""
    data = searcher.data
    counts = {doc: int(d.get("chunks", 0)) for doc, d in data.manifest.get("documents", {}).items()}
    saved = data.extras.get("citing")  # [n] -> rows of the first passages citing it, saved by the build
    citing: dict[int, list[Chunk]] = {int(n): [searcher.chunks[r] for r in rows] for n, rows in (saved or {}).items()}
    if saved is None:  # an index built before the build saved it: read the passages
        for c in searcher.chunks:
            for n in c.citations:
                citing.setdefault(n, []).append(c)

    def backs(d: Any) -> str:
        """The references a source backs, each with the passages that cite it."""
        ns = list(getattr(d, "cites", None) or [])
        ns += [n for n, r in sorted(searcher.bibliography.items()) if r.source_doc == d.doc_id and n not in ns]
        items = "".join(
            f"<li>[{n}] cited by: " + ("; ".join(f"“{esc(c.text[:60])}…” ({esc(searcher.titles.get(c.doc_id, c.doc_id))}, chars {c.start}–{c.end})"
                                                for c in citing.get(n, [])[:5]) or "no indexed passage") + "</li>"
            for n in ns)
        return f"<details><summary>backs {esc(', '.join(f'[{n}]' for n in ns))}</summary><ul>{items}</ul></details>" if ns else ""

    rows = "".join(
        f"<tr><td>{esc(d.title)}<br><small>{esc(d.title_en)}</small></td><td>{esc(d.doc_id)}</td><td>{esc(d.lang)}</td>"
        f"<td>{esc(d.kind)}</td><td>{counts.get(d.doc_id, 0)}</td><td>{backs(d)}</td></tr>"
        for d in data.documents.values()
    )
    m = data.manifest
    bib = "".join(
        f"<li>[{n}] {esc(r.text)}{_link(r.url)} — "
        + (f"<b>linked source:</b> {esc(searcher.titles.get(r.source_doc, r.source_doc))}" if r.source_doc else "<i>no linked source</i>")
        + "</li>"
        for n, r in sorted(searcher.bibliography.items())
    )
    sources = "".join(f"<li>{esc(s.get('label', ''))}: {esc(s.get('text', ''))}{_link(s.get('url'))}</li>" for s in data.extras.get("sources", []))
    return (
        f'<div class="cq-scroll"><table class="cq-docs"><tr><th>title</th><th>id</th><th>language</th><th>kind</th><th>passages</th><th>backs</th></tr>{rows}</table></div>'
        f'<div class="cq-meta">{len(searcher.chunks)} passages · encoder {esc(m.get("encoder"))} · store {esc(m.get("store"))} · '
        f'chunker {esc(m.get("chunker"))} · built {esc(m.get("built_at"))} · corpus {esc(corpus_dir)}</div>'
        f"<h3>Bibliography</h3><ul>{bib or '<li>none extracted</li>'}</ul>"
        + (f"<h3>Table sources</h3><ul>{sources}</ul>" if sources else "")
        + '<div class="cq-meta">Link a source to a reference with: citeqa add FILE --cites N</div>'
    )
