"""Turn search results into what people read: terminal output, Markdown, CSV, citation lines."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from .models import Chunk, Citation, Hit, SearchResult

NO_SUPPORT = "No supporting passage: nothing in the indexed documents answers this. (Closest passages are listed for reference.)"


def support_of(result: SearchResult) -> tuple[str, str]:
    """The answer's support level (none, weak, strong; "" when unknown) and, when none, why."""
    support = result.understood.get("support", "none" if result.abstained else "")
    missing = result.understood.get("not_in_corpus") or [] if result.abstained else []
    if missing:
        return "none", f"the documents never mention {', '.join(missing)}"
    if result.abstained and result.understood.get("off_topic"):
        return "none", "the closest passages share too few of the question's words (at most one, and not all)"
    return ("none" if result.abstained else support), ""


def citation_line(hit: Hit) -> str:
    """One-line citation: title · section · page · characters start–end."""
    c = hit.chunk
    parts = [hit.title]
    if c.section:
        parts.append(" > ".join(c.section))
    if c.page:
        parts.append(f"p. {c.page}")
    parts.append(f"chars {c.start}–{c.end}")
    return " · ".join(parts)


def references_lines(hit: Hit) -> list[str]:
    return [f"[{x.n}] {x.reference}" if x.reference else f"[{x.n}] (not in the extracted reference list)" for x in hit.citations]


def render_result(console: Console, result: SearchResult) -> None:
    for notice in result.notices:
        console.print(f"[yellow]note:[/] {escape(notice)}")
    support, why = support_of(result)
    if support == "none":
        console.print(f"[bold yellow]{NO_SUPPORT}[/] (confidence {result.confidence:.2f}{escape('; ' + why if why else '')})")
    elif support:
        colour = "green" if support == "strong" else "yellow"
        console.print(f"[bold {colour}]{support} support[/] [dim](confidence {result.confidence:.2f})[/]")
    for hit in result.hits:
        a, b = hit.highlight
        text = escape(hit.text[:a]) + "[bold reverse]" + escape(hit.text[a:b]) + "[/]" + escape(hit.text[b:])
        body = text + "\n\n[dim]" + escape(citation_line(hit)) + "[/]"
        refs = references_lines(hit)
        if refs:
            body += "\n[dim]" + escape("\n".join(refs)) + "[/]"
        source = getattr(hit, "source", None)
        if source:
            where = f"{source.get('path') or source.get('url')} [{source.get('start')}, {source.get('end')})"
            where += f" · page {source['page']}" if source.get("page") else ""
            body += "\n[dim]source: " + escape(where) + (f"\nopen: {escape(source['link'])}" if source.get("link") else "") + "[/]"
        console.print(Panel(body, title=f"#{hit.rank} · score {hit.score:.3f}", title_align="left"))
    console.print(f"[dim]{len(result.hits)} passages · {result.latency_ms:.0f} ms · question read as {result.lang}[/]")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SCRIPT_LINK = re.compile(r"(?i)\b(java|vb)script\s*:")


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run as a formula (OWASP: prefix with a quote)."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def safe_markdown(text: str) -> str:
    """Passage text for Markdown: raw HTML shown as text, script links made inert."""
    return _SCRIPT_LINK.sub(lambda m: m.group(0).replace(":", "&#58;"), html.escape(text, quote=False))


def export_meta(result: SearchResult, filters: dict[str, Any] | None = None, index: str = "", when: str = "") -> dict[str, str]:
    """What an export records besides the passages: question, filters, time, index."""
    used = {k: v for k, v in (filters or {}).items() if v}
    return {"question": result.query, "filters": ", ".join(f"{k}={v}" for k, v in used.items()) or "none", "exported_at": when, "index": index}


