"""Growing a build by new documents without redoing the old ones.

When every document of the live build is still in the corpus, unchanged, and only new ones were
added (what `citeqa add` does), the next build keeps the old passages as they are: their rows of
the passage and document tables are copied as bytes, their vectors come from the vector file,
their BM25 postings from the saved counts (re-weighted, since IDF and the mean length are
collection-wide), their FAISS graph nodes from the saved index, and the lexicon's counts and
co-occurrence sketches from the saved lexicon. Only the new documents are chunked, embedded,
scanned and tokenised, and their vectors added to the graphs. Anything else — a document changed
or removed, another encoder, chunker, facet table or store, `--force`, an index saved without
the counts — rebuilds everything, which is also what reproduces a from-scratch build exactly
(glosses are then mined with the whole corpus's evidence).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .models import Chunk, Document

LEXICAL = ("zh", "en", "en-plain")
# bump when reading or cleaning changes, so documents read before are read again;
# 2: addresses do not count in the language test, a list item after a blank line starts a paragraph
READER = "2"


@dataclass
class Growth:
    """A live build and the documents that extend it."""

    build: Path  # the live build folder
    old: list[Document]  # the build's documents, in its order (their rows come first)
    new: list[Document]
    n: int  # the build's passages (rows 0..n-1, kept as they are)
    counts: dict[str, int]  # old document -> its passages
    lexicon: Any  # the grown Lexicon
    postings: dict[str, Any]  # BM25 channel -> its saved bm25index.Postings
    search: Path  # the build's search folder (FAISS store, BM25 files)
    langs: Any  # the old passages' language column
    citing: dict[str, list[int]]  # the build's reference -> citing rows table


def find_growth(data: Any, documents: list[Document], encoder: str, chunker: str, store: str, facets: dict[str, Any]) -> Growth | None:
    """The live build `data` (store.IndexData), when `documents` are it plus new ones; None when a full build is needed."""
    if store != "faiss" or data.manifest.get("encoder") != encoder or data.manifest.get("chunker") != chunker:
        return None
    before = data.manifest.get("documents", {})
    by_id = {d.doc_id: d for d in documents}
    unchanged = all(doc_id in by_id and by_id[doc_id].content_hash == info.get("hash") for doc_id, info in before.items())
    new = [d for d in documents if d.doc_id not in before]
    if not unchanged or not new or data.extras.get("facets") != facets or "vector_store" in data.manifest:
        return None
    counts = [info.get("chunks", 0) for info in before.values()]
    if sum(counts) != len(data.chunks):
        return None
    postings = _postings(data.path / "search")
    lexicon = _grown_lexicon(data.extras.get("lexicon"), [d.text for d in new])
    if postings is None or lexicon is None:
        return None
    old = [by_id[doc_id] for doc_id in before]
    return Growth(data.path, old, new, len(data.chunks), dict(zip(before, counts)), lexicon, postings, data.path / "search",
                  data.chunks.column("lang"), data.extras.get("citing", {}))


def _postings(search: Path) -> dict[str, Any] | None:
    from .bm25index import Postings

    out = {name: Postings.load(search / f"lexical-{name}") for name in LEXICAL}
    return None if any(p is None for p in out.values()) else out


def _grown_lexicon(saved: dict[str, Any] | None, texts: list[str]) -> Any:
    from .lexicon import RECIPE, Lexicon
    from .lexicon_build import extend

    if not saved or saved.get("recipe", 1) != RECIPE:  # pairs made by an older recipe: the lexicon is made again
        return None
    try:
        return extend(Lexicon.from_json(saved), texts)
    except ValueError:  # a lexicon of another format
        return None


def source_key(entry: Any, corpus_dir: Path) -> str:
    """What a document's reading depends on: its file's bytes and its manifest entry (and the reader's version)."""
    import dataclasses
    import hashlib

    inside = entry.path.is_relative_to(corpus_dir)  # a followed link may point outside the corpus
    described = repr(dataclasses.replace(entry, path=entry.path.relative_to(corpus_dir) if inside else entry.path))
    digest = hashlib.sha256(f"{READER}\n{described}\n".encode("utf-8"))
    try:
        digest.update(entry.path.read_bytes())
    except OSError:
        return ""  # unreadable: the reader says why
    return digest.hexdigest()


def read_documents(data: Any) -> Callable[[str], Document | None] | None:
    """The live build's (`data`, store.IndexData) documents by `source_key`: a file unchanged since then is not read and cleaned again."""
    keys = {info["source"]: doc_id for doc_id, info in data.manifest.get("documents", {}).items() if info.get("source")}
    return (lambda key: data.documents[keys[key]] if key in keys else None) if keys else None


def grown_store(growth: Growth, vectors: Any, chunks: list[Chunk]) -> Any:
    """The build's FAISS store with the new passages `chunks` (rows growth.n…, vectors[growth.n:]) added to its graphs."""
    from .faissstore import FaissStore
    from .vectorstore import StoredVector

    store = FaissStore.load(growth.search / "dense")
    if chunks:
        store.add(vectors[growth.n :], [StoredVector.from_chunk(i, c) for i, c in enumerate(chunks, growth.n)])
    return store
