"""The query side of the lexicon: indices over the term pairs, and translation in both directions."""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

import jieba

from .cedict import cedict, definitions, dictionary_words, names_nothing, segment
from .cooccur import Cooccurrence
from .glossnames import GlossedNames
from .text import ZH_QUESTION, en_tokens, is_acronym, stem, to_halfwidth
from .translate import EN_WORD, FUNCTION, LIGHT, NUMBERS, latin_tokens, lemma, phrase_key, share, units, word_tokens

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .lexicon import TermPair

MAX_ALTERNATIVES = 3
PASS_WEIGHT = 1.5  # a verbatim token is as specific as an acronym
SENSE_WEIGHT_WHEN_VERBATIM = 0.25  # an ordinary word the Chinese text writes in Latin keeps a little of its senses
LATIN_SHARE = 0.5  # ... when it does so at least this often relative to its commonest translation
LATIN_WEIGHT = 0.3  # otherwise the Latin form is a minor extra term
COHERENCE = 2.0  # how much co-occurrence with the question's other translations lifts a sense
MIN_ENGLISH_TOKENS = 5000  # below this the collection's English (an abstract) is too small to restrict to
_PREPOSITIONS = frozenset("on in at by for with of from under upon as".split())
_NEGATIONS = frozenset("not no non never without nor neither cannot".split())
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")


