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
                 model: Any = None, folder: Path | None = None) -> None:
        self.vocab, self.n, self._model, self._folder = vocab, n, model, folder
        self._data, self._indices, self._indptr = scores["data"], scores["indices"], scores["indptr"]
        self.rare = self._rare_ceiling() if rare is None else rare

    @property
    def model(self) -> Any:
        """The bm25s model (loaded on first use for an index read from disk)."""
        if self._model is None and self._folder is not None:
            import bm25s

            self._model = bm25s.BM25.load(str(self._folder), mmap=True, show_progress=False)
        return self._model

    def _rare_ceiling(self) -> float:
        """What a question term the collection lacks would have scored: a rare term's best score.

        Counting absent terms in the ceiling keeps "What is the capital of France?" from
        scoring a full match on "capital" alone in a corpus that never names France.
        """
        starts = np.asarray(self._indptr[:-1])
        nonempty = starts < np.asarray(self._indptr[1:])
        if not nonempty.any():
            return 1.0
        maxima = np.maximum.reduceat(np.asarray(self._data, dtype=np.float32), starts[nonempty])
        return float(np.percentile(maxima, 90))

    @classmethod
    def build(cls, tokens: list[list[str]]) -> "LexicalIndex":
        import bm25s

        model = bm25s.BM25(**PARAMS)
        model.index([t or [EMPTY] for t in tokens], show_progress=False)
        return cls(model.vocab_dict, model.scores, len(tokens), model=model)

    def save(self, folder: Path) -> None:
        self.model.save(str(folder), show_progress=False)
        (Path(folder) / "citeqa.json").write_text(json.dumps({"passages": self.n, "rare": self.rare}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        folder = Path(folder)
        meta = json.loads((folder / "citeqa.json").read_text(encoding="utf-8"))
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        scores = {k: np.load(folder / f"{k}.csc.index.npy", mmap_mode="r") for k in ("data", "indices", "indptr")}
        return cls(vocab, scores, meta["passages"], meta["rare"], folder=folder)

    def __contains__(self, term: str) -> bool:
        return term in self.vocab

    def search(self, terms: list[tuple[str, float]]) -> ChannelResult:
        """Weighted BM25 of every passage that holds a query term, normalised to [0, 1]."""
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
        if not merged:
            return ChannelResult.empty()
        rows, values = [], []
        for tid, weight in merged.items():
            lo, hi = int(self._indptr[tid]), int(self._indptr[tid + 1])
            if hi <= lo:
                continue
            data = np.asarray(self._data[lo:hi], dtype=np.float32)
            rows.append(np.asarray(self._indices[lo:hi], dtype=np.int64))
            values.append(weight * data)
            ceiling += weight * float(data.max())
        if not rows:
            return ChannelResult.empty()
        all_rows, all_values = np.concatenate(rows), np.concatenate(values)
        if len(all_rows) * 16 >= self.n:  # common terms: one dense pass beats sorting the postings
            dense = np.bincount(all_rows, weights=all_values, minlength=self.n)
            uniq = np.flatnonzero(dense)
            summed = dense[uniq].astype(np.float32)
        else:
            uniq, inverse = np.unique(all_rows, return_inverse=True)
            summed = np.bincount(inverse, weights=all_values).astype(np.float32)
        return ChannelResult(uniq, summed / ceiling if ceiling > 0 else summed)
