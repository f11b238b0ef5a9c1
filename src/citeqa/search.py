"""Hybrid, cross-lingual passage search: the one path that the CLI, the app and eval share.

Channels, each scoring every candidate passage:
- dense: multilingual-e5 cosine between the question and the passage;
- dense-translated: the same, for an English question rewritten as its Chinese corpus terms
  (mE5 matches Chinese to Chinese far better than English to Chinese);
- lexical-zh: BM25 over jieba tokens, the query being the Chinese words of a Chinese question
  or the weighted dictionary translation of an English one;
- lexical-en: BM25 over the English words of each passage plus its English gloss (document-side
  expansion through the corpus's bilingual lexicon).
Scores are normalised per channel and fused by a weighted sum (weights chosen on the dev set,
see `Weights`). A question no channel supports well is abstained on.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from .build import passage_text
from .chunk import CHUNKER_VERSION, SENTENCE_END, detect_lang
from .embed import Encoder, encoder_spec, get_encoder
from .facets import Facets
from .lexicon import Lexicon, dictionary_words
from .models import Chunk, Citation, Hit, Reference, SearchResult
from .store import IndexData, load_index
from .text import EN_STOP, en_tokens, stem, to_halfwidth, zh_tokens

MAX_QUERY_CHARS = 2000
DENSE_CANDIDATES = 256  # passages a remote vector engine returns per query vector
ENTITY_TAGS = {"ns", "nr", "nrfg", "nrt", "nt", "nz"}  # jieba: places, people, organisations, other proper nouns


class QueryError(ValueError):
    """The question cannot be searched (empty, only punctuation); the message says what to type."""


@dataclass(frozen=True)
class Filters:
    mechanism: str | None = None
    measure: str | None = None
    lang: str | None = None
    doc_id: str | None = None

    def allows(self, c: Chunk) -> bool:
        return (
            (not self.mechanism or c.mechanism == self.mechanism)
            and (not self.measure or c.measure == self.measure)
            and (not self.lang or c.lang == self.lang)
            and (not self.doc_id or c.doc_id == self.doc_id)
        )


@dataclass(frozen=True)
class Weights:
    """Fusion weights and switches; each switch is one row of the ablation table."""

    # chosen with eval/tune.py on the dev set, from a plateau of settings within one question of each other
    dense: float = 1.0
    dense_translated: float = 1.0
    lexical_zh: float = 0.5
    lexical_en: float = 0.25
    facet_boost: float = 0.15
    use_gloss: bool = True  # mined term pairs (acronyms, parenthetical glosses)
    use_cedict: bool = True  # dictionary query translation
    use_doc_expansion: bool = True  # English glosses indexed with each passage
    abstain_below: float = 0.0  # confidence under which the search abstains (set from the dev set)


@dataclass
class Query:
    text: str
    lang: str
    zh_terms: list[tuple[str, float]]
    en_terms: list[tuple[str, float]]
    translated: str  # Chinese rendering of an English question (for the dense channel)
    mechanisms: list[str]
    measures: list[str]
    expansions: dict[str, list[str]]
    notices: list[str] = field(default_factory=list)


def normalize_query(text: str) -> tuple[str, list[str]]:
    """Clean a raw question; returns it with notices. Raises QueryError if nothing is left."""
    notices = []
    text = "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    text = re.sub(r"\s+", " ", to_halfwidth(text)).strip()
    if not text:
        raise QueryError("the question is empty — type a question or a claim in Chinese or English")
    if not re.search(r"[\w\u3400-\u9fff]", text):
        raise QueryError("the question has no words, only punctuation or symbols — type a question in Chinese or English")
    if len(text) > MAX_QUERY_CHARS:
        notices.append(f"question truncated from {len(text)} to {MAX_QUERY_CHARS} characters")
        text = text[:MAX_QUERY_CHARS]
    if re.search(r"[\u3400-\u9fff]", text):
        simplified = _to_simplified(text)
        if simplified != text:
            notices.append("traditional Chinese converted to simplified for matching")
            text = simplified
    return text, notices


@lru_cache(maxsize=1)
def _t2s() -> Any:
    from opencc import OpenCC

    return OpenCC("t2s")


def _to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese (OpenCC), since the index is simplified."""
    return _t2s().convert(text)


def concept_terms(concepts: list, tokenize, scale: float = 1.0) -> list[tuple[str, float]]:
    """Query tokens for weighted concepts; a concept's weight is shared by its tokens.

    A long name (英国研究与创新署, "UK Research and Innovation") splits into several common
    words; sharing the weight keeps one concept from outweighing the rest of the question.
    Accepts plain strings (weight 1) or objects with `.term` and `.weight`.
    """
    out = []
    for c in concepts:
        term, weight = (c, 1.0) if isinstance(c, str) else (c.term, c.weight)
        toks = tokenize(term)
        out += [(t, scale * weight / len(toks)) for t in toks]
    return out


