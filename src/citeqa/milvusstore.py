"""Milvus as the dense channel's store: Milvus Lite embedded (a `*.db` path) or a server/cluster.

Same protocol as vectorstore.FaissStore; filters become Milvus boolean expressions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .vectorstore import DESCRIPTOR, FILTER_FIELDS, StoredVector, _batch, _filters, _query


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
