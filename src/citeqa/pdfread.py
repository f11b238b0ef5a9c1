"""Read a PDF page by page with pypdf: text, title and authors, bookmarks or font-size headings.

pypdf's own warnings (broken xref tables and the like) are collected as notices for the
build report and never printed.
"""

from __future__ import annotations

import logging
import re
import statistics
import warnings
from pathlib import Path

from .rawtext import IngestError, RawText

HEADING_SCALE = 1.15  # a short line set this much larger than the body text is a heading


def _outline(reader, notices: list[str]) -> list[tuple[int, int, str]]:
    """(page number, level, title) of a PDF's bookmarks, when it has them."""
    found: list[tuple[int, int, str]] = []

    def walk(items, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
            except Exception:  # a bookmark pointing nowhere is not worth failing the document
                continue
            if page is not None and page >= 0 and str(item.title).strip():
                found.append((page + 1, level, " ".join(str(item.title).split())))

    try:
        walk(reader.outline, 1)
    except Exception as exc:  # malformed outlines are common; the text is still readable
        notices.append(f"PDF outline unreadable ({exc.__class__.__name__}), no bookmarks used as sections")
    return found


def read_pdf(path: Path) -> RawText:
    """Text page by page; pypdf's own warnings are collected as notices, never printed."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    notices: list[str] = []
    handler = _Collect(notices, path.name)
    log = logging.getLogger("pypdf")
    log.addHandler(handler)
    old_propagate, log.propagate = log.propagate, False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reader = PdfReader(str(path))
            if reader.is_encrypted:
                try:
                    ok = reader.decrypt("")
                except Exception as exc:  # pypdf raises several types for unsupported crypto
                    raise IngestError(f"{path.name}: encrypted PDF ({exc}) — save an unencrypted copy and add that") from exc
                if not ok:
                    raise IngestError(f"{path.name}: encrypted PDF needs a password — save an unencrypted copy and add that")
            sized: list[list[tuple[str, float]]] = []
            pages = [_extract(page, sized) for page in reader.pages]
            info = reader.metadata
            title = (info.title if info else "") or ""
            meta = {"authors": str(info.author or "").strip()} if info and info.author else {}
            created = str((info.get("/CreationDate") if info else "") or "")
            if re.match(r"^D:(1[89]|20)\d\d", created):
                meta["year"] = created[2:6]
            outline = _outline(reader, notices) or font_headings(sized)
        notices += [f"{path.name}: PDF reader: {w.message}" for w in caught][:20]
    except IngestError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, OSError) as exc:
        raise IngestError(f"{path.name}: broken or truncated PDF ({exc.__class__.__name__}: {exc}) — re-export or re-download it") from exc
    finally:
        log.removeHandler(handler)
        log.propagate = old_propagate
    if not any(p.strip() for p in pages):
        raise IngestError(f"{path.name}: PDF has no text layer ({len(pages)} pages, scanned?) — OCR needed; run it through OCR first")
    return RawText(pages=pages, paged=True, title=str(title).strip(), format="pdf", notices=notices, outline=outline, meta=meta)


class _Collect(logging.Handler):
    def __init__(self, sink: list[str], name: str):
        super().__init__(logging.WARNING)
        self.sink, self.name = sink, name

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.sink) < 20:
            self.sink.append(f"{self.name}: PDF reader: {record.getMessage()}")


def _extract(page, sized: list[list[tuple[str, float]]]) -> str:
    """A page's text, noting each text run's rendered font size."""
    runs: list[tuple[str, float]] = []

    def visit(text, cm, tm, font, size) -> None:
        if text.strip() and size:
            scale = abs(tm[3] * cm[3]) or 1.0
            runs.append((" ".join(text.split()), float(size) * scale))

    try:
        text = page.extract_text(visitor_text=visit) or ""
    except TypeError:  # a pypdf without visitors: plain text, no size-based headings
        text = page.extract_text() or ""
    sized.append(runs)
    return text


def font_headings(sized: list[list[tuple[str, float]]]) -> list[tuple[int, int, str]]:
    """(page, level, title) of short lines set clearly larger than the body text (level 1 = largest)."""
    weights = [(size, len(text)) for runs in sized for text, size in runs]
    if not weights:
        return []
    body = statistics.median([size for size, n in weights for _ in range(min(n, 200))])
    big = sorted({round(size, 1) for size, _ in weights if size >= body * HEADING_SCALE}, reverse=True)[:3]
    found = []
    for page, runs in enumerate(sized, start=1):
        for text, size in runs:
            if round(size, 1) in big and 2 <= len(text) <= 80 and re.search(r"\w", text) and not text.endswith((".", "。", ",", "，")):
                found.append((page, big.index(round(size, 1)) + 1, text))
    return found if len(found) <= 3 * len(sized) + 5 else []  # more than that is a layout, not headings
