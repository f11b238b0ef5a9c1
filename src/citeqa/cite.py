"""Citation and highlight: turn a ranked passage into a Hit a reviewer can check.

The highlight is the sentence sharing the most (weighted) question terms; `[n]` markers are
resolved against the bibliography; the source locator (when the reader recorded one) says
where the passage sits in the user's own file.
"""

from __future__ import annotations

from typing import Any

from .models import Chunk, Citation, Document, Hit, Reference
from .query import Query
from .text import SENTENCE_END, en_tokens


class Citer:
    def __init__(self, documents: dict[str, Document], bibliography: dict[int, Reference]) -> None:
        self.documents = documents
        self.bibliography = bibliography
        self.titles = {d.doc_id: d.title for d in documents.values()}
        # [n] -> the added source that backs it (`citeqa add --cites n`), for references the bibliography lost
        self.backed_by = {n: d.doc_id for d in documents.values() for n in (getattr(d, "cites", None) or [])}
        from .locate import source_locator  # where a passage sits in the user's file

        self._locate = source_locator

    def cite(self, n: int) -> Citation:
        ref = self.bibliography.get(n)
        if ref is None:
            doc = self.documents.get(self.backed_by.get(n, ""))
            if doc is None:
                return Citation(n=n, reference=None)
            return Citation(n=n, reference=f"{doc.title} (source added for [{n}])", url=doc.url, source_doc=doc.doc_id)
        return Citation(n=n, reference=ref.text, url=ref.url, source_doc=ref.source_doc or self.backed_by.get(n))

    def source(self, chunk: Chunk) -> dict[str, Any] | None:
        doc = self.documents.get(chunk.doc_id)
        if doc is None:
            return None
        try:
            return self._locate(chunk, doc)
        except Exception:  # a locator is a convenience: never lose the hit over it
            return None

    def hit(self, q: Query, chunk: Chunk, score: float, rank: int) -> Hit:
        return Hit(
            chunk=chunk,
            score=score,
            title=self.titles.get(chunk.doc_id, chunk.doc_id),
            highlight=highlight(q, chunk.text),
            citations=[self.cite(n) for n in chunk.citations],
            rank=rank,
            source=self.source(chunk) or {},
        )


def highlight(q: Query, text: str) -> tuple[int, int]:
    """Span of the sentence that shares the most (weighted) query terms with the question.

    Chinese terms are found as substrings (a sentence holding 战略规划 holds 规划): segmenting
    every sentence of every hit with jieba cost more than the rest of the search.
    """
    weights: dict[str, float] = {}
    for t, wt in q.zh_terms + q.en_terms:
        weights[t] = max(weights.get(t, 0.0), wt)
    verbatim = [t for t in weights if not t.isascii() or not t.isalpha()]  # Chinese words, paths, commands
    best, best_score, start = (0, len(text)), -1.0, 0
    bounds = [m.end() for m in SENTENCE_END.finditer(text)] + [len(text)]
    for end in bounds:
        if end <= start:
            continue
        sentence = text[start:end]
        low = sentence.lower()
        toks = set(en_tokens(sentence)) | {t for t in verbatim if t in low}
        score = sum(weights.get(t, 0.0) * (1 + 0.2 * len(t)) for t in toks)
        if score > best_score and sentence.strip():
            lead = len(sentence) - len(sentence.lstrip())
            best, best_score = (start + lead, end - (len(sentence) - len(sentence.rstrip()))), score
        start = end
    return best


def citing_rows(chunks: list[Chunk], keep: int = 5, first: int = 0, before: dict[str, list[int]] | None = None) -> dict[str, list[int]]:
    """Reference [n] -> the first passages (rows) citing it: what the app's Documents view shows, without parsing every passage.

    `first`: the row of chunks[0]; `before`: the table of the rows before it (a grown build's).
    """
    out: dict[str, list[int]] = {n: list(rows) for n, rows in (before or {}).items()}
    for row, c in enumerate(chunks, first):
        for n in c.citations:
            rows = out.setdefault(str(n), [])
            if len(rows) < keep:
                rows.append(row)
    return out
