"""A bilingual zh<->en term table built from a corpus, for dictionary-based cross-lingual search.

No translation model and no network. Pairs come from
  * the corpus's own parenthetical glosses, ``美国国家纳米技术计划（National Nanotechnology
    Initiative，NNI）``, and the short forms it introduces, ``（以下简称“纳米计划”）`` (``"gloss"``),
    kept only when CC-CEDICT supports them (`mining`);
  * CC-CEDICT restricted to the corpus vocabulary (``"cedict"``), plus English derived for corpus
    words CEDICT lacks: ``成熟度`` from ``成熟``, ``资源配置`` from ``资源`` + ``配置`` (``"derived"``).
English queries translate phrase-first, then word by word with Pirkola-style structured weights;
commands, paths, versions and words the Chinese text writes in Latin letters pass through
verbatim; among a word's senses, those the corpus uses together with the question's other
translations win (`cooccur`). Building is one linear pass over the corpus.

>>> lex = Lexicon.build([cleaned_text])            # doctest: +SKIP
>>> lex.translate_en("the prime minister")         # doctest: +SKIP
[WeightedTerm(term='首相', weight=2.0)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .cedict import dictionary_words
from .cooccur import Cooccurrence
from .termtable import MAX_ALTERNATIVES, TermTable

__all__ = ["Lexicon", "TermPair", "WeightedTerm", "dictionary_words", "MAX_ALTERNATIVES", "FORMAT_VERSION", "RECIPE"]

FORMAT_VERSION = 2
RECIPE = 2  # what the pairs of a corpus are (dictionary cleaning, mining rules): a build with another recipe makes its lexicon again


@dataclass(frozen=True)
class TermPair:
    en: str
    zh: str
    source: str  # "gloss" (mined from the corpus) | "cedict" | "derived" (composed from CEDICT parts)
    weight: float = 1.0


@dataclass(frozen=True)
class WeightedTerm:
    term: str
    weight: float  # alternatives of one ambiguous source word share its weight


class Lexicon:
    """English<->Chinese term table plus the corpus statistics translation needs; all of it persists."""

    def __init__(
        self,
        pairs: Iterable[TermPair],
        freq: dict[str, int] | None = None,
        *,
        latin: dict[str, int] | None = None,
        en_vocab: dict[str, int] | None = None,
        cooc: Cooccurrence | None = None,
        known_latin: Iterable[str] | None = None,
    ) -> None:
        self._pairs = list(dict.fromkeys(pairs))
        self._table = TermTable(self._pairs, dict(freq or {}), dict(latin or {}), dict(en_vocab or {}), cooc or Cooccurrence(), known_latin)

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        *,
        use_gloss: bool = True,
        use_cedict: bool = True,
        en_vocab: Iterable[str] | None = None,
    ) -> Lexicon:
        """Mine glosses and look up CEDICT for the corpus vocabulary; each source can be switched off for ablation.

        `en_vocab`: English words of the collection (stemmed or not) that translations of Chinese
        questions are restricted to; by default the English prose of `texts`.
        """
        from .lexicon_build import mine  # the build's side: jieba over every line, gloss mining, CEDICT lookups

        pairs, stats = mine(list(texts), use_gloss=use_gloss, use_cedict=use_cedict, en_vocab=en_vocab)
        return cls(pairs, **stats)

    @property
    def pairs(self) -> list[TermPair]:
        return list(self._pairs)

    @property
    def table(self) -> TermTable:
        """The lookup tables and corpus statistics (what `lexicon_build.extend` continues)."""
        return self._table

    def to_json(self) -> dict[str, Any]:
        t = self._table
        return {
            "version": FORMAT_VERSION,
            "recipe": RECIPE,
            "pairs": [[p.en, p.zh, p.source, p.weight] for p in self._pairs],
            "freq": t.freq,
            "latin": t.latin,
            "en_vocab": t.en_vocab,
            "cooc": t.cooc.to_json(),
            "known_latin": sorted(t._known_latin),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Lexicon:
        if d.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"the index's lexicon has format {d.get('version')}, this citeqa reads format {FORMAT_VERSION}; "
                "rebuild the index: citeqa build --force"
            )
        return cls(
            (TermPair(*p) for p in d["pairs"]),
            d.get("freq", {}),
            latin=d.get("latin", {}),
            en_vocab=d.get("en_vocab", {}),
            cooc=Cooccurrence.from_json(d.get("cooc", {})),
            known_latin=d.get("known_latin"),
        )

    def translate_en(self, query: str) -> list[WeightedTerm]:
        """English query -> weighted Chinese corpus terms; commands, paths, versions pass through verbatim."""
        return [WeightedTerm(t, w) for t, w in self._table.translate_en(query)]

    def translate_zh(self, query: str) -> list[WeightedTerm]:
        """Chinese query -> weighted English words/phrases (restricted to the collection's English when it has some)."""
        return [WeightedTerm(t, w) for t, w in self._table.translate_zh(query)]

    def render_en(self, zh_query: str) -> str:
        """An English rendering of a Chinese question, for the dense encoder."""
        return self._table.render_en(zh_query)

    def passthrough(self, query: str) -> list[str]:
        """The tokens of a question that go to the other language unchanged."""
        return self._table.passthrough(query)

    def names(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """Each name the corpus glosses that the text writes, with every form the corpus gives it."""
        return self._table.glossed.find(text)

    def expand_acronyms(self, query: str) -> dict[str, list[str]]:
        """Each known acronym in the query -> its English full names, then its Chinese terms."""
        return self._table.expand_acronyms(query)

    def english_gloss(self, zh_text: str) -> list[str]:
        """Document-side expansion: English for the Chinese terms a passage contains (names, acronyms, top senses)."""
        return self._table.english_gloss(zh_text)

