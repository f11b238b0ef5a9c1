"""Building BM25 indexes in bm25s's file format, and extending one without reading its passages again.

BM25 weights depend on the whole collection (a term's IDF, the mean passage length), so adding
passages changes every weight; what does not change is each posting's term frequency and each
passage's length. Those are saved beside bm25s's score matrix (`tf.npy`, `doclen.npy`): adding
a document tokenises only its passages, appends their postings, and re-weights all postings
in one vectorised pass. bm25s has no update, and its builder counts terms in a Python loop per
passage; the scoring here is bm25s's own (method "lucene", k1/b from `PARAMS`), checked
against it by the tests, and the files are written by bm25s's `save` so `bm25s.BM25.load`
reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .lexical import EMPTY, PARAMS

TF, DOCLEN = "tf.npy", "doclen.npy"
BLOCK = 1 << 22  # postings re-weighted per step


@dataclass
class Postings:
    """Term-major postings: column t holds rows[indptr[t]:indptr[t+1]] (ascending) with their tf."""

    vocab: dict[str, int]  # term -> column (bm25s's empty-token "" excluded)
    indptr: np.ndarray  # int64, len(vocab) + 1
    rows: np.ndarray  # int32
    tf: np.ndarray  # float32 term counts
    doclen: np.ndarray  # int32 tokens per passage

    @property
    def n(self) -> int:
        return len(self.doclen)

    @classmethod
    def empty(cls) -> "Postings":
        return cls({}, np.zeros(1, np.int64), np.empty(0, np.int32), np.empty(0, np.float32), np.empty(0, np.int32))

    @classmethod
    def of(cls, tokens: list[list[str]]) -> "Postings":
        return cls.empty().extend(tokens)

    def extend(self, tokens: list[list[str]]) -> "Postings":
        """These postings plus passages `tokens` as rows n, n+1, …; new terms get new columns."""
        vocab = dict(self.vocab)
        streams = [t or [EMPTY] for t in tokens]
        total = self.n + len(streams)
        lengths = np.fromiter(map(len, streams), np.int64, len(streams))
        key = np.fromiter((vocab.setdefault(w, len(vocab)) for s in streams for w in s), np.int64, int(lengths.sum()))
        key *= total
        key += np.repeat(np.arange(self.n, total, dtype=np.int64), lengths)
        key.sort()  # by (term, row); in place: a million passages hold ~10^8 tokens
        starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1]))) if len(key) else np.empty(0, np.int64)
        tf = np.diff(np.append(starts, len(key)))
        pair = key[starts]
        del key
        new_cols, new_rows = pair // total, pair % total
        old_count = np.zeros(len(vocab), np.int64)
        old_count[: len(self.indptr) - 1] = np.diff(self.indptr)
        new_count = np.bincount(new_cols, minlength=len(vocab))
        indptr = np.zeros(len(vocab) + 1, np.int64)
        np.cumsum(old_count + new_count, out=indptr[1:])
        out_rows = np.empty(indptr[-1], np.int32)
        out_tf = np.empty(indptr[-1], np.float32)
        if len(self.rows):  # old postings keep their order at the head of each column, each column shifted
            at = np.repeat(indptr[:-1] - np.append(self.indptr[:-1], np.full(len(vocab) + 1 - len(self.indptr), self.indptr[-1])), old_count)
            at += np.arange(len(self.rows))
            out_rows[at], out_tf[at] = self.rows, self.tf
            del at
        if len(pair):  # new rows are larger than every old one, so they follow
            first = np.searchsorted(new_cols, new_cols, side="left")
            at = indptr[new_cols] + old_count[new_cols] + (np.arange(len(pair)) - first)
            out_rows[at], out_tf[at] = new_rows, tf
        return Postings(vocab, indptr, out_rows, out_tf, np.concatenate([self.doclen, lengths.astype(np.int32)]))

    def scores(self) -> np.ndarray:
        """BM25 (Lucene variant, as bm25s computes it) of every posting, float32."""
        k1, b = PARAMS["k1"], PARAMS["b"]
        df = np.diff(self.indptr).astype(np.float64)
        idf = np.log(1 + (self.n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avg = float(self.doclen.mean()) if self.n else 1.0
        cols = np.repeat(np.arange(len(df), dtype=np.int32), np.diff(self.indptr))
        out = np.empty(len(self.rows), np.float32)
        for lo in range(0, len(out), BLOCK):  # in blocks: a million passages hold ~10^8 postings
            hi = min(lo + BLOCK, len(out))
            tf = self.tf[lo:hi]
            tfc = tf / (k1 * ((1 - b) + b * self.doclen[self.rows[lo:hi]].astype(np.float64) / avg) + tf)
            out[lo:hi] = idf[cols[lo:hi]] * tfc
        return out

    def csc(self) -> dict[str, np.ndarray]:
        """The score matrix as bm25s holds it (term-major CSC over passages)."""
        return {"data": self.scores(), "indices": self.rows, "indptr": self.indptr, "num_docs": self.n}

    def save(self, folder: Path, scores: dict[str, np.ndarray]) -> None:
        """bm25s's files (through bm25s's own save), plus the counts a later extension needs."""
        import bm25s

        model = bm25s.BM25(**PARAMS)
        model.scores, model.vocab_dict = scores, {**self.vocab, "": len(self.vocab)}
        model.nonoccurrence_array = None  # set by bm25s.index for its BM25L/BM25+ variants only
        model.save(str(folder), show_progress=False)
        np.save(Path(folder) / TF, self.tf)
        np.save(Path(folder) / DOCLEN, self.doclen)

    @classmethod
    def load(cls, folder: Path) -> "Postings | None":
        """The postings of a saved index, or None when it was saved without its counts (then rebuild)."""
        import json

        folder = Path(folder)
        if not (folder / TF).is_file() or not (folder / DOCLEN).is_file():
            return None
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        vocab.pop("", None)
        indptr = np.load(folder / "indptr.csc.index.npy")
        rows = np.load(folder / "indices.csc.index.npy", mmap_mode="r")  # read once, by the extension
        tf, doclen = np.load(folder / TF, mmap_mode="r"), np.load(folder / DOCLEN)
        if len(indptr) != len(vocab) + 1 or len(rows) != len(tf) or int(indptr[-1]) != len(rows):
            return None
        return cls(vocab, indptr, rows, tf, doclen)
