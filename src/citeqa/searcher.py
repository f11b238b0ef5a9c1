"""The searcher: composed from the parts it is handed, one question at a time.

    understand (query.py) -> candidates from each channel (lexical.py, dense.py)
    -> fusion over their union (fusion.py) -> cite (cite.py)

Each channel returns its top `Weights.candidates` passages (per language for the dense one);
fusion scores only their union, with every channel's score for every candidate, so the cost
of a question follows k0, not the corpus. Filters are boolean masks and store filters, never
Python loops over the passages.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .cite import Citer
from .dense import Calibration, DenseChannel
from .embed import Encoder, encoder_spec, get_encoder
from .facets import Facets
from .fusion import Features, Weights, confidence, evidence, fuse, ranked_scores, support
from .lexical import ChannelResult, LexicalIndex
from .lexicon import Lexicon
from .models import Reference, SearchResult
from .indexdir import rebuild_hint
from .query import Filters, Query, understand
from .sentvec import FOLDER as SENTENCES, SentenceVectors
from .crossvec import FOLDER as CROSS, CrossVectors
from .store import IndexData, IndexError_, load_index, read_manifest
from .abstain import unsupported_terms
from .answertype import asks_quantity, states_quantity
from .coverage import concept_hits, concepts, is_off_topic

SEARCH_DIR = "search"


def faiss_threads(n: int) -> None:
    import faiss

    faiss.omp_set_num_threads(n)  # the build's sub-folder holding the lexical indexes, calibration and vectors


class Searcher:
    """Load an index once, then `search(question, k, filters)`.

    >>> s = Searcher.load("index")                                  # doctest: +SKIP
    >>> s.search("How often is the NNI evaluated?", k=3).hits[0].text  # doctest: +SKIP
    """

    def __init__(self, data: IndexData, encoder: Encoder, weights: Weights = Weights()) -> None:
        self.data, self.encoder, self.weights = data, encoder, weights
        self.chunks = data.chunks
        folder = data.path / SEARCH_DIR
        faiss_threads(1)  # one question at a time: thread wake-ups cost more than a single search
        if not folder.is_dir():
            raise IndexError_(f"index in {data.path} has no search files; rebuild it with: citeqa build --force")
        if weights.use_gloss and weights.use_cedict:
            self.lexicon = Lexicon.from_json(data.extras["lexicon"])
        else:  # an ablation: mine the lexicon again with a component switched off
            texts = [d.text for d in data.documents.values()]
            self.lexicon = Lexicon.build(texts, use_gloss=weights.use_gloss, use_cedict=weights.use_cedict)
        self.facets = Facets.from_manifest(data.extras.get("facets", {}))
        # titles and cited references come from the documents' small header table; full documents are read per hit
        self.citer = Citer(data.documents.headers(), {int(n): Reference(**r) for n, r in data.extras.get("bibliography", {}).items()})
        self.citer.documents = data.documents
        # columns saved at build: `columns[f][rows]` gives strings; filter masks compare the integer codes
        self.columns = {f: data.chunks.column(f) for f in ("lang", "mechanism", "measure", "doc_id")}
        self.codes = {f: (col.values, col.codes) for f, col in self.columns.items()}
        store = self._open_store()
        en = "en" if weights.use_doc_expansion else "en-plain"
        remote = (self.data.manifest.get("vector_store") or {}).get("lexical")
        if remote:  # BM25 answered by Milvus: only the per-term tables are loaded here
            from .milvus_lexical import MilvusLexical

            terms = folder / "lexical-milvus"
            self.zh = MilvusLexical.open(store.client, remote["collection"], remote["fields"]["zh"], terms)
            self.en = MilvusLexical.open(store.client, remote["collection"], remote["fields"][en], terms)
        else:
            self.zh = LexicalIndex.load(folder / "lexical-zh")
            self.en = LexicalIndex.load(folder / f"lexical-{en}")
        vectors = getattr(store, "vectors", None)  # FAISS keeps them here, memory-mapped; Milvus does not
        self.dense = DenseChannel(store, Calibration.load(folder), self.columns["lang"], vectors)
        self.sentences = SentenceVectors.load(folder / SENTENCES)  # None for an index built without them
        self.cross = CrossVectors.load(folder / CROSS)  # None for an index built without them

    # -- loading -------------------------------------------------------------------------

    def _open_store(self) -> Any:
        spec = self.data.manifest.get("vector_store")
        if spec and spec.get("backend") == "milvus":
            from .milvusstore import MilvusStore

            return MilvusStore(spec["uri"], collection=spec["collection"], dim=int(self.data.manifest.get("dim", 384)))
        return self.data.store  # read-only here: vectors paged in as searches touch them

    @classmethod
    def load(cls, index_dir: str | Path = "index", encoder: Encoder | None = None, weights: Weights = Weights()) -> "Searcher":
        manifest = read_manifest(Path(index_dir))
        if encoder is None:
            if manifest is None:
                load_index(Path(index_dir))  # raises the "no index, build one" error
            encoder = get_encoder(encoder_spec(manifest["encoder"]))
        return cls(load_index(Path(index_dir), encoder=encoder.name), encoder, weights)

    def with_weights(self, **changes: Any) -> "Searcher":
        """A searcher sharing this one's index and encoder, with other weights or switches (for ablations)."""
        weights = replace(self.weights, **changes)
        rebuilt = (weights.use_doc_expansion, weights.use_gloss, weights.use_cedict)
        if rebuilt != (self.weights.use_doc_expansion, self.weights.use_gloss, self.weights.use_cedict):
            return Searcher(self.data, self.encoder, weights)
        clone = object.__new__(Searcher)
        clone.__dict__.update(self.__dict__)
        clone.weights = weights
        return clone

    # -- the search path -----------------------------------------------------------------

    def missing_sentences(self) -> bool:
        """The index predates sentence vectors while the weights use them: rankings are weaker until it is rebuilt.

        An index built with `--no-sentences` lacks them by choice and is not flagged.
        """
        return self.sentences is None and bool(self.weights.sentence) and self.data.manifest.get("sentences", True) is not False

    def missing_cross(self) -> bool:
        """The index predates cross-language vectors (crossvec.py) while the weights use them; `--no-cross` is a choice, not flagged."""
        return self.cross is None and bool(self.weights.cross_encoder) and self.data.manifest.get("cross", True) is not False

    def index_notices(self) -> list[str]:
        """What the user should know about this index's rankings: parts it predates, and how to add them."""
        missing = [what for what, gone in (("sentence vectors, so passages are scored whole", self.missing_sentences()),
                                           ("cross-language vectors, so passages in the other language rank lower", self.missing_cross())) if gone]
        return [f"this index has no {what}; {rebuild_hint(self.data.path.parent)}" for what in missing]

    def understand(self, text: str) -> Query:
        return understand(text, self.lexicon, self.facets, in_zh=self.zh.__contains__, in_en=self.en.__contains__, use_gloss=self.weights.use_gloss)

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        if not filters or not filters.pushed():
            return None
        keep = np.ones(len(self.chunks), bool)
        for field, value in filters.pushed().items():
            values, codes = self.codes[field]
            at = int(np.searchsorted(values, value))
            keep &= (codes == at) if at < len(values) and values[at] == value else False
        return keep

    def query_texts(self, q: Query) -> list[str]:
        """What the dense channel encodes: the question, and its rendering in the other language.

        An English question's rendering is a bag of dictionary senses; encoded next to the
        question, the encoder reads each sense in context (on the dev suite, chosen in every
        leave-one-corpus-out fold over the bare rendering). A Chinese question's English
        rendering is already ordered text and is encoded alone (appending the question lost).
        """
        if not q.translated:
            return [q.text]
        return [q.text, q.translated if q.lang == "zh" else f"{q.translated} {q.text}"]

    def features(self, q: Query, filters: Filters | None = None, qvecs: np.ndarray | None = None) -> Features:
        """Candidates from every channel and every channel's score for each of them.

        `qvecs` (the encoded `query_texts`) may be passed in when questions are encoded in batches.
        """
        k0 = self.weights.candidates
        mask, pushed = self.mask(filters), (filters.pushed() if filters else None)
        if qvecs is None:
            qvecs = self.encoder.encode_queries(self.query_texts(q))
        dense = self.dense.search_all(qvecs, k0, pushed, mask)
        lexical = [(self.zh, q.zh_terms), (self.en, q.en_terms)]  # local BM25 or Milvus: the same calls
        parts = [d.rows for d in dense] + [ch.search(terms, k0, pushed, mask=mask).rows for ch, terms in lexical]
        rows = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)
        if mask is not None:
            rows = rows[mask[rows]]
        lex_zh, lex_en = (ch.search(terms, rows=rows) for ch, terms in lexical)  # every candidate's exact score
        scored = [self.dense.score(v, rows, d) for v, d in zip(qvecs, dense)]
        best = self.dense.best_sentences(qvecs, rows, scored, self.sentences) if self.sentences is not None else []
        words = concepts(q, self.lexicon)
        hits = concept_hits(words, self.zh, self.en, rows)
        numbers = np.array([c.is_number for c in words], bool)
        langs = self.columns["lang"]
        cross = self.cross.z(q.text, rows, langs, q.lang) if self.cross is not None and self.weights.cross_encoder else None
        return Features(
            rows=rows,
            lang=langs[rows],
            query_lang=q.lang,
            dense=scored[0],
            dense_translated=scored[1] if len(scored) > 1 else np.zeros(len(rows), np.float32),
            lexical_zh=lex_zh.lookup(rows),
            lexical_en=lex_en.lookup(rows),
            shared=hits.sum(0, dtype=np.int32),
            concepts=len(words),
            shared_numbers=hits[numbers].sum(0, dtype=np.int32) if numbers.any() else None,
            numbers=int(numbers.sum()),
            sentence=best[0] if best else None,
            sentence_translated=best[1] if len(best) > 1 else None,
            cross=cross,
            quantity=self.states_number(rows) if self.weights.answer_type and asks_quantity(q.text) else None,
        )

    def states_number(self, rows: np.ndarray) -> np.ndarray:
        """1 for each candidate that states a number: the build's column, or (an index built before it) the passage text."""
        if self.chunks.numbers is not None:
            return self.chunks.numbers[rows].astype(np.float32)
        return states_quantity(self.chunks[int(r)].text for r in rows)

    def facet_matches(self, q: Query, rows: np.ndarray) -> np.ndarray | None:
        """How many of the question's facets (mechanism, measure) each candidate is tagged with."""
        if not (q.mechanisms or q.measures):
            return None
        return np.isin(self.columns["mechanism"][rows], q.mechanisms).astype(np.float32) + np.isin(self.columns["measure"][rows], q.measures)

    def search(self, question: str, k: int = 5, filters: Filters | None = None) -> SearchResult:
        """Ranked, cited passages for a question or claim (raises QueryError on an empty one)."""
        started = time.perf_counter()
        q = self.understand(question)
        return self.rank(q, self.features(q, filters), k, started)

    def rank(self, q: Query, f: Features, k: int = 5, started: float | None = None) -> SearchResult:
        """Fuse candidate features into the result; split from `search` so weight sweeps reuse them."""
        started = time.perf_counter() if started is None else started
        boost = self.facet_matches(q, f.rows)
        fused = fuse(f, self.weights, boost)
        shown = ranked_scores(f, fused, self.weights)
        order = np.argsort(-shown, kind="stable")
        ranked = [int(f.rows[i]) for i in order]
        score_of = {int(f.rows[i]): float(shown[i]) for i in order[: max(4 * k, 50)]}
        top = self.cover_entities(q, ranked, max(1, k))
        conf = confidence(evidence(f, fused), self.weights) if len(order) else 0.0
        unsupported = unsupported_terms(q, self.zh, self.en, self.lexicon)
        off = is_off_topic(f, self.weights, boost)
        if unsupported or off:  # either check overrides the score: the confidence shown must agree
            conf = 0.0
        level = "none" if unsupported or off else support(conf, self.weights)
        hits = [self.citer.hit(q, self.chunks[i], score_of.get(i, 0.0), rank) for rank, i in enumerate(top, start=1)]
        return SearchResult(
            query=q.text,
            lang=q.lang,
            hits=hits,
            abstained=level == "none" or not hits,
            confidence=conf,
            notices=q.notices + self.index_notices(),
            understood={
                "mechanisms": q.mechanisms,
                "measures": q.measures,
                "acronyms": q.expansions,
                "translation": q.translated,
                "not_in_corpus": unsupported,
                "off_topic": off,
                "support": level if hits else "none",
            },
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    def cover_entities(self, q: Query, ranked: list[int], k: int) -> list[int]:
        """Top k, making sure each mechanism a comparison question names has its own best passage.

        "Which started earlier, A or B?" needs one passage about A and one about B; plain
        ranking favours passages that merely name both. Each named facet value's best
        passage is moved up to just after the overall best one (if it is not already in).
        """
        top = ranked[:k]
        if len(q.mechanisms) < 2:
            return top
        for mechanism in q.mechanisms:
            if any(self.chunks[i].mechanism == mechanism for i in top[:2]):
                continue
            best = next((i for i in ranked if self.chunks[i].mechanism == mechanism), None)
            if best is not None:
                top = [i for i in top if i != best]
                top.insert(1, best)
        return top[:k]

    def cite(self, n: int):
        return self.citer.cite(n)

    @property
    def titles(self) -> dict[str, str]:
        return self.citer.titles

    @property
    def bibliography(self) -> dict[int, Reference]:
        return self.citer.bibliography
