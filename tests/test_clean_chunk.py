"""Cleaning, table rebuilding, chunking and citations on the real article."""

from __future__ import annotations

import re

from citeqa.chunk import ChunkConfig, chunk_document, parse_citations
from citeqa.clean import TableSpec, clean, join_lines, squash


def test_chinese_line_join_inserts_no_space_and_latin_gets_one():
    assert join_lines(["党中央、国务院高度重视科技资源优化配置", "问题。"]) == "党中央、国务院高度重视科技资源优化配置问题。"
    assert join_lines(["Coordination Mechanism of Governmental Science and", "Technology Resources"]) == (
        "Coordination Mechanism of Governmental Science and Technology Resources"
    )
    assert join_lines(["跨 省 厅 战 略 创 新 促 进 计", "划"]) == "跨省厅战略创新促进计划"


def test_article_text_has_no_furniture_or_wrapped_lines(article):
    doc, removed = article
    text = doc.text
    assert "·创新战略与政策·" not in text and "续表" not in text and "上接第" not in text
    assert "王同涛" not in text and "New York" not in text  # the neighbouring article is gone
    assert "Coordination Mechanism of Governmental Science and Technology" in text  # our English abstract stays
    assert "DU Dan, HUANG Yanbo, SHI Xiaoyong" in text
    assert "包含了22个项目和41个地标" in text  # sentence split by the table continuation is rejoined
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", text)  # no spaced-out CJK left
    reasons = {why for why, _ in removed}
    assert {"running head", "table continuation marker", "page continuation marker", "abstract of another article"} <= reasons


def test_table_cells_are_rebuilt_with_row_and_column(article):
    doc, _ = article
    cells = {(c.row, c.column): c.text for c in doc.tables}
    assert len(cells) == 7 * 4
    assert cells[("性质", "欧洲研究基础设施战略论坛")] == "经欧洲理事会授权的协调机构"
    assert cells[("统筹预算分配", "英国研究与创新署")] == "—"
    assert cells[("统筹预算分配", "美国国家纳米技术计划")].startswith("没有单独的预算")
    # no cell leaks into its neighbour: each cell's text appears under exactly one (row, column)
    assert cells[("建立高级别机构", "美国国家纳米技术计划")].endswith("进行统筹协调")
    assert "视为日本" not in cells[("建立高级别机构", "美国国家纳米技术计划")]
    assert "资料来源" not in cells[("通过评估统筹资源配置", "欧洲研究基础设施战略论坛")]
    assert cells[("建立工作体系和规则", "日本综合科学技术创新会议")] == "建立严格的工作会议制度，确保各项协调工作得到落实"


def test_table_method_is_general():
    """A made-up flattened 2x2 table with wrapped labels rebuilds from its declared header."""
    raw = "表 3　测试\n\n项目\n\n甲方 乙方\n\n规模\n\n甲方很大\n很大\n\n乙方\n小\n\n年\n\n份\n\n2001 年\n\n2002 年\n 资料来源：测试。\n\n正文继续。"
    spec = TableSpec(3, "项目", ("甲方", "乙方"), ("规模", "年份"))
    cleaned = clean(raw, (spec,))
    cells = {(c.row, c.column): c.text for c in cleaned.cells}
    assert cells == {("规模", "甲方"): "甲方很大很大", ("规模", "乙方"): "乙方小", ("年份", "甲方"): "2001年", ("年份", "乙方"): "2002年"}
    assert "表3 · 年份 · 乙方：2002年" in cleaned.text
    assert "资料来源：测试。" in cleaned.text and "正文继续。" in cleaned.text


def test_every_chunk_span_round_trips_and_respects_the_size_limit(article):
    doc, _ = article
    chunks = chunk_document(doc)
    assert len(chunks) > 40
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert len(c.text) <= 600
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    # every non-heading character of the document is in some passage
    lost = [i for i, ch in enumerate(doc.text) if i not in covered and not ch.isspace()]
    heading_chars = sum(len(m.group(0)) for m in re.finditer(r"(?m)^\d(\.\d)?\u3000.*$", doc.text))
    assert len(lost) <= heading_chars


def test_a_chinese_line_of_web_addresses_is_a_chinese_passage(article):
    doc, _ = article
    lines = [c for c in chunk_document(doc) if c.text.startswith("资料来源") and "https://" in c.text]
    assert lines and {c.lang for c in lines} == {"zh"}  # its URLs have more letters than its Chinese


def test_table_cells_are_their_own_passages_named_by_row_and_column(article):
    doc, _ = article
    chunks = chunk_document(doc)
    cell = next(c for c in chunks if c.label == "表1 · 统筹预算分配 · 美国国家纳米技术计划")
    assert cell.kind == "table" and "没有单独的预算" in cell.text and "设立科学技术创新预算" not in cell.text


