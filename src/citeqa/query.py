"""Query understanding: clean the question, detect its language, and say it in both languages.

A question becomes weighted Chinese terms (for the zh BM25 channel), weighted English terms
(for the en channel) and a rendering in the other language (for the dense channel), whichever
language it was asked in — so a passage in either language can be reached. Tokens that occur
verbatim in the indexed text (commands, paths, acronyms, version numbers, English words inside
Chinese text) are kept as they are on both sides; the dictionary only fills in the rest.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from .cedict import names_nothing
from .text import detect_lang, en_tokens, to_halfwidth, zh_tokens

MAX_QUERY_CHARS = 2000


class QueryError(ValueError):
    """The question cannot be searched (empty, only punctuation); the message says what to type."""


@dataclass(frozen=True)
class Filters:
    """Restrict a search to passages with these facet values (None = any)."""

    mechanism: str | None = None
    measure: str | None = None
    lang: str | None = None
    doc_id: str | None = None

    def pushed(self) -> dict[str, str]:
        """The set filters as field -> value, the form vector engines take."""
        return {k: v for k, v in vars(self).items() if v}

    def allows(self, c: Any) -> bool:
        return all(getattr(c, k) == v for k, v in self.pushed().items())


@dataclass
class Query:
    text: str
    lang: str
    zh_terms: list[tuple[str, float]]
    en_terms: list[tuple[str, float]]
    translated: str  # the question rendered in the other language (for the dense channel)
    mechanisms: list[str]
    measures: list[str]
    expansions: dict[str, list[str]]
    notices: list[str] = field(default_factory=list)
    names: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # glossed names as written, with all their forms


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
        simplified = _t2s().convert(text)
        if simplified != text:
            notices.append("traditional Chinese converted to simplified for matching")
            text = simplified
    return text, notices


@lru_cache(maxsize=1)
def _t2s() -> Any:
    from opencc import OpenCC

    return OpenCC("t2s")


def concept_terms(concepts: list, tokenize: Callable[[str], list[str]], scale: float = 1.0) -> list[tuple[str, float]]:
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


def verbatim_terms(text: str, known: Callable[[str], bool]) -> list[tuple[str, float]]:
    """Latin tokens of the question (commands, paths, acronyms, numbers) that the index holds as they are."""
    return [(t, 1.0) for t in dict.fromkeys(en_tokens(text)) if known(t)]


def untranslated(words: list[str], translate: Callable[[str], list], known: Callable[[str], bool], tokenize: Callable[[str], list[str]]) -> list[tuple[str, float]]:
    """Question words the other language's channel cannot see at all (no translation, not verbatim).

    They stay in that channel's query as terms the index lacks, so the channel's score reads
    as the share of the whole question matched, not of the part that happened to translate.
    """
    out = []
    for word in dict.fromkeys(words):
        toks = tokenize(word)
        if toks and not any(known(t) for t in toks) and not translate(word):
            out.append((toks[0], 1.0))
    return out


def _one_per_name(terms: list[tuple[str, float]], names: list[str], tokenize: Callable[[str], list[str]]) -> list[tuple[str, float]]:
    """The words of a name the corpus glosses share one word's weight: 欧洲研究基础设施战略论坛 is
    one thing the question names, not seven words that outweigh what it asks about the forum."""
    share: dict[str, float] = {}
    weight = dict(terms)
    for name in names:
        toks = set(tokenize(name)) & weight.keys()
        total = sum(weight[t] for t in toks)
        for t in toks:
            share[t] = min(share.get(t, 1.0), 1.0 / total)
    return [(t, w * share.get(t, 1.0)) for t, w in terms]


def _one_per_word(text: str, toks: list[str]) -> list[tuple[str, float]]:
    """The question's Chinese-channel tokens `toks`, the search-mode pieces of one word sharing its
    weight: 基础设施 is one word, not three (基础, 设施, 基础设施) that outweigh a two-character word."""
    import jieba

    weights: dict[str, float] = {}
    for word in jieba.cut(to_halfwidth(text)):
        pieces = [t for t in zh_tokens(word) if t in toks]
        for t in pieces:
            weights[t] = weights.get(t, 0.0) + 1.0 / len(pieces)
    return [(t, min(1.0, weights.get(t, 1.0))) for t in toks]


def understand(text: str, lexicon: Any, facets: Any, *, in_zh: Callable[[str], bool], in_en: Callable[[str], bool] = lambda t: False,
               use_gloss: bool = True, cross_scale: float = 1.0) -> Query:
    """Read a question into both languages' terms; `in_zh`/`in_en` say whether a token is in that index."""
    text, notices = normalize_query(text)
    lang = detect_lang(text)
    expansions = lexicon.expand_acronyms(text) if use_gloss else {}
    names = [t for ts in expansions.values() for t in ts]
    glossed = lexicon.names(text) if use_gloss else []
    written = [n for n, _ in glossed]
    en_terms = _one_per_name([(t, 1.0) for t in en_tokens(text)], written, en_tokens) + concept_terms(names, en_tokens)
    if lang == "zh":
        toks = zh_tokens(text)
        zh_terms = _one_per_name(_one_per_word(text, toks), written, zh_tokens) + concept_terms(names, zh_tokens)
        translations = lexicon.translate_zh(text)
        en_terms += concept_terms(translations, en_tokens, scale=cross_scale)
        content = [w for w in toks if re.search(r"[\u3400-\u9fff]", w) and not names_nothing(w)]
        en_terms += untranslated(content, lexicon.translate_zh, in_en, lambda w: [w])
        render = getattr(lexicon, "render_en", None)
        translated = render(text) if render else _join(translations)
    else:
        translations = lexicon.translate_en(text)
        zh_terms = concept_terms(translations, zh_tokens, scale=cross_scale) + concept_terms(names, zh_tokens)
        zh_terms += verbatim_terms(text, in_zh)
        zh_terms += untranslated(re.findall(r"[A-Za-z][\w\-]*", text), lexicon.translate_en, in_zh, en_tokens)
        translated = _join(translations)
    expanded = text + " " + " ".join(names)
    return Query(
        text=text,
        lang=lang,
        zh_terms=zh_terms,
        en_terms=en_terms,
        translated=translated,
        mechanisms=[m for m, _ in facets.counts("mechanism", expanded).most_common(2)],
        measures=[m for m, _ in facets.counts("measure", text).most_common(1)],
        expansions=expansions,
        notices=notices,
        names=glossed,
    )


def _join(translations: list) -> str:
    return " ".join(dict.fromkeys(x.term for x in sorted(translations, key=lambda x: -x.weight)))
