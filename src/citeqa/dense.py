"""Dense channel: the encoder's cosine, calibrated per passage language, through a VectorStore.

Raw cosines mean different things for different encoders (multilingual-e5 puts unrelated
pairs near 0.8, MiniLM near 0.1) and for different languages (a multilingual encoder scores
same-language pairs higher). So each score is turned into a z-score against a background
sample of the corpus's own passages *of the same language*, drawn at build time and saved
with the index: z = (cos − mean) / std of the question's cosines with that sample. A z of 0
is "as close as a random passage of this language", whatever the encoder and language.

Candidates come from the store one language at a time, so a passage in the language the
encoder disfavours still reaches the fusion.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .lexical import ChannelResult
from .vectorstore import EXACT_BELOW  # a filter keeping fewer passages than this share is scanned exactly

SAMPLE_PER_LANG = 256
PRIOR_WEIGHT = 32  # a language with few passages borrows its background from all languages (shrinkage)
CALIBRATION_FILE = "calibration.npz"
BLOCK = 4096  # rows read per block in that scan: the block stays in cache for every question form


@dataclass(frozen=True)
class Calibration:
    """Background passage vectors per language, drawn from the corpus at build time."""

    samples: dict[str, np.ndarray]  # lang -> (m, dim) vectors

    @classmethod
    def fit(cls, vectors: np.ndarray, langs: list[str], seed: int = 0) -> "Calibration":
        rng = np.random.default_rng(seed)
        by_lang: dict[str, list[int]] = {}
        for i, lang in enumerate(langs):
            by_lang.setdefault(lang, []).append(i)
        samples = {}
        for lang, rows in by_lang.items():
            pick = rng.choice(rows, size=min(SAMPLE_PER_LANG, len(rows)), replace=False)
            samples[lang] = np.asarray(vectors[np.sort(pick)], dtype=np.float32)
        return cls(samples)

    def save(self, folder: Path) -> None:
        np.savez(Path(folder) / CALIBRATION_FILE, **{f"lang_{k}": v for k, v in self.samples.items()})

    @classmethod
    def load(cls, folder: Path) -> "Calibration":
        with np.load(Path(folder) / CALIBRATION_FILE) as z:
            return cls({k.removeprefix("lang_"): z[k] for k in z.files})

    def describe(self) -> dict[str, Any]:
        """Passage-to-passage cosine spread per language: what 'unrelated' looks like for this encoder."""
        out = {}
        for lang, v in self.samples.items():
            sims = v @ v.T
            off = sims[~np.eye(len(v), dtype=bool)] if len(v) > 1 else sims.ravel()
            out[lang] = {"n": len(v), "mean": round(float(off.mean()), 4), "std": round(float(off.std()), 4)}
        return out

    def stats(self, qvec: np.ndarray) -> dict[str, tuple[float, float]]:
        """(mean, std) of the question's cosine with each language's background sample.

        A language with only a few passages gives a noisy estimate, so each language's
        moments are shrunk towards the pooled ones by PRIOR_WEIGHT pseudo-passages.
        """
        sims = {lang: v @ qvec for lang, v in self.samples.items()}
        pooled = np.concatenate(list(sims.values())) if sims else np.zeros(1, np.float32)
        m0, s0 = float(pooled.mean()), float(pooled.var())
        out = {}
        for lang, x in sims.items():
            n = len(x)
            mean = (n * float(x.mean()) + PRIOR_WEIGHT * m0) / (n + PRIOR_WEIGHT)
            var = (n * float(x.var()) + PRIOR_WEIGHT * s0) / (n + PRIOR_WEIGHT)
            out[lang] = (mean, max(var, 1e-8) ** 0.5)
        return out


class DenseChannel:
    """Top candidates per language from a VectorStore, scored as calibrated z-scores."""

    def __init__(self, store: Any, calibration: Calibration, langs: np.ndarray, vectors: np.ndarray | None) -> None:
        self.store = store  # VectorStore: FaissStore in this process, or MilvusStore
        self.calibration = calibration
        self.langs = langs  # lang of every row (object array)
        self.vectors = vectors  # local vectors (memory-mapped) for exact scores of other channels' candidates
        self._stats_for: bytes = b""
        self._stats: dict[str, tuple[float, float]] = {}

    def z(self, qvec: np.ndarray, rows: np.ndarray, cos: np.ndarray) -> np.ndarray:
        key = qvec.tobytes()
        if self._stats_for != key:  # each question vector is scored twice (candidates, then the union)
            self._stats_for, self._stats = key, self.calibration.stats(qvec)
        stats = self._stats
        out = np.zeros(len(rows), np.float32)
        for lang, (mean, std) in stats.items():
            sel = self.langs[rows] == lang
            out[sel] = (cos[sel] - mean) / std
        return out

    def search(self, qvec: np.ndarray, k: int, filters: dict[str, str] | None = None) -> ChannelResult:
        """The k best passages of each language (within the filters), with their z-scores."""
        rows, cos = [], []
        wanted = filters.get("lang") if filters else None
        for lang in self.calibration.samples:
            if wanted and wanted != lang:
                continue
            found = self.store.search(qvec, k, {**(filters or {}), "lang": lang})
            rows += [r for r, _ in found]
            cos += [s for _, s in found]
        rows_a, cos_a = np.array(rows, np.int64), np.array(cos, np.float32)
        return ChannelResult(rows_a, self.z(qvec, rows_a, cos_a))

    def search_all(self, qvecs: np.ndarray, k: int, filters: dict[str, str] | None = None, mask: np.ndarray | None = None) -> list[ChannelResult]:
        """`search` for each form of the question; a narrow filter is scanned exactly, once for all forms.

        Under EXACT_BELOW of the passages a graph index walks mostly excluded nodes, so the
        allowed rows' vectors are read in blocks and scored against every question form at
        once: one pass over memory instead of one per form.
        """
        if mask is None or self.vectors is None or len(qvecs) < 2 or np.count_nonzero(mask) >= EXACT_BELOW * len(mask):
            return [self.search(v, k, filters) for v in qvecs]
        rows = np.flatnonzero(mask)
        cos = np.empty((len(rows), len(qvecs)), np.float32)
        forms = np.ascontiguousarray(np.asarray(qvecs, np.float32).T)  # (dim, forms), laid out for the product
        for at in range(0, len(rows), BLOCK):
            cos[at : at + BLOCK] = self.vectors[rows[at : at + BLOCK]] @ forms
        langs = self.langs[rows]
        by_lang = [np.flatnonzero(langs == lang) for lang in self.calibration.samples]
        out = []
        for j, v in enumerate(qvecs):
            picked = np.concatenate([at[np.argpartition(-cos[at, j], k - 1)[:k]] if len(at) > k else at for at in by_lang])
            out.append(ChannelResult(rows[picked], self.z(v, rows[picked], cos[picked, j])))
        return out

    def best_sentences(self, qvecs: np.ndarray, rows: np.ndarray, z: list[np.ndarray], sentences: Any) -> list[np.ndarray]:
        """For each question form, the z of the better of each passage (`z`) and its best sentence (sentvec.SentenceVectors)."""
        cos = sentences.best(qvecs, rows)
        return [np.maximum(zf, self.z(v, rows, c)) for v, zf, c in zip(qvecs, z, cos)]

    def score(self, qvec: np.ndarray, rows: np.ndarray, found: ChannelResult) -> np.ndarray:
        """z-scores for any rows: exact from local vectors, else the store's, else the lowest found."""
        if self.vectors is not None:
            cos = np.asarray(self.vectors[np.sort(rows)] @ qvec, dtype=np.float32)
            exact = np.empty(len(rows), np.float32)
            exact[np.argsort(rows)] = cos
            return self.z(qvec, rows, exact)
        known = found.lookup(rows)
        floor = float(found.scores.min()) if len(found.scores) else 0.0
        missing = ~np.isin(rows, found.rows)
        known[missing] = floor
        return known
