"""Claims and passage sentences reduced to statements: who (subject), about what (terms), which values, polarity.

A claim is judged against a passage sentence only where the two talk about the same subject and
attribute. Subjects are the index's own entities (mechanism facets from the corpus manifest and
the acronym/name glosses mined into the lexicon), never a list written here. An English claim
reaches Chinese passages through the lexicon's weighted translations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping

import jieba

from .claim_names import is_zh, same_name
from .claim_terms import Concept, chinese_coverage, english_coverage, english_forms, stems
from .text import EN_STOP, ZH_STOP, en_tokens, stem
from .facts import Fact, _extract, _is_cjk, _lexicon, _normalise, _singular

_SENT = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
_CLAUSE = re.compile(r"[^，,。；;：:！？!?\n]+")
_EN_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
# negation cues; 不 only before a verb-like character and not in fixed words that are not negations
_NEG_ZH = re.compile(r"没有|并不|并非|尚未|未能|未曾|不得|不能|不会|不是|从未|(?<![并])未(?=[\u4e00-\u9fff])|"
                     r"不(?![同断仅论管少如久])(?=[\u4e00-\u9fff])|无(?=[单独权])")
_NEG_EN = re.compile(r"\b(?:no|not|never|none|neither|nor|cannot|without|lacks?)\b|n't\b", re.I)
# events a year is usually attached to, in both languages, so "set up in 2002" meets 2002年成立
_EVENTS = (("成立", "组建", "设立", "建立", "创建", "创立", "found", "establish", "set up", "creat", "formed"),
           ("开始实施", "启动", "实施", "发起", "推出", "launch", "start", "began", "begin", "implement", "initiat"),
           ("发布", "出版", "公布", "publish", "releas", "issu"),
           ("改组", "重组", "改革", "整合", "reorganis", "reorganiz", "restructur", "merg", "reform"),
           ("评估", "审查", "评价", "review", "evaluat", "assess"),
           ("任命", "指定", "委任", "指派", "appoint", "designat", "nominat"))
_NUMWORD = re.compile(r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]+|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|"
                      r"eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand)\b", re.I)


@dataclass
class ClaimView:
    text: str
    lang: str
    facts: list[Fact]
    mechanisms: set[str]
    concepts: list[Concept]
    en_terms: set[str]
    negated: bool
    event: bool = False  # names an event (founded, launched, published …) a year can date


@dataclass
class Sentence:
    text: str
    start: int  # offset in the passage
    facts: list[Fact]
    mentions: list[tuple[int, int, str]]  # mechanism mentions (start, end, key) within the sentence
    inherited: set[str] = field(default_factory=set)
    quote: str = ""  # the sentence exactly as the passage prints it


def split_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs; Chinese on 。；！？, English on sentence-final punctuation."""
    out = []
    for m in _SENT.finditer(text):
        piece, base = m.group(), m.start()
        cuts = [0] + [x.end() for x in _EN_SENT.finditer(piece)] + [len(piece)]
        for a, b in zip(cuts, cuts[1:]):
            if piece[a:b].strip():
                lead = len(piece[a:b]) - len(piece[a:b].lstrip())
                out.append((base + a + lead, piece[a:b].strip()))
    return out


def _names_event(form: str, low: str) -> bool:
    """A Chinese event word anywhere; an English one only at a word's start ("founded", not "profound")."""
    return form in low if not form.isascii() else re.search(rf"(?<![a-z]){re.escape(form)}", low) is not None


def negated(text: str) -> bool:
    return bool(_NEG_ZH.search(text) or _NEG_EN.search(text))


