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

import faiss
import numpy as np

from .models import Chunk
from .store import choose_store_kind, make_faiss_index

FILTER_FIELDS = ("doc_id", "lang", "mechanism", "measure", "kind")
DESCRIPTOR = "vectorstore.json"  # what a saved store is: backend, kind, dim (and uri for Milvus)
ITEMS = "items.npz"  # a saved FAISS store's ids and filter fields (codes into each field's values)


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


class FaissStore:
    """A FAISS index keyed by chunk-table row, with the filter fields as in-memory columns.

    The kind follows the corpus size (store.choose_store_kind) unless forced. The vectors are kept
    because an HNSW graph cannot remove nodes (delete rebuilds it) and crossing HNSW_THRESHOLD
    re-creates the index in the other kind. Flat and HNSW label vectors by position (label i is
    self._ids[i]; flat's remove_ids keeps order), not through IndexIDMap, whose per-query id
    translation is an OpenMP region: ~15 ms of thread wake-up on a busy 2-core box for a 0.05 ms
    search. IVF stores our ids itself, so its remove_ids needs no renumbering.
    """

    EXACT_BELOW = 0.1  # HNSW + a filter keeping under 10 % of rows: exact scan of those rows instead

    def __init__(self, dim: int = 384, kind: str | None = None) -> None:
        if kind not in (None, "flat", "hnsw", "ivf"):
            raise ValueError(f"unknown FAISS store kind {kind!r}: use flat, hnsw or ivf")
        self.dim, self.forced, self.kind = dim, kind, kind or choose_store_kind(0)
        self._vectors, self._ids = np.empty((0, dim), np.float32), np.empty(0, np.int64)
        self._meta = {f: np.empty(0, dtype=object) for f in FILTER_FIELDS}
        self._index: Any = None
        self._postings: dict[tuple[str, str], np.ndarray] = {}  # (field, value) -> rows, until the next change
        self._mapped: Path | None = None  # the index file, while the index reads its vectors from it

    @property
    def name(self) -> str:
        return f"faiss-{self.kind}"

    def count(self) -> int:
        return len(self._ids)

    def _own(self) -> None:
        """Before a change: an index read memory-mapped is read again into memory (a mapped one is read-only)."""
        if self._mapped is not None:
            self._index, self._mapped = faiss.read_index(str(self._mapped)), None

    def add(self, vectors: np.ndarray, items: list[StoredVector]) -> None:
        self._own()
        v, ids = _batch(vectors, items, self.dim), np.array([it.id for it in items], np.int64)
        if np.isin(ids, self._ids).any():
            raise ValueError("some ids are already stored; delete_document() before adding a document again")
        self._vectors, self._ids = np.concatenate([self._vectors, v]), np.concatenate([self._ids, ids])
        for f in FILTER_FIELDS:
            self._meta[f] = np.concatenate([self._meta[f], np.array([getattr(it, f) for it in items], dtype=object)])
        self._postings.clear()
        if self._index is None or (self.forced or choose_store_kind(self.count())) != self.kind:
            self._rebuild()
        elif self.kind == "ivf":
            self._index.add_with_ids(v, ids)
        else:
            self._index.add(v)

    def _rebuild(self) -> None:
        """(Re)create the index from the kept vectors, in the kind their number calls for."""
        self.kind = self.forced or choose_store_kind(self.count())
        self._index = make_faiss_index(self._vectors, self.kind) if self.count() else None
        if self._index is not None and self.kind == "ivf":  # trained on the kept vectors; re-added under our ids
            self._index.reset()
            self._index.add_with_ids(self._vectors, self._ids)

    def _rows(self, field: str, value: str) -> np.ndarray:
        if (field, value) not in self._postings:
            self._postings[(field, value)] = np.flatnonzero(self._meta[field] == value)
        return self._postings[(field, value)]

    def _selection(self, filters: dict[str, str]) -> tuple[np.ndarray, Any]:
        """Rows matching the filters and their FAISS selector, built once per filter until the store changes.

        The dense channel filters every query by language: building the selector each time
        cost milliseconds at 100k rows, more than the search itself.
        """
        key = ("selector", tuple(sorted(filters.items())))
        if key not in self._postings:
            rows = self._rows(*next(iter(filters.items())))
            for field, value in list(filters.items())[1:]:
                rows = np.intersect1d(rows, self._rows(field, value), assume_unique=True)
            selector = faiss.IDSelectorBatch(self._ids[rows] if self.kind == "ivf" else rows) if len(rows) else None
            self._postings[key] = (rows, selector)  # type: ignore[assignment]
        return self._postings[key]  # type: ignore[return-value]

    def delete_document(self, doc_id: str) -> int:
        rows = self._rows("doc_id", doc_id)
        if not len(rows):
            return 0
        self._own()
        removed = self._ids[rows] if self.kind == "ivf" else rows
        keep = np.ones(self.count(), bool)
        keep[rows] = False
        self._vectors, self._ids = self._vectors[keep], self._ids[keep]
        self._meta = {f: col[keep] for f, col in self._meta.items()}
        self._postings.clear()
        if self.kind == "hnsw" or not self.count() or (self.forced or choose_store_kind(self.count())) != self.kind:
            self._rebuild()
        else:
            self._index.remove_ids(faiss.IDSelectorBatch(removed))
        return len(rows)

    def search(self, query: np.ndarray, k: int, filters: dict[str, str] | None = None) -> list[tuple[int, float]]:
        q, filters, k = _query(query, self.dim), _filters(filters), min(k, self.count())
        if self._index is None or k <= 0:
            return []
        index, params = self._index, None
        if filters:
            rows, selector = self._selection(filters)
            if not len(rows):
                return []
            if self.kind == "ivf":
                params = faiss.SearchParametersIVF(sel=selector, nprobe=index.nprobe)
            elif self.kind == "hnsw" and len(rows) >= self.EXACT_BELOW * self.count():
                # the graph walk passes excluded nodes but keeps only allowed ones: widen the beam to match
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(k, int(index.hnsw.efSearch * self.count() / len(rows))))
            else:  # flat, or a narrow filter on HNSW: exact scan of the allowed rows (HNSW's own flat storage)
                index, params = (index if self.kind == "flat" else faiss.downcast_index(index.storage)), faiss.SearchParameters(sel=selector)
        scores, labels = index.search(q, k, params=params)
        found = labels[0] >= 0
        ids = labels[0][found] if self.kind == "ivf" else self._ids[labels[0][found]]
        return [(int(i), float(s)) for i, s in zip(ids, scores[0][found])]

    def describe(self) -> dict[str, Any]:
        params: dict[str, Any] = {"metric": "IP"}
        if self.kind == "hnsw" and self._index is not None:
            h = self._index.hnsw
            params.update(M=h.nb_neighbors(1), efConstruction=h.efConstruction, efSearch=h.efSearch, exact_below=self.EXACT_BELOW)
        elif self.kind == "ivf" and self._index is not None:
            params.update(nlist=self._index.nlist, nprobe=self._index.nprobe)
        return {"name": self.name, "backend": "faiss", "count": self.count(), "dim": self.dim, "kind": self.kind, "forced": self.forced, "index": params}

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "faiss.index").unlink(missing_ok=True)
        if self._index is not None:
            faiss.write_index(self._index, str(folder / "faiss.index"))
        np.save(folder / "vectors.npy", self._vectors)
        (folder / "items.json").unlink(missing_ok=True)
        columns: dict[str, np.ndarray] = {"id": self._ids}
        for f in FILTER_FIELDS:  # codes into sorted values: a million rows load in milliseconds
            columns[f"{f}_values"], columns[f"{f}_codes"] = np.unique(self._meta[f].astype(str), return_inverse=True)
        np.savez(folder / ITEMS, **columns)
        (folder / DESCRIPTOR).write_text(json.dumps(self.describe(), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, mmap: bool = False) -> "FaissStore":
        """A saved store; with `mmap` the index's vectors stay in the file (paged in as searches touch them)."""
        folder, desc = Path(folder), _read_descriptor(folder)
        if desc.get("backend") != "faiss":
            raise ValueError(f"no saved FAISS store in {folder}")
        store = cls(desc["dim"], desc.get("forced"))
        store.kind, store._vectors = desc["kind"], np.load(folder / "vectors.npy", mmap_mode="r")  # read-only until a change copies it
        if (folder / ITEMS).exists():
            with np.load(folder / ITEMS) as z:
                store._ids = z["id"].astype(np.int64)
                store._meta = {f: z[f"{f}_values"].astype(object)[z[f"{f}_codes"]].reshape(-1) for f in FILTER_FIELDS}
        else:  # saved before the coded columns
            columns = json.loads((folder / "items.json").read_text(encoding="utf-8"))
            store._ids = np.array(columns["id"], np.int64)
            store._meta = {f: np.array(columns[f], dtype=object).reshape(-1) for f in FILTER_FIELDS}
        path = folder / "faiss.index"
        store._index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC if mmap else 0) if path.exists() else None
        store._mapped = path if mmap and store._index is not None else None
        ntotal = store._index.ntotal if store._index is not None else 0
        if not ntotal == len(store._ids) == len(store._vectors):
            raise ValueError(f"FAISS store in {folder} is inconsistent ({ntotal} indexed, {len(store._ids)} items)")
        return store


def __getattr__(name: str) -> Any:
    """MilvusStore and milvus_expression live in milvusstore (imported only when asked for)."""
    if name in ("MilvusStore", "milvus_expression"):
        from . import milvusstore

        return getattr(milvusstore, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(kind: str, *, folder: Path | None = None, uri: str | None = None, dim: int = 384) -> VectorStore:
    """The store saved in `folder` if there is one, else a new empty one.

    kind: "faiss" (kind by size) or "faiss-flat" / "faiss-hnsw" / "faiss-ivf" (forced);
    "milvus" / "milvus-lite", the uri given or the one the folder's descriptor recorded.
    """
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
