"""Read documents (.txt, .md, .html, .pdf) into cleaned `Document`s.

A reader returns the text page by page; cleaning runs per page so page numbers survive
into chunk citations. Anything unreadable raises `IngestError` with the reason and what
to do, so a build can report it and carry on with the other documents.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .clean import Cleaned, clean, is_cjk_text
from .corpus import DocumentEntry
from .models import Document

MAX_FILE_BYTES = int(float(os.environ.get("CITEQA_MAX_DOC_MB", "10")) * 1024 * 1024)  # ~25k passages, ~1.5 h to embed on 2 cores


class IngestError(Exception):
    """A document could not be read; the message names the reason and the fix."""


@dataclass
class RawText:
    pages: list[str]  # one string per page; formats without pages give one entry
    paged: bool
    title: str = ""


def decode_text(data: bytes, name: str = "file") -> str:
    """Decode bytes of unknown encoding: UTF-8 / UTF-16 with BOM, else detect (GBK, GB18030, Big5 …)."""
    if not data.strip():
        raise IngestError(f"{name}: empty file — nothing to index")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise IngestError(f"{name}: binary or undecodable content — convert it to UTF-8 text, PDF or HTML")
    text = str(best)
    if sum(ch == "\ufffd" for ch in text) > len(text) * 0.01:
        raise IngestError(f"{name}: could not decode reliably (guessed {best.encoding}) — save it as UTF-8")
    return text


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return sample.count(b"\x00") > len(sample) * 0.3


def read_pdf(path: Path) -> RawText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported crypto
                raise IngestError(f"{path.name}: encrypted PDF ({exc}) — save an unencrypted copy and add that") from exc
            if not ok:
                raise IngestError(f"{path.name}: encrypted PDF needs a password — save an unencrypted copy and add that")
        pages = [(page.extract_text() or "") for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else "") or ""
    except IngestError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, OSError) as exc:
        raise IngestError(f"{path.name}: broken or truncated PDF ({exc.__class__.__name__}: {exc}) — re-export or re-download it") from exc
    if not any(p.strip() for p in pages):
        raise IngestError(f"{path.name}: PDF has no text layer ({len(pages)} pages, scanned?) — OCR needed; run it through OCR first")
    return RawText(pages=pages, paged=True, title=str(title))


def read_html(data: bytes, name: str) -> RawText:
    """Main text of a web page (trafilatura), headings kept as markdown; scripts and styles never."""
    import trafilatura

    html = decode_text(data, name)
    text = trafilatura.extract(html, output_format="markdown", include_tables=True, include_comments=False, favor_recall=True)
    meta = trafilatura.extract_metadata(html)
    if not text:
        from lxml import html as lxml_html

        tree = lxml_html.fromstring(html)
        for bad in tree.xpath("//script|//style|//noscript"):
            bad.drop_tree()
        text = tree.text_content()
    if not text or not text.strip():
        raise IngestError(f"{name}: HTML page has no readable text")
    return RawText(pages=[text], paged=False, title=(meta.title if meta and meta.title else ""))


def read_raw(path: Path) -> RawText:
    """Dispatch on the file suffix."""
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"{path.name}: empty file — nothing to index")
    if size > MAX_FILE_BYTES:
        raise IngestError(
            f"{path.name}: {size / 2**20:.0f} MB is over the {MAX_FILE_BYTES / 2**20:.0f} MB per-document limit "
            "(embedding it would take hours on a CPU) — split it, or raise the limit with CITEQA_MAX_DOC_MB"
        )
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return read_pdf(path)
    data = path.read_bytes()
    if suffix in {".html", ".htm"}:
        return read_html(data, path.name)
    if _looks_binary(data):
        raise IngestError(f"{path.name}: binary content in a text file — convert it to UTF-8 text")
    return RawText(pages=[decode_text(data, path.name)], paged=False)


def load_document(entry: DocumentEntry) -> tuple[Document, list[tuple[str, str]]]:
    """Read and clean one corpus document; returns it with the list of removed furniture."""
    raw = read_raw(entry.path)
    parts, pages, removed, cells = [], [], [], []
    offset = 0
    for number, page_text in enumerate(raw.pages, start=1):
        cleaned: Cleaned = clean(page_text, entry.tables, entry.title_en)
        removed += cleaned.removed
        removed += [("table not aligned to its declared header, kept as plain text", f"表{n}") for n in cleaned.unparsed_tables]
        cells += cleaned.cells
        if not cleaned.text:
            continue
        if parts:
            offset += 2
        if raw.paged:
            pages.append((offset, offset + len(cleaned.text), number))
        parts.append(cleaned.text)
        offset += len(cleaned.text)
    text = "\n\n".join(parts)
    if not text.strip():
        raise IngestError(f"{entry.path.name}: no text left after cleaning")
    title = entry.title if entry.in_manifest else (raw.title or entry.title)
    lang = "zh" if is_cjk_text(text) else "en"
    doc = Document(
        doc_id=entry.doc_id,
        title=title,
        text=text,
        path=str(entry.path),
        lang=lang,
        kind=entry.kind,
        title_en=entry.title_en,
        url=entry.url,
        authors=entry.authors,
        pages=pages,
        tables=cells,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
    return doc, removed
