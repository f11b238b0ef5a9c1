"""The lexical channel's pruned top-k is exact: same passages and scores as scoring every posting.

The reference is bm25s's own per-term scores summed with the query weights, so these tests fail
if pruning drops a passage that belongs in the top k, if a filter mask is ignored, or if the
saved term bounds disagree with the postings.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from citeqa.lexical import MAXIMA, LexicalIndex

N = 3000


@pytest.fixture(scope="module")
def corpus():
    """Zipf-distributed tokens: a few very common terms (long postings) and a long rare tail."""
    rng = np.random.default_rng(7)
    vocab = [f"t{i}" for i in range(600)]
    p = 1 / np.arange(1, len(vocab) + 1) ** 1.1
    p /= p.sum()
    docs = [[str(t) for t in rng.choice(vocab, size=int(rng.integers(3, 40)), p=p)] for _ in range(N)]
    return vocab, docs, LexicalIndex.build(docs)


def reference(index: LexicalIndex, terms: list[tuple[str, float]]) -> np.ndarray:
    """Weighted BM25 of every passage from bm25s directly, normalised as the channel does."""
    total, ceiling = np.zeros(index.n), 0.0
    for term, weight in terms:
        if term not in index.vocab:
            ceiling += weight * index.rare
            continue
        scores = index.model.get_scores([term])
        total += weight * scores
        ceiling += weight * scores.max()
    return total / ceiling


def queries(vocab: list[str], count: int = 40) -> list[list[tuple[str, float]]]:
    rng = np.random.default_rng(3)
    out = []
    for _ in range(count):
        common = [(vocab[int(i)], float(rng.choice([1.0, 0.5, 0.2]))) for i in rng.integers(0, 8, int(rng.integers(1, 5)))]
        rare = [(vocab[int(i)], float(rng.choice([2.0, 1.0, 0.3]))) for i in rng.integers(8, len(vocab), int(rng.integers(0, 12)))]
        out.append(common + rare + ([("absent-term", 0.5)] if rng.random() < 0.3 else []))
    return out


def assert_top_k(got, want: np.ndarray, k: int, allowed: np.ndarray | None = None) -> None:
    if allowed is not None:
        want = np.where(allowed, want, 0.0)
    positive = np.flatnonzero(want > 0)
    expected = positive[np.argsort(-want[positive], kind="stable")][:k]
    assert len(got.rows) == len(expected)
    assert np.allclose(np.sort(got.scores), np.sort(want[expected]), atol=1e-5)
    assert np.allclose(got.scores, want[got.rows], atol=1e-5)  # every returned passage has its true score
    if allowed is not None:
        assert allowed[got.rows].all()


@pytest.mark.parametrize("k", [1, 10, 100])
def test_top_k_equals_scoring_every_posting(corpus, k):
    vocab, _, index = corpus
    for terms in queries(vocab):
        assert_top_k(index.search(terms, k), reference(index, terms), k)


def test_a_mask_restricts_the_top_k_to_allowed_passages(corpus):
    vocab, _, index = corpus
    allowed = np.random.default_rng(1).random(N) < 0.08
    for terms in queries(vocab, 20):
        assert_top_k(index.search(terms, 20, mask=allowed), reference(index, terms), 20, allowed)


def test_scores_of_given_rows_are_exact_and_zero_rows_are_left_out(corpus):
    vocab, _, index = corpus
    rows = np.random.default_rng(2).choice(N, 300, replace=False)
    for terms in queries(vocab, 10):
        want = reference(index, terms)
        got = index.search(terms, rows=rows)
        assert set(got.rows.tolist()) == {int(r) for r in rows if want[r] > 0}
        assert np.allclose(got.scores, want[got.rows], atol=1e-5)


def test_saved_term_bounds_match_the_postings_and_old_indexes_still_search(corpus, tmp_path):
    vocab, docs, index = corpus
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    for term in ("t0", "t5", "t300"):
        tid = index.vocab[term]
        assert loaded.term_max(tid) == pytest.approx(float(index.model.get_scores([term]).max()), rel=1e-6)
    (tmp_path / "lex" / MAXIMA).unlink()  # an index written before the bounds were saved
    bare = LexicalIndex.load(tmp_path / "lex")
    for terms in queries(vocab, 10):
        want = reference(index, terms)
        assert_top_k(loaded.search(terms, 10), want, 10)
        assert_top_k(bare.search(terms, 10), want, 10)
    shutil.rmtree(tmp_path / "lex")