class TermTable:
    """Indices over the pairs (phrases, words, acronyms, Chinese terms) rebuilt at load; nothing here is persisted."""

    def __init__(self, pairs: list[TermPair], freq: dict[str, int], latin: dict[str, int], en_vocab: dict[str, int], cooc: Cooccurrence,
                 known_latin: Iterable[str] | None = None) -> None:
        self.freq, self.latin, self.en_vocab, self.cooc = freq, latin, en_vocab, cooc
        if known_latin is None:  # saved with the index; deriving it reads all of CC-CEDICT (~0.8 s)
            words = dictionary_words()
            known_latin = (k for k, n in latin.items() if n >= 2 or (n > 0 and stem(k) not in words))
        self._known_latin = frozenset(known_latin)
        self._restrict = sum(en_vocab.values()) >= MIN_ENGLISH_TOKENS
        self._phrases: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
        self._words: dict[str, dict[str, float]] = defaultdict(dict)
        self._acronyms: dict[str, list[TermPair]] = defaultdict(list)
        self.zh2en: dict[str, list[TermPair]] = defaultdict(list)
        for p in pairs:
            self._index(p)
        self._word_keys = sorted(self._words)
        self._max_phrase = max(map(len, self._phrases), default=0)
        self.glossed = GlossedNames(pairs)
        lengths: dict[str, set[int]] = defaultdict(set)  # first character -> lengths of known terms
        for zh in self.zh2en:
            lengths[zh[0]].add(len(zh))
        self._lengths = {c: sorted(ls, reverse=True) for c, ls in lengths.items()}
        self._english_cache: dict[str, list[tuple[str, float]]] = {}

    def _index(self, p: TermPair) -> None:
        toks = word_tokens(p.en)
        content = [s for _, low, s in toks if low not in FUNCTION and low not in LIGHT]
        if not content or len(p.zh) < 2:  # single characters are too ambiguous to search with
            return
        self.zh2en[p.zh].append(p)
        if p.source == "gloss" and is_acronym(p.en):
            self._acronyms[p.en].append(p)
            return
        keys = [phrase_key(toks)] if len(toks) >= 2 and toks[0][1] not in FUNCTION else []
        if p.source == "derived" and len(toks) == 2:  # 资源配置: "resource allocation", "allocation of resources"
            keys.append(phrase_key([toks[1], ("of", "of", "of"), toks[0]]))
        for key in keys:
            self._phrases[key][p.zh] = max(self._phrases[key].get(p.zh, 0.0), p.weight)
        idiom = len(toks) > 2 and toks[0][1] in _PREPOSITIONS  # "on account of" does not translate "account"
        negated = any(low in _NEGATIONS or low.endswith("n't") for _, low, _ in toks)  # 可以 "not bad" does not translate "bad"
        if not idiom and not negated and (len(content) == 1 or (len(content) <= 3 and p.source == "cedict")):
            for s in content:
                self._words[s][p.zh] = max(self._words[s].get(p.zh, 0.0), p.weight / len(content))

    # -- English -> Chinese -------------------------------------------------------------

    def _prior(self, zh: str) -> float:
        """Prefer translations the corpus uses often, and longer (more specific) ones."""
        return (1.0 if len(zh) == 2 else 1.2) * (1.0 + math.log1p(self.freq.get(zh, 0)))

    def _word(self, low: str, stem: str) -> dict[str, float]:
        """Candidates for one word: its stem or US spelling, plus near stems at a discount (strategic ~ strategy)."""
        if stem not in self._words:  # programme -> program, organisation -> organization, labour -> labor
            us = re.sub(r"is(ation|e|ed|es|ing)$", r"iz\1", low.replace("programme", "program"))
            stem = word_tokens(re.sub(r"(?<=\w{3})our$", "or", us))[0][2] if us else stem
        if stem not in self._words and (base := word_tokens(lemma(low))):  # caught -> catch, held -> hold
            stem = base[0][2]
        out = dict(self._words.get(stem, {}))
        if len(stem) >= 5:
            for k in self._word_keys[bisect_left(self._word_keys, stem[:5]) :]:
                if not k.startswith(stem[:5]):
                    break
                if k != stem and (k.startswith(stem) or stem.startswith(k)) and abs(len(k) - len(stem)) <= 3:
                    out.update({zh: max(out.get(zh, 0.0), 0.6 * s) for zh, s in self._words[k].items()})
        return out

    def _slots(
        self, words: tuple[tuple[str, str, str], ...], scale: float, out: Counter[str], damped: set[str] = frozenset()
    ) -> list[tuple[dict[str, float], float]]:
        """Candidate sets (and the weight each shares) for a run of words: acronyms, longest phrases, then words."""
        slots: list[tuple[dict[str, float], float]] = []
        i = 0
        while i < len(words):
            surface, low, stem = words[i]
            acro = self._acronyms.get(surface) or self._acronyms.get(surface.removesuffix("s"))
            if acro:
                slots.append(({p.zh: 1.0 for p in acro}, 1.5 * scale))
                i += 1
                continue
            for n in range(min(self._max_phrase, len(words) - i), 1, -1):  # longest phrase first
                key = phrase_key(words[i : i + n])
                if key in self._phrases and low not in FUNCTION:
                    content = sum(t[1] not in FUNCTION for t in words[i : i + n])
                    slots.append((self._phrases[key], min(2.0, content) * scale))
                    i += n
                    break
            else:
                number = NUMBERS.get(low, low)
                if number[0].isdigit():
                    if number in self.freq or number in self.latin:  # a year the corpus never mentions is evidence of absence
                        out[number] += scale
                elif low not in FUNCTION and low not in LIGHT and (cands := self._word(low, stem)):
                    slots.append((cands, scale * (SENSE_WEIGHT_WHEN_VERBATIM if low in damped else 1.0)))
                i += 1
        return slots

    def _latin_dominates(self, low: str, stem: str) -> bool:
        """The Chinese text writes this word in Latin at least half as often as its commonest translation (Windows, GRUB)."""
        cands = self._word(low, stem)
        return self.latin.get(low, 0) >= LATIN_SHARE * max((self.freq.get(z, 0) for z in cands), default=0)

    def _coherence(self, slots: list[tuple[dict[str, float], float]]) -> list[dict[str, float]]:
        """Per slot, each candidate's best co-occurrence with the likely translations of the other slots."""
        tops = [sorted(c, key=lambda z: -c[z] * self._prior(z))[:2] for c, _ in slots]
        out = []
        for k, (cands, _) in enumerate(slots):
            context = [z for j, t in enumerate(tops) if j != k for z in t][:8]
            if len(cands) < 2 or not context or not len(self.cooc):
                out.append({})
                continue
            ranked = sorted(cands, key=lambda z: -cands[z] * self._prior(z))[:6]
            out.append({z: max(self.cooc.overlap(z, c) for c in context) for z in ranked})
        return out

    def translate_en(self, query: str) -> list[tuple[str, float]]:
        out: Counter[str] = Counter()
        slots: list[tuple[dict[str, float], float]] = []
        for unit in units(query, self._known_latin):
            if unit.verbatim:
                out[unit.verbatim] += PASS_WEIGHT
                if acro := self._acronyms.get(unit.verbatim):
                    slots.append(({p.zh: 1.0 for p in acro}, 1.5))
                continue
            latin = {w for w in unit.words if w[1] in self._known_latin and w[1] not in FUNCTION and len(w[1]) > 1 and not w[1].isdigit()}
            dominant = {low for _, low, stem in latin if self._latin_dominates(low, stem)}
            out.update({s: PASS_WEIGHT if low in dominant else LATIN_WEIGHT for s, low, _ in latin})
            slots += self._slots(unit.words, 1.0, out, damped=dominant)
        for (cands, weight), coh in zip(slots, self._coherence(slots)):
            ranked = [(s * self._prior(zh) * (1 + COHERENCE * coh.get(zh, 0.0)), zh) for zh, s in cands.items()]
            out.update(dict(share(ranked, weight, MAX_ALTERNATIVES)))
        return [(t, round(w, 4)) for t, w in sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))]

    def passthrough(self, query: str) -> list[str]:
        return [u.verbatim for u in units(query, self._known_latin) if u.verbatim]

    # -- Chinese -> English -------------------------------------------------------------

    def _pieces(self, text: str) -> list[tuple[str, bool]]:
        """The text in order as (piece, known): glossed names first, then the longest jieba n-grams in the table."""
        out: list[tuple[str, bool]] = []
        i = start = 0
        while i < len(text):
            name = self.glossed.at(text, i)
            if name:
                out += self._jieba_pieces(text[start:i]) + [(name, True)]
                i = start = i + len(name)
            else:
                i += 1
        return out + self._jieba_pieces(text[start:])

    def _jieba_pieces(self, text: str) -> list[tuple[str, bool]]:
        if not text:
            return []
        toks, out, i = jieba.lcut(text, HMM=False), [], 0
        while i < len(toks):
            n = next((n for n in (4, 3, 2, 1) if "".join(toks[i : i + n]) in self.zh2en), 0)
            if n:
                out.append(("".join(toks[i : i + n]), True))
            elif toks[i] not in cedict() and len(parts := segment(toks[i])) > 1:
                # a word neither table knows (追溯到) is read through its dictionary words (追溯 + 到)
                out += [(part, part in self.zh2en) for part in parts]
            else:
                out.append((toks[i], False))
            i += n or 1
        return out

    def _in_vocab(self, en: str) -> float:
        """How much the collection's English uses a phrase (1 when there is too little English to tell)."""
        if not self._restrict:
            return 1.0
        stems = en_tokens(en)
        return min((self.en_vocab.get(s, 0) for s in stems), default=0)

    def _english(self, zh: str, limit: int, restrict: bool = True) -> list[tuple[str, float]]:
        """English for a known Chinese term: its glossed names, else its senses (those the collection's English uses)."""
        entries = self.zh2en.get(zh, [])
        gloss = [p.en for p in entries if p.source == "gloss"]
        if gloss:
            return [(en, 1.0) for en in dict.fromkeys(gloss)]
        restrict = restrict and self._restrict
        ranked = [(self._english_score(p.en, p.weight, n) if restrict else p.weight, p.en) for p in entries if (n := self._in_vocab(p.en) if restrict else 1)]
        if not ranked:
            ranked = [(p.weight, p.en) for p in entries[:1]]
        ranked = sorted(ranked, key=lambda x: -x[0])[:limit]
        return [(en, s) for s, en in ranked]

    @staticmethod
    def _english_score(en: str, weight: float, df: float) -> float:
        """Senses the collection's English uses often, in few words ("update" over "replace the old with new")."""
        return weight * (1 + math.log1p(df)) / max(1, len(en_tokens(en)))

    def _cedict_english(self, word: str) -> list[tuple[str, float]]:
        if not self._restrict:
            return [(d, 1.0 / (k + 1)) for k, d in enumerate(definitions(word)[:MAX_ALTERNATIVES])]
        defs = [(self._english_score(d, 1.0 / (1 + 0.5 * k), n), d) for k, d in enumerate(definitions(word)) if (n := self._in_vocab(d))]
        return [(d, s) for s, d in sorted(defs, reverse=True)[:MAX_ALTERNATIVES]]

    def translate_zh(self, query: str) -> list[tuple[str, float]]:
        out: Counter[str] = Counter()
        expansions = self.expand_acronyms(query)
        latin = latin_tokens(to_halfwidth(query))  # as written (update-alternatives), then its parts
        for word in dict.fromkeys(latin):
            out[word] += 1.0
            out.update({en: 0.5 for en in expansions.get(word, []) if en.isascii()})
        for piece, known in self._pieces(EN_WORD.sub(" ", query)):
            if names_nothing(piece):
                continue
            if known:
                ens = self._english(piece, MAX_ALTERNATIVES)
                out.update(dict(share([(s, en) for en, s in ens], 1.0, len(ens))))
            elif len(piece) > 1 and _HAN.search(piece):
                # words the corpus's Chinese never uses may still name English content
                if ens := self._cedict_english(piece):
                    out.update(dict(share([(s, en) for en, s in ens], 0.5, MAX_ALTERNATIVES)))
        return [(t, round(w, 4)) for t, w in sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))]

    def render_en(self, zh_query: str) -> str:
        """Word-by-word English in the question's order: names, best senses, question words, Latin kept."""
        words: list[str] = []
        for part in re.split(r"([A-Za-z0-9][A-Za-z0-9_./+\-]*)", zh_query):
            if not part.strip():
                continue
            if not _HAN.search(part):
                words += [part] if re.match(r"[A-Za-z0-9]", part) else []
                continue
            for piece, known in self._pieces(part):
                if piece in ZH_QUESTION:
                    words.append(ZH_QUESTION[piece])
                elif names_nothing(piece):
                    continue
                elif known:
                    words.append(self._english(piece, 1)[0][0])
                elif len(piece) > 1 and _HAN.search(piece) and (ens := self._cedict_english(piece)):
                    words.append(ens[0][0])
        return " ".join(dict.fromkeys(words))

    def expand_acronyms(self, query: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for word, *_ in word_tokens(query):
            pairs = self._acronyms.get(word) or self._acronyms.get(word.removesuffix("s"))
            if pairs:
                zhs = list(dict.fromkeys(p.zh for p in pairs))
                full = [q.en for z in zhs for q in self.zh2en[z] if q.source == "gloss" and not is_acronym(q.en)]
                out[word] = list(dict.fromkeys(full + zhs))
        return out

    def _known_terms(self, text: str) -> list[str]:
        """Known terms of a passage by forward longest match (agrees with the jieba path on ~99 % of terms, 20x faster)."""
        out, i, n = [], 0, len(text)
        while i < n:
            name = self.glossed.at(text, i) or next((text[i : i + k] for k in self._lengths.get(text[i], ()) if text[i : i + k] in self.zh2en), "")
            if name:
                out.append(name)
                i += len(name)
            else:
                i += 1
        return out

    def english_gloss(self, zh_text: str) -> list[str]:
        cache = self._english_cache
        out: list[str] = []
        for zh in self._known_terms(zh_text):
            if zh not in cache:
                cache[zh] = self._english(zh, 2, restrict=False)  # matched against what users type, not the collection
            out += [en for en, _ in cache[zh]]
        return list(dict.fromkeys(out))
