"""Source viewer, `citeqa show` and copyable citations."""

from __future__ import annotations

import html
import re

from citeqa.chunk import chunk_document
from citeqa.clean import squash
from citeqa.models import Document, Reference
from citeqa.reference import format_reference
from citeqa.show import parse_target, render
from citeqa.viewer import viewer_html

from test_locate import _entry, make_report_pdf


def test_viewer_highlights_the_passage_inside_its_paragraph(article):
    from citeqa.ingest import load_document  # noqa: F401 — the article fixture already loaded it

    doc, _ = article
    chunks = chunk_document(doc)
    c = next(c for c in chunks if "90亿英镑" in c.text and c.kind == "body")
    page = viewer_html(doc, c, glosses={"研究与创新署": "UK Research and Innovation"})
    marked = "".join(re.findall(r'<mark class="citeqa-passage"[^>]*>(.*?)</mark>', page, re.S))  # one per paragraph
    assert squash(html.unescape(re.sub(r"<[^>]+>", "", marked))) == squash(c.text)
    assert page.count('class="citeqa-para') >= 3  # the passage's paragraph and its neighbours
    assert " › ".join(c.section) in html.unescape(page)
    assert 'class="citeqa-open" href="file://' in page
    assert 'class="citeqa-gloss" title="UK Research and Innovation"' in page


def test_viewer_shows_the_pdf_page(tmp_path):
    from citeqa.ingest import load_document

    doc, _ = load_document(_entry(make_report_pdf(tmp_path / "r.pdf")))
    c = chunk_document(doc)[2]
    page = viewer_html(doc, c)
    lo, hi = next((a, b) for a, b, n in doc.pages if a <= c.start < b)
    assert html.escape(doc.text[lo : lo + 30]) in page or doc.text[lo:hi].split("\n\n")[0][:20] in html.unescape(page)
    assert f"page {c.page}" in page and "#page=" in page


def test_show_prints_the_passage_in_context_and_its_source(article):
    doc, _ = article
    chunks = chunk_document(doc)
    c = next(c for c in chunks if "90亿英镑" in c.text and c.kind == "body")
    assert parse_target(f"{doc.doc_id}:{c.start}-{c.end}") == (doc.doc_id, c.start, c.end)
    out = render(doc, chunks, c.start, c.end)
    assert f">>> {c.text} <<<" in out and "source: " in out and "of the file text" in out
    assert "changed since it was indexed" not in out
    outline = render(doc, chunks)
    assert "passages" in outline and f"{doc.doc_id}:" in outline


def test_references_in_gbt7714_and_apa():
    ref = Reference(n=30, text="李文聪, 徐进, 申洁, 等. 英国国家科研与创新署学科交叉研究资助机制及启示[J]. 物理化学学报, 2020, 36(11): 173-178.")
    assert format_reference(ref) == ref.text
    assert format_reference(ref, "apa") == "李文聪, 徐进, 申洁, et al. (2020). 英国国家科研与创新署学科交叉研究资助机制及启示. 物理化学学报, 36(11), 173-178."
    page = Document(doc_id="n", title="Council agrees new research funding framework", text="x", url="https://example.org/n",
                    source_format="html", authors=["Jane Doe", "DU Dan"], year="2024", venue="Example Times")
    assert format_reference(page, "apa") == "Doe, J., & Du, D. (2024). Council agrees new research funding framework. Example Times. https://example.org/n"
    assert format_reference(page).startswith("DOE J, DU D. Council agrees new research funding framework[EB/OL]. Example Times, 2024. [")
    free = Reference(n=3, text="U.S. National Nanotechnology Initiative website", url="https://www.nano.gov")
    assert format_reference(free) == "U.S. National Nanotechnology Initiative website https://www.nano.gov"


def test_pdf_page_image_highlights_the_passage(tmp_path):
    import pytest

    from citeqa import pageimage
    from citeqa.ingest import load_document

    if not pageimage.available():
        pytest.skip("pypdfium2 not installed: the viewer shows the page text instead")
    pdf = make_report_pdf(tmp_path / "r.pdf")
    doc, _ = load_document(_entry(pdf))
    c = next(c for c in chunk_document(doc) if c.page == 2)
    boxes, covered = pageimage.passage_boxes(pdf, 2, c.text)
    assert boxes and squash(covered) == squash(c.text)
    page = viewer_html(doc, c, page_image=True)
    assert '<img class="citeqa-page-image"' in page and "data:image/png;base64," in page


def test_show_flags_a_file_changed_since_indexing(tmp_path):
    from citeqa.ingest import load_document

    src = tmp_path / "note.txt"
    src.write_text("The board meets four times a year and publishes its minutes.\n", encoding="utf-8")
    doc, _ = load_document(_entry(src))
    chunks = chunk_document(doc)
    src.write_text("Edited afterwards.\n" + src.read_text(encoding="utf-8"), encoding="utf-8")
    assert "changed since it was indexed" in render(doc, chunks, chunks[0].start, chunks[0].end)
