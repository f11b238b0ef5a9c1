"""`citeqa show DOC_ID[:start-end]`: a passage in its context, with where it is in the user's file."""

from __future__ import annotations

import re
from pathlib import Path

from .locate import source_locator
from .models import Chunk, Document
from .reference import format_reference
from .viewer import passage_in_context


class ShowError(ValueError):
    """The document or span asked for is not in the index; the message says what is."""


def parse_target(target: str) -> tuple[str, int | None, int | None]:
    """`doc`, `doc:120-480` or `doc:120` -> (doc_id, start, end)."""
    m = re.match(r"^(.+?)(?::(\d+)(?:\s*[-–]\s*(\d+))?)?$", target.strip())
    if not m:
        raise ShowError(f"{target!r}: expected DOC_ID or DOC_ID:START-END")
    doc_id, start, end = m.group(1), m.group(2), m.group(3)
    return doc_id, int(start) if start else None, int(end) if end else None


def _chunk_for(doc: Document, chunks: list[Chunk], start: int, end: int | None) -> Chunk:
    """The indexed passage with exactly this span, else one covering `start`, else the span itself."""
    mine = [c for c in chunks if c.doc_id == doc.doc_id]
    if end is not None:
        exact = next((c for c in mine if c.start == start and c.end == end), None)
        if exact:
            return exact
    covering = [c for c in mine if c.start <= start < c.end]
    if covering and end is None:
        return covering[0]
    end = end if end is not None else min(start + 200, len(doc.text))
    if not 0 <= start < end <= len(doc.text):
        raise ShowError(f"{doc.doc_id}: span {start}-{end} is outside the document (0-{len(doc.text)})")
    base = covering[0] if covering else None
    return Chunk(
        chunk_id=f"{doc.doc_id}:{start}-{end}",
        doc_id=doc.doc_id,
        text=doc.text[start:end],
        start=start,
        end=end,
        section=base.section if base else (),
        page=doc.page_at(start),
    )


def render(doc: Document, chunks: list[Chunk], start: int | None = None, end: int | None = None) -> str:
    """The text `citeqa show` prints."""
    lines = [f"{doc.title}  ({doc.doc_id})", f"cite: {format_reference(doc)}"]
    if doc.cites:
        lines.append("backs the article's reference " + ", ".join(f"[{n}]" for n in doc.cites))
    if start is None:
        mine = [c for c in chunks if c.doc_id == doc.doc_id]
        lines.append(f"{doc.path or doc.url or ''} · {len(mine)} passages · {len(doc.text)} characters")
        sections: list[str] = []
        for c in mine:
            name = " > ".join(c.section)
            if name and name not in sections:
                sections.append(name)
                lines.append(f"  {name}  ({doc.doc_id}:{c.start}-{c.end})")
        return "\n".join(lines)
    if doc.source_hash and doc.path and Path(doc.path).is_file():
        from .ingest import file_hash

        if file_hash(Path(doc.path)) != doc.source_hash:
            lines.append(f"note: {doc.path} changed since it was indexed; offsets refer to the indexed version — rebuild with: citeqa build")
    chunk = _chunk_for(doc, chunks, start, end)
    loc = source_locator(chunk, doc)
    where = [" > ".join(chunk.section) or "(no section)"]
    if loc["page"]:
        where.append(f"page {loc['page']}" + (f"-{loc['end_page']}" if loc.get("end_page") else ""))
    where.append(f"chars {chunk.start}-{chunk.end}")
    lines.append(" · ".join(where))
    if loc["start"] is not None:
        unit = f"page {loc['page']} text" if loc["page"] else "file text"
        lines.append(f"source: {loc['path'] or loc['url']} [{loc['start']}, {loc['end']}) of the {unit}")
    if loc["link"]:
        lines.append(f"open: {loc['link']}")
    lines += ["", passage_in_context(doc, chunk)]
    return "\n".join(lines)


def show_passage(index_dir: Path | str, doc_id: str, start: int | None = None, end: int | None = None) -> str:
    """Load the index and render a document (outline) or one of its spans (passage in context)."""
    from .store import load_index

    data = load_index(Path(index_dir), verify=False)
    doc = data.documents.get(doc_id)
    if doc is None:
        known = ", ".join(sorted(data.documents)[:20])
        raise ShowError(f"no document {doc_id!r} in the index; documents: {known}")
    of_document = getattr(data.chunks, "of_document", None)  # a saved table parses only this document's passages
    return render(doc, of_document(doc_id) if of_document else data.chunks, start, end)