def _forms_rx(forms: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted({f for f in forms if f}, key=len, reverse=True)
    return re.compile("|".join(rf"(?<![A-Za-z]){re.escape(f)}(?![A-Za-z])" for f in ordered) or r"(?!)", re.I)


def _blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        for i in range(max(0, s), min(len(chars), e)):
            chars[i] = " "
    return "".join(chars)


class Analyzer:
    """Statement extraction over one index: its entity aliases, mechanisms and bilingual lexicon."""

    def __init__(self, aliases: Mapping[str, Iterable[str]], mechanisms: Iterable[str], lexicon=None) -> None:
        self.aliases = {k: sorted({k, *v}) for k, v in aliases.items()}
        self.mechanisms = set(mechanisms)
        self.lexicon = lexicon
        self.fact_lex = _lexicon(aliases)
        self.alias_of = {a.lower(): k for k, forms in self.aliases.items() for a in forms}
        self.entity_rx = _forms_rx(self.alias_of)
        self._zh_en: dict[str, tuple[tuple[str, ...], ...]] = {}  # zh word -> English renderings

    # ---- entities -------------------------------------------------------------------------------
    def entities(self, text: str) -> list[tuple[int, int, str]]:
        return [(m.start(), m.end(), self.alias_of[m[0].lower()]) for m in self.entity_rx.finditer(text)]

    def mechanism_mentions(self, text: str) -> list[tuple[int, int, str]]:
        return [e for e in self.entities(text) if e[2] in self.mechanisms]

    # ---- the claim ------------------------------------------------------------------------------
    def claim(self, text: str, founder_terms: bool = True) -> ClaimView:
        text = text.strip()
        lang = "zh" if is_zh(text) else "en"
        facts = _extract(text, self.fact_lex)
        ents = self.entities(text)
        mechanisms = {k for _, _, k in ents if k in self.mechanisms}
        # a founder stays a term too: it tells the founding apart from other events of that year
        rest = _blank(text, [f.span for f in facts if f.unit != "found" or not founder_terms] + [(s, e) for s, e, k in ents if k in self.mechanisms])
        concepts = [Concept(tuple(self.aliases[k]), 2.0) for k in dict.fromkeys(k for _, _, k in ents if k not in self.mechanisms)]
        rest = _blank(rest, [(s, e) for s, e, k in ents])
        rest = _NUMWORD.sub(" ", rest)
        if lang == "zh":
            words = [w for w in jieba.lcut(rest) if len(w) >= 2 and all(_is_cjk(c) for c in w) and w not in ZH_STOP
                     and not any(w in ev for ev in _EVENTS)]  # an event word counts once, as its event
            concepts += [Concept((w,), 1.0, self.english_of(w)) for w in dict.fromkeys(words)]
        else:
            concepts += self._english_concepts(rest)
        low = rest.lower()
        events = [Concept(tuple(f for f in ev if not f.isascii()) + tuple(f for f in ev if f.isascii()), 1.5,
                          tuple(stems(f) for f in ev if f.isascii() and " " not in f))
                  for ev in _EVENTS if any(_names_event(f, low) for f in ev)]
        concepts += events
        en = {t for t in en_tokens(rest) if not t.isdigit()} if lang == "en" else set()
        return ClaimView(text, lang, facts, mechanisms, concepts, en, negated(_blank(text, [f.span for f in facts if f.kind == "actor"])),
                         bool(events))

    def _english_concepts(self, text: str) -> list[Concept]:
        """One concept per English content word (its translations are alternatives), plus phrase translations."""
        out, seen = [], set()
        for w in dict.fromkeys(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text) if w.lower() not in EN_STOP):
            alts = tuple(t.term for t in (self.lexicon.translate_en(w) if self.lexicon else []) if t.term.strip() and t.term.lower() != w)
            seen.update(alts)
            if any(w.startswith(f) for ev in _EVENTS for f in ev if f.isascii()):
                continue  # counted once, as its event
            out.append(Concept(alts, 1.0, ((stem(w),),)) if alts else Concept((), 1.0, ((stem(w),),), "en"))
        out += [Concept((t.term,), 1.0, (), "zh") for t in (self.lexicon.translate_en(text) if self.lexicon else [])
                if t.term.strip() and t.term not in seen and not t.term.isascii()]
        return out

    def english_of(self, word: str) -> tuple[tuple[str, ...], ...]:
        """English renderings of a Chinese claim word, for English passages."""
        if self.lexicon is None:
            return ()
        if word not in self._zh_en:
            self._zh_en[word] = english_forms(self.lexicon.translate_zh(word))
        return self._zh_en[word]

    # ---- passages -------------------------------------------------------------------------------
    def sentences(self, passage: str, fallback: str = "") -> list[Sentence]:
        """Sentences with their facts and mechanism mentions; a sentence naming none inherits the last one named."""
        out: list[Sentence] = []
        last: set[str] = {fallback} if fallback else set()  # a passage's opening sentences continue its tagged mechanism
        norm, pos = _normalise(passage)
        for start, text in split_sentences(norm):
            facts = _extract(text, self.fact_lex)
            actor_spans = [f.span for f in facts if f.kind == "actor"]
            mentions = [m for m in self.mechanism_mentions(text)
                        if not any(s <= m[0] and m[1] <= e for s, e in actor_spans)]
            a, b = pos[start], pos[start + len(text) - 1] + 1
            out.append(Sentence(text, a, facts, mentions, set(last), passage[a:b]))
            if mentions:
                last = {k for _, _, k in mentions}
        return out

    def coverage(self, view: ClaimView, text: str) -> tuple[float, int]:
        """Weighted share of the claim's terms found in `text`, and where the heaviest one is."""
        return chinese_coverage(view.concepts, text) if is_zh(text) else english_coverage(view.concepts, text)

    def owner(self, sentence: Sentence, anchor: int) -> set[str]:
        """Mechanism a statement belongs to: the last one named before its anchor, else any named, else inherited."""
        if sentence.mentions:
            before = [k for s, _, k in sentence.mentions if s <= max(anchor, 0)]
            return {before[-1]} if before and anchor >= 0 else {k for _, _, k in sentence.mentions}
        return set(sentence.inherited)

    # ---- values ---------------------------------------------------------------------------------
    def count_modifier(self, f: Fact) -> str:
        """What qualifies a counted noun: 内阁 in 6名内阁成员, cabinet in 'six cabinet members'."""
        text = _NUMWORD.sub(" ", f.text)
        text = re.sub(r"^[\s个名家版项所位届批种类条份座]+", "", text)
        heads = sorted((t for t, key in self.fact_lex.nouns.items() if key == f.unit), key=len, reverse=True)
        low = _singular(text).lower()
        for h in heads:
            if low.rstrip().endswith(h):
                low = low.rstrip()[: -len(h)]
                break
        return re.sub(r"\s+", " ", low).strip(" -")

    def head(self, view: ClaimView, f: Fact) -> Concept | None:
        """The noun a duration measures in an English claim ("two-year term" -> term), as a bilingual term."""
        m = re.match(r"[\s-]*(?:non-\w+\s+|[a-z]+-\w+\s+)?([A-Za-z]{3,})", view.text[f.span[1]:])
        if view.lang != "en" or not m or m[1].lower() in EN_STOP:
            return None
        word = m[1].lower()
        alts = tuple(t.term for t in (self.lexicon.translate_en(word) if self.lexicon else []) if not t.term.isascii())
        return Concept(alts, 1.0, ((stem(word),),))

    def holds(self, concept: Concept, text: str) -> bool:
        return (chinese_coverage if is_zh(text) else english_coverage)([concept], text)[0] > 0

    def counted(self, f: Fact) -> str:
        """The counted phrase without its number: 重要会议 in 六个重要会议, important councils."""
        return re.sub(r"^[\s个名家版项所位届批种类条份座]+", "", _NUMWORD.sub(" ", f.text)).strip()

    def terms_for(self, phrase: str) -> list[tuple[str, float]]:
        """Chinese forms of a phrase: itself when Chinese, else the lexicon's weighted translation."""
        phrase = phrase.strip()
        if not phrase:
            return []
        if is_zh(phrase) or self.lexicon is None:
            return [(phrase, 1.0)]
        words = [w for w in re.findall(r"[A-Za-z]+", phrase) if w.lower() not in EN_STOP]
        return [(t.term, t.weight) for t in self.lexicon.translate_en(" ".join(words))] if words else []

    def same_name(self, claim_side: str, passage_side: str) -> bool | None:
        """Do two names (actors, modifiers) agree? None when the claim side cannot be read in the passage's script."""
        return same_name(self, claim_side, passage_side)


@lru_cache(maxsize=8)
def claim_aliases(searcher: Any) -> dict[str, list[str]]:
    """Names of one thing (acronym ↔ English ↔ Chinese), keyed by its facet value, else its shortest Latin name.

    Gloss pairs and facet alias lists are merged whenever they share a term, so NNI, National
    Nanotechnology Initiative, 美国国家纳米技术计划 and 纳米计划 end up in one group.
    """
    mechanisms = searcher.facets.values.get("mechanism", {})
    groups = [{p.en, p.zh} for p in searcher.lexicon.pairs if p.source == "gloss"]
    groups += [{value, *aliases} for value, aliases in mechanisms.items()]
    merged: list[set[str]] = []
    for group in groups:
        for other in [m for m in merged if m & group]:
            merged.remove(other)
            group |= other
        merged.append(group)
    aliases: dict[str, list[str]] = {}
    for group in merged:
        key = min(group, key=lambda t: (t not in mechanisms, not t.isascii(), len(t), t))
        aliases[key] = sorted(group - {key})
    return aliases


@lru_cache(maxsize=8)
def analyzer_for(searcher: Any) -> Analyzer:
    return Analyzer(claim_aliases(searcher), searcher.facets.values.get("mechanism", {}).keys(), searcher.lexicon)
