"""The citeqa web app (Gradio): ask, check a claim, browse Table 1, list what is indexed.

Every view is a thin layer over `Searcher.search` and `present`, so the app, the CLI and eval
rank and cite passages identically. Views return HTML strings built here with every piece of
passage or user text passed through `html.escape`; nothing is fetched from outside the server.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # must precede the gradio import: no telemetry calls

import atexit
import html
import logging
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

import gradio as gr
import numpy as np

from .check import check_claim, check_claim_against
from .claim_report import check_many, claim_html, draft_sentences

MAX_DRAFT_CLAIMS = 30  # sentences of a pasted draft checked per request (the CLI's --file takes any number)
from .ui_source import source_picker, source_view
from .models import Chunk, Hit, SearchResult
from .present import NO_SUPPORT, citation_line, export_meta, references_lines, to_csv, to_markdown
from .search import MAX_QUERY_CHARS, Filters, QueryError, Searcher
from .appguard import LiveSearcher, safety_options, slow_auth
from .remote import announce
from .filtercheck import FilterError, FilterValues, check_filters, facet_values
from .verify import Verdict

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_K = 50  # same bound as `citeqa ask -k`
BROWSE_CELL_CHARS = 48  # matrix cells show a preview; the click shows the whole passage
BROWSE_BODY_CANDIDATES = 40  # passages searched for a cell's body passages (table cells among them are skipped)

# System fonts only: the default theme would pull web fonts, and the app must work offline.
THEME = gr.themes.Default(font=["system-ui", "Noto Sans CJK SC", "sans-serif"], font_mono=["monospace"])
CSS = """
.cq-hit {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 14px; margin: 10px 0;}
.cq-head {display: flex; flex-wrap: wrap; gap: 8px; align-items: center; font-size: .85em; color: var(--body-text-color-subdued);}
.cq-text {white-space: pre-wrap; line-height: 1.7; margin: 6px 0;}
.cq-text mark {background: #fde68a; color: #111; padding: 0 2px; border-radius: 2px;}
.cq-cite {font-size: .85em; color: var(--body-text-color-subdued); margin: 4px 0;}
.cq-refs {font-size: .85em; margin: 4px 0 0 0; padding-left: 1.2em;}
.cq-tag {border: 1px solid var(--border-color-primary); border-radius: 4px; padding: 0 5px;}
.cq-copy {margin-left: auto; font-size: .85em; padding: 1px 8px; border-radius: 4px; cursor: pointer;
          border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);}
