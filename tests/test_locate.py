"""Source locators round-trip into the user's own file for every passage of every test corpus."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from citeqa.chunk import chunk_document
from citeqa.clean import squash
from citeqa.corpus import DocumentEntry
from citeqa.ingest import load_document, read_raw
from citeqa.locate import _body, located_text, source_locator

HTML = Path(__file__).parent / "fixtures" / "html"


def _entry(path: Path, **kw) -> DocumentEntry:
    return DocumentEntry(doc_id=path.stem, path=path, title=path.stem.replace("_", " ").replace("-", " "), **kw)


def _round_trip(entry: DocumentEntry):
    """(document, chunks, locators) after asserting each locator gives back its passage."""
    doc, removed = load_document(entry)
    pages = read_raw(entry.path).pages
    chunks = chunk_document(doc)
    locators = [source_locator(c, doc) for c in chunks]
    failed = [c.text[:40] for c, loc in zip(chunks, locators) if squash(located_text(loc, pages)) != squash(_body(c))]
    assert chunks and not failed, failed
    return doc, chunks, locators, removed


def make_report_pdf(path: Path, bookmarks: bool = True) -> Path:
    """A 3-page English report: running head, `· Page N` footer, bookmarks, sentences cut by page breaks."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    sections = {
        "1 Introduction": "The agency coordinates research funding across nine councils. It was created in 2018 to bring the "
        "councils together and to fund work that crosses disciplines. This report describes how budgets are planned, how "
        "programmes are evaluated and how the councils share facilities. Each council keeps its own peer review, but strategic "
        "priorities are set jointly by the board, which meets four times a year and publishes its minutes.",
        "2 Budget planning": "Budgets are planned over a three-year cycle. In the first year the councils submit proposals, in "
        "the second the board compares them against the strategy, and in the third the allocations are confirmed and published. "
        "Around nine billion pounds are allocated every year, of which a fifth goes to shared infrastructure and the rest to "
        "the councils. Programmes that cross councils are funded from a separate strategic fund so that no single council "
        "carries their cost.",
        "3 Evaluation": "Every programme is evaluated halfway through and at its end. The evaluation looks at outputs, at the "
        "quality of the research and at how well the councils cooperated. Results feed into the next budget cycle: programmes "
        "that met their goals can be extended, while those that did not are closed or redesigned. Independent experts sit on "
        "every evaluation panel, and their reports are published in full on the agency's website within three months.",
    }
    lines = []
    for head, body in sections.items():
        lines += [("H", head)] + [("B", ln) for ln in textwrap.wrap(body, 70)]
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle("Annual Report on Research Coordination")
    for page, i in enumerate(range(0, len(lines), 9), start=1):
        c.setFont("Helvetica", 9)
        c.drawString(50, 810, "Annual Report on Research Coordination 2023")
        y = 770
        for kind, text in lines[i : i + 9]:
            if kind == "H" and bookmarks:
                c.bookmarkPage(f"p{page}y{y}")
                c.addOutlineEntry(text, f"p{page}y{y}", level=0)
            c.setFont("Helvetica-Bold" if kind == "H" else "Helvetica", 14 if kind == "H" else 11)
            c.drawString(50, y, text)
            y -= 20
        c.setFont("Helvetica", 9)
        c.drawString(50, 30, f"Example Agency \u00b7 Page {page}")
        c.showPage()
    c.save()
    return path


def test_article_passages_locate_in_the_corpus_file():
    from citeqa.corpus import load_corpus
    from conftest import CORPUS

    entry = next(e for e in load_corpus(CORPUS).entries if e.kind == "article")
    doc, chunks, locators, _ = _round_trip(entry)
    assert doc.source_format == "text" and len(chunks) > 40 and any(c.kind == "table" for c in chunks)
    raw = read_raw(entry.path).pages[0]
    # body passages are plain slices of the file: no gap, same text once whitespace is ignored
    plain = [(c, loc) for c, loc in zip(chunks, locators) if c.kind != "table" and not loc["parts"][0]["gaps"]]
    assert len(plain) >= 0.9 * len([c for c in chunks if c.kind != "table"])
    for c, loc in plain:
        assert squash(raw[loc["start"] : loc["end"]]) == squash(c.text)