def result_from_dict(d: dict[str, Any]) -> SearchResult:
    """A SearchResult back from its JSON form (what `citeqa serve`'s /ask returns)."""
    hits = []
    for h in d.get("hits", []):
        chunk = Chunk(chunk_id=f"{h['doc_id']}:{h['start']}", doc_id=h["doc_id"], text=h["text"], start=h["start"], end=h["end"],
                      section=tuple(x for x in h.get("section", "").split(" > ") if x), page=h.get("page"), lang=h.get("lang", ""),
                      kind=h.get("kind", "body"), label=h.get("label", ""), mechanism=h.get("mechanism", ""), measure=h.get("measure", ""))
        cites = [Citation(n=c["n"], reference=c.get("reference"), url=c.get("url"), source_doc=c.get("source_doc")) for c in h.get("citations", [])]
        hits.append(Hit(chunk=chunk, score=h["score"], title=h["title"], highlight=tuple(h["highlight"]), citations=cites, rank=h.get("rank", 0)))
    return SearchResult(query=d["query"], lang=d.get("lang", ""), hits=hits, abstained=d.get("abstained", False), confidence=d.get("confidence", 0.0),
                        notices=d.get("notices", []), understood=d.get("understood", {}), latency_ms=d.get("latency_ms", 0.0))


def render_remote(console: Console, answer: dict[str, Any]) -> None:
    render_result(console, result_from_dict(answer))


def to_markdown(result: SearchResult, meta: dict[str, str] | None = None) -> str:
    lines = [f"# {safe_markdown(result.query)}", ""]
    if meta:
        lines += [f"- {k.replace('_', ' ')}: {safe_markdown(str(v))}" for k, v in meta.items() if k != "question"] + [""]
    if result.abstained:
        lines += [f"> {NO_SUPPORT}", ""]
    for hit in result.hits:
        a, b = hit.highlight
        quoted = (safe_markdown(hit.text[:a]) + "**" + safe_markdown(hit.text[a:b]) + "**" + safe_markdown(hit.text[b:])).replace("\n", " ")
        lines += [f"## {hit.rank}. {safe_markdown(citation_line(hit))}", "", f"> {quoted}", ""]
        lines += [f"- {safe_markdown(r)}" for r in references_lines(hit)]
        lines.append("")
    return "\n".join(lines)


def to_csv(result: SearchResult, meta: dict[str, str] | None = None) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    extra = list(meta or {})
    writer.writerow(["rank", "score", "title", "section", "page", "start", "end", "highlight", "text", "citations"] + extra)
    for hit in result.hits:
        a, b = hit.highlight
        d = hit.to_dict()
        row = [hit.rank, f"{hit.score:.4f}", hit.title, d["section"], d["page"] or "", d["start"], d["end"], hit.text[a:b], hit.text, "; ".join(references_lines(hit))]
        writer.writerow([safe_cell(v) for v in row + [(meta or {})[k] for k in extra]])
    return buf.getvalue()


def render_metrics(console: Console, metrics: dict[str, Any]) -> None:
    def fmt(v: Any) -> str:
        return "—" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

    keys = ["n", "recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10", "abstain_precision", "abstain_recall", "mean_passage_chars", "latency_ms_p50", "latency_ms_p95"]
    groups = {"all": metrics, **{lang: m for lang, m in sorted(metrics.get("by_lang", {}).items())}}
    table = Table(title="retrieval on the gold set")
    table.add_column("metric")
    for name in groups:
        table.add_column(name, justify="right")
    for key in keys:
        table.add_row(key, *(fmt(g.get(key)) for g in groups.values()))
    console.print(table)
    ablations = metrics.get("ablations")
    if ablations:
        t = Table(title="ablation (recall@5 / MRR@10)")
        for col in ("method", "all r@5", "en r@5", "zh r@5", "all MRR", "en MRR", "zh MRR"):
            t.add_column(col)
        for name, m in ablations.items():
            bl = m.get("by_lang", {})
            t.add_row(name, fmt(m["recall@5"]), fmt(bl.get("en", {}).get("recall@5")), fmt(bl.get("zh", {}).get("recall@5")), fmt(m["mrr@10"]), fmt(bl.get("en", {}).get("mrr@10")), fmt(bl.get("zh", {}).get("mrr@10")))
        console.print(t)