def _minmax(scores: np.ndarray) -> np.ndarray:
    top = scores.max() if len(scores) else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)


class Searcher:
    """Load an index once, then `search(question, k, filters)`.

    >>> s = Searcher.load("index")                                  # doctest: +SKIP
    >>> s.search("How often is the NNI evaluated?", k=3).hits[0].text  # doctest: +SKIP
    """

    def __init__(self, data: IndexData, encoder: Encoder, weights: Weights = Weights()) -> None:
        self.data = data
        self.encoder = encoder
        self.weights = weights
        self.chunks = data.chunks
        self.vectors = data.vectors
        if weights.use_gloss and weights.use_cedict:
            self.lexicon = Lexicon.from_json(data.extras["lexicon"])
        else:  # an ablation: mine the lexicon again with a component switched off
            texts = [d.text for d in data.documents.values()]
            self.lexicon = Lexicon.build(texts, use_gloss=weights.use_gloss, use_cedict=weights.use_cedict)
        self.facets = Facets.from_manifest(data.extras.get("facets", {}))
        self.bibliography = {int(n): Reference(**r) for n, r in data.extras.get("bibliography", {}).items()}
        self.titles = {d.doc_id: d.title for d in data.documents.values()}
        self.store = self._open_store(data.manifest.get("vector_store"))
        texts = [passage_text(c) for c in self.chunks]
        self._zh = self._bm25([zh_tokens(t) for t in texts])
        self._en_plain = self._bm25([en_tokens(t) for t in texts])
        self._en_expanded = self._bm25([en_tokens(t) + en_tokens(" ".join(self.lexicon.english_gloss(t))) for t in texts])

    def _open_store(self, spec: dict | None):
        """The vector engine named by the index manifest: None means exact search over the local vectors."""
        if not spec or spec.get("backend") != "milvus":
            return None
        from .vectorstore import MilvusStore

        return MilvusStore(spec["uri"], collection=spec["collection"], dim=self.vectors.shape[1])

    def _dense(self, qvecs: np.ndarray, filters: Filters | None) -> np.ndarray:
        """Cosine of every passage with each query vector (0 for passages outside the engine's top candidates).

        Locally the vectors are in memory and exact scores cost one matrix product; on
        Milvus the engine returns the best DENSE_CANDIDATES per query, filters pushed down.
        """
        if self.store is None:
            return self.vectors @ qvecs.T
        sims = np.zeros((len(self.chunks), len(qvecs)), dtype=np.float32)
        pushed = {k: v for k, v in vars(filters).items() if v} if filters else None
        for j, qvec in enumerate(qvecs):
            for row, score in self.store.search(qvec, min(DENSE_CANDIDATES, len(self.chunks)), pushed):
                sims[row, j] = score
        return sims

    @classmethod
    def load(cls, index_dir: str | Path = "index", encoder: Encoder | None = None, weights: Weights = Weights()) -> "Searcher":
        from .store import read_manifest

        manifest = read_manifest(Path(index_dir))
        if encoder is None:
            if manifest is None:
                load_index(Path(index_dir))  # raises the "no index, build one" error
            encoder = get_encoder(encoder_spec(manifest["encoder"]))
        data = load_index(Path(index_dir), encoder=encoder.name)
        if not data.manifest.get("chunker", "").startswith(CHUNKER_VERSION):
            raise ValueError(f"index chunker {data.manifest.get('chunker')} is not {CHUNKER_VERSION}; rebuild with: citeqa build --force")
        return cls(data, encoder, weights)

    @staticmethod
    def _bm25(corpus_tokens: list[list[str]]) -> bm25s.BM25 | None:
        if not any(corpus_tokens):
            return None
        model = bm25s.BM25(k1=1.2, b=0.75)
        model.index([toks or ["\u2400"] for toks in corpus_tokens], show_progress=False)
        return model

    @staticmethod
    def _bm25_scores(model: bm25s.BM25 | None, terms: list[tuple[str, float]], n: int) -> np.ndarray:
        """Weighted BM25: each query term contributes its weight × its BM25 score (structured query)."""
        scores = np.zeros(n, dtype=np.float32)
        if model is None:
            return scores
        vocab = model.vocab_dict
        merged: dict[str, float] = {}
        for term, weight in terms:
            if term in vocab:
                merged[term] = merged.get(term, 0.0) + weight
        for term, weight in merged.items():
            scores += weight * model.get_scores([term])
        return scores

    # -- understanding ----------------------------------------------------------------

    def understand(self, text: str) -> Query:
        text, notices = normalize_query(text)
        lang = detect_lang(text)
        w = self.weights
        expansions = self.lexicon.expand_acronyms(text) if w.use_gloss else {}
        expanded = text + " " + " ".join(t for ts in expansions.values() for t in ts)
        names = [t for ts in expansions.values() for t in ts]
        if lang == "zh":
            zh_terms = [(t, 1.0) for t in zh_tokens(text)] + concept_terms(names, zh_tokens)
            en_terms = [(t, 1.0) for t in en_tokens(text)] + concept_terms(names, en_tokens)
            en_terms += concept_terms(self.lexicon.translate_zh(text), en_tokens, scale=0.5)
            translated = text
        else:
            translations = self.lexicon.translate_en(text)
            zh_terms = concept_terms(translations, zh_tokens) + concept_terms(names, zh_tokens)
            en_terms = [(t, 1.0) for t in en_tokens(text)] + concept_terms(names, en_tokens)
            translated = " ".join(dict.fromkeys(x.term for x in sorted(translations, key=lambda x: -x.weight)))
        return Query(
            text=text,
            lang=lang,
            zh_terms=zh_terms,
            en_terms=en_terms,
            translated=translated,
            mechanisms=[m for m, _ in self.facets.counts("mechanism", expanded).most_common(2)],
            measures=[m for m, _ in self.facets.counts("measure", text).most_common(1)],
            expansions=expansions,
            notices=notices,
        )

    # -- scoring -----------------------------------------------------------------------

    def channel_scores(self, q: Query, filters: Filters | None = None) -> dict[str, np.ndarray]:
        """Raw score of every passage in every channel."""
        n = len(self.chunks)
        w = self.weights
        queries = [q.text] + ([q.translated] if q.lang == "en" and q.translated and w.dense_translated else [])
        qvecs = self.encoder.encode_queries(queries)
        sims = self._dense(qvecs, filters)
        channels = {"dense": sims[:, 0]}
        if sims.shape[1] > 1:
            channels["dense_translated"] = sims[:, 1]
        channels["lexical_zh"] = self._bm25_scores(self._zh, q.zh_terms, n)
        en_index = self._en_expanded if w.use_doc_expansion else self._en_plain
        channels["lexical_en"] = self._bm25_scores(en_index, q.en_terms, n)
        return channels

    def fuse(self, q: Query, channels: dict[str, np.ndarray]) -> np.ndarray:
        w = self.weights
        fused = np.zeros(len(self.chunks), dtype=np.float32)
        for name, scores in channels.items():
            weight = getattr(w, name)
            if not weight:
                continue
            if name.startswith("dense"):
                # cosine of unrelated mE5 pairs sits near 0.75; rescale the useful band to [0, 1]
                norm = np.clip((scores - 0.75) / 0.2, 0, None)
            else:
                norm = _minmax(scores)
            fused += weight * norm
        if w.facet_boost and (q.mechanisms or q.measures):
            mech = np.array([c.mechanism in q.mechanisms for c in self.chunks], dtype=np.float32)
            meas = np.array([c.measure in q.measures for c in self.chunks], dtype=np.float32)
            fused *= 1 + w.facet_boost * (mech + meas)
        return fused

    def confidence(self, channels: dict[str, np.ndarray], order: np.ndarray) -> float:
        """Evidence strength of the best passage: its best dense cosine (mE5 scale, ~0.75 = unrelated)."""
        if not len(order):
            return 0.0
        top = order[0]
        return max(float(channels[c][top]) for c in channels if c.startswith("dense"))

    def unsupported_terms(self, q: Query) -> list[str]:
        """Names, places and numbers in the question that occur nowhere in the corpus.

        A question about an entity the documents never mention (another country, an
        organisation, a later year) cannot be answered from them, however close the
        nearest passage looks; this is the abstention signal, since dense similarity
        barely separates such questions from answerable ones.
        """
        vocab = self._zh.vocab_dict if self._zh else {}
        en_vocab = self._en_plain.vocab_dict if self._en_plain else {}
        missing = []
        if q.lang == "zh":
            import jieba.posseg

            for word, flag in jieba.posseg.cut(q.text):
                entity = (flag in ENTITY_TAGS and len(word) > 1) or (flag == "m" and re.fullmatch(r"(1[89]|20)\d\d", word))
                if entity and not any(t in vocab for t in (zh_tokens(word) or [word])):
                    missing.append(word)
            return missing
        words = re.findall(r"[A-Za-z][\w&-]*|\d{4}", q.text)
        for i, word in enumerate(words):
            word = re.sub(r"'s$", "", word)
            if not (word[0].isupper() and i > 0 or word.isupper() or word.isdigit()):
                continue
            if word.lower() in EN_STOP or (not word.isdigit() and not word.isupper() and stem(word) in dictionary_words()):
                continue  # an ordinary English word that happens to be capitalised ("Table", "Panel")
            known = any(t in en_vocab or t in vocab for t in en_tokens(word)) or word in q.expansions
            if not known and not self.lexicon.translate_en(word):
                missing.append(word)
        return missing

    # -- public ------------------------------------------------------------------------

    def search(self, question: str, k: int = 5, filters: Filters | None = None) -> SearchResult:
        """Ranked, cited passages for a question or claim (raises QueryError on an empty one)."""
        started = time.perf_counter()
        q = self.understand(question)
        return self.rank(q, self.channel_scores(q, filters), k, filters, started)

    def rank(self, q: Query, channels: dict[str, np.ndarray], k: int = 5, filters: Filters | None = None, started: float | None = None) -> SearchResult:
        """Fuse channel scores into the result; split from `search` so weight sweeps reuse the channels."""
        started = time.perf_counter() if started is None else started
        fused = self.fuse(q, channels)
        allowed = np.array([filters.allows(c) for c in self.chunks]) if filters else np.ones(len(self.chunks), bool)
        ranked = [int(i) for i in np.argsort(-fused, kind="stable") if allowed[i]]
        order = self.cover_entities(q, ranked, max(1, k))
        confidence = self.confidence(channels, np.array(order))
        unsupported = self.unsupported_terms(q)
        hits = [self._hit(q, i, float(fused[i]), rank) for rank, i in enumerate(order, start=1)]
        return SearchResult(
            query=q.text,
            lang=q.lang,
            hits=hits,
            abstained=bool(unsupported) or confidence < self.weights.abstain_below or not hits,
            confidence=confidence,
            notices=q.notices,
            understood={
                "mechanisms": q.mechanisms,
                "measures": q.measures,
                "acronyms": q.expansions,
                "translation": q.translated if q.lang == "en" else "",
                "not_in_corpus": unsupported,
            },
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    def cover_entities(self, q: Query, ranked: list[int], k: int) -> list[int]:
        """Top k, making sure each mechanism a comparison question names has its own best passage.

        "Which started earlier, A or B?" needs one passage about A and one about B; plain
        ranking favours passages that merely name both. Each named mechanism's best
        passage is moved up to just after the overall best one (if it is not already in).
        """
        top = ranked[:k]
        if len(q.mechanisms) < 2 or not self.weights.facet_boost:
            return top
        for mechanism in q.mechanisms:
            if any(self.chunks[i].mechanism == mechanism for i in top[:2]):
                continue
            best = next((i for i in ranked if self.chunks[i].mechanism == mechanism), None)
            if best is not None:
                top = [i for i in top if i != best]
                top.insert(1, best)
        return top[:k]

    def _hit(self, q: Query, i: int, score: float, rank: int) -> Hit:
        chunk = self.chunks[i]
        return Hit(
            chunk=chunk,
            score=score,
            title=self.titles.get(chunk.doc_id, chunk.doc_id),
            highlight=self.highlight(q, chunk.text),
            citations=[self.cite(n) for n in chunk.citations],
            rank=rank,
        )

    def cite(self, n: int) -> Citation:
        ref = self.bibliography.get(n)
        if ref is None:
            return Citation(n=n, reference=None)
        return Citation(n=n, reference=ref.text, url=ref.url, source_doc=ref.source_doc)

    def highlight(self, q: Query, text: str) -> tuple[int, int]:
        """Span of the sentence that shares the most (weighted) query terms with the question."""
        weights: dict[str, float] = {}
        for t, wt in q.zh_terms + q.en_terms:
            weights[t] = max(weights.get(t, 0.0), wt)
        best, best_score, start = (0, len(text)), -1.0, 0
        bounds = [m.end() for m in SENTENCE_END.finditer(text)] + [len(text)]
        for end in bounds:
            if end <= start:
                continue
            sentence = text[start:end]
            toks = set(zh_tokens(sentence)) | set(en_tokens(sentence))
            score = sum(weights.get(t, 0.0) * (1 + 0.2 * len(t)) for t in toks)
            if score > best_score and sentence.strip():
                lead = len(sentence) - len(sentence.lstrip())
                best, best_score = (start + lead, end - (len(sentence) - len(sentence.rstrip()))), score
            start = end
        return best

    def with_weights(self, **changes: Any) -> "Searcher":
        """A searcher sharing this one's index and encoder, with other weights or switches (for ablations)."""
        weights = replace(self.weights, **changes)
        if (weights.use_gloss, weights.use_cedict) != (self.weights.use_gloss, self.weights.use_cedict):
            return Searcher(self.data, self.encoder, weights)
        clone = object.__new__(Searcher)
        clone.__dict__.update(self.__dict__)
        clone.weights = weights
        return clone
