"""Names in a question that the corpus never mentions: a reason to abstain that transfers.

A question about an entity the documents never mention (another country, an organisation, a
later year) cannot be answered from them however close the nearest passage looks. Only
distinctive tokens count: proper names of two or more letters that are not ordinary English
words, and four-digit years. A one-letter name (the `C` locale) or a common word is never a
reason to abstain; the calibrated fusion score covers the rest (off-topic questions).
"""

from __future__ import annotations

import re
from typing import Any

from .query import Query
from .text import EN_STOP, en_tokens, stem, zh_tokens

ENTITY_TAGS = {"ns", "nr", "nrfg", "nrt", "nt", "nz"}  # jieba: places, people, organisations, other proper nouns


def unsupported_terms(q: Query, zh: Any, en: Any, lexicon: Any) -> list[str]:
    """Distinctive names and years of the question that occur nowhere in the indexed text."""
    known = lambda t: t in zh or t in en  # noqa: E731 - the two lexical vocabularies
    if q.lang == "zh":
        import jieba.posseg

        missing = []
        for word, flag in jieba.posseg.cut(q.text):
            entity = (flag in ENTITY_TAGS and len(word) > 1) or (flag == "m" and re.fullmatch(r"(1[89]|20)\d\d年?", word))
            if entity and not any(known(t) for t in (zh_tokens(word) or [word])):
                missing.append(word)
        return missing
    from .lexicon import dictionary_words

    missing = []
    words = re.findall(r"[A-Za-z][\w&-]*|\d{4}", q.text)
    for i, word in enumerate(words):
        word = re.sub(r"'s$", "", word)
        if len(word) < 2 or not ((word[0].isupper() and i > 0) or word.isupper() or word.isdigit()):
            continue
        if word.isdigit() and not re.fullmatch(r"(1[89]|20)\d\d", word):
            continue
        if word.lower() in EN_STOP or (not word.isdigit() and not word.isupper() and stem(word) in dictionary_words()):
            continue  # an ordinary English word that happens to be capitalised ("Table", "Panel")
        if any(known(t) for t in en_tokens(word)) or word in q.expansions:
            continue
        if not lexicon.translate_en(word):
            missing.append(word)
    return missing
