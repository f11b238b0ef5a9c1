"""Per-document guards: junk and unpunctuated text, encodings, PDF parser noise, the size limit."""

from __future__ import annotations

import random

import pytest

from citeqa import ingest
from citeqa.chunk import chunk_document
from citeqa.corpus import DocumentEntry
from citeqa.ingest import IngestError, decode_text, load_document, read_raw

from conftest import make_pdf

REAL = "英国研究与创新署统筹管理英国每年90亿英镑的科研经费，协调下属9个研究机构开展跨学科合作研究。"


def _entry(path):
    return DocumentEntry(doc_id=path.stem, path=path, title=path.stem)


def test_random_chinese_is_skipped_with_the_reason(tmp_path):
    rng = random.Random(7)
    junk = "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(20000))
    mixed = tmp_path / "mixed.txt"
    mixed.write_text(REAL * 3 + "\n\n" + junk + "\n\n" + REAL, encoding="utf-8")
    doc, removed = load_document(_entry(mixed))
    assert junk[:50] not in doc.text and "90亿英镑" in doc.text
    assert any(why == "junk-like text, skipped" and "common ones" in detail for why, detail in removed)
    only = tmp_path / "only-junk.txt"
    only.write_text(junk, encoding="utf-8")
    with pytest.raises(IngestError, match="junk-like text"):
        load_document(_entry(only))


def test_real_text_is_not_junk(article):
    from citeqa.guards import junk_reason

    doc, removed = article
    assert not any(why.startswith("junk") for why, _ in removed)
    assert junk_reason("The board sets priorities for five years and reviews them every three years. " * 5) is None


def test_one_long_unpunctuated_line_becomes_bounded_passages_and_is_reported(tmp_path):
    words = "research funding council budget programme evaluation infrastructure strategy".split()
    rng = random.Random(3)
    line = tmp_path / "line.txt"
    line.write_text(" ".join(rng.choice(words) for _ in range(20000)), encoding="utf-8")
    doc, removed = load_document(_entry(line))
    assert any(why.startswith("long text without sentence punctuation") for why, _ in removed)
    chunks = chunk_document(doc)
    assert len(chunks) > 100 and max(len(c.text) for c in chunks) <= 400


def test_latin1_is_read_as_western_european_not_central_european():
    text = "Le café où j'ai mangé une crème brûlée à Noël, señor Müller; ça coûte très cher à Zürich."
    assert decode_text(text.encode("latin-1")) == text
    assert decode_text(text.encode("cp1252")) == text
    assert decode_text(REAL.encode("gb18030")) == REAL


def test_a_close_encoding_call_is_reported():
    notices: list[str] = []
    decode_text("Příliš žluťoučký kůň úpěl ďábelské ódy.".encode("cp1250"), "czech.txt", notices)
    assert notices and "czech.txt" in notices[0] and "UTF-8" in notices[0]


def test_pdf_parser_warnings_become_notices_not_output(tmp_path, capfd):
    good = make_pdf(tmp_path / "w.pdf", ["第一页内容。"]).read_bytes()
    broken = tmp_path / "xref.pdf"
    broken.write_bytes(good[: good.rfind(b"startxref")] + b"startxref\n999\n%%EOF\n")
    doc, removed = load_document(_entry(broken))
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert any("startxref" in n for n in doc.notices) and any(why.startswith("warning: xref.pdf") for why, _ in removed)


def test_size_limit_message_states_the_real_size(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 10 * 1024 * 1024)
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (10 * 1024 * 1024 + 1))
    with pytest.raises(IngestError) as info:
        read_raw(big)
    assert "10,485,761 bytes" in str(info.value) and "10,485,760 bytes" in str(info.value)


def test_alternating_running_heads_and_page_numbers_are_furniture():
    from citeqa.guards import repeated_furniture

    body = ["The board met in March.", "Budgets were agreed.", "Panels reviewed the plans.", "Results were published.", "The cycle restarts."]
    pages = [f"{'Journal of Research Policy' if i % 2 else 'Coordination of Funding'}\n{text}\n- {i} -" for i, text in enumerate(body, start=1)]
    kept, removed = repeated_furniture(pages)
    assert kept == [f"{text}" for text in body]
    assert len(removed) == 10
    assert repeated_furniture(pages[:2]) == (pages[:2], [])  # two pages cannot tell furniture from content
