"""Fusion: a pure function of channel scores over the candidate union, and the weights.

Language symmetry is the point. Each candidate passage is scored by
- `dense`: calibrated z of the question (per passage language, see dense.py);
- `dense_translated`: the same for the question rendered in the other language;
- `lexical`: BM25 share in the passage's *own* language channel (zh words for a Chinese
  passage, English words for an English one; the question reaches both through translation);
- `lexical_cross`: the other channel (English glosses of a Chinese passage, Chinese words
  inside an English one).
No channel is 0 by construction for one language, so a passage in either language can win.
`rrf` is kept as the plain baseline and as an alternative the suite can pick.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Z_SCALE = 4.0  # dense z-scores are divided by this so a strong match (z≈4) weighs like a full lexical match


@dataclass(frozen=True)
class Weights:
    """Fusion weights and switches; each switch is one row of the ablation table.

    Chosen leave-one-corpus-out on the dev suite (eval/tune.py); see README "Evaluation".
    """

    dense: float = 1.0
    dense_translated: float = 0.5
    lexical: float = 1.0
    lexical_cross: float = 0.5
    facet_boost: float = 0.15
    method: str = "weighted"  # "weighted" | "rrf"
    rrf_k: int = 60
    candidates: int = 100  # k0: each channel's top passages that enter the fusion
    use_gloss: bool = True  # mined term pairs (acronyms, parenthetical glosses)
    use_cedict: bool = True  # dictionary query translation
    use_doc_expansion: bool = True  # English glosses indexed with each Chinese passage
    abstain_below: float = 0.35  # fused score of the best passage under which the search abstains


@dataclass(frozen=True)
class Features:
    """Channel scores of the candidate union (all arrays aligned with `rows`)."""

    rows: np.ndarray
    lang: np.ndarray  # passage language
    dense: np.ndarray
    dense_translated: np.ndarray
    lexical_zh: np.ndarray
    lexical_en: np.ndarray

    def lexical(self) -> tuple[np.ndarray, np.ndarray]:
        """(own-language, other-language) lexical score of each passage."""
        zh = self.lang == "zh"
        own = np.where(zh, self.lexical_zh, self.lexical_en)
        other = np.where(zh, self.lexical_en, self.lexical_zh)
        return own, other


def weighted(f: Features, w: Weights) -> np.ndarray:
    own, other = f.lexical()
    dense = np.maximum(f.dense, 0) / Z_SCALE
    translated = np.maximum(f.dense_translated, 0) / Z_SCALE
    return (w.dense * dense + w.dense_translated * translated + w.lexical * own + w.lexical_cross * other).astype(np.float32)


def _ranks(scores: np.ndarray) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), np.float32)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def rrf(f: Features, w: Weights) -> np.ndarray:
    """Reciprocal rank fusion over the same channels (a passage absent from a channel adds nothing)."""
    own, other = f.lexical()
    out = np.zeros(len(f.rows), np.float32)
    for weight, scores in ((w.dense, f.dense), (w.dense_translated, f.dense_translated), (w.lexical, own), (w.lexical_cross, other)):
        if weight:
            present = scores > 0
            out += np.where(present, weight / (w.rrf_k + _ranks(scores)), 0)
    return out


def fuse(f: Features, w: Weights, boost: np.ndarray | None = None) -> np.ndarray:
    """Fused score of each candidate; `boost` (0, 1 or 2 facets matched) multiplies it softly."""
    scores = rrf(f, w) if w.method == "rrf" else weighted(f, w)
    if boost is not None and w.facet_boost:
        scores = scores * (1 + w.facet_boost * boost)
    return scores


def support(score: float, w: Weights) -> str:
    """The fused score of the best passage in words: none (abstain), weak (under 1.5× that), or strong."""
    if score < w.abstain_below:
        return "none"
    return "weak" if score < 1.5 * w.abstain_below else "strong"
