"""Lexical channel: BM25 (bm25s) over one token stream per passage, saved with the build.

Two indexes per build: `zh` (jieba words of the Chinese text) and `en` (stemmed English words
plus, for Chinese passages, their English glosses from the corpus lexicon). A query is a list
of weighted terms (a structured, Pirkola-style query from the translation step); bm25s has no
per-term weights, so the weighted sum is taken here straight from its term-major sparse score
matrix: only the postings of the query's terms are touched, never every passage.

Scores are divided by the query's attainable maximum (sum over terms of weight × the term's
best score in the collection), so a channel's score reads as "share of the question's
weighted terms matched, at full strength". That makes the zh and en channels comparable with
each other and across questions, which the language-symmetric fusion needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

EMPTY = "\u2400"  # stands in for a passage with no token in this channel (bm25s needs one)
PARAMS = {"k1": 1.2, "b": 0.75}
SAMPLE = 20_000  # longest posting list whose partial sums give the pruning threshold (a lower bound of the k-th best)
LOOKUP_COST = 16  # a binary search in a posting list costs about this many sequential postings
MAXIMA = "maxima.npy"  # each term's best score: the bounds that let a search skip common terms' postings


@dataclass(frozen=True)
class ChannelResult:
    """Scores of the passages a channel found, as rows of the chunk table (unordered)."""

    rows: np.ndarray  # int64
    scores: np.ndarray  # float32, comparable across channels (see module docstring)

    @classmethod
    def empty(cls) -> "ChannelResult":
        return cls(np.empty(0, np.int64), np.empty(0, np.float32))

    def top(self, k: int, mask: np.ndarray | None = None) -> "ChannelResult":
        """The k best rows, restricted to `mask` (a boolean array over all rows) when given."""
        rows, scores = self.rows, self.scores
        if mask is not None and len(rows):
            keep = mask[rows]
            rows, scores = rows[keep], scores[keep]
        if len(rows) > k:
            part = np.argpartition(-scores, k - 1)[:k]
            rows, scores = rows[part], scores[part]
        return ChannelResult(rows, scores)

    def lookup(self, rows: np.ndarray) -> np.ndarray:
        """This channel's score for each of `rows` (0 where it found nothing)."""
        out = np.zeros(len(rows), np.float32)
        if not len(self.rows):
            return out
        if len(self.rows) < 2 or bool(np.all(self.rows[1:] > self.rows[:-1])):  # BM25 results come sorted
            order = np.arange(len(self.rows))
        else:
            order = np.argsort(self.rows)
        sorted_rows = self.rows[order]
        at = np.searchsorted(sorted_rows, rows)
        at = np.clip(at, 0, len(sorted_rows) - 1)
        hit = sorted_rows[at] == rows
        out[hit] = self.scores[order[at[hit]]]
        return out


