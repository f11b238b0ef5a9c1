"""BM25 built and extended by citeqa equals bm25s's own index of the same passages."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

from citeqa.bm25index import Postings
from citeqa.lexical import EMPTY, PARAMS, LexicalIndex

rng = np.random.default_rng(7)
WORDS = [f"w{i}" for i in range(60)] + ["数据", "资源", "配置", "nano"]


def passages(n: int) -> list[list[str]]:
    return [[WORDS[j] for j in rng.integers(0, len(WORDS), int(rng.integers(0, 25)))] for _ in range(n)]


def dense_scores(vocab: dict[str, int], csc: dict, n: int) -> dict[str, np.ndarray]:
    """term -> its BM25 score in every passage (0 where absent)."""
    out = {}
    for term, col in vocab.items():
        if col + 1 >= len(csc["indptr"]):
            continue
        lo, hi = int(csc["indptr"][col]), int(csc["indptr"][col + 1])
        row = np.zeros(n, np.float64)
        row[np.asarray(csc["indices"][lo:hi])] = csc["data"][lo:hi]
        out[term] = row
    return out


def reference(tokens: list[list[str]]) -> dict[str, np.ndarray]:
    model = bm25s.BM25(**PARAMS)
    model.index([t or [EMPTY] for t in tokens], show_progress=False)
    return dense_scores(model.vocab_dict, model.scores, len(tokens))


def assert_same(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> None:
    assert set(ours) == set(theirs)
    for term in theirs:
        np.testing.assert_allclose(ours[term], theirs[term], rtol=1e-5, atol=1e-6, err_msg=term)


def test_build_matches_bm25s_including_empty_passages():
    tokens = passages(80) + [[]]
    p = Postings.of(tokens)
    assert_same(dense_scores(p.vocab, p.csc(), p.n), reference(tokens))


@pytest.mark.parametrize("split", [1, 40, 79])
def test_extending_equals_building_everything(split):
    tokens = passages(80)
    grown = Postings.of(tokens[:split]).extend(tokens[split:])
    whole = Postings.of(tokens)
    assert_same(dense_scores(grown.vocab, grown.csc(), grown.n), dense_scores(whole.vocab, whole.csc(), whole.n))
    assert_same(dense_scores(grown.vocab, grown.csc(), grown.n), reference(tokens))
    for col in range(len(grown.vocab)):  # rows stay ascending in every column: the search binary-searches them
        rows = grown.rows[grown.indptr[col] : grown.indptr[col + 1]]
        assert np.all(np.diff(rows) > 0)


def test_saved_index_extends_and_loads(tmp_path):
    first, more = passages(30), passages(10) + [["全新的词", "w1"]]
    LexicalIndex.build(first).save(tmp_path / "a")
    old = Postings.load(tmp_path / "a")
    assert old is not None and old.n == 30
    LexicalIndex.build(more, previous=old).save(tmp_path / "b")
    loaded = LexicalIndex.load(tmp_path / "b")
    assert_same(dense_scores(loaded.vocab, {"data": loaded._data, "indices": loaded._indices, "indptr": loaded._indptr}, 41),
                reference(first + more))
    hits = loaded.search([("全新的词", 1.0)], k=5)
    assert hits.rows.tolist() == [40]
    reread = bm25s.BM25.load(str(tmp_path / "b"), mmap=False)  # bm25s itself reads the files
    assert reread.scores["num_docs"] == 41 and "全新的词" in reread.vocab_dict


def test_index_saved_without_counts_asks_for_a_rebuild(tmp_path):
    LexicalIndex.build(passages(5)).save(tmp_path / "a")
    (tmp_path / "a" / "tf.npy").unlink()
    assert Postings.load(tmp_path / "a") is None