def test_section_paths_and_list_leads(article):
    doc, _ = article
    chunks = chunk_document(doc)
    c = next(c for c in chunks if "配备13名专职工作人员" in c.text)
    assert c.section[0].startswith("2 ") and c.section[1].startswith("2.6") and c.section[2].startswith("一是")
    en = next(c for c in chunks if c.text.startswith("Abstract:"))
    assert en.lang == "en" and en.kind == "abstract"


def test_citations_are_parsed_and_kept_on_chunks(article):
    assert parse_citations("资源 [3-5]。另见 [23, 25] 和 [7]") == (3, 4, 5, 7, 23, 25)
    doc, _ = article
    chunks = chunk_document(doc)
    c = next(c for c in chunks if "组织每月的纳米科学" in c.text and c.kind == "body")
    assert {23, 25} <= set(c.citations)
    assert any(set(c.citations) >= {3, 4, 5} for c in chunks)


def test_smaller_passages_keep_invariants(article):
    doc, _ = article
    for c in chunk_document(doc, ChunkConfig(max_chars=150)):
        assert doc.text[c.start : c.end] == c.text and len(c.text) <= 150


def test_squash_removes_all_whitespace():
    assert squash("1 445.74 亿元\u3000x\n") == "1445.74亿元x"


def test_a_lone_number_is_content_and_ascending_numbers_are_page_numbers():
    """An example's output ("309") stays; numbers that count up page by page are furniture."""
    manual = clean("List the files:\n\nls /etc | wc -l\n\n309\n\nThen list /dev:\n\n205\n")
    assert "309" in manual.text and "205" in manual.text and not manual.removed
    paged = clean("第一页的正文。\n\n12\n\n第二页的正文。\n\n13\n\n第三页的正文。\n")
    assert "12" not in paged.text and [why for why, _ in paged.removed] == ["page number", "page number"]


FAQ = """<html><head><title>The Example FAQ</title></head><body>
<h1>The Example FAQ</h1>
<h2>Chapter 5. Software</h2>
<div class="toc"><p><b>Table of Contents</b></p>
<dl class="toc"><dt><span class="section"><a href="#s1">5.1. What software does the system ship?</a></span></dt>
<dt><span class="section"><a href="#s2">5.2. Who wrote all that software?</a></span></dt></dl></div>
<h3 id="s1">5.1. What software does the system ship?</h3>
<p>More than sixty thousand packages: compilers, editors, office suites and games.</p>
<h3 id="s2">5.2. Who wrote all that software?</h3>
<p>Thousands of volunteers; each package names its upstream authors in its copyright file.</p>
</body></html>
"""


def test_a_table_of_contents_is_no_passage(tmp_path):
    """It repeats the document's headings, so it matches every question on them and answers none."""
    from conftest import HashEncoder

    from citeqa.build import build_index
    from citeqa.store import load_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "faq.html").write_text(FAQ, encoding="utf-8")
    build_index(corpus, tmp_path / "index", encoder=HashEncoder(), progress=False)
    texts = [c.text for c in load_index(tmp_path / "index").chunks]
    assert not [t for t in texts if "Table of Contents" in t]
    assert any("sixty thousand packages" in t for t in texts) and any("Thousands of volunteers" in t for t in texts)
    assert "Table of Contents" in (corpus / "faq.html").read_text(encoding="utf-8")  # the user's file is untouched


def test_contents_lines_match_headings_without_bullets_or_page_leaders():
    from citeqa.sections import is_contents

    titles = {"1 Introduction", "2 Methods", "3 Results"}
    assert is_contents("Contents\n1 Introduction .......... 3\n2 Methods ……… 7\n3 Results ······ 11", titles)
    assert is_contents("目录\n\n- 1 Introduction\n\n- 2 Methods", titles)
    assert not is_contents("1 Introduction\nWe measured recall on three corpora and found it high.", titles)  # one heading is not a list
    assert not is_contents("Table of Contents", titles)


def test_plain_text_list_items_after_a_blank_line_are_their_own_paragraphs():
    text = clean("Steps to follow\n\n1. Install the package\n\n2. Run the service\n\n- a bullet\n\n- another one\n").text
    assert text.split("\n\n") == ["Steps to follow", "1. Install the package", "2. Run the service", "- a bullet", "- another one"]
    assert clean("The budget rose in\n\n2020 to $1.7 billion.").text == "The budget rose in 2020 to $1.7 billion."  # a wrap stays joined
