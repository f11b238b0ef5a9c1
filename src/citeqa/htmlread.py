"""Read an HTML page as the text a reader sees: headings, paragraphs, lists, tables, code.

Main-text extractors (trafilatura and the like) guess what is boilerplate and drop headings,
table rows and whole subsections of manuals. Here nothing visible is dropped except what is
not content: scripts, styles, hidden elements and navigation landmarks (`<nav>`,
`role="navigation"`: site menus and tables of contents that repeat every heading).
Headings come out as Markdown `#` lines so the chunker turns them into section paths; table
rows as `cell | cell`; `<pre>` as a fenced block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas", "select", "option", "math"}
BLOCK = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol", "dl", "dt", "dd", "table", "thead",
    "tbody", "tfoot", "blockquote", "figure", "figcaption", "form", "fieldset", "address", "details", "summary", "caption",
    "hr", "center", "body", "html", "li", "tr",
}  # fmt: skip
HEADINGS = {f"h{i}": i for i in range(1, 7)}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


@dataclass
class HtmlText:
    text: str
    title: str
    meta: dict[str, str] = field(default_factory=dict)  # authors, year, venue from <meta> tags


META = {
    "authors": ("citation_author", "author", "dc.creator", "article:author"),
    "year": ("citation_publication_date", "citation_date", "dc.date", "article:published_time", "date"),
    "venue": ("citation_journal_title", "og:site_name", "dc.publisher", "citation_publisher"),
}


def _meta(tree: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    tags = {(m.get("name") or m.get("property") or "").lower(): m.get("content") or "" for m in tree.iter("meta")}
    for key, names in META.items():
        value = next((tags[n].strip() for n in names if tags.get(n, "").strip()), "")
        if key == "year":
            value = (re.search(r"\b(1[89]\d\d|20\d\d)\b", value) or [""])[0]
        if value:
            found[key] = value
    return found


def parse(html: str) -> etree._Element:
    return lxml_html.document_fromstring(html.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))


def _skipped(el: etree._Element) -> bool:
    """Elements whose text a reader does not see as content."""
    if not isinstance(el.tag, str):
        return True  # comments, processing instructions
    tag = el.tag.lower()
    if tag in SKIP or tag == "nav" or el.get("role") == "navigation":
        return True
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    return bool(_HIDDEN_STYLE.search(el.get("style") or ""))


def _inline(el: etree._Element) -> str:
    """Text of an element as one line (used for headings and table cells)."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if _skipped(node):
            return
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if isinstance(node.tag, str) and node.tag.lower() in ("br", "td", "th", "li", "p", "div"):
            parts.append(" ")

    walk(el)
    return " ".join("".join(parts).split())


class _Writer:
    """Collects blocks; inline text accumulates until the next block boundary."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.line: list[str] = []

    def text(self, s: str | None) -> None:
        if s:
            self.line.append(s)

    def end_block(self) -> None:
        joined = " ".join("".join(self.line).split())
        if joined:
            self.blocks.append(joined)
        self.line = []

    def block(self, s: str) -> None:
        self.end_block()
        if s.strip():
            self.blocks.append(s)


def _walk(el: etree._Element, out: _Writer) -> None:
    if _skipped(el):
        return
    tag = el.tag.lower()
    if tag in HEADINGS:
        title = _inline(el).rstrip("#¶§🔗 ")  # permalink marks docs sites append to headings
        out.block(f"{'#' * HEADINGS[tag]} {title}" if title else "")
        return
    if tag == "pre":
        code = "".join(el.itertext()).strip("\n")
        out.block(f"```\n{code}\n```" if code.strip() else "")
        return
    if tag == "tr":
        cells = [_inline(c) for c in el if isinstance(c.tag, str) and c.tag.lower() in ("td", "th") and not _skipped(c)]
        out.block(" | ".join(c for c in cells if c))
        return
    if tag == "br":
        out.end_block()
        return
    if tag == "img" and el.get("alt") is None:
        return
    block = tag in BLOCK
    if block:
        out.end_block()
    if tag == "li":
        out.text("- ")
    out.text(el.text)
    for child in el:
        _walk(child, out)
        out.text(child.tail)
    if block:
        out.end_block()


def html_to_text(html: str) -> HtmlText:
    """Visible text of a page in reading order, blocks separated by blank lines."""
    tree = parse(html)
    title_el = tree.find(".//title")
    title = " ".join((title_el.text_content() if title_el is not None else "").split())
    body = tree.find("body")
    out = _Writer()
    _walk(body if body is not None else tree, out)
    out.end_block()
    if not title:
        h1 = tree.find(".//h1")
        title = _inline(h1) if h1 is not None else ""
    return HtmlText(text="\n\n".join(out.blocks), title=title, meta=_meta(tree))


def visible_text_nodes(html: str) -> list[str]:
    """Every text node a reader sees in the page body (for measuring what a reader keeps)."""
    tree = parse(html)
    body = tree.find("body")
    nodes: list[str] = []

    def walk(node: etree._Element) -> None:
        if _skipped(node):
            return
        if node.text and node.text.strip():
            nodes.append(node.text)
        for child in node:
            walk(child)
            if child.tail and child.tail.strip():
                nodes.append(child.tail)

    walk(body if body is not None else tree)
    return nodes


def kept_share(html: str, text: str) -> float:
    """Share of the page's visible characters (spaces ignored) found in `text`, node by node."""
    squashed = re.sub(r"\s+", "", text)
    nodes = [re.sub(r"\s+", "", n) for n in visible_text_nodes(html)]
    total = sum(len(n) for n in nodes)
    return 1.0 if not total else sum(len(n) for n in nodes if n in squashed) / total


if __name__ == "__main__":  # python -m citeqa.htmlread PAGE.html ...: share of visible text kept by indexing
    import sys
    from pathlib import Path

    from .corpus import DocumentEntry
    from .ingest import decode_text, load_document

    for arg in sys.argv[1:]:
        page = Path(arg)
        doc, _ = load_document(DocumentEntry(doc_id=page.stem, path=page, title=page.stem))
        print(f"{kept_share(decode_text(page.read_bytes()), doc.text):.4f}  {page}")
