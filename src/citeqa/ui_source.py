"""The app's source viewer: pick a hit, see it inside its document (highlighted, with context).

A hit is named by its document and span (`DOC_ID:START-END`, as `citeqa show` takes it), so
the viewer needs no per-session state; Chinese words carry English glosses from the index's
bilingual lexicon on hover.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from .models import SearchResult
from .viewer import viewer_html


def source_picker(result: SearchResult | None) -> Any:
    """The dropdown of the answer's hits (empty when there is no answer)."""
    if result is None or not result.hits:
        return gr.Dropdown(choices=[], value=None)
    choices = [(f"#{h.rank} · {h.chunk.lang} · {h.title}" + "".join(f" · {s}" for s in h.chunk.section[-1:]), f"{h.chunk.doc_id}:{h.chunk.start}-{h.chunk.end}")
               for h in result.hits]
    return gr.Dropdown(choices=choices, value=None)


def source_view(searcher: Any, target: str | None) -> str:
    """The viewer HTML for `DOC_ID:START-END`."""
    if not target:
        return ""
    doc_id, _, span = target.rpartition(":")
    start, _, end = span.partition("-")
    doc = searcher.data.documents.get(doc_id)
    of_document = getattr(searcher.chunks, "of_document", None)  # parse only this document's passages
    mine = of_document(doc_id) if of_document else searcher.chunks
    chunk = next((c for c in mine if c.doc_id == doc_id and c.start == int(start) and c.end == int(end)), None)
    if doc is None or chunk is None:
        return '<div class="cq-meta">That passage is no longer in the index (it was rebuilt); ask again.</div>'
    glosses = {p.zh: p.en for p in searcher.lexicon.pairs if len(p.zh) >= 2}  # single characters gloss poorly
    return viewer_html(doc, chunk, glosses=glosses, page_image=True)
