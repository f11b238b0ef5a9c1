"""Lexical channel in Milvus (Lite): the same rows and normalised scores as the local BM25 index."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from citeqa.lexical import LexicalIndex
from citeqa.milvus_lexical import PAD, MilvusLexical, TermTable, connect, field_name, passage_matrix, passage_vectors, write_sparse
from citeqa.vectorstore import StoredVector

pytest.importorskip("pymilvus")

N = 120
COMMON = [f"w{i}" for i in range(8)]
RARE = [f"r{i}" for i in range(40)]
QUERIES = [
    [("w1", 1.0), ("r3", 1.0)],
    [("w0", 0.3), ("w2", 1.0), ("r7", 0.6), ("r11", 1.0)],
    [("r5", 1.0), ("r5", 0.5), ("w4", 0.0)],  # a repeated term adds its weights; weight 0 is ignored
    [("w6", 1.0)],
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """120 passages of skewed term frequencies (one empty), zh and en channels, in one collection."""
    rng = np.random.default_rng(7)
    zh = [[*rng.choice(COMMON, rng.integers(2, 12)), *rng.choice(RARE, rng.integers(0, 4))] for _ in range(N)]
    zh[5] = []
    en = [list(rng.choice(COMMON[:4], rng.integers(1, 6))) for _ in range(N)]
    local = {"zh": LexicalIndex.build([list(map(str, t)) for t in zh]), "en": LexicalIndex.build([list(map(str, t)) for t in en])}
    items = [StoredVector(i, f"doc{i // 40}", ("zh", "en")[i % 2], f"mech{i % 3}", f"m{i % 5}", "body") for i in range(N)]
    folder = tmp_path_factory.mktemp("lex")
    client = connect(folder / "lex.db")
    spec = write_sparse(client, "citeqa_lex", local, items, folder)
    remote = {name: MilvusLexical.open(client, spec["collection"], field, folder) for name, field in spec["fields"].items()}
    yield local, remote, items
    client.close()


def assert_same(got, full, k, mask=None, tol=1e-4):
    """The k best scores of the local result, and every returned row scores what the local index gives it.

    Rows themselves may differ only among passages tied at the k-th score.
    """
    want = full.top(k, mask)
    assert len(got.rows) == len(want.rows)
    if not len(want.rows):
        return
    assert np.allclose(np.sort(got.scores)[::-1], np.sort(want.scores)[::-1], atol=tol)
    assert np.allclose(full.lookup(got.rows), got.scores, atol=tol)
    kth = want.scores.min()
    assert set(want.rows[want.scores > kth + tol].tolist()) <= set(got.rows.tolist())


def test_spec_names_one_sparse_field_per_channel(setup):
    _, remote, _ = setup
    assert remote["zh"].field == field_name("zh") == "bm25_zh" and field_name("en-plain") == "bm25_en_plain"


def test_passage_vectors_are_the_score_matrix_read_by_passage(setup):
    local, _, _ = setup
    ix = local["zh"]
    vectors = passage_vectors(passage_matrix(ix))
    assert len(vectors) == N and all(vectors)
    assert passage_vectors(passage_matrix(ix), 30, 45) == vectors[30:45]
    for term in ("w1", "r3"):
        scores = ix.search([(term, 1.0)])
        best = TermTable.from_index(ix).maxima[ix.vocab[term]]
        for row, s in zip(scores.rows, scores.scores):
            assert vectors[row][ix.vocab[term]] == pytest.approx(float(s) * best, rel=1e-5)
    assert PAD not in {d for v in vectors for d in v}  # bm25s gives an empty passage its own token
    assert passage_vectors(csr_matrix((2, 3), dtype=np.float32)) == [{PAD: 1.0}] * 2  # Milvus refuses empty rows


@pytest.mark.parametrize("terms", QUERIES)
def test_top_k_rows_and_scores_equal_local(setup, terms):
    local, remote, _ = setup
    for channel in ("zh", "en"):
        want = local[channel].search(terms)
        got = remote[channel].search(terms, k=10)
        assert_same(got, want, 10)
        everything = remote[channel].search(terms, k=1000)  # k beyond the matches: exactly the local result
        assert sorted(everything.rows.tolist()) == sorted(want.rows.tolist())
        assert np.allclose(want.lookup(everything.rows), everything.scores, atol=1e-4)


def test_best_match_scores_one_and_scores_are_normalised(setup):
    local, remote, _ = setup
    got = remote["zh"].search([("r3", 1.0)], k=5)
    assert got.scores.max() == pytest.approx(1.0, abs=1e-5)
    assert (got.scores > 0).all() and (got.scores <= 1 + 1e-6).all()


def test_terms_the_index_lacks_lower_scores_the_same_way(setup):
    local, remote, _ = setup
    terms = [("w1", 1.0), ("r3", 1.0)]
    plain, with_oov = remote["zh"].search(terms, k=1000), remote["zh"].search(terms + [("absent", 0.8)], k=1000)
    assert remote["zh"].rare == pytest.approx(local["zh"].rare) and "absent" not in remote["zh"] and "r3" in remote["zh"]
    assert np.allclose(local["zh"].search(terms + [("absent", 0.8)]).lookup(with_oov.rows), with_oov.scores, atol=1e-4)
    assert (with_oov.lookup(plain.rows) < plain.scores).all()
    assert len(remote["zh"].search([("absent", 1.0)], k=10).rows) == 0 == len(local["zh"].search([("absent", 1.0)]).rows)


def test_filters_run_in_the_engine(setup):
    local, remote, items = setup
    terms = QUERIES[1]
    for filters in ({"lang": "en"}, {"doc_id": "doc1", "mechanism": "mech2"}, {"measure": "m3"}):
        mask = np.array([all(getattr(it, f) == v for f, v in filters.items()) for it in items])
        got = remote["zh"].search(terms, k=5, filters=filters)
        assert len(got.rows) and mask[got.rows].all()
        assert_same(got, local["zh"].search(terms), 5, mask)
    assert len(remote["zh"].search(terms, k=5, filters={"lang": "fr"}).rows) == 0
    with pytest.raises(ValueError):
        remote["zh"].search(terms, k=5, filters={"colour": "red"})


def test_scores_of_given_rows(setup):
    local, remote, _ = setup
    terms = QUERIES[0]
    want = local["zh"].search(terms)
    rows = np.array([*want.rows[:3], *np.setdiff1d(np.arange(N), want.rows)[:3]])
    got = remote["zh"].search(terms, rows=rows)
    assert sorted(got.rows.tolist()) == sorted(want.rows[:3].tolist())  # rows without a query term stay absent
    assert np.allclose(want.lookup(got.rows), got.scores, atol=1e-4)
    assert np.allclose(got.lookup(rows), want.lookup(rows), atol=1e-4)


def test_which_rows_hold_which_terms(setup):
    """The shared-word check asks each engine which of a few rows contain which terms."""
    local, remote, _ = setup
    terms = ["w1", "r3", "r7", "not-a-term"]
    rows = np.array([5, 0, 17, 44, 3, 119])
    want = local["zh"].holds(terms, rows)
    assert want.any() and not want.all() and not want[:, 0].any()  # row 5 is empty
    assert np.array_equal(remote["zh"].holds(terms, rows), want)
