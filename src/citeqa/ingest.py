"""Read documents (.txt, .md, .html, .pdf) into cleaned `Document`s.

A reader returns the text page by page; cleaning runs per page so page numbers survive
into chunk citations. Anything unreadable raises `IngestError` with the reason and what
to do, so a build can report it and carry on with the other documents.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

from .clean import Cleaned, clean, is_cjk_text
from .corpus import DocumentEntry
from .guards import guard_paragraphs, repeated_furniture
from .locate import align
from .pdfread import read_pdf
from .rawtext import IngestError, RawText
from .models import Document

MAX_FILE_BYTES = int(float(os.environ.get("CITEQA_MAX_DOC_MB", "10")) * 1024 * 1024)  # ~25k passages, ~1.5 h to embed on 2 cores


_LEGACY = ("gb18030", "big5", "cp1252", "cp1250", "cp1251", "latin_1")


def _plausibility(text: str) -> float:
    """How natural the non-ASCII characters of a decoding look for a zh/en corpus (1 = all common)."""
    from .guards import _common_cjk

    odd = [ch for ch in text if ord(ch) > 127]
    if not odd:
        return 1.0
    score = 0.0
    for ch in odd:
        if _common_cjk(ch) or ch in "，。、；：？！“”‘’（）《》—…·":
            score += 1.0
        elif "\u00c0" <= ch <= "\u00ff" or "\u4e00" <= ch <= "\u9fff":
            score += 0.7  # Western European letters, less common Chinese
        elif ch.isalpha() or ch.isspace() or unicodedata.category(ch)[0] in "PS":
            score += 0.3
        elif unicodedata.category(ch) == "Cc":
            score -= 1.0  # C1 control codes never appear in real text
    return score / len(odd)


def decode_text(data: bytes, name: str = "file", notices: list[str] | None = None) -> str:
    """Decode bytes of unknown encoding: UTF-8 / UTF-16 with BOM, else the most plausible legacy encoding.

    Candidates are charset-normalizer's guesses plus the common Chinese and Western ones; the
    one whose non-ASCII characters look most like Chinese or Western European text wins (a
    Latin-1 file is not read as Central European). A close call is added to `notices`.
    """
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

    guesses = [m.encoding for m in from_bytes(data) if m.encoding]
    scored: dict[str, tuple[float, str]] = {}
    for enc in dict.fromkeys(guesses[:3] + list(_LEGACY)):
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if any(text == t for _, t in scored.values()):
            continue
        scored[enc] = (_plausibility(text) + (0.01 if guesses and enc == guesses[0] else 0.0), text)
    if not scored:
        raise IngestError(f"{name}: binary or undecodable content — convert it to UTF-8 text, PDF or HTML")
    ranked = sorted(scored.items(), key=lambda kv: -kv[1][0])
    (enc, (score, text)), rest = ranked[0], ranked[1:]
    if score < 0.2:
        raise IngestError(f"{name}: could not decode reliably (best guess {enc}) — save it as UTF-8")
    if notices is not None and rest and rest[0][1][0] > score - 0.1:
        notices.append(f"{name}: encoding guessed as {enc}, {rest[0][0]} is almost as likely — if letters look wrong, save the file as UTF-8")
    return text


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return sample.count(b"\x00") > len(sample) * 0.3


def read_html(data: bytes, name: str) -> RawText:
    """Everything a reader sees on the page (see `htmlread`); scripts, styles and menus never."""
    from .htmlread import html_to_text

    notices: list[str] = []
    page = html_to_text(decode_text(data, name, notices))
    if not page.text.strip():
        raise IngestError(f"{name}: HTML page has no readable text")
    return RawText(pages=[page.text], paged=False, title=page.title, format="html", notices=notices, meta=page.meta)


def read_raw(path: Path) -> RawText:
    """Dispatch on the file suffix."""
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"{path.name}: empty file — nothing to index")
    if size > MAX_FILE_BYTES:
        raise IngestError(
            f"{path.name}: {size:,} bytes ({size / 2**20:.2f} MB) is over the per-document limit of {MAX_FILE_BYTES:,} bytes "
            f"({MAX_FILE_BYTES / 2**20:g} MB; embedding it would take hours on a CPU) — split it, or raise the limit with CITEQA_MAX_DOC_MB"
        )
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return read_pdf(path)
    data = path.read_bytes()
    if suffix in {".html", ".htm"}:
        return read_html(data, path.name)
    if _looks_binary(data):
        raise IngestError(f"{path.name}: binary content in a text file — convert it to UTF-8 text")
    notices: list[str] = []
    return RawText(pages=[decode_text(data, path.name, notices)], paged=False, notices=notices)


def file_hash(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _default_title(entry: DocumentEntry) -> bool:
    return entry.title == entry.path.stem.replace("_", " ").replace("-", " ")


def load_document(entry: DocumentEntry) -> tuple[Document, list[tuple[str, str]]]:
    """Read and clean one corpus document; returns it with the list of removed furniture.

    Every cleaned page is aligned back to the reader's raw page text (`Document.source_map`)
    so passages can be located in the user's own file.
    """
    raw = read_raw(entry.path)
    removed = [(f"warning: {n}", "") for n in raw.notices]
    pages_in = raw.pages
    if raw.paged:
        pages_in, repeated = repeated_furniture(raw.pages)
        removed += repeated
    title_en = entry.title_en if entry.kind == "article" else ""
    parts, pages, cells, source_map, headings = [], [], [], [], []
    offset = 0
    for number, (original, page_text) in enumerate(zip(raw.pages, pages_in), start=1):
        cleaned: Cleaned = clean(page_text, entry.tables, title_en, furniture=raw.format != "html")
        removed += cleaned.removed
        removed += [("table not aligned to its declared header, kept as plain text", f"表{n}") for n in cleaned.unparsed_tables]
        cells += cleaned.cells
        body, dropped = guard_paragraphs(cleaned.text)
        removed += dropped
        if not body:
            continue
        if parts:
            offset += 2
        if raw.paged:
            pages.append((offset, offset + len(body), number))
        source_map += [[run[0] + offset, *run[1:]] for run in align(original, body)]
        headings += _place_headings(body, offset, [(lvl, t) for p, lvl, t in raw.outline if p == number])
        parts.append(body)
        offset += len(body)
    text = "\n\n".join(parts)
    if not text.strip():
        junk = [detail for why, detail in removed if why.startswith("junk")]
        if junk:
            raise IngestError(f"{entry.path.name}: no text left after cleaning: junk-like text ({junk[0].split(':')[0]}) — nothing to index")
        raise IngestError(f"{entry.path.name}: no text left after cleaning")
    title = entry.title if entry.in_manifest and not _default_title(entry) else (raw.title or entry.title)
    doc = Document(
        doc_id=entry.doc_id,
        title=title,
        text=text,
        path=str(entry.path),
        lang="zh" if is_cjk_text(text) else "en",
        kind=entry.kind,
        title_en=entry.title_en,
        url=entry.url,
        authors=entry.authors or [a.strip() for a in re.split(r"[;；]|\band\b", raw.meta.get("authors", "")) if a.strip()],
        pages=pages,
        tables=cells,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source_map=source_map,
        source_format=raw.format,
        headings=headings,
        notices=list(raw.notices),
        year=str(getattr(entry, "year", "") or raw.meta.get("year", "")),
        venue=str(getattr(entry, "venue", "") or raw.meta.get("venue", "")),
        cites=list(entry.cites),
        source_hash=file_hash(entry.path),
    )
    return doc, removed


def _place_headings(body: str, offset: int, titles: list[tuple[int, str]]) -> list[list]:
    """Offsets of outline titles in a page's cleaned text (matched with spaces ignored)."""
    from .clean import squash

    if not titles:
        return []
    out, sq, pos = [], [], []
    for i, ch in enumerate(body):
        if not ch.isspace():
            sq.append(ch)
            pos.append(i)
    flat, cursor = "".join(sq), 0
    for level, title in titles:
        at = flat.find(squash(title), cursor)
        if at >= 0:
            out.append([offset + pos[at], level, title])
            cursor = at + 1
    return out