class LexicalIndex:
    """A saved BM25 index read memory-mapped: load costs the vocabulary, not the postings.

    Searching needs only the vocabulary and bm25s's term-major score matrix, read straight from
    the files bm25s writes; bm25s itself (numba, scipy: half a second to import) is loaded only
    to build or when `model` is asked for.
    """

    def __init__(self, vocab: dict[str, int], scores: dict[str, np.ndarray], n: int, rare: float | None = None,
                 model: Any = None, folder: Path | None = None, maxima: np.ndarray | None = None) -> None:
        self.vocab, self.n, self._model, self._folder = vocab, n, model, folder
        # plain ndarray views of the memory maps: np.memmap's Python-level __getitem__ costs more than a slice
        self._data, self._indices, self._indptr = (np.asarray(scores[k]) for k in ("data", "indices", "indptr"))
        self._max = maxima
        self.rare = self._rare_ceiling() if rare is None else rare

    @property
    def model(self) -> Any:
        """The bm25s model (loaded on first use for an index read from disk)."""
        if self._model is None and self._folder is not None:
            import bm25s

            self._model = bm25s.BM25.load(str(self._folder), mmap=True, show_progress=False)
        elif self._model is None:  # built here, not saved yet: bm25s over the same score matrix
            import bm25s

            self._model = bm25s.BM25(**PARAMS)
            self._model.scores = {"data": self._data, "indices": self._indices, "indptr": self._indptr, "num_docs": self.n}
            self._model.vocab_dict = {**self.vocab, "": len(self._indptr) - 1}
            self._model.unique_token_ids_set = set(self._model.vocab_dict.values())
            self._model.nonoccurrence_array = None
        return self._model

    def maxima(self) -> np.ndarray:
        """Each term's best score in the collection (0 for a term without postings)."""
        if self._max is None:
            starts, ends = np.asarray(self._indptr[:-1]), np.asarray(self._indptr[1:])
            nonempty = starts < ends
            self._max = np.zeros(len(starts), np.float32)
            if nonempty.any():
                self._max[nonempty] = np.maximum.reduceat(np.asarray(self._data, dtype=np.float32), starts[nonempty])
        return self._max

    def _rare_ceiling(self) -> float:
        """What a question term the collection lacks would have scored: a rare term's best score.

        Counting absent terms in the ceiling keeps "What is the capital of France?" from
        scoring a full match on "capital" alone in a corpus that never names France.
        """
        maxima = self.maxima()
        return float(np.percentile(maxima[maxima > 0], 90)) if (maxima > 0).any() else 1.0

    @classmethod
    def build(cls, tokens: list[list[str]], previous: Any = None) -> "LexicalIndex":
        """BM25 over `tokens` (one list per passage), or `previous` postings (bm25index.Postings) extended by them."""
        from .bm25index import Postings

        postings = (previous or Postings.empty()).extend(tokens)
        index = cls(postings.vocab, postings.csc(), postings.n)
        index._built = postings
        return index

    def save(self, folder: Path) -> None:
        self._built.save(Path(folder), {"data": self._data, "indices": self._indices, "indptr": self._indptr, "num_docs": self.n})
        np.save(Path(folder) / MAXIMA, self.maxima())  # the pruned search's term bounds, read at load
        (Path(folder) / "citeqa.json").write_text(json.dumps({"passages": self.n, "rare": self.rare}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        folder = Path(folder)
        meta = json.loads((folder / "citeqa.json").read_text(encoding="utf-8"))
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        scores = {k: np.load(folder / f"{k}.csc.index.npy", mmap_mode="r") for k in ("data", "indices", "indptr")}
        maxima = np.load(folder / MAXIMA, mmap_mode="r") if (folder / MAXIMA).exists() else None
        return cls(vocab, scores, meta["passages"], meta["rare"], folder=folder, maxima=maxima)

    def __contains__(self, term: str) -> bool:
        return term in self.vocab

    def holds(self, terms: list[str], rows: np.ndarray) -> np.ndarray:
        """Whether each of `rows` contains each term: a (terms × rows) boolean matrix."""
        rows = np.asarray(rows, np.int64)
        out = np.zeros((len(terms), len(rows)), bool)
        for i, term in enumerate(terms):
            tid = self.vocab.get(term)
            if tid is not None and tid + 1 < len(self._indptr):
                out[i] = self._scores_of(tid, rows) > 0
        return out

    def term_max(self, tid: int) -> float:
        """The term's best score in the collection (saved at build; read from its postings otherwise)."""
        if self._max is not None:
            return float(self._max[tid])
        lo, hi = int(self._indptr[tid]), int(self._indptr[tid + 1])
        return float(np.max(self._data[lo:hi])) if hi > lo else 0.0

    def _plan(self, terms: list[tuple[str, float]]) -> tuple[list[tuple[int, float, float]], float]:
        """(term id, weight, upper bound) of the query's indexed terms, best bound first, and the ceiling."""
        merged: dict[int, float] = {}
        ceiling = 0.0
        for term, weight in terms:
            tid = self.vocab.get(term)
            if weight <= 0:
                continue
            if tid is None or tid + 1 >= len(self._indptr):  # bm25s keeps "" in its vocabulary without a column
                ceiling += weight * self.rare
            else:
                merged[tid] = merged.get(tid, 0.0) + weight
        plan = [(tid, w, w * self.term_max(tid)) for tid, w in merged.items()]
        plan = sorted((p for p in plan if p[2] > 0), key=lambda p: -p[2])
        return plan, ceiling + sum(p[2] for p in plan)

    def _postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = int(self._indptr[tid]), int(self._indptr[tid + 1])
        return np.asarray(self._indices[lo:hi]), np.asarray(self._data[lo:hi])

    def _scores_of(self, tid: int, rows: np.ndarray) -> np.ndarray:
        """The term's score in each of `rows` (sorted), 0 where absent: a binary search per row."""
        lo, hi = int(self._indptr[tid]), int(self._indptr[tid + 1])
        out = np.zeros(len(rows), np.float64)
        if hi <= lo or not len(rows):
            return out
        postings = self._indices[lo:hi]
        at = np.minimum(np.searchsorted(postings, rows), hi - lo - 1)
        hit = postings[at] == rows
        out[hit] = self._data[lo + at[hit]]
        return out

    def search(self, terms: list[tuple[str, float]], k: int | None = None, filters: dict[str, str] | None = None,
               rows: np.ndarray | None = None, mask: np.ndarray | None = None) -> ChannelResult:
        """The k best passages (within `mask`), or the scores of `rows`, by weighted BM25 normalised to [0, 1].

        Exact, without scoring every passage that holds a query term (MaxScore): terms are added
        best bound first; once the k-th best partial sum reaches what the remaining terms could
        add at most, no passage outside the candidates can enter the top k, and the remaining
        (common) terms are only looked up for the candidates still able to make it. `filters`
        is for engines that take them (see MilvusLexical); here `mask` does that work.
        """
        plan, ceiling = self._plan(terms)
        if not plan:
            return ChannelResult.empty()
        if rows is not None:
            rows = np.unique(np.asarray(rows, np.int64))
            total = sum(w * self._scores_of(tid, rows) for tid, w, _ in plan)
            keep = total > 0
            return ChannelResult(rows[keep], (total[keep] / ceiling).astype(np.float32))
        k = self.n if k is None else max(1, k)
        acc = np.zeros(self.n, np.float32)  # partial sums (calloc: pages are zeroed only where touched)
        probe = None  # one short posting list: its partial sums bound the k-th best from below
        bounds = np.cumsum([p[2] for p in plan][::-1])[::-1].tolist() + [0.0]  # what the terms from i on add at most
        slack = 1e-5 * bounds[0]  # float32 partial sums are not exact: never prune on a rounding difference
        theta, at = 0.0, len(plan)
        for i, (tid, w, _) in enumerate(plan):
            if probe is not None:
                theta = _kth(acc[probe], k)
            if theta - slack >= bounds[i] and self._cheaper_to_look_up(acc, theta - bounds[i] - slack, plan[i:]):
                at = i
                break
            found, values = self._postings(tid)
            acc[found] += np.float32(w) * values
            if probe is None and k <= len(found) <= SAMPLE:
                allowed = found if mask is None else found[mask[found]]
                probe = allowed if len(allowed) >= k else None
        if probe is not None:
            theta = _kth(acc[probe], k)
        keep = acc >= max(theta - bounds[at] - slack, np.finfo(np.float32).tiny)  # could still reach the k-th best
        cand = np.flatnonzero(keep if mask is None else keep & mask)
        part = acc[cand].astype(np.float64)
        for i in range(at, len(plan)):  # lookups only: no passage outside `cand` can reach the top k
            tid, w, _ = plan[i]
            part += w * self._scores_of(tid, cand)
            theta = max(theta, _kth(part, k))
            alive = part + bounds[i + 1] >= theta - slack
            cand, part = cand[alive], part[alive]
        return ChannelResult(cand, (part / ceiling).astype(np.float32)).top(k)

    def _cheaper_to_look_up(self, acc: np.ndarray, floor: float, rest: list[tuple[int, float, float]]) -> bool:
        """Whether binary searches for the passages still in the race beat reading the rest of the postings."""
        left = sum(int(self._indptr[t + 1] - self._indptr[t]) for t, _, _ in rest)
        return int(np.count_nonzero(acc >= max(floor, np.finfo(np.float32).tiny))) * LOOKUP_COST * len(rest) <= left


def _kth(scores: np.ndarray, k: int) -> float:
    """The k-th largest score (0 while there are fewer than k)."""
    if len(scores) < k:
        return 0.0
    return float(np.partition(scores, len(scores) - k)[len(scores) - k])
