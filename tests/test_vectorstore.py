"""Vector stores: exact top hits, filters inside the engine, deletes, persistence, escaping.

The same tests run on FAISS (flat and HNSW) and on Milvus Lite (a local .db, the same client
code that talks to a Milvus server).
"""

from __future__ import annotations

import numpy as np
import pytest

from citeqa.vectorstore import FaissStore, MilvusStore, StoredVector, milvus_expression, open_store

DIM = 384
N = 300
DOCS = ("alpha", "beta", "gamma")
MECHANISMS = ("NNI", "CSTI", "UKRI", "ESFRI")


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def corpus() -> tuple[np.ndarray, list[StoredVector]]:
    """300 vectors across 3 documents; lang and mechanism vary independently of the document."""
    vectors = unit(np.random.default_rng(0).standard_normal((N, DIM)))
    items = [StoredVector(i, DOCS[i // 100], ("zh", "en")[i % 2], MECHANISMS[i % 4], f"m{i % 3}", "body") for i in range(N)]
    return vectors, items


def make_store(kind: str, tmp_path):
    if kind == "milvus-lite":
        pytest.importorskip("pymilvus")
        return MilvusStore(tmp_path / "m.db", dim=DIM)
    return FaissStore(DIM, kind=kind.removeprefix("faiss-"))


def reopen(store, kind: str, tmp_path):
    """Save, drop every in-memory handle (for Milvus Lite: stop the engine), open from the folder."""
    folder = tmp_path / "saved"
    store.save(folder)
    if isinstance(store, MilvusStore):
        store.close()
        return open_store("milvus", folder=folder, dim=DIM)
    return open_store("faiss", folder=folder, dim=DIM)


@pytest.fixture(params=["faiss-flat", "faiss-hnsw", "milvus-lite"])
def store(request, tmp_path, corpus):
    vectors, items = corpus
    s = make_store(request.param, tmp_path)
    s.add(vectors, items)
    s.kind_under_test = request.param
    yield s
    if isinstance(s, MilvusStore):
        s.close()


def ids(hits):
    return [i for i, _ in hits]


def test_names(store):
    assert store.name == store.kind_under_test
    assert store.count() == N and store.describe()["count"] == N and store.describe()["dim"] == DIM


def test_each_vector_finds_itself_first_and_scores_are_sorted(store, corpus):
    vectors, _ = corpus
    for i in range(0, N, 7):
        hits = store.search(vectors[i], 10)
        assert len(hits) == 10 and hits[0][0] == i
        assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
        scores = [s for _, s in hits]
        assert scores == sorted(scores, reverse=True)


def test_scores_are_inner_products_matching_exact_search(store, corpus):
    vectors, _ = corpus
    q = unit(np.random.default_rng(1).standard_normal(DIM))
    exact = np.argsort(-(vectors @ q))[:10]
    hits = store.search(q, 10)
    assert ids(hits) == exact.tolist()
    assert [s for _, s in hits] == pytest.approx((vectors[exact] @ q).tolist(), abs=1e-4)


def test_k_larger_than_the_store_returns_everything_once(store, corpus):
    vectors, _ = corpus
    hits = store.search(vectors[0], 1000)
    assert sorted(ids(hits)) == list(range(N))


def test_filter_returns_k_matching_items_from_the_engine(store, corpus):
    vectors, items = corpus
    nni = {it.id for it in items if it.mechanism == "NNI"}
    # The query is a non-NNI passage: its unfiltered top 30 holds few NNI items, so a post-filter
    # of a short list would come back short; the engine must return 30 NNI items.
    q = vectors[1]
    assert len(set(ids(store.search(q, 30))) & nni) < 30
    hits = store.search(q, 30, {"mechanism": "NNI"})
    assert len(hits) == 30 and set(ids(hits)) <= nni
    exact = sorted(nni, key=lambda i: -float(vectors[i] @ q))[:30]
    assert ids(hits) == exact
    # a narrow filter (25 rows, 8 %: FAISS HNSW scans them exactly instead of walking the graph)
    narrow = sorted((i for i in nni if i < 100), key=lambda i: -float(vectors[i] @ q))[:10]
    assert ids(store.search(q, 10, {"mechanism": "NNI", "doc_id": "alpha"})) == narrow


def test_combined_filters_are_anded(store, corpus):
    vectors, items = corpus
    allowed = {it.id for it in items if it.lang == "en" and it.mechanism == "CSTI"}  # 75 items
    hits = store.search(vectors[0], 20, {"lang": "en", "mechanism": "CSTI"})
    assert len(hits) == 20 and set(ids(hits)) <= allowed
    assert store.search(vectors[0], 5, {"lang": "zh", "mechanism": "CSTI"}) == []  # CSTI rows are odd, zh rows even
    few = store.search(vectors[0], 50, {"doc_id": "beta", "measure": "m0", "lang": "en"})
    expected = {it.id for it in items if (it.doc_id, it.measure, it.lang) == ("beta", "m0", "en")}
    assert set(ids(few)) == expected  # fewer matches than k: all of them, nothing else


def test_filter_with_no_match_and_none_values(store, corpus):
    vectors, _ = corpus
    assert store.search(vectors[0], 10, {"doc_id": "nope"}) == []
    assert ids(store.search(vectors[0], 5, {"doc_id": None, "lang": None})) == ids(store.search(vectors[0], 5))


def test_unknown_filter_field_is_refused(store, corpus):
    with pytest.raises(ValueError, match="unknown filter"):
        store.search(corpus[0][0], 5, {"title": "x"})


def test_delete_document_removes_exactly_its_vectors(store, corpus):
    vectors, items = corpus
    assert store.delete_document("beta") == 100
    assert store.count() == 200
    assert store.delete_document("beta") == 0
    everything = ids(store.search(vectors[150], N))
    assert len(everything) == 200 and not any(100 <= i < 200 for i in everything)
    assert store.search(vectors[150], 10, {"doc_id": "beta"}) == []
    for i in (0, 99, 200, 299):  # the other documents are untouched
        assert store.search(vectors[i], 1)[0][0] == i
    store.add(vectors[100:200], items[100:200])  # the document can come back
    assert store.count() == N and store.search(vectors[150], 1)[0][0] == 150


def test_save_and_reopen_returns_the_same_results(store, corpus, tmp_path):
    vectors, _ = corpus
    probes = [vectors[3], unit(np.random.default_rng(2).standard_normal(DIM))]
    filters = [None, {"mechanism": "UKRI"}, {"lang": "zh", "doc_id": "gamma"}, {"doc_id": "beta", "measure": "m0", "lang": "en"}]
    before = [store.search(q, 10, f) for q in probes for f in filters]
    described = store.describe()
    reopened = reopen(store, store.kind_under_test, tmp_path)
    try:
        assert reopened.name == store.name and reopened.count() == N
        after = [reopened.search(q, 10, f) for q in probes for f in filters]
        for b, a in zip(before, after):
            assert ids(a) == ids(b) and [s for _, s in a] == pytest.approx([s for _, s in b], abs=1e-5)
        assert reopened.describe()["index"] == described["index"]
    finally:
        if isinstance(reopened, MilvusStore):
            reopened.close()


@pytest.mark.parametrize("kind", ["faiss-hnsw", "milvus-lite"])
def test_narrow_filter_on_an_indexed_graph_still_returns_the_exact_top_k(kind, tmp_path):
    """One document among 100 (1 % of rows) on a real HNSW graph: the walk alone finds few of them."""
    n = 3000
    vectors = unit(np.random.default_rng(4).standard_normal((n, DIM)))
    items = [StoredVector(i, f"d{i // 30}", "zh", "", "", "body") for i in range(n)]
    store = make_store(kind, tmp_path)
    store.add(vectors, items)
    store = reopen(store, kind, tmp_path)  # Milvus Lite: only flushed, indexed segments use the graph
    try:
        index = store.describe()["index"]
        assert (index.get("M") or index["parts"]["zh"]["M"]) == 32  # FAISS: one graph per language
        for j, q in enumerate(unit(np.random.default_rng(5).standard_normal((5, DIM)))):
            doc = np.arange(30 * j, 30 * j + 30)
            expected = doc[np.argsort(-(vectors[doc] @ q))[:10]].tolist()
            assert ids(store.search(q, 10, {"doc_id": f"d{j}"})) == expected
    finally:
        if isinstance(store, MilvusStore):
            store.close()


def test_quotes_in_filter_values_are_escaped_not_injected(store, corpus):
    vectors, _ = corpus
    odd = ['a"b', 'c" or doc_id != "', "d\\", "it's", 'x\\" or lang == "zh']
    items = [StoredVector(1000 + j, value, "zh", "NNI", "", "body") for j, value in enumerate(odd)]
    store.add(vectors[:5], items)
    for j, value in enumerate(odd):
        assert ids(store.search(vectors[0], 10, {"doc_id": value})) == [1000 + j]
    assert store.delete_document('c" or doc_id != "') == 1  # an injection would delete every other row
    assert store.count() == N + 4


def test_milvus_expression_escapes():
    assert milvus_expression({"doc_id": 'a"b'}) == 'doc_id == "a\\"b"'
    assert milvus_expression({"lang": "zh", "kind": "table"}) == 'lang == "zh" and kind == "table"'
    assert milvus_expression({"doc_id": "a\\"}) == 'doc_id == "a\\\\"'
    assert milvus_expression(None) == ""
    with pytest.raises(ValueError):
        milvus_expression({"doc_id or 1": "x"})
    with pytest.raises(ValueError):
        milvus_expression({"doc_id": "a\x00b"})


def test_wrong_dimensions_are_refused(tmp_path):
    store = FaissStore(DIM)
    with pytest.raises(ValueError):
        store.add(np.zeros((2, 8), np.float32), [StoredVector(0, "a", "zh", "", "", "body"), StoredVector(1, "a", "zh", "", "", "body")])
    with pytest.raises(ValueError, match="already stored"):
        v = unit(np.ones((1, DIM)))
        store.add(v, [StoredVector(0, "a", "zh", "", "", "body")])
        store.add(v, [StoredVector(0, "a", "zh", "", "", "body")])
    with pytest.raises(ValueError, match="dim"):
        store.search(np.ones(8, np.float32), 3)


def test_empty_stores_return_nothing(tmp_path):
    q = unit(np.ones(DIM))
    assert FaissStore(DIM).search(q, 5) == [] and FaissStore(DIM).count() == 0
    pytest.importorskip("pymilvus")
    m = MilvusStore(tmp_path / "empty.db", dim=DIM)
    try:
        assert m.search(q, 5) == [] and m.count() == 0 and m.delete_document("x") == 0
    finally:
        m.close()


def test_faiss_kind_follows_size_and_survives_crossing_back(monkeypatch, corpus):
    import citeqa.faissstore as fs

    monkeypatch.setattr(fs, "choose_store_kind", lambda n: "flat" if n < 120 else "hnsw")  # per language: 100, 150, 100
    vectors, items = corpus
    store = FaissStore(DIM)
    store.add(vectors[:200], items[:200])
    assert store.name == "faiss-flat"
    store.add(vectors[200:], items[200:])
    assert store.name == "faiss-hnsw" and store.search(vectors[250], 1)[0][0] == 250
    store.delete_document("gamma")
    assert store.name == "faiss-flat" and store.count() == 200 and store.search(vectors[50], 1)[0][0] == 50


def test_faiss_ivf_filters_and_deletes():
    vectors = unit(np.random.default_rng(3).standard_normal((3000, DIM)))
    items = [StoredVector(i, f"d{i // 500}", "zh", MECHANISMS[i % 4], "", "body") for i in range(3000)]
    store = FaissStore(DIM, kind="ivf")
    store.add(vectors, items)
    assert store.name == "faiss-ivf" and store.search(vectors[7], 1)[0][0] == 7
    assert set(ids(store.search(vectors[7], 10, {"mechanism": "UKRI"}))) <= {i for i in range(3000) if i % 4 == 2}
    assert store.delete_document("d0") == 500 and store.count() == 2500
    assert all(i >= 500 for i in ids(store.search(vectors[7], 50)))


def test_open_store_refuses_unknown_and_missing_uri(tmp_path):
    with pytest.raises(ValueError, match="unknown vector store"):
        open_store("qdrant")
    with pytest.raises(ValueError, match="uri"):
        open_store("milvus", folder=tmp_path)
    with pytest.raises(ValueError, match=".db"):
        MilvusStore(tmp_path / "not-a-db")


def test_index_built_on_milvus_lite_answers_like_faiss(tmp_path, searcher):
    """`citeqa build --store milvus`: same answers as the FAISS index, filters pushed down to Milvus."""
    from citeqa.build import build_index
    from citeqa.search import Filters, Searcher

    from conftest import CORPUS

    build_index(CORPUS, tmp_path / "index", progress=False, store="milvus", milvus_uri=str(tmp_path / "m.db"))
    on_milvus = Searcher.load(tmp_path / "index")
    try:
        assert on_milvus.dense.store.name == "milvus-lite" and on_milvus.dense.vectors is None  # no per-passage vectors in this process
        for question in ("英国研究与创新署每年统筹管理多少科研经费？", "How often does ESFRI meet each year?"):
            assert [h.chunk.chunk_id for h in on_milvus.search(question, k=3).hits] == [h.chunk.chunk_id for h in searcher.search(question, k=3).hits]
        hits = on_milvus.search("budget coordination", k=5, filters=Filters(mechanism="CSTI")).hits
        assert hits and all(h.chunk.mechanism == "CSTI" for h in hits)
    finally:
        on_milvus.dense.store.close()