.cq-badge {font-weight: 600; border-radius: 4px; padding: 1px 8px; color: #111;}
.cq-supports {background: #bbf7d0;} .cq-conflicts {background: #fecaca;} .cq-unclear {background: #e5e7eb;}
.cq-notice {background: #fef9c3; color: #111; border-radius: 6px; padding: 6px 10px; margin: 6px 0;}
.cq-nosupport {background: #ffedd5; color: #111; border-radius: 6px; padding: 8px 12px; font-weight: 600;}
.cq-error {background: #fee2e2; color: #7f1d1d; border-radius: 6px; padding: 8px 12px;}
.cq-meta, .cq-footer {font-size: .85em; color: var(--body-text-color-subdued); margin: 6px 0;}
.cq-docs td, .cq-docs th {padding: 4px 10px; text-align: left; vertical-align: top;}
.cq-scroll {overflow-x: auto; max-width: 100%;}
#documents, #cell {overflow-x: auto; max-width: 100%;}
@media (max-width: 640px) {  /* phones: every tab fits in the tab bar (no hidden "more" menu) */
  .tab-container button {padding: 4px 7px !important; font-size: 13px !important; min-width: 0 !important;}
  .tab-container {gap: 0 !important;}
}
"""
STYLE: dict[str, Any] = {"theme": THEME, "css": CSS}  # gradio 6 takes these in launch(), not Blocks()
# Copy buttons: one delegated listener on the results component (gr.HTML runs this on load).
# After an answer or a Browse cell arrives: bring it on screen when it landed below the fold (phones).
SCROLL_JS = """() => setTimeout(() => {
  const el = document.querySelector('%s');
  if (!el) return;
  const top = el.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight * 0.5) el.scrollIntoView({block: 'start'});
}, 60)"""
SCROLL_ANSWER = SCROLL_JS % "#answer .cq-nosupport, #answer .cq-hit, #answer .cq-error"
SCROLL_CELL = SCROLL_JS % "#cell h3, #cell .cq-meta"
COPY_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('.cq-copy');
  if (!b) return;
  const done = () => { b.textContent = 'copied'; setTimeout(() => { b.textContent = 'copy citation'; }, 1500); };
  if (navigator.clipboard) navigator.clipboard.writeText(b.dataset.copy).then(done, () => { b.textContent = 'copy failed'; });
  else { b.textContent = 'copy needs https or localhost'; }
});
"""


def guarded(what: str, work: Callable[[], T], on_error: Callable[[str], T]) -> T:
    """Run one request; bad input gets the QueryError's advice, anything else a short line (never a traceback)."""
    try:
        return work()
    except QueryError as exc:
        return on_error(str(exc))
    except Exception as exc:
        log.exception("%s failed", what)
        return on_error(f"Something went wrong during the {what} ({exc.__class__.__name__}); the server log has details.")


def clamp(k: Any) -> int:
    return max(1, min(int(k), MAX_K))


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def error_html(message: str) -> str:
    return f'<div class="cq-error">{esc(message)}</div>'


def notices_html(notices: list[str]) -> str:
    return "".join(f'<div class="cq-notice">note: {esc(n)}</div>' for n in notices)


def _link(url: str | None) -> str:
    return f' <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>' if url and url.startswith(("http://", "https://")) else ""


def _chunk_tags(c: Chunk) -> str:
    return "".join(f'<span class="cq-tag">{esc(t)}</span>' for t in (c.lang, c.kind, c.mechanism, c.measure) if t)


def passage_html(hit: Hit, followed: dict[str, Hit | None] | None = None, badge: str = "", reasons: list[str] | None = None,
                 reference: str = "") -> str:
    """One cited passage: best sentence marked, citation line, references (+ followed sources), copy button.

    `reference` is the document's formatted reference (GB/T 7714 or APA); "copy citation" carries it.
    """
    a, b = hit.highlight
    text = esc(hit.text[:a]) + "<mark>" + esc(hit.text[a:b]) + "</mark>" + esc(hit.text[b:])
    cite = citation_line(hit)
    copy = f"“{hit.text[a:b].strip()}” — {reference + ' ' if reference else ''}({cite})"
    refs = []
    for c, line in zip(hit.citations, references_lines(hit)):
        item = esc(line) + _link(c.url)
        source = (followed or {}).get(c.source_doc or "")
        if source is not None:
            item += (f"<details><summary>follow citation → {esc(source.title)}</summary>"
                     f"{passage_html(source)}</details>")
        refs.append(f"<li>{item}</li>")
    why = "".join(f"<li>{esc(r)}</li>" for r in reasons or [])
    return (
        f'<article class="cq-hit"><div class="cq-head">{badge}<b>#{hit.rank}</b><span>score {hit.score:.3f}</span>{_chunk_tags(hit.chunk)}'
        f'<button class="cq-copy" type="button" data-copy="{esc(copy)}">copy citation</button></div>'
        + (f'<ul class="cq-refs">{why}</ul>' if why else "")
        + f'<div class="cq-text">{text}</div><div class="cq-cite">{esc(cite)}</div>'
        + (f'<ul class="cq-refs">{"".join(refs)}</ul>' if refs else "")
        + "</article>"
    )


def document_reference(searcher: Searcher, doc_id: str) -> str:
    """The document as a reference: GB/T 7714 for a Chinese document, APA otherwise ("" when unknown)."""
    from .reference import format_reference

    doc = searcher.data.documents.get(doc_id)
    if doc is None:
        return ""
    try:
        return format_reference(doc, "gbt7714" if doc.lang == "zh" else "apa")
    except Exception:  # a citation is a convenience: the passage is still shown
        return ""


def follow_citations(searcher: Searcher, result: SearchResult) -> dict[str, Hit | None]:
    """For each cited reference linked to an indexed source, that source's best passage for this question."""
    followed: dict[str, Hit | None] = {}
    for doc_id in {c.source_doc for h in result.hits for c in h.citations if c.source_doc}:
        hits = searcher.search(result.query, k=1, filters=Filters(doc_id=doc_id)).hits
        followed[doc_id] = hits[0] if hits else None
    return followed


def result_html(searcher: Searcher, result: SearchResult, elapsed_ms: float | None = None) -> str:
    """The whole answer: notices, the plain no-support line when abstaining, ranked passages, latency."""
    parts = [notices_html(result.notices)]
    parts.append(f'<div class="cq-meta">question: <b>{esc(result.query)}</b> · read as {esc(result.lang)}'
                 + (f" · searched as: {esc(result.understood['translation'])}" if result.understood.get("translation") else "") + "</div>")
    support = result.understood.get("support", "none" if result.abstained else "")
    if result.abstained:
        missing = result.understood.get("not_in_corpus") or []
        why = f" The documents never mention {', '.join(missing)}." if missing else ""
        parts.append(f'<div class="cq-nosupport">{esc(NO_SUPPORT + why)}</div>')
    elif support:
        parts.append(f'<div class="cq-support cq-{esc(support)}"><b>{esc(support)} support</b> — how well the best passage matches the question</div>')
    followed = follow_citations(searcher, result)
    parts += [passage_html(h, followed, reference=document_reference(searcher, h.chunk.doc_id)) for h in result.hits]
    page = f" · page {elapsed_ms:.0f} ms" if elapsed_ms is not None else ""
    parts.append(f'<div class="cq-footer">{len(result.hits)} passages · search {result.latency_ms:.0f} ms{page} · confidence {result.confidence:.2f}</div>')
    return "".join(parts)


def check_html(result: SearchResult, verdicts: list[Verdict]) -> str:
    """Passages for a claim, each with its verdict badge and the pairings behind it."""
    parts = [notices_html(result.notices), f'<div class="cq-meta">claim: <b>{esc(result.query)}</b></div>']
    for hit, v in zip(result.hits, verdicts):
        badge = f'<span class="cq-badge cq-{esc(v.verdict)}">{esc(v.verdict)}</span>'
        parts.append(passage_html(hit, badge=badge, reasons=v.reasons))
    return "".join(parts)


# ---- Browse: Table 1 as a mechanisms × measures matrix ----------------------------------------

def table_matrix(searcher: Searcher) -> tuple[list[str], list[str], dict[tuple[str, str], Chunk]]:
    """Rows, columns and cells of the table, read from cell labels "表1 · row · column" (first table wins a clash)."""
    rows: list[str] = []
    cols: list[str] = []
    cells: dict[tuple[str, str], Chunk] = {}
    for c in _passages_of_kind(searcher.chunks, "table"):
        parts = c.label.split(" · ")
        if c.kind != "table" or len(parts) != 3:
            continue
        row, col = parts[1], parts[2]
        rows += [row] if row not in rows else []
        cols += [col] if col not in cols else []
        cells.setdefault((row, col), c)
    return rows, cols, cells


def _passages_of_kind(chunks: Any, kind: str) -> Any:
    """Passages of one kind, from the saved code column when there is one (not by parsing every passage)."""
    col = getattr(chunks, "columns", {}).get("kind") if isinstance(getattr(chunks, "columns", None), dict) else None
    if col is None:
        return (c for c in chunks if c.kind == kind)
    code = col.code(kind)
    return (chunks[int(i)] for i in np.flatnonzero(col.codes == code)) if code >= 0 else iter(())


def cell_preview(c: Chunk) -> str:
    """The cell's own words (its label stripped), cut to fit the matrix."""
    text = c.text.removeprefix(c.label).lstrip("：: ")
    return text if len(text) <= BROWSE_CELL_CHARS else text[: BROWSE_CELL_CHARS - 1] + "…"


def cell_html(searcher: Searcher, cell: Chunk) -> str:
    """The cell's own passage, then body passages on the same mechanism (and measure, when any match)."""
    own = Hit(chunk=cell, score=1.0, title=searcher.titles.get(cell.doc_id, cell.doc_id), highlight=(0, len(cell.text)),
              citations=[searcher.cite(n) for n in cell.citations], rank=1)
    body: list[Hit] = []
    for measure in (cell.measure or None, None):
        result = searcher.search(cell.text, k=BROWSE_BODY_CANDIDATES, filters=Filters(mechanism=cell.mechanism or None, measure=measure))
        body = [h for h in result.hits if h.chunk.kind != "table"][:3]
        if body:
            break
    for rank, h in enumerate(body, start=1):
        h.rank = rank
    return (f'<h3>{esc(cell.label)}</h3>{passage_html(own)}<h4>Passages that elaborate it</h4>'
            + ("".join(passage_html(h) for h in body) or '<div class="cq-meta">no body passage found</div>'))


# ---- Documents ---------------------------------------------------------------------------------

def documents_html(searcher: Searcher, corpus_dir: Path) -> str:
    """What is indexed and how, and which references can be followed to a source document."""
    data = searcher.data
    counts: dict[str, int] = {}
    citing: dict[int, list[Chunk]] = {}  # [n] -> the passages that cite it
    for c in searcher.chunks:
        counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        for n in c.citations:
            citing.setdefault(n, []).append(c)

    def backs(d: Any) -> str:
        """The references a source backs, each with the passages that cite it."""
        ns = list(getattr(d, "cites", None) or [])
        ns += [n for n, r in sorted(searcher.bibliography.items()) if r.source_doc == d.doc_id and n not in ns]
        items = "".join(
            f"<li>[{n}] cited by: " + ("; ".join(f"“{esc(c.text[:60])}…” ({esc(searcher.titles.get(c.doc_id, c.doc_id))}, chars {c.start}–{c.end})"
                                                for c in citing.get(n, [])[:5]) or "no indexed passage") + "</li>"
            for n in ns)
        return f"<details><summary>backs {esc(', '.join(f'[{n}]' for n in ns))}</summary><ul>{items}</ul></details>" if ns else ""

    rows = "".join(
        f"<tr><td>{esc(d.title)}<br><small>{esc(d.title_en)}</small></td><td>{esc(d.doc_id)}</td><td>{esc(d.lang)}</td>"
        f"<td>{esc(d.kind)}</td><td>{counts.get(d.doc_id, 0)}</td><td>{backs(d)}</td></tr>"
        for d in data.documents.values()
    )
    m = data.manifest
    bib = "".join(
        f"<li>[{n}] {esc(r.text)}{_link(r.url)} — "
        + (f"<b>linked source:</b> {esc(searcher.titles.get(r.source_doc, r.source_doc))}" if r.source_doc else "<i>no linked source</i>")
        + "</li>"
        for n, r in sorted(searcher.bibliography.items())
    )
    sources = "".join(f"<li>{esc(s.get('label', ''))}: {esc(s.get('text', ''))}{_link(s.get('url'))}</li>" for s in data.extras.get("sources", []))
    return (
        f'<div class="cq-scroll"><table class="cq-docs"><tr><th>title</th><th>id</th><th>language</th><th>kind</th><th>passages</th><th>backs</th></tr>{rows}</table></div>'
        f'<div class="cq-meta">{len(searcher.chunks)} passages · encoder {esc(m.get("encoder"))} · store {esc(m.get("store"))} · '
        f'chunker {esc(m.get("chunker"))} · built {esc(m.get("built_at"))} · corpus {esc(corpus_dir)}</div>'
        f"<h3>Bibliography</h3><ul>{bib or '<li>none extracted</li>'}</ul>"
        + (f"<h3>Table sources</h3><ul>{sources}</ul>" if sources else "")
        + '<div class="cq-meta">Link a source to a reference with: citeqa add FILE --cites N</div>'
    )


# ---- the app -----------------------------------------------------------------------------------

def build_app(searcher: Searcher, corpus_dir: Path, export_dir: Path | None = None, index_dir: Path | None = None) -> gr.Blocks:
    """All four tabs plus the /ask and /check API endpoints over one loaded searcher.

    With `index_dir`, answers come from the index's live build: a rebuild that finishes while
    the app runs is used from the next request on (filter lists, Browse and Documents refresh
    on restart).
    """
    if export_dir is None:
        export_dir = Path(tempfile.mkdtemp(prefix="citeqa-export-"))
        atexit.register(shutil.rmtree, export_dir, ignore_errors=True)
    live = LiveSearcher(searcher, index_dir)
    facets = facet_values(searcher.chunks)  # from the saved code columns, not by parsing every passage

    def choices(values: set[str]) -> list[tuple[str, str]]:
        return [("any", "")] + [(v, v) for v in sorted(values - {""})]

    def ask_api(question: str, k: int = 5) -> dict[str, Any]:
        """Ranked cited passages for a question: the same JSON object as `citeqa ask --json`."""
        return ask_filtered_api(question, k)

    def ask_filtered_api(question: str, k: int = 5, mechanism: str = "", measure: str = "", lang: str = "", doc: str = "") -> dict[str, Any]:
        """/ask with filters (any case; an unknown value is an error listing the valid ones)."""
        def answer() -> dict[str, Any]:
            s = live.get()
            try:
                f = check_filters(s.chunks, FilterValues(mechanism or None, measure or None, lang or None, doc or None))
            except FilterError as exc:
                raise QueryError(str(exc)) from exc
            return s.search(question or "", k=clamp(k), filters=Filters(f.mechanism, f.measure, f.lang, f.doc)).to_dict()

        return guarded("search", answer, lambda msg: {"query": question, "error": msg, "abstained": True, "hits": []})

    def check_api(claim: str) -> dict[str, Any]:
        """Each passage found for a claim, with a verdict (supports / conflicts / unclear) and its reasons."""
        return guarded("check", lambda: check_claim_against(live.get(), claim or ""),
                       lambda msg: {"claim": claim, "error": msg, "passages": []})

    def ask_view(question: str, k: float, mechanism: str, measure: str, language: str, doc_id: str) -> tuple[str, Any, Any]:
        def answer() -> tuple[str, Any, Any]:
            started = time.perf_counter()
            s = live.get()
            try:
                f = check_filters(s.chunks, FilterValues(mechanism or None, measure or None, language or None, doc_id or None))
            except FilterError as exc:
                raise QueryError(str(exc)) from exc
            result = s.search(question or "", k=clamp(k), filters=Filters(f.mechanism, f.measure, f.lang, f.doc))
            page = result_html(s, result, (time.perf_counter() - started) * 1000)
            folder = Path(tempfile.mkdtemp(dir=export_dir))  # one folder per answer: concurrent users never collide
            md, csv = folder / "citeqa-result.md", folder / "citeqa-result.csv"
            meta = export_meta(result, f.as_dict(), index=str(s.data.path), when=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
            md.write_text(to_markdown(result, meta), encoding="utf-8")
            csv.write_text(to_csv(result, meta), encoding="utf-8-sig")  # BOM: spreadsheet apps then read the Chinese
            return page, gr.DownloadButton(value=str(md), interactive=True), gr.DownloadButton(value=str(csv), interactive=True), source_picker(result)

        no_file = gr.DownloadButton(value=None, interactive=False)
        return guarded("search", answer, lambda msg: (error_html(msg), no_file, no_file, source_picker(None)))

    def check_view(claim: str) -> str:
        if not (claim or "").strip():
            return error_html("The claim is empty: type a statement to check, e.g. “UKRI manages about 9 billion pounds a year.”")
        sentences = draft_sentences(claim or "")
        if len(sentences) > 1:  # a pasted draft: one verdict per sentence, at most MAX_DRAFT_CLAIMS
            return guarded("check", lambda: "".join(f"<section><h4>{i}.</h4>{claim_html(r)}</section>"
                                                    for i, r in enumerate(check_many(live.get(), sentences[:MAX_DRAFT_CLAIMS]), 1)), error_html)
        return guarded("check", lambda: claim_html(check_claim(live.get(), claim or "")), error_html)

    rows, cols, cells = table_matrix(searcher)
    mech_of = {col: c.mechanism for (_, col), c in cells.items() if c.mechanism}
    # English labels for English readers: a column's glossed name from the lexicon, a row's measure
    english: dict[str, str] = {}
    for p in searcher.lexicon.pairs:  # the full name rather than the acronym
        if getattr(p, "source", "") == "gloss" and len(p.en) > len(english.get(p.zh, "")):
            english[p.zh] = p.en
    measure_of = {row: c.measure for (row, _), c in sorted(cells.items(), key=lambda kv: not kv[1].measure) if c.measure}
    headers = [""] + [(f"{col} ({mech_of[col]})" if col in mech_of else col) + (f" · {english[col]}" if col in english else "") for col in cols]
    matrix = [[row + (f" ({measure_of[row].replace('_', ' ')})" if row in measure_of else "")]
              + [cell_preview(cells[(row, col)]) if (row, col) in cells else "" for col in cols] for row in rows]

    def browse_view(evt: gr.SelectData) -> str:
        r, c = evt.index
        cell = cells.get((rows[r], cols[c - 1])) if c > 0 else None
        return cell_html(searcher, cell) if cell else '<div class="cq-meta">Pick a cell (not a row name) to see its passage.</div>'

    with gr.Blocks(analytics_enabled=False, title="citeqa") as demo:
        gr.Markdown("## citeqa — cited answers from the indexed documents\nAsk in Chinese or English; every answer is an exact passage you can cite.")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                question = gr.Textbox(label="Question (中文 / English)", lines=2, max_lines=6, placeholder="e.g. How often is the NNI evaluated? / 日本综合科学技术创新会议有几名内阁成员？")
                with gr.Row(equal_height=True):
                    ask_btn = gr.Button("Ask", variant="primary", scale=1)
                    k = gr.Slider(1, 20, value=5, step=1, label="passages (k)", scale=2)
                with gr.Accordion("Filters", open=False), gr.Row():
                    mechanism = gr.Dropdown(choices(set(facets["mechanism"])), value="", label="mechanism", allow_custom_value=True)
                    measure = gr.Dropdown(choices(set(facets["measure"])), value="", label="measure", allow_custom_value=True)
                    lang = gr.Dropdown(choices(set(facets["lang"])), value="", label="language", allow_custom_value=True)
                    doc = gr.Dropdown([("any", "")] + [(d.title, d.doc_id) for d in searcher.data.documents.values()], value="", label="document", allow_custom_value=True)
                gr.Examples([["How many cabinet members and expert members sit on Japan's CSTI?"], ["国家研究委员会多久对纳米计划进行一次评估？"], ["How much research funding does UKRI manage each year?"]], inputs=[question])
                answer = gr.HTML(f'<div class="cq-meta">Questions may be up to {MAX_QUERY_CHARS} characters.</div>', js_on_load=COPY_JS, elem_id="answer")
                with gr.Row():
                    md_btn = gr.DownloadButton("Export Markdown", interactive=False, size="sm")
                    csv_btn = gr.DownloadButton("Export CSV", interactive=False, size="sm")
                pick = gr.Dropdown([], value=None, label="Show a passage in its source", elem_id="pick", interactive=True)
                viewer = gr.HTML(elem_id="viewer")
                pick.change(lambda target: guarded("show", lambda: source_view(live.get(), target), error_html), [pick], [viewer], api_visibility="private")
                ask_inputs = [question, k, mechanism, measure, lang, doc]
                for trigger in (ask_btn.click, question.submit):
                    trigger(ask_view, ask_inputs, [answer, md_btn, csv_btn, pick], api_visibility="private").then(None, js=SCROLL_ANSWER)
            with gr.Tab("Check a claim", id="check"):
                claim = gr.Textbox(label="Claim (中文 / English)", lines=3, info="One claim, or paste a paragraph of a draft: each sentence gets its own verdict.", placeholder="e.g. UKRI manages about 9 billion pounds of research funding a year.")
                check_btn = gr.Button("Check", variant="primary")
                gr.Examples([["UKRI manages about 9 billion pounds of research funding a year."], ["The National Research Council reviews the NNI every 5 years."], ["ESFRI's delegation has representatives from 28 countries"]], inputs=[claim])
                verdicts = gr.HTML('<div class="cq-meta">Numbers, dates, counts and who funds/chairs/leads are compared with the passages found for the claim.</div>', js_on_load=COPY_JS, elem_id="verdicts")
                for trigger in (check_btn.click, claim.submit):
                    trigger(check_view, [claim], [verdicts], api_visibility="private")
            with gr.Tab("Browse", id="browse"):
                gr.Markdown("Table cells of the indexed article: mechanisms (columns) × coordination measures (rows). Click a cell.")
                widths = ["10%"] + [f"{90 / max(1, len(cols)):.1f}%"] * len(cols)
                grid = gr.Dataframe(matrix, headers=headers, interactive=False, wrap=True, column_widths=widths, elem_id="matrix", max_height=720)
                cell_out = gr.HTML(elem_id="cell", js_on_load=COPY_JS)
                grid.select(browse_view, None, [cell_out], api_visibility="private").then(None, js=SCROLL_CELL)
            with gr.Tab("Documents", id="documents"):
                gr.HTML(documents_html(searcher, Path(corpus_dir)), elem_id="documents")
        gr.api(ask_api, api_name="ask")
        gr.api(ask_filtered_api, api_name="ask_filtered")
        gr.api(check_api, api_name="check")
    # Search is CPU-bound (encoder + BM25) and the target machine has 2 cores: more parallel
    # requests only slow each other down, so run 2 at a time and queue up to 64.
    demo.queue(default_concurrency_limit=2, max_size=64)
    return demo



def launch(index_dir: Path, corpus_dir: Path, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None,
           searcher: Searcher | None = None) -> None:
    """Serve the app until interrupted (never shared through gradio.live); exports are removed on exit or SIGTERM."""
    searcher = searcher or Searcher.load(index_dir)
    export_dir = Path(tempfile.mkdtemp(prefix="citeqa-export-"))
    atexit.register(shutil.rmtree, export_dir, ignore_errors=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(0)))  # exit through atexit
    demo = build_app(searcher, Path(corpus_dir), export_dir, index_dir=Path(index_dir))
    _, url, _ = demo.launch(server_name=host, server_port=port, auth=slow_auth(*auth) if auth else None, share=False, show_error=False,
                            quiet=True, allowed_paths=[str(export_dir)], prevent_thread_lock=True, **STYLE, **safety_options())
    announce(index_dir, url)  # `citeqa ask` on this index then asks this app instead of loading the index
    print(f"citeqa is running on {url}  (Ctrl+C to stop)", flush=True)
    demo.block_thread()
