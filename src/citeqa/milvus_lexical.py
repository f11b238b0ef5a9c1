"""Lexical channel inside Milvus: each passage's BM25 term scores stored as a sparse vector.

The build's own BM25 (bm25s over citeqa's tokens, so the cross-lingual lexicon and the
tokenizer keep agreeing) is scored once, at build time: passage d gets the sparse vector
{term id: bm25(t, d)}, read from the term-major score matrix of a built `LexicalIndex`. A query
is the sparse vector {term id: weight}, and Milvus's inner product over sparse vectors returns
sum_t w_t * bm25(t, d), the weighted BM25 `LexicalIndex.search` computes. Normalising needs each
term's best score, which is kept in a small per-term table (JSON in the build folder) with the
vocabulary: citeqa's process holds per-term state only, never per-passage state, and a Milvus
cluster answers the whole query. Filters run in the engine on the same fields as the vectors.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .atomicfile import write_atomic
from .lexical import ChannelResult, LexicalIndex
from .vectorstore import FILTER_FIELDS, StoredVector, milvus_expression

PAD = 2**32 - 2  # dimension of the placeholder a passage without terms gets (Milvus refuses empty sparse rows); no query uses it
MAX_TOPK = 16384  # Milvus refuses larger limits
BATCH = 2000  # rows per insert RPC


def field_name(channel: str, prefix: str = "bm25_") -> str:
    """The sparse field of a channel ("en-plain" -> "bm25_en_plain")."""
    return prefix + channel.replace("-", "_")


@dataclass(frozen=True)
class TermTable:
    """What the query side needs per term: its id (the sparse dimension) and its best score."""

    terms: list[str]  # term id -> term
    maxima: np.ndarray  # float32, term id -> best BM25 score of the term in any passage (0: no postings)
    rare: float  # ceiling counted for a query term the collection lacks (LexicalIndex.rare)

    @classmethod
    def from_index(cls, index: LexicalIndex) -> "TermTable":
        terms = [""] * len(index.vocab)
        for term, tid in index.vocab.items():
            terms[tid] = term
        indptr = np.asarray(index._indptr, dtype=np.int64)  # bm25s's vocabulary ends with "", which has no column
        starts, nonempty = indptr[:-1], indptr[:-1] < indptr[1:]
        maxima = np.zeros(len(terms), np.float32)
        if nonempty.any():
            maxima[: len(starts)][nonempty] = np.maximum.reduceat(np.asarray(index._data, dtype=np.float32), starts[nonempty])
        return cls(terms, maxima, float(index.rare))

    def save(self, path: Path) -> None:
        body = json.dumps({"rare": self.rare, "terms": self.terms, "maxima": self.maxima.tolist()}, ensure_ascii=False)
        write_atomic(path, body)

    @classmethod
    def load(cls, path: Path) -> "TermTable":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["terms"], np.asarray(data["maxima"], np.float32), float(data["rare"]))


def passage_matrix(index: LexicalIndex) -> Any:
    """The term-major (CSC) BM25 score matrix read passage-major: a scipy CSR matrix, row = passage."""
    from scipy.sparse import csc_matrix

    by_term = csc_matrix((np.asarray(index._data, np.float32), np.asarray(index._indices), np.asarray(index._indptr)), shape=(index.n, len(index._indptr) - 1))
    rows = by_term.tocsr()
    rows.eliminate_zeros()
    return rows


def passage_vectors(matrix: Any, start: int = 0, stop: int | None = None) -> list[dict[int, float]]:
    """Rows start..stop of a passage matrix as Milvus sparse vectors {term id: BM25 score}."""
    stop = matrix.shape[0] if stop is None else stop
    ptr = matrix.indptr[start : stop + 1].tolist()
    cols, vals = matrix.indices[ptr[0] : ptr[-1]].tolist(), matrix.data[ptr[0] : ptr[-1]].tolist()
    base = ptr[0]
    return [dict(zip(cols[a - base : b - base], vals[a - base : b - base])) or {PAD: 1.0} for a, b in zip(ptr[:-1], ptr[1:])]


def _sparse_keys(vector: Any) -> Any:
    """Term ids of a sparse vector as a query returns it (a dict, or a scipy row)."""
    return vector.keys() if isinstance(vector, dict) else vector.indices


def connect(uri: str | Path) -> Any:
    """A MilvusClient: a `*.db` path runs Milvus Lite in this process, `http://host:19530` a server."""
    from pymilvus import MilvusClient  # optional dependency: pip install citeqa[milvus]

    uri = str(uri)
    if "://" not in uri:
        if not uri.endswith(".db"):
            raise ValueError(f"a Milvus Lite path must end in .db, got {uri!r}")
        path = Path(uri).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        uri = str(path)
    return MilvusClient(uri)


def write_sparse(client: Any, collection: str, indexes: dict[str, LexicalIndex], items: list[StoredVector], folder: Path, prefix: str = "bm25_") -> dict[str, Any]:
    """(Re)create `collection`: one sparse field per channel plus the filter fields; save the term tables.

    `indexes` maps a channel name ("zh", "en", "en-plain") to its built index; all index the
    same passages, whose chunk-table rows and filter fields are `items`. The term tables go to
    `folder/<field>.json`. Returns what the manifest records: the collection and channel -> field.
    """
    from pymilvus import DataType, MilvusClient

    n = len(items)
    if any(ix.n != n for ix in indexes.values()):
        raise ValueError(f"every lexical index must cover the {n} passages given")
    fields = {name: field_name(name, prefix) for name in indexes}
    if client.has_collection(collection):
        client.drop_collection(collection)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    params = client.prepare_index_params()
    for f in fields.values():
        schema.add_field(f, DataType.SPARSE_FLOAT_VECTOR)
        params.add_index(f, index_type="SPARSE_INVERTED_INDEX", metric_type="IP", params={"drop_ratio_build": 0})
    for f in FILTER_FIELDS:
        schema.add_field(f, DataType.VARCHAR, max_length=1024)
        params.add_index(f, index_type="INVERTED")
    client.create_collection(collection, schema=schema, consistency_level="Strong")
    client.create_index(collection, params, sync=False)
    client.load_collection(collection)
    matrices = {f: passage_matrix(indexes[name]) for name, f in fields.items()}
    for at in range(0, n, BATCH):  # dicts per batch only: a million passages' dicts would not fit in memory
        stop = min(at + BATCH, n)
        batch = {f: passage_vectors(m, at, stop) for f, m in matrices.items()}
        client.insert(collection, [{"id": int(it.id), **{f: v[j] for f, v in batch.items()}, **{f: getattr(it, f) for f in FILTER_FIELDS}} for j, it in enumerate(items[at:stop])])
    client.flush(collection)
    for name, f in fields.items():
        TermTable.from_index(indexes[name]).save(Path(folder) / f"{f}.json")
    return {"collection": collection, "fields": fields}


class MilvusLexical:
    """LexicalIndex's query interface over a sparse field of a Milvus collection.

    `search` returns the top k passages (Milvus caps k at 16,384), or, given `rows`, the
    scores of exactly those rows (fusion asks for the candidate union's lexical scores).
    """

    def __init__(self, client: Any, collection: str, field: str, table: TermTable) -> None:
        self.client, self.collection, self.field, self.table = client, collection, field, table
        self.vocab: dict[str, int] = {t: i for i, t in enumerate(table.terms)}
        self.rare = table.rare

    @classmethod
    def open(cls, client: Any, collection: str, field: str, folder: Path) -> "MilvusLexical":
        client.load_collection(collection)  # a reopened collection starts released
        return cls(client, collection, field, TermTable.load(Path(folder) / f"{field}.json"))

    def __contains__(self, term: str) -> bool:
        return term in self.vocab

    def query(self, terms: list[tuple[str, float]]) -> tuple[dict[int, float], float]:
        """The sparse query vector and the attainable maximum it is normalised by (as LexicalIndex)."""
        merged: dict[int, float] = {}
        ceiling = 0.0
        for term, weight in terms:
            if weight <= 0:
                continue
            tid = self.vocab.get(term)
            if tid is None:
                ceiling += weight * self.rare
            else:
                merged[tid] = merged.get(tid, 0.0) + weight
        vector = {tid: w for tid, w in merged.items() if self.table.maxima[tid] > 0}
        ceiling += sum(w * float(self.table.maxima[tid]) for tid, w in vector.items())
        return vector, ceiling

    def search(self, terms: list[tuple[str, float]], k: int = 100, filters: dict[str, str] | None = None, rows: np.ndarray | None = None,
               mask: np.ndarray | None = None) -> ChannelResult:
        """Weighted BM25 of the k best passages (or of `rows`), normalised to [0, 1]; filters run in Milvus (`mask` is unused)."""
        vector, ceiling = self.query(terms)
        expression = milvus_expression(filters)
        if not vector or ceiling <= 0:
            return ChannelResult.empty()
        if rows is None:
            return self._ask(vector, ceiling, expression, min(k, MAX_TOPK))
        wanted = np.unique(np.asarray(rows, np.int64))
        parts = []
        for at in range(0, len(wanted), MAX_TOPK):
            chunk = wanted[at : at + MAX_TOPK]
            among = f"id in [{', '.join(map(str, chunk.tolist()))}]"
            parts.append(self._ask(vector, ceiling, f"({expression}) and {among}" if expression else among, len(chunk)))
        if not parts:
            return ChannelResult.empty()
        return ChannelResult(np.concatenate([p.rows for p in parts]), np.concatenate([p.scores for p in parts]))

    def holds(self, terms: list[str], rows: np.ndarray) -> np.ndarray:
        """Whether each of `rows` contains each term (LexicalIndex.holds): one query reads the rows' vectors."""
        rows = np.asarray(rows, np.int64)
        out = np.zeros((len(terms), len(rows)), bool)
        if not len(rows) or not terms:
            return out
        found = self.client.query(self.collection, filter=f"id in [{', '.join(map(str, np.unique(rows).tolist()))}]", output_fields=["id", self.field])
        held = {int(r["id"]): {int(t) for t in _sparse_keys(r[self.field])} for r in found}
        for i, term in enumerate(terms):
            tid = self.vocab.get(term)
            if tid is not None:
                out[i] = [tid in held.get(int(r), ()) for r in rows]
        return out

    def _ask(self, vector: dict[int, float], ceiling: float, expression: str, k: int) -> ChannelResult:
        if k <= 0:
            return ChannelResult.empty()
        hits = self.client.search(self.collection, [vector], anns_field=self.field, filter=expression, limit=k, output_fields=["id"], search_params={"metric_type": "IP", "params": {"drop_ratio_search": 0}})[0]
        found = [(int(h["id"]), float(h["distance"])) for h in hits if float(h["distance"]) > 0]
        if not found:
            return ChannelResult.empty()
        ids, scores = zip(*found)
        return ChannelResult(np.array(ids, np.int64), (np.array(scores, np.float64) / ceiling).astype(np.float32))


def bench(n: int, queries: int = 200, k: int = 10, uri: str | None = None) -> dict[str, Any]:
    """n passages of recombined article tokens; time k=10 queries on Milvus and LexicalIndex.

    Agreement: share of Milvus's top k that score at least LexicalIndex's k-th best (so ties agree).
    """
    from .text import zh_tokens

    rng = np.random.default_rng(0)
    article = (Path(__file__).resolve().parents[2] / "corpus" / "st-coordination-article.txt").read_text(encoding="utf-8")
    sentences = [t for t in (zh_tokens(s) for s in article.replace("\n", "。").split("。")) if len(t) > 2]
    tokens = [[w for s in rng.choice(len(sentences), rng.integers(3, 9)) for w in sentences[s]] for _ in range(n)]
    items = [StoredVector(i, f"d{i // 100}", ("zh", "en")[i % 2], f"mech{i % 4}", f"m{i % 50}", "body") for i in range(n)]
    local = LexicalIndex.build(tokens)
    probes = []
    for _ in range(queries):
        words = sentences[rng.integers(len(sentences))]
        picked = rng.choice(len(words), min(len(words), int(rng.integers(2, 7))), replace=False)
        probes.append([(words[i], float(rng.choice([1.0, 0.6, 0.3]))) for i in picked] + ([("不在语料里的词", 0.5)] if rng.random() < 0.2 else []))
    tmp = Path(tempfile.mkdtemp(prefix="citeqa-lexbench-"))
    client, started = connect(uri or tmp / "lex.db"), time.perf_counter()
    write_sparse(client, f"citeqa_lexbench_{n}", {"zh": local}, items, tmp)
    remote = MilvusLexical.open(client, f"citeqa_lexbench_{n}", "bm25_zh", tmp)
    built = time.perf_counter()
    remote.search(probes[0], k)
    first = time.perf_counter()
    result: dict[str, Any] = {"n": n, "queries": queries, "k": k, "write_s": round(built - started, 1), "first_query_s": round(first - built, 2)}
    for label, filters in (("", None), ("filtered_", {"measure": "m0"})):
        mask = None if filters is None else np.array([it.measure == filters["measure"] for it in items])
        t_local, t_remote, agree, max_diff = [], [], [], 0.0
        for terms in probes:
            t0 = time.perf_counter()
            want = local.search(terms, k, mask=mask)
            t1 = time.perf_counter()
            got = remote.search(terms, k, filters)
            t2 = time.perf_counter()
            t_local.append((t1 - t0) * 1000)
            t_remote.append((t2 - t1) * 1000)
            exact = local.search(terms, rows=got.rows).lookup(got.rows)  # each Milvus hit's score as LexicalIndex computes it
            kth = float(want.scores.min()) if len(want.rows) else 0.0
            agree.append(float(np.sum(exact >= kth - 1e-6)) / max(len(want.rows), 1) if len(want.rows) else float(not len(got.rows)))
            max_diff = max(max_diff, float(np.abs(exact - got.scores).max()) if len(got.rows) else 0.0)
        result |= {
            f"{label}milvus_ms_p50": round(float(np.percentile(t_remote, 50)), 2),
            f"{label}milvus_ms_p95": round(float(np.percentile(t_remote, 95)), 2),
            f"{label}local_ms_p50": round(float(np.percentile(t_local, 50)), 2),
            f"{label}local_ms_p95": round(float(np.percentile(t_local, 95)), 2),
            f"{label}top{k}_agreement": round(float(np.mean(agree)), 4),
            f"{label}max_score_diff": float(f"{max_diff:.2e}"),
        }
    t_rows = []
    for terms in probes[:50]:  # the candidate union's scores (fusion's second lexical call)
        t0 = time.perf_counter()
        remote.search(terms, rows=rng.choice(n, 200, replace=False))
        t_rows.append((time.perf_counter() - t0) * 1000)
    result |= {"rows200_milvus_ms_p50": round(float(np.percentile(t_rows, 50)), 2), "vocab": len(local.vocab), "terms_per_passage": round(len(local._data) / n, 1)}
    client.drop_collection(f"citeqa_lexbench_{n}")
    client.close()
    if uri is None:  # stop this process's Milvus Lite engine for the file before removing it
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(str((tmp / "lex.db").resolve()))
    shutil.rmtree(tmp, ignore_errors=True)
    return result


if __name__ == "__main__":  # python -m citeqa.milvus_lexical 10000 [uri]
    print(json.dumps(bench(int(sys.argv[1]), uri=sys.argv[2] if len(sys.argv) > 2 else None)))
