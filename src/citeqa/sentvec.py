"""Sentence vectors: each passage's sentences embedded on their own, for the dense channel's best sentence.

A passage embedded whole is the mean of what its sentences say; when one sentence answers
the question, the others dilute it. The dense channel can score a candidate by the better
of the whole passage and its best sentence (fusion.Weights.sentence says how much of that
counts). Only candidates are scored this way, so a query reads a few hundred sentence
vectors, never the whole file.

Stored per build as a ragged array: `vectors` (one row per sentence, float16 to halve the
file) and `starts` (passage i owns rows starts[i]:starts[i+1]). A passage of one sentence, a
table, or a passage unchanged since the last build costs no encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from .models import Chunk
from .text import SENTENCE_END

FOLDER = "sentences"  # inside the build's search folder
BATCH = 512  # sentences per encoder call (the progress bar moves per batch)
MIN_CHARS = 8  # shorter pieces ("1.", a lone bracket) are not sentences


def passage_sentences(chunk: Chunk) -> list[str]:
    """The passage's sentences, each with the section title the whole passage is embedded with.

    Empty for a table or a passage of one sentence: its whole-passage vector already says it all.
    """
    if chunk.kind == "table":
        return []
    pieces, at = [], 0
    for m in SENTENCE_END.finditer(chunk.text):
        if m.end() > at:
            pieces.append(chunk.text[at : m.end()])
            at = m.end()
    pieces.append(chunk.text[at:])
    sentences = [p.strip() for p in pieces if len(p.strip()) >= MIN_CHARS]
    if len(sentences) < 2:
        return []
    head = f"{chunk.section[-1]}\n" if chunk.section else ""
    return [head + s for s in sentences]


@dataclass(frozen=True)
class SentenceVectors:
    """Ragged per-passage sentence vectors."""

    vectors: np.ndarray  # (sentences, dim) float16
    starts: np.ndarray  # (passages + 1,) int64

    @classmethod
    def empty(cls, dim: int) -> "SentenceVectors":
        return cls(np.zeros((0, dim), np.float16), np.zeros(1, np.int64))

    def __len__(self) -> int:
        return len(self.starts) - 1

    def of(self, row: int) -> np.ndarray:
        return self.vectors[self.starts[row] : self.starts[row + 1]]

    def best(self, qvecs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Cosine of each row's best sentence with each question form: (forms, rows), −inf for a passage without sentences.

        The rows' sentences are gathered and widened to float32 once for all forms (the widening is
        most of the cost).
        """
        qvecs, rows = np.atleast_2d(np.asarray(qvecs, np.float32)), np.asarray(rows, np.int64)
        lo, hi = self.starts[rows], self.starts[rows + 1]
        counts = hi - lo
        out = np.full((len(qvecs), len(rows)), -np.inf, np.float32)
        if not counts.sum():
            return out
        take = np.repeat(lo - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
        cos = np.asarray(self.vectors[take], np.float32) @ qvecs.T  # (sentences, forms)
        owner = np.repeat(np.arange(len(rows)), counts)
        for j in range(len(qvecs)):
            np.maximum.at(out[j], owner, cos[:, j])
        return out

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "vectors.npy", np.ascontiguousarray(self.vectors, np.float16))
        np.save(folder / "starts.npy", self.starts)

    @classmethod
    def load(cls, folder: Path) -> "SentenceVectors | None":
        """The build's sentence vectors, memory-mapped; None for an index built without them."""
        if not (folder / "starts.npy").exists():
            return None
        return cls(np.load(folder / "vectors.npy", mmap_mode="r"), np.load(folder / "starts.npy"))


def encode_sentences(chunks: list[Chunk], encoder: Any, reuse: list[np.ndarray | None] | None = None,
                     progress: bool = False) -> SentenceVectors:
    """Sentence vectors of `chunks`; `reuse[i]`, when given, is passage i's vectors from an earlier build."""
    split = [passage_sentences(c) if reuse is None or reuse[i] is None else [] for i, c in enumerate(chunks)]
    texts = [s for parts in split for s in parts]
    fresh = np.empty((len(texts), encoder.dim), np.float16)  # filled batch by batch: never a float32 copy of all of them
    for at in tqdm(range(0, len(texts), BATCH), desc="sentences", unit="batch", disable=not progress):
        fresh[at : at + BATCH] = encoder.encode_passages(texts[at : at + BATCH])
    blocks, at = [], 0
    for i, parts in enumerate(split):
        if reuse is not None and reuse[i] is not None:
            blocks.append(np.asarray(reuse[i], np.float16))
        else:
            blocks.append(fresh[at : at + len(parts)])
            at += len(parts)
    counts = np.array([len(b) for b in blocks], np.int64)
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, encoder.dim), np.float16)
    return SentenceVectors(vectors.reshape(-1, encoder.dim), np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))


def join(first: SentenceVectors, then: SentenceVectors) -> SentenceVectors:
    """`then`'s passages appended after `first`'s (a grown build keeps the old rows first)."""
    return SentenceVectors(np.concatenate([np.asarray(first.vectors), then.vectors]), np.concatenate([first.starts, first.starts[-1] + then.starts[1:]]))
