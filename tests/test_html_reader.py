"""The HTML reader keeps what a reader sees: ≥ 98 % of visible text, headings as section paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from citeqa.chunk import chunk_document
from citeqa.corpus import DocumentEntry
from citeqa.htmlread import html_to_text, kept_share, parse
from citeqa.ingest import decode_text, load_document

HTML = Path(__file__).parent / "fixtures" / "html"
PAGES = sorted(p.name for p in HTML.glob("*.html"))


def _load(name: str):
    path = HTML / name
    return load_document(DocumentEntry(doc_id=path.stem, path=path, title=path.stem.replace("-", " ")))[0]


def test_at_least_five_pages_of_different_sites():
    assert len(PAGES) >= 5


@pytest.mark.parametrize("name", PAGES)
def test_visible_text_is_kept_and_headings_become_sections(name):
    html = decode_text((HTML / name).read_bytes())
    doc = _load(name)
    assert kept_share(html, doc.text) >= 0.98
    headings = [" ".join(h.text_content().split()).rstrip("#¶ ") for h in parse(html).xpath("//body//*[self::h1 or self::h2 or self::h3]")]
    headings = [h for h in headings if h and h != "Contents"]  # a table of contents inside role=navigation is not content
    paras = doc.text.split("\n\n")
    marked = [p.lstrip("#").strip() for p in paras if p.startswith("#")]
    assert [h for h in headings if h not in marked] == []
    # every heading with text under it names the section of that text's passages
    with_body = {p.lstrip("#").strip() for p, nxt in zip(paras, paras[1:]) if p.startswith("#") and not nxt.startswith("#")}
    sections = {s for c in chunk_document(doc) for s in c.section}
    assert with_body - sections == set()


def test_title_tables_lists_code_kept_hidden_and_scripts_dropped():
    page = html_to_text((HTML / "zh-manual.html").read_text(encoding="utf-8"))
    assert page.title == "数据备份工具 用户手册 第3章 配置与排错"
    assert "retention_days | 30 | 备份保留天数，超过后自动删除最旧的备份" in page.text
    assert "- 执行 df -h 查看各分区的剩余空间；" in page.text
    assert "```\n# 重新加载配置\nsudo systemctl reload backup" in page.text
    assert "隐藏的调试信息" not in page.text and "dataLayer" not in page.text and "font-family" not in page.text
    assert "第1章 安装" not in page.text  # the navigation menu


def test_code_comment_is_not_a_section():
    doc = _load("zh-manual.html")
    chunks = chunk_document(doc)
    assert all("重新加载配置" not in s for c in chunks for s in c.section)
    c = next(c for c in chunks if "网络超时" in " ".join(c.section))
    assert c.section == ("第3章 配置与排错", "3.2 排错", "3.2.2 网络超时")


def test_title_falls_back_to_the_first_heading():
    assert html_to_text("<html><body><h1>Budget  rules</h1><p>Text.</p></body></html>").title == "Budget rules"
