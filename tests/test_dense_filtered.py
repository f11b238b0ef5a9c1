"""A narrow filter is scanned exactly for every question form at once, with the store's own answer."""

from __future__ import annotations

import numpy as np

from citeqa.dense import Calibration, DenseChannel
from citeqa.vectorstore import FaissStore, StoredVector


def channel(n: int = 2000, dim: int = 32) -> tuple[DenseChannel, np.ndarray, list[StoredVector]]:
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    items = [StoredVector(i, f"d{i // 50}", ("zh", "en")[i % 2], f"m{i % 20}", "x", "body") for i in range(n)]
    store = FaissStore(dim, "flat")
    store.add(vectors, items)
    langs = np.array([it.lang for it in items], dtype=object)
    return DenseChannel(store, Calibration.fit(vectors, list(langs)), langs, vectors), vectors, items


def test_narrow_filter_scan_equals_one_store_search_per_form():
    dense, vectors, items = channel()
    mask = np.array([it.mechanism == "m3" for it in items])  # 5 % of the passages, both languages
    qvecs = vectors[[7, 11]] + 0.1
    qvecs /= np.linalg.norm(qvecs, axis=1, keepdims=True)
    for k in (5, 40, 500):  # 500: more than the allowed passages of a language
        got = dense.search_all(qvecs, k, {"mechanism": "m3"}, mask)
        want = [dense.search(v, k, {"mechanism": "m3"}) for v in qvecs]
        for g, w in zip(got, want):
            assert set(g.rows.tolist()) == set(w.rows.tolist())
            assert mask[g.rows].all()
            assert np.allclose(g.lookup(w.rows), w.scores, atol=1e-4)


def test_wide_filters_and_no_filter_go_to_the_store():
    dense, vectors, items = channel()
    wide = np.array([it.lang == "en" for it in items])  # half the passages: the store's index answers
    got = dense.search_all(vectors[:2], 10, {"lang": "en"}, wide)
    assert all(set(g.rows.tolist()) == {r for r, _ in dense.store.search(v, 10, {"lang": "en"})} for g, v in zip(got, vectors[:2]))
    plain = dense.search_all(vectors[:2], 10)
    assert all(len(p.rows) == 20 for p in plain)  # 10 per language


def test_saving_a_store_replaces_only_the_files_it_wrote(tmp_path):
    dense, vectors, items = channel(200)
    folder = tmp_path / "dense"
    folder.mkdir()
    mine = folder / "faiss-notes.index"  # a file with a store-like name that the store did not write
    mine.write_text("keep me", encoding="utf-8")
    dense.store.save(folder)
    dense.store.save(folder)  # saving again replaces the store's own parts
    assert mine.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in folder.glob("faiss-*.index")) == ["faiss-en.index", "faiss-notes.index", "faiss-zh.index"]
    reopened = FaissStore.load(folder)
    assert reopened.search(vectors[3], 1)[0][0] == 3
