"""Readers on real files the tests generate: PDFs with a Chinese text layer, HTML, odd encodings."""

from __future__ import annotations

import pytest

from citeqa.clean import squash
from citeqa.corpus import DocumentEntry
from citeqa.ingest import IngestError, decode_text, load_document, read_raw

from conftest import make_pdf


def test_pdf_keeps_page_numbers_and_chinese_text(tmp_path):
    pdf = make_pdf(tmp_path / "two.pdf", ["第一页：纳米计划每3年制定战略规划。", "第二页：研究与创新署统筹管理科研经费。"])
    raw = read_raw(pdf)
    assert raw.paged and len(raw.pages) == 2
    assert squash(raw.pages[0]) == squash("第一页：纳米计划每3年制定战略规划。")
    doc, _ = load_document(DocumentEntry(doc_id="two", path=pdf, title="two"))
    assert doc.page_at(doc.text.index("第二页")) == 2
    assert doc.page_at(doc.text.index("第一页")) == 1


def test_encrypted_pdf_with_password_is_refused_with_reason(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(tmp_path / "p.pdf", ["机密内容"])
    writer = PdfWriter(clone_from=PdfReader(str(plain)))
    writer.encrypt(user_password="secret", algorithm="AES-128")
    locked = tmp_path / "locked.pdf"
    with open(locked, "wb") as f:
        writer.write(f)
    with pytest.raises(IngestError, match="encrypted"):
        read_raw(locked)


def test_encrypted_pdf_with_empty_password_is_read(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(tmp_path / "p.pdf", ["公开内容"])
    writer = PdfWriter(clone_from=PdfReader(str(plain)))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    target = tmp_path / "open.pdf"
    with open(target, "wb") as f:
        writer.write(f)
    assert "公开内容" in squash(read_raw(target).pages[0])


def test_truncated_and_empty_pdfs_are_refused(tmp_path):
    good = make_pdf(tmp_path / "g.pdf", ["内容"]).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(good[: len(good) // 3])
    (tmp_path / "zero.pdf").write_bytes(b"")
    for name in ("cut.pdf", "zero.pdf"):
        with pytest.raises(IngestError):
            read_raw(tmp_path / name)


def test_gbk_and_utf16_text_are_decoded():
    text = "英国研究与创新署统筹管理英国每年90亿英镑的科研经费。" * 3
    assert decode_text(text.encode("gb18030")) == text
    assert decode_text(text.encode("utf-16")) == text


def test_binary_and_empty_files_are_refused(tmp_path):
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "empty.txt").write_bytes(b"")
    for name in ("bin.txt", "empty.txt"):
        with pytest.raises(IngestError):
            read_raw(tmp_path / name)


def test_html_main_text_without_scripts(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        "<html><head><title>UKRI funding</title><style>.x{color:red}</style><script>alert('x')</script></head>"
        "<body><nav>Home | About</nav><article><h1>How UKRI coordinates funding</h1>"
        + "<p>UK Research and Innovation brings together nine councils and distributes about 9 billion pounds a year.</p>" * 3
        + "</article></body></html>",
        encoding="utf-8",
    )
    raw = read_raw(page)
    assert "9 billion pounds" in raw.pages[0]
    assert "alert" not in raw.pages[0] and "color:red" not in raw.pages[0]
