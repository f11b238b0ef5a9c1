"""Fusion: a pure function of channel scores over the candidate union, and the weights.

Language symmetry is the point. Each candidate passage is scored by
- `dense`: calibrated z (per passage language, see dense.py) of the question *in the
  passage's language*: the question itself for a passage in its language, its rendering in
  the other language otherwise;
- `dense_cross`: the same for the question in the other language;
  each dense score may be blended (`sentence`) with the z of the passage's best sentence: a
  passage whose one sentence answers the question is not diluted by the sentences around it;
  for a passage in the other language, the question-as-asked score is blended (`cross_encoder`)
  with a second encoder's that crosses languages better (crossvec.py);
- `lexical`: BM25 share in the passage's *own* language channel (zh words for a Chinese
  passage, English words for an English one; the question reaches both through translation);
- `lexical_cross`: the other channel (English glosses of a Chinese passage, Chinese words
  inside an English one);
- `shared_rel`: how many of the question's content words the passage contains, each as written
  or through any translation (coverage.py), relative to the best candidate of the passage's
  language. It counts words, not BM25 mass: the passage that answers every part of the question
  beats one on the topic that answers part of it. Relative per language, a passage in the
  question's language (which shares its words as written) does not outscore a translated one;
- `shared_abs`: the same count as a share of the question's content words. The relative term
  gives the best passage of every language full credit however little it shares; the absolute
  share does not, but alone it favours the question's language, hence:
- `same_language`: a constant added to passages in the question's language. Such a passage
  meets the question as written in every channel, a translated one through the dictionary and
  the encoder's weaker cross-language match; the suite chooses a negative value, which offsets
  that advantage. With it the absolute share beat the relative one in every held-out fold
  (without it, the absolute share buried the article's English sources under its Chinese text).
No channel is 0 by construction for one language, so a passage in either language can win.
The ranking adds one term outside the fused score (`ranked_scores`): a passage that states a number
when the question asks for one (answertype.py); the answerability evidence is the fused score alone.
`rrf` is kept as the plain baseline and as an alternative the suite can pick.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

Z_SCALE = 4.0  # dense z-scores are divided by this so a strong match (z≈4) weighs like a full lexical match


@dataclass(frozen=True)
class Weights:
    """Fusion weights and switches; each switch is one row of the ablation table.

    Chosen on the dev suite (`python -m citeqa.suite_report`, see tune.py), with leave-one-corpus-out
    figures in README "Evaluation".
    """

    dense: float = 1.0
    dense_cross: float = 0.5
    lexical: float = 0.5
    lexical_cross: float = 1.0
    lexical_rel: float = 0.5  # own-language lexical relative to that language's best candidate
    dense_rel: float = 0.5  # passage-language dense z relative to that language's best candidate
    sentence: float = 1.0  # 0: the whole passage's dense score; 1: the better of it and its best sentence's
    cross_encoder: float = 0.5  # share of the cross-language encoder's z in an other-language passage's dense score
    shared_rel: float = 0.0  # the question's words in the passage, relative to its language's best candidate
    shared_abs: float = 1.0  # the share of the question's words in the passage
    same_language: float = -0.25  # added to passages in the question's language (negative: a handicap)
    answer_type: float = 0.5  # added in the ranking to passages that state a quantity a question asks for (answertype.py)
    facet_boost: float = 0.0  # soft boost for passages tagged with a facet the question names
    method: str = "weighted"  # "weighted" | "rrf"
    rrf_k: int = 60
    candidates: int = 100  # k0: each channel's top passages that enter the fusion
    use_gloss: bool = True  # mined term pairs (acronyms, parenthetical glosses)
    use_cedict: bool = True  # dictionary query translation
    use_doc_expansion: bool = True  # English glosses indexed with each Chinese passage
    # answerability model: P(answerable) = sigmoid(b + w · evidence), fitted on the suite (tune.py)
    abstain_model: tuple[float, ...] = (-17.3316, 6.4421)
    abstain_below: float = 0.0066  # P(answerable) under which the search abstains

    def other_channels(self) -> "Weights":
        """Without the shared-word terms, the relative lexical term and the same-language handicap: the
        ranking the off-topic rule reads (coverage.py), so it never judges passages by the count that
        chose them. The relative lexical term goes too: it gives each language's best word match full
        credit however little it shares, which put "good" + "recipe" (良好, 做法) among the article's
        five passages for a banana-bread question."""
        return replace(self, shared_rel=0.0, shared_abs=0.0, same_language=0.0, lexical_rel=0.0)


@dataclass(frozen=True)
class Features:
    """Channel scores of the candidate union (all arrays aligned with `rows`)."""

    rows: np.ndarray
    lang: np.ndarray  # passage language
    query_lang: str
    dense: np.ndarray  # the question as asked
    dense_translated: np.ndarray  # the question rendered in the other language (0 when it has none)
    lexical_zh: np.ndarray
    lexical_en: np.ndarray
    shared: np.ndarray | None = None  # how many of the question's content words each passage contains
    concepts: int = 0  # the question's content words
    shared_numbers: np.ndarray | None = None  # how many of the shared words are numbers (a year, a port)
    numbers: int = 0  # the question's content words that are numbers
    sentence: np.ndarray | None = None  # dense z of the better of the passage and its best sentence (question as asked)
    sentence_translated: np.ndarray | None = None  # the same for the rendering
    cross: np.ndarray | None = None  # the cross-language encoder's z of the question as asked (other-language passages; crossvec.py)
    quantity: np.ndarray | None = None  # 1 where the question asks for a quantity or date and the passage states one (answertype.py)

    def with_cross(self, share: float) -> "Features":
        """The question-as-asked dense scores of other-language passages blended with the cross-language encoder's."""
        if not share or self.cross is None:
            return self
        other = self.lang != self.query_lang
        mix = lambda x: None if x is None else np.where(other, (1 - share) * x + share * self.cross, x).astype(np.float32)  # noqa: E731
        return replace(self, dense=mix(self.dense), sentence=mix(self.sentence))

    def with_sentences(self, share: float) -> "Features":
        """Dense scores blended with their best-sentence form; unchanged where the index has none."""
        if not share or self.sentence is None:
            return self
        mix = lambda whole, best: ((1 - share) * whole + share * best).astype(np.float32)  # noqa: E731
        translated = self.dense_translated if self.sentence_translated is None else mix(self.dense_translated, self.sentence_translated)
        return replace(self, dense=mix(self.dense, self.sentence), dense_translated=translated)

    def dense_pair(self) -> tuple[np.ndarray, np.ndarray]:
        """(passage-language form, other form) dense z of each passage."""
        same = self.lang == self.query_lang
        return np.where(same, self.dense, self.dense_translated), np.where(same, self.dense_translated, self.dense)

    def lexical(self) -> tuple[np.ndarray, np.ndarray]:
        """(own-language, other-language) lexical score of each passage."""
        zh = self.lang == "zh"
        own = np.where(zh, self.lexical_zh, self.lexical_en)
        other = np.where(zh, self.lexical_en, self.lexical_zh)
        return own, other


