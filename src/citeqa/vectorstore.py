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
import shutil
import sys
import tempfile
import time
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

    @property
    def name(self) -> str:
        return f"faiss-{self.kind}"

    def count(self) -> int:
        return len(self._ids)

    def add(self, vectors: np.ndarray, items: list[StoredVector]) -> None:
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
    def load(cls, folder: Path) -> "FaissStore":
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
        store._index = faiss.read_index(str(folder / "faiss.index")) if (folder / "faiss.index").exists() else None
        ntotal = store._index.ntotal if store._index is not None else 0
        if not ntotal == len(store._ids) == len(store._vectors):
            raise ValueError(f"FAISS store in {folder} is inconsistent ({ntotal} indexed, {len(store._ids)} items)")
        return store


def _literal(value: str) -> str:
    """A Milvus string literal: quotes and backslashes escaped so a value can never end the string."""
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise ValueError(f"control character in filter value {value!r}")
    return '"' + value.translate(str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})) + '"'


def milvus_expression(filters: dict[str, str] | None) -> str:
    """Equality filters as a Milvus boolean expression, e.g. `lang == "zh" and kind == "table"`."""
    return " and ".join(f"{field} == {_literal(value)}" for field, value in _filters(filters).items())


class MilvusStore:
    """A Milvus collection: id INT64 primary, vector FLOAT_VECTOR(dim), the filter fields VARCHAR.

    A `*.db` uri is a Milvus Lite folder, served from this process (first start ~0.5 s after a
    ~1.5 s import); `http://host:19530` is a server or cluster. HNSW with the same graph as
    FAISS's hnsw kind; INVERTED indexes on the filter fields; Strong consistency, so a search
    right after add() or delete_document() sees it.
    """

    BATCH = 2000  # rows per insert RPC: ~3 MB at 384-d, far below gRPC's message cap
    MAX_TOPK = MAX_EF = 16384  # Milvus refuses larger limits
    HNSW, EF = {"M": 32, "efConstruction": 80}, 128

    def __init__(self, uri: str | Path, collection: str = "citeqa", dim: int = 384, *, index_type: str = "HNSW") -> None:
        from pymilvus import DataType, MilvusClient  # optional dependency: pip install citeqa[milvus]

        self.uri, self.collection, self.dim, self.closed = str(uri), collection, dim, False
        self._matching: dict[str, int] = {}  # filter expression -> rows it keeps, until this store writes
        self.lite = "://" not in self.uri
        if self.lite:
            if not self.uri.endswith(".db"):
                raise ValueError(f"a Milvus Lite path must end in .db, got {self.uri!r}")
            path = Path(self.uri).expanduser().resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            self.uri = str(path)
        self.client = MilvusClient(self.uri)
        if self.client.has_collection(collection):
            fields = {f["name"]: f for f in self.client.describe_collection(collection)["fields"]}
            stored = int(fields.get("vector", {}).get("params", {}).get("dim", -1))
            if stored != dim or not set(FILTER_FIELDS) <= set(fields):
                raise ValueError(f"collection {collection!r} at {self.uri} has another schema (vector dim {stored}, not {dim})")
            self.index_type = self.client.describe_index(collection, "vector")["index_type"]
            self.client.load_collection(collection)  # a reopened collection starts released
            return
        self.index_type = index_type
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        indexes = self.client.prepare_index_params()
        indexes.add_index("vector", index_type=index_type, metric_type="IP", params=self.HNSW if index_type == "HNSW" else {})
        for f in FILTER_FIELDS:
            schema.add_field(f, DataType.VARCHAR, max_length=1024)
            indexes.add_index(f, index_type="INVERTED")
        self.client.create_collection(collection, schema=schema, consistency_level="Strong")
        self.client.create_index(collection, indexes, sync=False)  # else pymilvus sleeps 0.5 s per index of an empty collection
        self.client.load_collection(collection)

    @property
    def name(self) -> str:
        return "milvus-lite" if self.lite else "milvus"

    def add(self, vectors: np.ndarray, items: list[StoredVector]) -> None:
        """Insert; ids must be new (not checked, unlike FaissStore: it would cost a query per batch)."""
        v, self._matching = _batch(vectors, items, self.dim), {}
        for at in range(0, len(items), self.BATCH):
            batch = zip(items[at : at + self.BATCH], v[at : at + self.BATCH].tolist())
            self.client.insert(self.collection, [{"id": int(it.id), "vector": vec, **{f: getattr(it, f) for f in FILTER_FIELDS}} for it, vec in batch])

    def count(self, expression: str = "") -> int:
        return int(self.client.query(self.collection, filter=expression, output_fields=["count(*)"])[0]["count(*)"])

    def delete_document(self, doc_id: str) -> int:
        expression = milvus_expression({"doc_id": doc_id})
        n, self._matching = self.count(expression), {}  # delete()'s own report differs between Milvus versions
        if n:
            self.client.delete(self.collection, filter=expression)
        return n

    def search(self, query: np.ndarray, k: int, filters: dict[str, str] | None = None) -> list[tuple[int, float]]:
        q, expression, k = _query(query, self.dim), milvus_expression(filters), min(k, self.MAX_TOPK)
        if k <= 0:
            return []
        ef = self.EF
        if expression:
            # HNSW walks through filtered-out nodes but keeps only matching ones, and Milvus Lite never
            # falls back to a scan: at ef=128 a one-document filter on 100k rows finds 0-3 of 10 hits.
            # Widen the beam by the inverse selectivity (as FaissStore does), capped at MAX_EF.
            if len(self._matching) > 1000:
                self._matching.clear()
            for e in ("", expression):
                if e not in self._matching:
                    self._matching[e] = self.count(e)
            if not self._matching[expression]:
                return []
            ef = min(int(self.EF * self._matching[""] / self._matching[expression]), self.MAX_EF)
        params = {"metric_type": "IP", "params": {"ef": max(ef, k)} if self.index_type == "HNSW" else {}}
        hits = self.client.search(self.collection, [q[0].tolist()], filter=expression, limit=k, output_fields=["id"], search_params=params, anns_field="vector")
        return sorted(((int(h["id"]), float(h["distance"])) for h in hits[0]), key=lambda h: -h[1])

    def describe(self) -> dict[str, Any]:
        index = {"type": self.index_type, "metric": "IP", **(self.HNSW | {"ef": self.EF} if self.index_type == "HNSW" else {})}
        return {"name": self.name, "backend": "milvus", "count": self.count(), "dim": self.dim, "uri": self.uri, "collection": self.collection, "index": index}

    def save(self, folder: Path) -> None:
        """The data lives in the engine: flush it into durable segments, then record where it is."""
        self.client.flush(self.collection)
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / DESCRIPTOR).write_text(json.dumps(self.describe(), indent=1), encoding="utf-8")

    def close(self) -> None:
        """Close the client; for Milvus Lite also stop this process's engine for the file (frees its lock)."""
        if not self.closed:
            self.closed = True
            self.client.close()
            if self.lite:
                from milvus_lite.server_manager import server_manager_instance

                server_manager_instance.release_server(self.uri)


