"""The web app's API and views, against a real index and a real Gradio server on a loopback port."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
import urllib.error
import urllib.request

import pytest

from citeqa import ui
from conftest import CORPUS
from citeqa.check import check_claim_against, claim_aliases
from citeqa.models import Chunk, Citation, Hit, SearchResult
from citeqa.present import NO_SUPPORT
from citeqa.search import Filters

CSTI_QUESTION = "How many cabinet members and expert members sit on Japan's CSTI?"
BAD_INPUTS = ["", "   \n\t ", "?!。，……", "😀🚀", "\u200b\u200b"]
ODD_BUT_SEARCHABLE = ["x" * 10_000, "'; DROP TABLE x;--", "<script>alert(1)</script>"]


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False, download_files=False)


def fake_hit(text: str, citations: list[Citation] | None = None, rank: int = 1) -> Hit:
    chunk = Chunk(chunk_id="x", doc_id="st-coordination", text=text, start=10, end=10 + len(text), section=("<b>sec</b>",), page=2)
    return Hit(chunk=chunk, score=0.5, title="<i>title</i>", highlight=(0, len(text) // 2), citations=citations or [], rank=rank)


# ---- API ----------------------------------------------------------------------------------------

def test_ask_api_returns_the_cli_json_with_the_chinese_passage(client, searcher):
    got = client.predict(CSTI_QUESTION, 5, api_name="/ask")
    expected = searcher.search(CSTI_QUESTION, k=5).to_dict()
    assert got.keys() == expected.keys()
    assert [(h["doc_id"], h["start"], h["end"]) for h in got["hits"]] == [(h["doc_id"], h["start"], h["end"]) for h in expected["hits"]]
    assert any(h["lang"] == "zh" and "6名内阁成员" in h["text"] for h in got["hits"])
    assert not got["abstained"]


def test_check_api_finds_a_conflicting_passage(client):
    report = client.predict("ESFRI's delegation has representatives from 28 countries", api_name="/check")
    conflicting = [p for p in report["passages"] if p["verdict"] == "conflicts"]
    assert conflicting and any("36" in r for r in conflicting[0]["reasons"])


def test_check_api_finds_a_supporting_passage(client):
    report = client.predict("UKRI manages about 9 billion pounds of research funding a year.", api_name="/check")
    assert any(p["verdict"] == "supports" and "90" in p["text"] for p in report["passages"])


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_unsearchable_input_over_the_api_is_an_error_key(client, bad):
    ask = client.predict(bad, 5, api_name="/ask")
    assert ask["error"] and ask["hits"] == [] and ask["abstained"] is True
    check = client.predict(bad, api_name="/check")
    assert check["error"] and check["passages"] == []


@pytest.mark.parametrize("odd", ODD_BUT_SEARCHABLE)
def test_odd_but_searchable_input_over_the_api_is_answered(client, odd):
    ask = client.predict(odd, 3, api_name="/ask")
    assert "error" not in ask and len(ask["hits"]) == 3
    if len(odd) > 2000:
        assert any("truncated" in n for n in ask["notices"])


def test_out_of_range_k_is_clamped(client):
    assert len(client.predict(CSTI_QUESTION, 0, api_name="/ask")["hits"]) == 1
    assert len(client.predict(CSTI_QUESTION, 10_000, api_name="/ask")["hits"]) == ui.MAX_K


# ---- claim checking ----------------------------------------------------------------------------

def test_check_claim_against_shape_and_verdicts(searcher):
    report = check_claim_against(searcher, "The National Research Council reviews the NNI every 5 years.")
    assert {"claim", "lang", "passages"} <= report.keys() and report["lang"] == "en"
    p = report["passages"][0]
    assert {"text", "highlight", "citations", "verdict", "reasons"} <= p.keys()
    assert any(p["verdict"] == "conflicts" and any("3" in r for r in p["reasons"]) for p in report["passages"])


def test_aliases_group_acronym_english_and_chinese_names(searcher):
    aliases = claim_aliases(searcher)
    assert {"National Nanotechnology Initiative", "美国国家纳米技术计划", "纳米计划"} <= set(aliases["NNI"])
    assert "英国研究与创新署" in aliases["UKRI"]


# ---- rendering ----------------------------------------------------------------------------------

def test_passage_and_question_html_is_escaped(searcher):
    evil = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"
    result = SearchResult(query="<b>q</b>" + evil, lang="en", hits=[fake_hit(evil)], notices=["<u>note</u>"])
    page = ui.result_html(searcher, result)
    assert "<script>" not in page and "<img" not in page and "<b>q</b>" not in page and "<u>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x" in page
    assert "<mark>" in page and "&lt;i&gt;title&lt;/i&gt;" in page
    assert "<script>" not in ui.error_html(evil)


def test_result_html_shows_citation_refs_and_latency(searcher):
    result = searcher.search(CSTI_QUESTION, k=5)
    page = ui.result_html(searcher, result, 12.0)
    assert "<mark>" in page and "chars " in page and "copy citation" in page
    assert "search " in page and "page 12 ms" in page


def test_abstention_says_no_supporting_passage_above_the_closest(searcher):
    result = SearchResult(query="q", lang="en", hits=[fake_hit("closest passage")], abstained=True)
    page = ui.result_html(searcher, result)
    assert page.index("No supporting passage") < page.index("cq-hit") and "passage" in page
    assert ui.esc(NO_SUPPORT) in page


def test_reference_with_a_source_document_can_be_followed(searcher):
    cited = Citation(n=7, reference="A source <doc>", source_doc="st-coordination")
    result = SearchResult(query="日本综合科学技术创新会议", lang="zh", hits=[fake_hit("passage citing [7]", [cited])])
    page = ui.result_html(searcher, result)
    expected = searcher.search("日本综合科学技术创新会议", k=1, filters=Filters(doc_id="st-coordination")).hits[0]
    assert "follow citation" in page and "[7] A source &lt;doc&gt;" in page
    assert ui.esc(expected.text[expected.highlight[0]:expected.highlight[1]]) in page


def test_table_matrix_is_derived_from_cell_labels(searcher):
    rows, cols, cells = ui.table_matrix(searcher)
    assert len(rows) == 7 and len(cols) == 4 and len(cells) == 28
    assert rows[0] == "性质" and "美国国家纳米技术计划" in cols
    cell = cells[("通过评估统筹资源配置", "美国国家纳米技术计划")]
    page = ui.cell_html(searcher, cell)
    assert "每3～4年" in page and page.count('class="cq-hit"') >= 2  # the cell plus elaborating body passages


def test_documents_tab_lists_documents_encoder_and_bibliography(searcher):
    page = ui.documents_html(searcher, CORPUS)
    assert "主要国家和地区政府科技资源统筹协调机制及其对中国的启示" in page
    assert searcher.data.manifest["encoder"] in page and searcher.data.manifest["built_at"] in page
    assert "[30]" in page and "no linked source" in page


def test_documents_tab_reads_citing_passages_saved_by_the_build(searcher, monkeypatch):
    saved = searcher.data.extras["citing"]
    assert saved and all(int(n) in searcher.chunks[r].citations for n, rows in saved.items() for r in rows)
    page = ui.documents_html(searcher, CORPUS)
    monkeypatch.delitem(searcher.data.extras, "citing")  # an index built before the build saved it
    assert ui.documents_html(searcher, CORPUS) == page


def test_launch_binds_loopback_never_shares_and_serves_only_exports(monkeypatch, built_index):
    import gradio as gr

    seen = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: (seen.update(kw), (None, "http://127.0.0.1:1/", None))[1])
    monkeypatch.setattr(gr.Blocks, "block_thread", lambda self: None)
    ui.launch(built_index, CORPUS, auth=("u", "p"))
    assert seen["server_name"] == "127.0.0.1" and seen["server_port"] == 7860 and seen["share"] is False
    assert seen["show_error"] is False and seen["max_file_size"] and seen["app_kwargs"]["middleware"]
    assert asyncio.run(seen["auth"]("u", "p")) is True and asyncio.run(seen["auth"]("u", "wrong")) is False
    assert len(seen["allowed_paths"]) == 1 and "citeqa-export-" in seen["allowed_paths"][0]
    assert ui.os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"


# ---- limits, exports, filters, live index --------------------------------------------------------

@pytest.mark.parametrize("route", ["gradio_api/call/ask", "gradio_api/upload"])
def test_oversized_requests_are_refused_before_any_work(app_url, route):
    body = json.dumps({"data": ["x" * 200_000, 5]}).encode()
    request = urllib.request.Request(app_url + route, data=body, headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=30)
    assert err.value.code == 413 and "request body over" in json.loads(err.value.read())["error"]


def test_exports_neutralise_formulas_and_markup_and_record_the_question():
    from citeqa.present import export_meta, to_csv, to_markdown

    text = '=HYPERLINK("http://x","y") <script>alert(1)</script> [go](javascript:alert(2))'
    result = SearchResult(query="@SUM(1)", lang="en", hits=[fake_hit(text)])
    meta = export_meta(result, {"mechanism": "UKRI", "lang": None}, index="/idx/build-1", when="2026-01-01T00:00:00")
    rows = list(csv.reader(io.StringIO(to_csv(result, meta))))
    assert rows[1][rows[0].index("text")].startswith("'=") and rows[1][rows[0].index("question")] == "'@SUM(1)"
    assert rows[1][rows[0].index("filters")] == "mechanism=UKRI" and rows[1][rows[0].index("index")] == "/idx/build-1"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)
    md = to_markdown(result, meta)
    assert "<script>" not in md and "&lt;script&gt;" in md and "javascript:" not in md
    assert "filters: mechanism=UKRI" in md and "exported at: 2026-01-01T00:00:00" in md


def _views(searcher, tmp_path, index_dir=None):
    demo = ui.build_app(searcher, CORPUS, tmp_path, index_dir=index_dir)
    return {fn.name: fn.fn for fn in demo.fns.values()}


def test_unknown_filter_lists_the_valid_values_and_case_does_not_matter(searcher, tmp_path):
    view = _views(searcher, tmp_path)
    page, md, _, _ = view["ask_view"]("How much research funding?", 3, "NASA", "", "", "")
    assert "cq-error" in page and "NASA" in page and "UKRI" in page and "valid values" in page
    page, md, _, _ = view["ask_view"]("How much research funding does UKRI manage?", 3, "ukri", "", "", "")
    assert "cq-error" not in page and 'class="cq-hit"' in page
    exported = open(md.value["path"], encoding="utf-8").read()
    assert "mechanism=UKRI" in exported and "How much research funding does UKRI manage?" in exported


def test_an_empty_claim_is_called_a_claim(searcher, tmp_path):
    assert "claim is empty" in _views(searcher, tmp_path)["check_view"]("  ")


def test_answers_switch_to_a_new_build_on_the_next_request(searcher, built_index, tmp_path):
    from citeqa.appguard import LiveSearcher
    from citeqa.store import current_build, load_index, write_index

    index = tmp_path / "index"
    shutil.copytree(built_index, index)
    live = LiveSearcher(searcher, index)
    assert live.get() is searcher
    data = load_index(index)
    manifest = {k: v for k, v in data.manifest.items() if k != "files"}
    files = lambda folder: shutil.copytree(data.path / "search", folder / "search") if (data.path / "search").is_dir() else None  # noqa: E731
    write_index(index, manifest, data.vectors, data.chunks, list(data.documents.values()), data.extras, extra_files=files)
    fresh = live.get()
    assert fresh is not searcher and fresh.data.path == current_build(index)


def test_a_pasted_draft_gets_one_verdict_per_sentence(searcher, tmp_path):
    view = _views(searcher, tmp_path)
    page = view["check_view"]("UKRI manages about 9 billion pounds a year. The National Research Council reviews the NNI every 5 years.")
    assert page.count('class="cq-verdict"') == 2
    assert "SUPPORTED" in page and "CONTRADICTED" in page