def weighted(f: Features, w: Weights) -> np.ndarray:
    own, other = f.lexical()
    dense, cross = (np.maximum(x, 0) for x in f.dense_pair())
    fused = (w.dense * dense + w.dense_cross * cross) / Z_SCALE + w.lexical * own + w.lexical_cross * other
    if w.lexical_rel:
        fused = fused + w.lexical_rel * per_language_max(own, f.lang)
    if w.dense_rel:
        fused = fused + w.dense_rel * per_language_max(dense, f.lang)
    shared = f.shared.astype(np.float32) if f.shared is not None else None
    if w.shared_rel and shared is not None:
        fused = fused + w.shared_rel * per_language_max(shared, f.lang)
    if w.shared_abs and shared is not None and f.concepts:
        fused = fused + w.shared_abs * shared / f.concepts
    if w.same_language:
        fused = fused + w.same_language * (f.lang == f.query_lang)
    return fused.astype(np.float32)


def per_language_max(scores: np.ndarray, langs: np.ndarray) -> np.ndarray:
    """Scores divided by the best score among the candidates of the same language.

    Translated queries match less of a passage than native ones; relative to its own
    language's best, the best English passage counts like the best Chinese one.
    """
    out = np.zeros_like(scores)
    for lang in np.unique(langs):
        sel = langs == lang
        top = scores[sel].max() if sel.any() else 0.0
        if top > 0:
            out[sel] = scores[sel] / top
    return out


def _ranks(scores: np.ndarray) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), np.float32)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def rrf(f: Features, w: Weights) -> np.ndarray:
    """Reciprocal rank fusion over the same channels (a passage absent from a channel adds nothing)."""
    own, other = f.lexical()
    dense, cross = f.dense_pair()
    out = np.zeros(len(f.rows), np.float32)
    for weight, scores in ((w.dense, dense), (w.dense_cross, cross), (w.lexical, own), (w.lexical_cross, other)):
        if weight:
            present = scores > 0
            out += np.where(present, weight / (w.rrf_k + _ranks(scores)), 0)
    return out


def fuse(f: Features, w: Weights, boost: np.ndarray | None = None) -> np.ndarray:
    """Fused score of each candidate; `boost` (0, 1 or 2 facets matched) multiplies it softly."""
    f = f.with_cross(w.cross_encoder).with_sentences(w.sentence)
    scores = rrf(f, w) if w.method == "rrf" else weighted(f, w)
    if boost is not None and w.facet_boost:
        scores = scores * (1 + w.facet_boost * boost)
    return scores


def ranked_scores(f: Features, fused: np.ndarray, w: Weights) -> np.ndarray:
    """What the ranking orders by: the fused score, plus the answer-type term for a passage that states the
    quantity the question asks for. The term orders passages; it is not evidence that the corpus answers
    (`evidence` reads the fused score alone), so numbers in a corpus do not make a "how many" question answerable."""
    if w.answer_type and f.quantity is not None and w.method != "rrf":
        return (fused + w.answer_type * f.quantity).astype(np.float32)
    return fused


def ranking(f: Features, fused: np.ndarray, w: Weights) -> np.ndarray:
    """Candidate positions, best first."""
    return np.argsort(-ranked_scores(f, fused, w), kind="stable")


def evidence(f: Features, fused: np.ndarray) -> np.ndarray:
    """What the ranking says about answerability: the best fused score.

    The lexical share and the dense z of the best passages were tried as further features;
    on the dev suite they did not separate unanswerable questions and made the fitted model
    unstable across held-out corpora, so the fused score (which already combines them) is used.
    """
    return np.array([float(fused.max()) if len(fused) else 0.0], np.float32)


def confidence(x: np.ndarray, w: Weights) -> float:
    """P(the corpus answers the question) from the evidence vector."""
    b, *coef = w.abstain_model
    return float(1 / (1 + np.exp(-(b + float(np.dot(coef, x))))))


def support(conf: float, w: Weights) -> str:
    """The confidence in words: none (abstain), weak, or strong."""
    if conf < w.abstain_below:
        return "none"
    return "weak" if conf < (1 + w.abstain_below) / 2 else "strong"
