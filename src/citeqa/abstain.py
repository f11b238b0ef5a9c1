"""Names in a question that the corpus never mentions: a reason to abstain that transfers.

A question about an entity the documents never mention (another country, an organisation, a
later year) cannot be answered from them however close the nearest passage looks. Only
distinctive tokens count: proper names of two or more letters that are not ordinary words
(English, or Chinese whose first dictionary sense is ordinary: jieba tags 登月, "to go to the
moon", as a name), and four-digit years. A one-letter name (the `C` locale) or a common word is
never a reason to abstain; off-topic questions are left to the shared-word rule (coverage.py)
and the calibrated fusion score.
"""

from __future__ import annotations

import re
from typing import Any

from .cedict import is_ordinary, names
from .query import Query
from .text import EN_STOP, en_tokens, stem, zh_tokens
from .translate import is_english_word

ENTITY_TAGS = {"ns", "nr", "nrfg", "nrt", "nt", "nz"}  # jieba: places, people, organisations, other proper nouns


def unsupported_terms(q: Query, zh: Any, en: Any, lexicon: Any) -> list[str]:
    """Distinctive names and years of the question that occur nowhere in the indexed text."""
    known = lambda t: t in zh or t in en  # noqa: E731 - the two lexical vocabularies
    missing = _latin_names(q, known, lexicon)
    if q.lang == "zh":
        import jieba.posseg

        for word, flag in jieba.posseg.cut(q.text):
            if not re.search(r"[\u3400-\u9fff\d]", word):
                continue  # Latin words were checked above
            entity = (flag in ENTITY_TAGS and len(word) > 1 and not is_ordinary(word)) or (flag == "m" and re.fullmatch(r"(1[89]|20)\d\d年?", word))
            if entity and not _known_zh(word, known, lexicon):
                missing.append(word)
    return missing


def _known_zh(word: str, known, lexicon: Any) -> bool:
    """A Chinese name occurs in the index itself, by one of its words, or by an English translation.

    The translation matters when the evidence is English: "日志" is not in an English manual,
    "log" is; so does the dictionary's spelling of a name ("安倍": "Abe"). The lexicon translates
    into the collection's own English only, so a name whose translation the documents never use
    (a city the corpus does not mention) stays unknown. Every word of a translation must occur:
    "South Korea" is not mentioned by a text that says "south" alone.
    """
    parts = zh_tokens(word) or [word]
    if any(known(t) for t in parts):
        return True
    english = [wt.term for p in dict.fromkeys([word, *parts]) for wt in lexicon.translate_zh(p)] + names(word)
    return any(all(known(t) for t in en_tokens(e)) for e in english if en_tokens(e))


def _latin_names(q: Query, known, lexicon: Any) -> list[str]:
    """Capitalised or upper-case Latin names (and years) of either language's question the index lacks."""
    from .lexicon import dictionary_words

    missing = []
    words = re.findall(r"[A-Za-z][\w&-]*|\d{4}", q.text)
    for i, word in enumerate(words):
        word = re.sub(r"'s$", "", word)
        if q.lang == "zh":  # a Latin word inside a Chinese question is a name or a technical term
            if (len(word) < 3 and not word.isupper()) or len(word) < 2 or word.lower() in EN_STOP:
                continue
            if word.islower() and is_english_word(word):
                continue  # an English term the translation may render in Chinese (postmaster: 邮件主管)
        else:
            first = i == 0 and q.text.lstrip().startswith(word)
            if len(word) < 2 or not ((word[0].isupper() and not first) or word.isupper() or word.isdigit()):
                continue
            if word.lower() in EN_STOP:
                continue
        if word.isdigit() and not re.fullmatch(r"(1[89]|20)\d\d", word):
            continue
        if any(known(t) for t in en_tokens(word)) or word in q.expansions:
            continue
        if q.lang != "zh" and not word.isdigit() and not word.isupper() and stem(word) in dictionary_words():
            continue  # an ordinary English word that happens to be capitalised ("Table", "Panel")
        if not lexicon.translate_en(word):
            missing.append(word)
    return missing