def test_text_and_markdown_sources(tmp_path):
    md = tmp_path / "guide.md"
    md.write_bytes(
        "# Setup guide\r\n\r\nInstall the tool and check its version before you start.\r\n\r\n## Configure\r\n\r\n"
        "Edit the settings file, then reload:\r\n\r\n```sh\r\n# reload the service\r\nsudo systemctl reload tool\r\n```\r\n\r\n"
        "The service picks up the new settings within a minute.\r\n".encode("utf-8")
    )
    txt = tmp_path / "plan.txt"
    txt.write_text(
        "Strategy Overview\n=================\n\nThe board sets priorities for five years and\nreviews them every three years.\n\n"
        "== Funding ==\n\nCouncils receive their budgets in April, after the\nboard has compared all proposals.\n\n"
        "1.2 Evaluation of programmes\n\nEach programme is evaluated halfway through\nand at its end by independent experts.\n",
        encoding="utf-8",
    )
    gbk = tmp_path / "zh.txt"
    gbk.write_bytes(
        "1　总体要求\n\n科技部统筹协调各部门的科研经费，\n避免重复资助。\n\n2　主要措施\n\n建立联席会议制度，每季度召开一次会议。\n\n"
        "一、组织保障\n\n各部门明确一名联络员，负责日常沟通。\n\n（一）经费保障\n\n联席会议的工作经费列入部门预算。\n".encode("gb18030")
    )
    sections = {}
    for path in (md, txt, gbk):
        doc, chunks, locators, _ = _round_trip(_entry(path))
        raw = read_raw(path).pages[0]
        for c, loc in zip(chunks, locators):
            assert not loc["parts"][0]["gaps"] and squash(raw[loc["start"] : loc["end"]]) == squash(c.text)
            sections[c.text[:12]] = c.section
    assert sections["Install the "] == ("Setup guide",)
    assert all("reload the service" not in " ".join(s) for s in sections.values())  # a shell comment is no heading
    assert sections["The board se"] == ("Strategy Overview",)
    assert sections["Councils rec"] == ("Strategy Overview", "Funding")  # `==` is a second-level heading
    assert sections["Each program"][-1] == "1.2 Evaluation of programmes"
    assert sections["建立联席会议制度，每季度"] == ("2 主要措施",)
    assert sections["各部门明确一名联络员，负"] == ("2 主要措施", "一、组织保障")
    assert sections["联席会议的工作经费列入部"] == ("2 主要措施", "一、组织保障", "（一）经费保障")


@pytest.mark.parametrize("page", sorted(p.name for p in HTML.glob("*.html")))
def test_html_passages_locate_with_a_text_fragment(page):
    doc, chunks, locators, _ = _round_trip(_entry(HTML / page))
    assert doc.source_format == "html"
    for loc in locators:
        assert loc["link"].startswith("file://") and "#:~:text=" in loc["link"]


def test_pdf_with_running_footers(tmp_path):
    pdf = make_report_pdf(tmp_path / "report.pdf")
    doc, chunks, locators, removed = _round_trip(_entry(pdf))
    assert doc.title == "Annual Report on Research Coordination"  # from the PDF metadata
    assert "Page 1" not in doc.text and "Coordination 2023" not in doc.text
    assert sum(why.startswith("running head or footer") for why, _ in removed) == 6
    assert {c.section for c in chunks} == {("1 Introduction",), ("2 Budget planning",), ("3 Evaluation",)}
    for c in chunks:
        assert not c.text[:1].islower(), c.text[:40]  # no passage starts mid-sentence at a page break
    assert {loc["page"] for loc in locators} >= {1, 2, 3}
    assert any(loc["end_page"] for loc in locators)  # a sentence cut by a page break stays in one passage
    assert all(loc["link"].endswith(f"#page={loc['page']}") for loc in locators)


def test_english_paragraph_in_a_chinese_source_is_not_the_article_abstract(tmp_path):
    src = tmp_path / "manual.txt"
    src.write_text(
        "数据备份工具的配置文件位于系统目录中，修改后需要重新加载服务才能生效。\n\n"
        "Run the reload command after editing the file so that the service reads it again.\n\n"
        "备份失败时，先查看日志文件中的最后一条错误信息。\n",
        encoding="utf-8",
    )
    doc, _ = load_document(_entry(src))
    assert all("English title and abstract" not in c.section for c in chunk_document(doc))


def test_pdf_without_bookmarks_takes_headings_from_font_size(tmp_path):
    pdf = make_report_pdf(tmp_path / "plain.pdf", bookmarks=False)
    doc, chunks, _, _ = _round_trip(_entry(pdf))
    assert {c.section for c in chunks} == {("1 Introduction",), ("2 Budget planning",), ("3 Evaluation",)}


def test_locators_and_show_survive_the_index(tmp_path):
    """Documents and passages read back from a built index locate exactly as freshly read ones."""
    import shutil

    from citeqa.build import build_index
    from citeqa.show import show_passage
    from citeqa.store import load_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_report_pdf(corpus / "report.pdf")
    shutil.copy(HTML / "gov.html", corpus / "gov.html")
    build_index(corpus, tmp_path / "index", progress=False)
    data = load_index(tmp_path / "index")
    for doc_id in ("report", "gov"):
        fresh, _ = load_document(_entry(corpus / f"{doc_id}{'.pdf' if doc_id == 'report' else '.html'}"))
        stored = data.documents[doc_id]
        chunks = [c for c in data.chunks if c.doc_id == doc_id]
        assert chunks and [source_locator(c, stored) for c in chunks] == [source_locator(c, fresh) for c in chunks]
    c = next(c for c in data.chunks if c.doc_id == "report" and c.page == 2)
    out = show_passage(tmp_path / "index", "report", c.start, c.end)
    assert f">>> {c.text} <<<" in out and "page 2" in out and "of the page 2 text" in out
