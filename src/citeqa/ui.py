"""The citeqa web app (Gradio): ask, check a claim, browse Table 1, list what is indexed.

Every view is a thin layer over `Searcher.search` and `present`, so the app, the CLI and eval
rank and cite passages identically. Views return HTML strings built here with every piece of
passage or user text passed through `html.escape`; nothing is fetched from outside the server.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # must precede the gradio import: no telemetry calls

import atexit
import logging
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

import gradio as gr

from .appguard import LiveSearcher, safety_options, slow_auth
from .check import check_claim, check_claim_against
from .claim_report import check_many, claim_html, draft_sentences
from .filtercheck import FilterError, check_filters, facet_values
from .present import export_meta, to_csv, to_markdown
from .remote import announce
from .search import MAX_QUERY_CHARS, QueryError, Searcher
from .ui_source import source_picker, source_view
from .ui_views import cell_html, cell_preview, documents_html, error_html, esc, passage_html, result_html, table_matrix  # noqa: F401  (esc, passage_html: the views' API, used by tests)

MAX_DRAFT_CLAIMS = 30  # sentences of a pasted draft checked per request (the CLI's --file takes any number)

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_K = 50  # same bound as `citeqa ask -k`

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
                f = check_filters(s.chunks, mechanism, measure, lang, doc)
            except FilterError as exc:
                raise QueryError(str(exc)) from exc
            return s.search(question or "", k=clamp(k), filters=f).to_dict()

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
                f = check_filters(s.chunks, mechanism, measure, language, doc_id)
            except FilterError as exc:
                raise QueryError(str(exc)) from exc
            result = s.search(question or "", k=clamp(k), filters=f)
            page = result_html(s, result, (time.perf_counter() - started) * 1000)
            folder = Path(tempfile.mkdtemp(dir=export_dir))  # one folder per answer: concurrent users never collide
            md, csv = folder / "citeqa-result.md", folder / "citeqa-result.csv"
            meta = export_meta(result, f.pushed(), index=str(s.data.path), when=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
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
