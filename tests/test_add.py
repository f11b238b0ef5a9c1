"""`citeqa add`: a file or a URL (served on loopback) joins the corpus, the manifest and the index."""

from __future__ import annotations

import http.server
import shutil
import threading
import tomllib
from functools import partial

import pytest
from typer.testing import CliRunner

from citeqa.cli import app
from citeqa.search import Filters, Searcher
from conftest import make_pdf

PAGE = """<html><head><title>Nanoelectronics for 2020 and Beyond</title><script>track()</script></head>
<body><nav>Home | Contact</nav><article><h1>Nanoelectronics for 2020 and Beyond</h1>
<p>The Nanoelectronics Signature Initiative brings federal agencies together with the semiconductor industry.</p>
<p>Two public-private partnerships, the Nanoelectronics Research Initiative and the STARnet program, fund university research on new switches.</p>
</article></body></html>"""


@pytest.fixture()
def site(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "nsi.html").write_text(PAGE, encoding="utf-8")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture()
def workspace(tmp_path, built_index):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree("corpus", corpus)
    shutil.copytree(built_index, index)
    return corpus, index


def test_add_url_links_reference_and_indexes_only_the_new_source(site, workspace):
    corpus, index = workspace
    result = CliRunner().invoke(app, ["add", f"{site}/nsi.html", "--cites", "29", "--allow-private", "--corpus", str(corpus), "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert "reused" in result.output
    saved = list((corpus / "sources").glob("*.html"))
    assert len(saved) == 1
    entry = next(d for d in tomllib.loads((corpus / "manifest.toml").read_text(encoding="utf-8"))["documents"] if d["path"].startswith("sources/"))
    assert entry["cites"] == [29] and entry["url"].endswith("/nsi.html")
    s = Searcher.load(index)
    assert s.bibliography[29].source_doc == entry["id"]
    assert "National nanotechnology initiative signature initiative" in s.bibliography[29].text  # the article's entry is kept
    hit = s.search("How do the public-private partnerships support university research?", k=1, filters=Filters(doc_id=entry["id"])).hits[0]
    assert "STARnet" in hit.text and "track()" not in hit.text
    # the article's passage citing [29] now resolves to a linked source
    cited = next(h for h in s.search("纳米电子学签名计划 公私合作研究 高校研究", k=10).hits if 29 in h.chunk.citations)
    assert next(c for c in cited.citations if c.n == 29).source_doc == entry["id"]


def test_add_pdf_keeps_pages(workspace, tmp_path):
    corpus, index = workspace
    pdf = make_pdf(tmp_path / "roadmap.pdf", ["欧洲研究基础设施路线图第一页。", "第二页：路线图每隔数年更新一次，列出项目和地标。"])
    result = CliRunner().invoke(app, ["add", str(pdf), "--corpus", str(corpus), "--index", str(index)])
    assert result.exit_code == 0, result.output
    hit = Searcher.load(index).search("路线图更新 项目和地标", k=1, filters=Filters(doc_id="roadmap")).hits[0]
    assert hit.chunk.page == 2


def test_add_refuses_bad_sources_clearly(workspace, tmp_path, site):
    corpus, index = workspace
    runner = CliRunner()
    (tmp_path / "x.docx").write_bytes(b"PK\x03\x04")
    bad_type = runner.invoke(app, ["add", str(tmp_path / "x.docx"), "--corpus", str(corpus), "--index", str(index)])
    assert bad_type.exit_code != 0 and "unsupported file type" in bad_type.output
    missing = runner.invoke(app, ["add", f"{site}/nope.html", "--allow-private", "--corpus", str(corpus), "--index", str(index)])
    assert missing.exit_code != 0 and "could not fetch" in missing.output


def test_a_source_resolves_a_reference_the_bibliography_lost_and_lists_who_cites_it(site, workspace):
    """[11] is not in the article's surviving bibliography: the source added for it resolves it both ways."""
    from pathlib import Path

    from citeqa import ui

    corpus, index = workspace
    result = CliRunner().invoke(app, ["add", f"{site}/nsi.html", "--cites", "11", "--allow-private", "--corpus", str(corpus), "--index", str(index)])
    assert result.exit_code == 0, result.output
    s = Searcher.load(index)
    assert 11 not in s.bibliography or s.bibliography[11].source_doc
    citing = next(c for c in s.chunks if 11 in c.citations)
    resolved = s.cite(11)
    assert resolved.source_doc and resolved.reference and resolved.source_doc != citing.doc_id
    page = ui.documents_html(s, Path(corpus))
    assert "backs [11]" in page and f"chars {citing.start}–{citing.end}" in page
