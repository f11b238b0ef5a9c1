"""Vector stores for the dense channel: FAISS in this process, Milvus once the corpus outgrows it.

FAISS (flat / HNSW / IVF) serves a few million passages on one machine with no server. Milvus
keeps the vectors in an engine: a local `*.db` uri runs Milvus Lite embedded (development,
tests), `http://host:19530` is a server or cluster, with the same code. Both apply the filters
(doc_id, lang, mechanism, measure, kind) inside the engine, so a filtered search returns k hits
whenever k passages match, where post-filtering a short list would not. Scores are inner
products of L2-normalised vectors (cosine), best first; ids are chunk-table row numbers.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .models import Chunk

FILTER_FIELDS = ("doc_id", "lang", "mechanism", "measure", "kind")
DESCRIPTOR = "vectorstore.json"  # what a saved store is: backend, kind, dim (and uri for Milvus)
ITEMS = "items.npz"  # a saved FAISS store's ids and filter fields (codes into each field's values)
EXACT_BELOW = 0.1  # a filter keeping under this share of a graph's vectors is scanned exactly: the walk would pass mostly excluded nodes


@dataclass(frozen=True)
class StoredVector:
    """What a store keeps per passage besides its vector: the id plus the fields filters use."""

    id: int  # row number in the chunk table
    doc_id: str
    lang: str
    mechanism: str
    measure: str
    kind: str

    @classmethod
    def from_chunk(cls, row: int, chunk: Chunk) -> "StoredVector":
        return cls(row, chunk.doc_id, chunk.lang, chunk.mechanism, chunk.measure, chunk.kind)


class VectorStore(Protocol):
    name: str  # "faiss-flat", "faiss-hnsw", "faiss-ivf", "milvus-lite", "milvus"

    def add(self, vectors: np.ndarray, items: list[StoredVector]) -> None: ...
    def delete_document(self, doc_id: str) -> int: ...
    def search(self, query: np.ndarray, k: int, filters: dict[str, str] | None = None) -> list[tuple[int, float]]: ...
    def count(self) -> int: ...
    def save(self, folder: Path) -> None: ...
    def describe(self) -> dict[str, Any]: ...


def _filters(filters: dict[str, str | None] | None) -> dict[str, str]:
    """Equality filters (AND). None values are dropped; unknown fields never reach an engine."""
    clean = {k: v for k, v in (filters or {}).items() if v is not None}
    if set(clean) - set(FILTER_FIELDS) or not all(isinstance(v, str) for v in clean.values()):
        raise ValueError(f"unknown filter field or non-string value in {clean!r}; filter on {', '.join(FILTER_FIELDS)}")
    return clean


def _batch(vectors: np.ndarray, items: list[StoredVector], dim: int) -> np.ndarray:
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    if v.ndim != 2 or v.shape[1] != dim or len(v) != len(items) or len({it.id for it in items}) != len(items):
        raise ValueError(f"expected {len(items)} vectors of dim {dim} with distinct ids, got shape {v.shape}")
    return v


def _query(query: np.ndarray, dim: int) -> np.ndarray:
    q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
    if q.shape[1] != dim:
        raise ValueError(f"query has dim {q.shape[1]}, store has {dim}")
    return q


def _read_descriptor(folder: Path | None) -> dict[str, Any]:
    path = Path(folder) / DESCRIPTOR if folder is not None else None
    return json.loads(path.read_text(encoding="utf-8")) if path is not None and path.exists() else {}


def __getattr__(name: str) -> Any:
    """FaissStore lives in faissstore, MilvusStore and milvus_expression in milvusstore (imported when asked for)."""
    if name in ("MilvusStore", "milvus_expression"):
        from . import milvusstore

        return getattr(milvusstore, name)
    if name == "FaissStore":  # faissstore builds on the helpers above
        from .faissstore import FaissStore

        return FaissStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(kind: str, *, folder: Path | None = None, uri: str | None = None, dim: int = 384) -> VectorStore:
    """The store saved in `folder` if there is one, else a new empty one.

    kind: "faiss" (kind by size) or "faiss-flat" / "faiss-hnsw" / "faiss-ivf" (forced);
    "milvus" / "milvus-lite", the uri given or the one the folder's descriptor recorded.
    """
    from .faissstore import FaissStore
    from .milvusstore import MilvusStore

    desc = _read_descriptor(folder)
    if desc and desc.get("dim") != dim:
        raise ValueError(f"the store in {folder} has dim {desc.get('dim')}, not {dim}")
    if kind == "faiss" or kind.startswith("faiss-"):
        if desc.get("backend") == "faiss":
            return FaissStore.load(Path(folder))  # type: ignore[arg-type]
        return FaissStore(dim, None if kind == "faiss" else kind.removeprefix("faiss-"))
    if kind in ("milvus", "milvus-lite"):
        if not (uri or desc.get("uri")):
            raise ValueError("a Milvus store needs a uri: a local path ending in .db (Milvus Lite) or http://host:19530")
        return MilvusStore(uri or desc["uri"], desc.get("collection", "citeqa"), dim)
    raise ValueError(f"unknown vector store {kind!r}: use faiss or milvus")


def bench_store(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """See storebench.bench_store (kept here for `python -m citeqa.vectorstore`)."""
    from .storebench import bench_store as run

    return run(*args, **kwargs)


if __name__ == "__main__":  # python -m citeqa.vectorstore milvus-lite 10000 [uri]
    print(json.dumps(bench_store(sys.argv[1], int(sys.argv[2]), uri=sys.argv[3] if len(sys.argv) > 3 else None)))
