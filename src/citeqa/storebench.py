"""The store benchmark: a vector store on random unit vectors, the same code for FAISS and Milvus.

`citeqa bench --scale N` runs it for each FAISS kind; `python -m citeqa.storebench milvus-lite 10000 [uri]`
for any store kind `open_store` knows.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from .vectorstore import StoredVector, open_store


def bench_store(kind: str, n: int, dim: int = 384, queries: int = 100, uri: str | None = None) -> dict[str, Any]:
    """Build a store of n random unit vectors; time k=10 queries one at a time; recall@10 vs numpy.

    Random vectors have no cluster structure, so ANN recall here is a floor for real embeddings.
    build_s runs until the store serves from its index: add(), save() and, for Milvus, the wait
    for segment indexes (until then Milvus scans those segments exactly, and slowly).
    The filtered_ figures use a filter keeping 2 % of the rows (measure == "m0").
    """
    from .milvusstore import MilvusStore

    rng = np.random.default_rng(0)
    data, probes = (x / np.linalg.norm(x, axis=1, keepdims=True) for x in (rng.standard_normal((m, dim), dtype=np.float32) for m in (n, queries)))
    items = [StoredVector(i, f"d{i // 100}", ("zh", "en")[i % 2], ("NNI", "CSTI", "UKRI", "ESFRI")[i % 4], f"m{i % 50}", "body") for i in range(n)]
    tmp, started = Path(tempfile.mkdtemp(prefix="citeqa-bench-")), time.perf_counter()
    try:
        return _run(kind, n, dim, data, probes, items, tmp, started, uri)
    finally:  # also when a caller's time budget interrupts the build
        shutil.rmtree(tmp, ignore_errors=True)


def _run(kind: str, n: int, dim: int, data: np.ndarray, probes: np.ndarray, items: list[StoredVector], tmp: Path, started: float,
         uri: str | None) -> dict[str, Any]:
    from .milvusstore import MilvusStore

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
    saved = sum(f.stat().st_size for f in (tmp / "store").rglob("*") if f.is_file()) if (tmp / "store").is_dir() else 0
    result: dict[str, Any] = {"store": store.name, "n": n, "dim": dim, "open_s": round(opened - started, 2), "build_s": round(built - opened, 2),
                              "first_query_ms": round((first - built) * 1000, 1), "bytes": saved, "describe": store.describe()}
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
    return result


if __name__ == "__main__":  # python -m citeqa.storebench milvus-lite 10000 [uri]
    print(json.dumps(bench_store(sys.argv[1], int(sys.argv[2]), uri=sys.argv[3] if len(sys.argv) > 3 else None)))
