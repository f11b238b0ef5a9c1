"""How many of the question's words a passage shares, in either language.

Two uses. Ranking: fusion's shared-word terms (`shared_abs`, `shared_rel`) prefer the passage that
answers every part of the question over one on its topic that answers part of it. Abstention: "What
is the capital of France?" over a Linux FAQ finds the one passage that names France (a user
association) and scores it high: a rare word, fully matched. What gives it away is that the passage
shares no other word with the question. So a question of two or more content words whose best
passages each share at most one of them — as written, or through a translation — is abstained on,
and a one-word question whose best passages share none. There is nothing to tune: "one word" is the
rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from .cedict import all_definitions
from .fusion import Features, Weights, fuse
from .query import Query
from .text import ZH_QUESTION, ZH_STOP, en_tokens, zh_tokens

TOP = 5  # the best passages looked at: as many as an answer shows by default (`citeqa ask -k 5`)
_HAN = re.compile(r"[\u3400-\u9fff]")
_QUESTION_WORDS = frozenset(ZH_QUESTION) | frozenset("怎么样 吗 呢 能否 可以".split())  # and particles that only ask


@dataclass(frozen=True)
class Concept:
    """One content word of the question and the forms that count as sharing it."""

    word: str
    forms: tuple[tuple[str, tuple[str, ...]], ...]  # (channel "zh" | "en", tokens that must all occur)

    @property
    def is_number(self) -> bool:
        """A year, a port, a version: shared by chance by any dated or numbered text, so no sign of topic."""
        return bool(re.fullmatch(r"\d[\d.,:/-]*", self.word))


def concepts(q: Query, lexicon: Any) -> list[Concept]:
    """Content words of the question: English words, Chinese words of two or more characters, Latin tokens.

    A one-character Chinese word is almost always a function word (会, 用, 给), and question
    words ask rather than name; neither counts. Across languages any word of any translation
    or dictionary sense counts as the word (清理 is shared by a passage that says "clean"):
    the rule must not refuse a question for a translation the dictionary lacks.
    """
    import jieba

    out: list[Concept] = []
    text, named = q.text, set()
    for name, forms in q.names:
        # a name the corpus glosses is one concept however many words it has: a passage that says
        # ESFRI shares 欧洲研究基础设施战略论坛 once, not none of its five words
        text = text.replace(name, " ")
        if forms not in named:
            named.add(forms)
            out.append(Concept(name, tuple(dict.fromkeys(f for form in forms for f in _written_forms(form)))))
    latin = dict.fromkeys(w for w in re.findall(r"[A-Za-z0-9][\w./+\-]*", text))
    seen: set[tuple[str, ...]] = set()
    for word in latin:
        toks = tuple(en_tokens(word))
        if not toks or toks in seen:  # one word however written: Table / table, "statistics."
            continue
        seen.add(toks)
        forms = _latin_forms(toks)
        if q.lang == "en":
            senses = {wt.term for w in dict.fromkeys([word, word.lower()]) for wt in lexicon.translate_en(w)}
            forms += [("zh", (t,)) for term in sorted(senses) for t in zh_tokens(term) if len(t) > 1 or t == term]
        out.append(Concept(word, tuple(dict.fromkeys(forms))))
    if q.lang == "zh":
        for word in dict.fromkeys(jieba.cut(text)):
            if len(word) < 2 or not _HAN.search(word) or word in ZH_STOP or word in _QUESTION_WORDS:
                continue
            forms = _written_forms(word)
            english = [wt.term for wt in lexicon.translate_zh(word)]
            # a word's parts stand in for it only when the dictionary lacks it: 光合作用 is
            # "photosynthesis", not the 合作 ("cooperation") and 作用 ("function") of its parts
            english += all_definitions(word) or [d for part in dict.fromkeys(zh_tokens(word)) for d in all_definitions(part)]
            forms += [("en", (t,)) for e in english for t in en_tokens(e)]
            out.append(Concept(word, tuple(dict.fromkeys(forms))))
    return out


def _latin_forms(toks: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    return [("en", toks), ("zh", toks)]  # Latin tokens are indexed in the Chinese channel too


def _written_forms(form: str) -> list[tuple[str, tuple[str, ...]]]:
    """A name's form as written, in the channels that index it."""
    if _HAN.search(form):
        return [("zh", tuple(zh_tokens(form)) or (form,))]
    toks = tuple(en_tokens(form))
    return _latin_forms(toks) if toks else []


def concept_hits(found: list[Concept], zh: Any, en: Any, rows: np.ndarray) -> np.ndarray:
    """(concepts, rows) bool: whether each of `rows` contains each concept (any one form, all of that form's tokens)."""
    rows = np.asarray(rows, np.int64)
    held: dict[tuple[str, str], np.ndarray] = {}
    for channel, index in (("zh", zh), ("en", en)):
        tokens = list(dict.fromkeys(t for c in found for ch, toks in c.forms if ch == channel for t in toks if t in index))
        held.update(zip([(channel, t) for t in tokens], index.holds(tokens, rows)))
    absent = np.zeros(len(rows), bool)
    hits = np.zeros((len(found), len(rows)), bool)
    for i, c in enumerate(found):
        for channel, toks in c.forms:
            hits[i] |= np.logical_and.reduce([held.get((channel, t), absent) for t in toks])
    return hits


def shared(found: list[Concept], zh: Any, en: Any, rows: np.ndarray) -> np.ndarray:
    """For each of `rows`, how many of the concepts it contains."""
    return concept_hits(found, zh, en, rows).sum(0, dtype=np.int32)


def off_topic(n_concepts: int, counts_of_best: np.ndarray) -> bool:
    """No best passage shares more than one of the question's content words, nor all of them.

    So a question of two or more words is off topic when each best passage shares at most one;
    a one-word question (什么是光合作用？ over a Linux manual) when they share none.
    """
    if n_concepts < 1:
        return False
    best = int(np.max(counts_of_best)) if len(counts_of_best) else 0
    return best <= 1 and best < n_concepts


def is_off_topic(f: Features, w: Weights, boost: np.ndarray | None = None) -> bool:
    """The rule over the best passages of the fusion *without* the shared-word channels.

    Passages ranked up for sharing words would be judged by the count that chose them: over a
    policy article, "a good recipe for banana bread" finds the one passage that says both
    良好 ("good") and 做法 ("recipe"). The other channels pick the passages; the rule reads them.
    The same-language handicap is left out too: it lifts translated passages, which share the
    question's words only through the dictionary (with it, 10 answerable suite questions of 428
    were refused instead of 6). Numbers are left out of the count: "Who won the football world cup
    in 2018?" shares "world" and "2018" with a policy article, which is not on its topic.
    """
    words = f.concepts - f.numbers  # numbers rank passages (shared) but do not make one on topic
    if f.shared is None or not len(f.rows):
        return off_topic(words, np.zeros(0, np.int32))
    counts = f.shared if f.shared_numbers is None else f.shared - f.shared_numbers
    plain = fuse(f, w.other_channels(), boost)
    return off_topic(words, counts[np.argsort(-plain, kind="stable")[:TOP]])
