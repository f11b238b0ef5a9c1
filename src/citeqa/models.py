"""Typed records passed between pipeline stages.

ingest -> Document, chunk -> Chunk, search -> Hit (with Citation), eval/app read Hit.
Everything here is plain data: no behaviour beyond small derived properties.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reference:
    """One entry of a document's bibliography (the article's numbered `[n]` list)."""

    n: int
    text: str
    url: str | None = None
    source_doc: str | None = None  # id of an ingested document that this reference points to


@dataclass
class Document:
    """A cleaned document: the text every chunk span indexes into."""

    doc_id: str
    title: str
    text: str  # cleaned text; chunk spans index into this string
    path: str = ""
    lang: str = "zh"  # dominant language: "zh" or "en" (or "mixed")
    kind: str = "source"  # "article" | "source"
    title_en: str = ""
    url: str | None = None
    authors: list[str] = field(default_factory=list)
    pages: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, page_no) in text
    tables: list[Any] = field(default_factory=list)  # rebuilt table cells (see chunk.TableCell)
    content_hash: str = ""
    # Where the cleaned text came from, so a passage can be shown in the user's own file:
    # runs (clean_start, raw_start, length) mapping cleaned characters to the reader's raw text
    # (the decoded file for .txt/.md, the page's extracted text for PDFs, the visible text for HTML).
    source_map: list[Any] = field(default_factory=list)
    source_format: str = ""  # "text" | "pdf" | "html" ("" in indexes built before locators)
    headings: list[Any] = field(default_factory=list)  # (offset in text, level, title) from a PDF outline
    notices: list[str] = field(default_factory=list)  # reader warnings (encoding guess, PDF parser messages)
    year: str = ""  # publication year when the manifest or the file's metadata gives it
    venue: str = ""  # journal, publisher or web site, for citations
    cites: list[int] = field(default_factory=list)  # the article's reference numbers this source backs
    source_hash: str = ""  # sha256 of the file as read, so a locator into a file changed since can be flagged

    def page_at(self, offset: int) -> int | None:
        """Page number (1-based) of a character offset, when the reader knew pages."""
        for start, end, page in self.pages:
            if start <= offset < end:
                return page
        return None


@dataclass(frozen=True)
class Chunk:
    """A verbatim passage of a Document: `document.text[start:end] == text`."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    section: tuple[str, ...] = ()
    page: int | None = None
    lang: str = "zh"
    citations: tuple[int, ...] = ()
    kind: str = "body"  # "body" | "table" | "abstract" | "references"
    label: str = ""  # context shown before the text, e.g. "表1 · 统筹预算分配 · 美国国家纳米技术计划"
    mechanism: str = ""  # NNI | CSTI | UKRI | ESFRI | "" (tagged at build time)
    measure: str = ""  # high_level_body | strategic_planning | ... | ""

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)  # every field is a str, int or tuple of them: no deep copy needed (asdict costs 10x)
        d["section"] = list(self.section)
        d["citations"] = list(self.citations)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Chunk":
        d = dict(d)
        d["section"] = tuple(d.get("section", ()))
        d["citations"] = tuple(d.get("citations", ()))
        return cls(**d)


@dataclass(frozen=True)
class Citation:
    """An in-text `[n]` resolved against the bibliography."""

    n: int
    reference: str | None  # None when the article's reference list does not contain [n]
    url: str | None = None
    source_doc: str | None = None


@dataclass
class Hit:
    """One ranked passage returned by search, with everything needed to cite it."""

    chunk: Chunk
    score: float
    title: str
    highlight: tuple[int, int]  # best-matching sentence, offsets relative to chunk.text
    citations: list[Citation] = field(default_factory=list)
    rank: int = 0
    source: dict[str, Any] = field(default_factory=dict)  # locate.source_locator: where the passage is in the user's file

    @property
    def text(self) -> str:
        return self.chunk.text

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "rank": self.rank,
            "text": c.text,
            "score": round(float(self.score), 6),
            "doc_id": c.doc_id,
            "title": self.title,
            "section": " > ".join(c.section),
            "page": c.page,
            "start": c.start,
            "end": c.end,
            "lang": c.lang,
            "kind": c.kind,
            "label": c.label,
            "mechanism": c.mechanism,
            "measure": c.measure,
            "highlight": list(self.highlight),
            "citations": [{"n": x.n, "reference": x.reference, "url": x.url, "source_doc": x.source_doc} for x in self.citations],
            **({"source": self.source} if self.source else {}),
        }


@dataclass
class SearchResult:
    """What `Searcher.search` returns: the hits plus what the query was understood as."""

    query: str
    lang: str
    hits: list[Hit]
    abstained: bool = False
    confidence: float = 0.0
    notices: list[str] = field(default_factory=list)  # e.g. "query truncated to 2000 characters"
    understood: dict[str, Any] = field(default_factory=dict)  # mechanisms, measures, expansions
    latency_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "lang": self.lang,
            "abstained": self.abstained,
            "confidence": round(float(self.confidence), 4),
            "notices": self.notices,
            "understood": self.understood,
            "latency_ms": round(self.latency_ms, 2),
            "hits": [h.to_dict() for h in self.hits],
        }