def open_store(kind: str, *, folder: Path | None = None, uri: str | None = None, dim: int = 384) -> VectorStore:
    """The store saved in `folder` if there is one, else a new empty one.

    kind: "faiss" (kind by size) or "faiss-flat" / "faiss-hnsw" / "faiss-ivf" (forced);
    "milvus" / "milvus-lite", the uri given or the one the folder's descriptor recorded.
    """
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


def bench_store(kind: str, n: int, dim: int = 384, queries: int = 100, uri: str | None = None) -> dict[str, Any]:
    """Build a store of n random unit vectors; time k=10 queries one at a time; recall@10 vs numpy.

    Random vectors have no cluster structure, so ANN recall here is a floor for real embeddings.
    build_s runs until the store serves from its index: add(), save() and, for Milvus, the wait
    for segment indexes (until then Milvus scans those segments exactly, and slowly).
    The filtered_ figures use a filter keeping 2 % of the rows (measure == "m0").
    """
    rng = np.random.default_rng(0)
    data, probes = (x / np.linalg.norm(x, axis=1, keepdims=True) for x in (rng.standard_normal((m, dim), dtype=np.float32) for m in (n, queries)))
    items = [StoredVector(i, f"d{i // 100}", ("zh", "en")[i % 2], ("NNI", "CSTI", "UKRI", "ESFRI")[i % 4], f"m{i % 50}", "body") for i in range(n)]
    tmp, started = Path(tempfile.mkdtemp(prefix="citeqa-bench-")), time.perf_counter()
    if kind.startswith("milvus"):
        store: Any = MilvusStore(uri or tmp / "bench.db", f"citeqa_bench_{n}", dim)
        if store.count():  # left over on a server by an interrupted run
            store.client.drop_collection(store.collection)
            store = MilvusStore(store.uri, store.collection, dim)
    else:
        store = open_store(kind, dim=dim)
    opened = time.perf_counter()
    store.add(data, items)
    store.save(tmp / "store")
    if isinstance(store, MilvusStore) and store.lite:  # Lite indexes flushed segments in a background thread; close() waits for it
        store.close()
        store = MilvusStore(store.uri, store.collection, dim)
    elif isinstance(store, MilvusStore):
        while store.client.describe_index(store.collection, "vector").get("pending_index_rows", 0):
            time.sleep(1)
    built = time.perf_counter()
    store.search(probes[0], 10)
    first = time.perf_counter()
    subset = np.arange(0, n, 50)
    truths = (np.argsort(-(probes @ data.T), axis=1)[:, :10], subset[np.argsort(-(probes @ data[subset].T), axis=1)[:, :10]])
    result: dict[str, Any] = {"store": store.name, "n": n, "dim": dim, "open_s": round(opened - started, 2), "build_s": round(built - opened, 2), "first_query_ms": round((first - built) * 1000, 1)}
    for label, filters, truth in (("", None, truths[0]), ("filtered_", {"measure": "m0"}, truths[1])):
        times, recall = [], []
        for q, expected in zip(probes, truth):
            t0 = time.perf_counter()
            hits = store.search(q, 10, filters)
            times.append((time.perf_counter() - t0) * 1000)
            recall.append(len({i for i, _ in hits} & set(expected.tolist())) / 10)
        result |= {f"{label}p50_ms": round(float(np.percentile(times, 50)), 3), f"{label}p95_ms": round(float(np.percentile(times, 95)), 3), f"{label}recall@10": round(float(np.mean(recall)), 4)}
    if isinstance(store, MilvusStore):
        store.client.drop_collection(store.collection)
        store.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return result


if __name__ == "__main__":  # python -m citeqa.vectorstore milvus-lite 10000 [uri]
    print(json.dumps(bench_store(sys.argv[1], int(sys.argv[2]), uri=sys.argv[3] if len(sys.argv) > 3 else None)))
