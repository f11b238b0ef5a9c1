"""Facts in a claim or passage: money, years, counts of a named thing, frequencies, percentages,
durations and "who funds/chairs/leads" actors, each normalised so a claim and a passage compare.

Only generic language knowledge lives here (units, currencies, number words, common counted
nouns); organisation names come from the caller's `aliases` table.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping, NamedTuple

import cn2an

from .claim_roles import actor_facts


@dataclass(frozen=True)
class Fact:
    """One comparable item; `upper` is set for ranges such as 每3～4年 (value is the low end)."""

    kind: str  # money | year | count | frequency | percent | duration | actor
    value: float | str
    unit: str = ""  # currency, counted noun, "year" for time kinds, role for actors
    text: str = ""  # surface text, PDF line breaks inside Chinese removed
    span: tuple[int, int] = (0, 0)  # offsets into the original text
    upper: float | None = None


# ---- generic bilingual language tables (no corpus knowledge) ----
_CURRENCY = {"英镑": "GBP", "pound": "GBP", "£": "GBP", "美元": "USD", "dollar": "USD", "$": "USD", "us$": "USD",
             "欧元": "EUR", "euro": "EUR", "€": "EUR", "日元": "JPY", "yen": "JPY", "元": "CNY", "人民币": "CNY",
             "yuan": "CNY", "renminbi": "CNY", "rmb": "CNY",
             **{code.lower(): code for code in ("GBP", "USD", "EUR", "JPY", "CNY")}}
_MAGNITUDE = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "trillion": 1e12, "billion": 1e9, "bn": 1e9,
              "million": 1e6, "mn": 1e6, "thousand": 1e3}
_PERIOD = {"年": 1.0, "year": 1.0, "个月": 1 / 12, "月": 1 / 12, "month": 1 / 12, "季度": 0.25, "quarter": 0.25,
           "周": 7 / 365, "星期": 7 / 365, "week": 7 / 365, "天": 1 / 365, "day": 1 / 365}
_ADVERB = {"annually": 1.0, "yearly": 1.0, "monthly": 1 / 12, "quarterly": 0.25, "weekly": 7 / 365,
           "daily": 1 / 365, "biennial": 2.0, "triennial": 3.0, "quadrennial": 4.0}  # optional "-ly" allowed
_TIMES = {"once": 1, "twice": 2, "thrice": 3}
_FRACTION = {"half": 50.0, "a half": 50.0, "one half": 50.0, "一半": 50.0, "半数": 50.0, "a third": 100 / 3,
             "one third": 100 / 3, "two thirds": 200 / 3, "a quarter": 25.0, "one quarter": 25.0,
             "three quarters": 75.0}
_EN_NUM = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                      "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_EN_NUM |= {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_NOUNS = {  # canonical (English singular) -> Chinese and English surface terms
    "country": ("国家", "国", "country", "nation", "member state"), "member": ("成员", "member"),
    "company": ("企业", "公司", "company", "firm", "business", "enterprise"), "edition": ("版", "edition", "version"),
    "theme": ("主题", "theme", "topic"), "department": ("部门", "department"), "ministry": ("部委", "ministry"),
    "agency": ("机构", "agency", "institution", "institute", "organisation", "organization", "body"),
    "field": ("领域", "field", "area", "domain"), "project": ("项目", "project"),
    "programme": ("计划", "programme", "program"),
    "staff": ("工作人员", "人员", "staff", "staff member", "employee"), "expert": ("专家", "expert"),
    "person": ("名", "位", "人", "person", "people"), "meeting": ("会议", "meeting"),
    "university": ("大学", "高校", "university"),
    "working group": ("工作组", "小组", "working group", "group"), "committee": ("委员会", "committee"),
    "council": ("理事会", "council"), "infrastructure": ("基础设施", "设施", "infrastructure", "facility"),
}
_CLASSIFIERS = "个名家版项所位届批种类条份座"
_COLLECTIVE = "群组集系库"  # a noun followed by one of these names a group of that noun
_EN_STOP = set("of and in for to from with between by the a an per at on or than each was were is are have has had "
               "that which who as since over under into across".split())

# ---- regex building blocks ----
_CN = "零〇一二两三四五六七八九十百千万亿"
_NUM = (rf"(?:(?<![A-Za-z\d.第])\d{{1,3}}(?:[ ,]\d{{3}})+(?:\.\d+)?(?!\d)|(?<![A-Za-z\d.第])\d+(?:\.\d+)?"
        rf"|\b(?:(?:{'|'.join(w for w in _EN_NUM if _EN_NUM[w] >= 20)})"
        r"(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
        rf"|{'|'.join(sorted(_EN_NUM, key=len, reverse=True))})\b|(?<![第{_CN}])[{_CN}]+)")
_RANGE = r"\s?(?:~|-|–|—|至|到|to|or)\s?"
_MAG = "万亿|亿|万|千|trillion|billion|million|thousand|bn|mn"
_CLAUSE_END = "，,。；;：:"
_I = re.I
_MONEY = [re.compile(rf"(?P<n>{_NUM})\s?(?P<mag>{_MAG})?\s?(?:(?:US|U\.S\.)\s?)?(?P<cur>英镑|美元|欧元|日元|人民币|元|pounds?|dollars?|euros?|"
                     r"yen|yuan|renminbi|rmb|gbp|usd|eur|jpy|cny)(?![A-Za-z])", _I),
          re.compile(rf"(?P<cur>us\$|[£$€]|gbp|usd|eur|jpy|cny|rmb)\s?(?P<n>{_NUM})\s?(?P<mag>{_MAG})?(?![A-Za-z])",
                     _I)]
_PERCENT = [re.compile(rf"(?P<n>{_NUM})\s?(?:%|per ?cent\b)", _I), re.compile(rf"百分之(?P<n>{_NUM})"),
            re.compile(rf"(?P<d>[{_CN}]+)分之(?P<n>[{_CN}]+)"),
            re.compile(r"\b(?:(?:a|one|two|three)[- ])?(?:half|thirds?|quarters?)\b|一半|半数", _I)]
_FREQ = [re.compile(rf"每(?:(?P<n>{_NUM})(?:{_RANGE}(?P<m>{_NUM}))?)?\s?(?P<per>个月|季度|星期|年|月|周|天)"
                    rf"(?:[^{_CLAUSE_END}\d]{{0,12}}?(?P<t>{_NUM})\s?次)?"),
         re.compile(rf"(?P<n>{_NUM})\s?(?P<per>个月|年)一[度次]"),  # 四年一度
         re.compile(rf"\b(?P<t>once|twice|thrice|{_NUM}\s+times)\s+(?:a|an|per|each|every)\s+"
                    r"(?P<per>year|month|week|day|quarter)\b", _I),
         re.compile(rf"\bevery\s+(?:(?P<other>other)\s+|(?P<n>{_NUM})(?:{_RANGE}(?P<m>{_NUM}))?\s+)?"
                    r"(?P<per>year|month|week|day|quarter)s?\b", _I),
         re.compile(rf"\b(?P<adv>{'|'.join(_ADVERB)})(?:ly)?\b", _I)]
_RATIO = re.compile(r"\s?(?:for (?:every|each)|per|to (?:every|each))\s+(?:one\s+|single\s+)?(?:pound|dollar|euro|yen|yuan|£|\$|€)", _I)
_YEAR = re.compile(rf"(?<![\d.])(?P<y>1[89]\d\d|20\d\d)(?!\d|%|\.\d)(?!\s?(?:[{_CLASSIFIERS}]|{_MAG}))(?:\s?年)?", _I)
_DURATION = [re.compile(rf"(?P<n>{_NUM})(?:{_RANGE}(?P<m>{_NUM}))?\s?(?P<per>个月|年|周|天)"),
             re.compile(rf"(?P<n>{_NUM})(?:{_RANGE}(?P<m>{_NUM}))?[\s-](?P<per>year|month|week|day)s?\b", _I)]
_COUNT_CN = re.compile(rf"(?P<n>{_NUM})\s?(?P<cls>[{_CLASSIFIERS}])?"
                       rf"(?P<rest>[^的和与及、{_CLAUSE_END}()（）\[\]\sA-Za-z\d]{{0,8}})")
_COUNT_EN = re.compile(rf"(?P<n>{_NUM})\s+(?P<rest>[A-Za-z&'-]+(?:\s[A-Za-z&'-]+){{0,3}})", _I)
# (relative, absolute) slack; counts and years must be exact


class _Lexicon(NamedTuple):
    """Term tables for one call: generic nouns plus the caller's aliases."""

    nouns: dict[str, str]
    noun_rx: re.Pattern[str]
    actors: dict[str, str]
    actor_rx: re.Pattern[str]


def _singular(text: str) -> str:
    """Crude English singular so 'countries'/'country' meet one table entry."""
    def one(w: str) -> str:
        if w.lower().endswith("ies") and len(w) > 4:
            return w[:-3] + "y"
        if re.search(r"(ss|x|ch|sh)es$", w, _I):
            return w[:-2]
        return w[:-1] if re.search(r"[^siu]s$", w, _I) else w
    return re.sub(r"[A-Za-z]+", lambda m: one(m.group()), text)


def _term_rx(terms: Iterable[str]) -> re.Pattern[str]:
    """Longest-first alternation, so Chinese gets maximal matches and Latin whole words."""
    ordered = sorted({t for t in terms if t}, key=len, reverse=True)
    return re.compile("|".join(rf"(?<![A-Za-z]){re.escape(t)}(?![A-Za-z])" for t in ordered) or r"(?!)", _I)


def _lexicon(aliases: Mapping[str, Iterable[str]] | None) -> _Lexicon:
    actors = {t.lower(): key for key, terms in (aliases or {}).items() for t in [key, *terms]}
    nouns = {_singular(t).lower(): key for key, terms in _NOUNS.items() for t in terms}
    nouns |= {_singular(t): key for t, key in actors.items()}
    return _Lexicon(nouns, _term_rx(nouns), actors, _term_rx(actors))


def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def _normalise(text: str) -> tuple[str, list[int]]:
    """NFKC per character, drop whitespace touching CJK (PDF line breaks, '90 亿'), keep an offset map."""
    out: list[str] = []
    pos: list[int] = []
    for m in re.finditer(r"\s+|\S", text):
        tok, end = m.group(), m.end()
        if not tok.isspace():
            nfkc = unicodedata.normalize("NFKC", tok)
            out.append(nfkc if len(nfkc) == 1 else tok)
        elif out and end < len(text) and not (_is_cjk(text[pos[-1]]) or _is_cjk(text[end])):
            out.append(" ")
        else:
            continue
        pos.append(m.start())
    return "".join(out), pos


def _num(s: str | None) -> float | None:
    """Arabic (with space/comma grouping), English words or Chinese numerals -> float."""
    if not s:
        return None
    s = s.strip().lower()
    if s[0].isdigit():
        return float(re.sub(r"[ ,]", "", s))
    words = re.split(r"[- ]", s)
    if all(w in _EN_NUM for w in words):
        return float(sum(_EN_NUM[w] for w in words))
    try:
        return float(cn2an.cn2an(s, "normal"))
    except ValueError:
        return None


def _period(word: str) -> float:
    return _PERIOD[_singular(word).lower()]


def extract_facts(text: str, aliases: Mapping[str, Iterable[str]] | None = None) -> list[Fact]:
    """All comparable facts in `text`; earlier kinds claim their span so '90亿英镑' is not also a count."""
    return _extract(text, _lexicon(aliases))


def _extract(text: str, lex: _Lexicon) -> list[Fact]:
    norm, pos = _normalise(text)
    taken: list[tuple[int, int, str]] = []
    facts: list[Fact] = []

    def add(kind: str, value: float | str | None, unit: str, span: tuple[int, int], upper: float | None = None) -> None:
        s, e = span
        if value is None or any(s < te and ts < e for ts, te, _ in taken):
            return
        taken.append((s, e, kind))
        facts.append(Fact(kind, value, unit, norm[s:e], (pos[s], pos[e - 1] + 1), upper))

    for rx in _MONEY:
        for m in rx.finditer(norm):
            if _RATIO.match(norm, m.end()):
                taken.append((*m.span(), "ratio"))
                continue  # "three pounds for every pound invested" is a return, not a sum
            n = _num(m["n"])
            add("money", None if n is None else round(n * _MAGNITUDE.get((m["mag"] or "").lower(), 1), 2),
                _CURRENCY[_singular(m["cur"]).lower()], m.span())
    for rx in _PERCENT:
        for m in rx.finditer(norm):
            g = m.groupdict()
            if "d" in g:
                n, d = _num(m["n"]), _num(m["d"])
                add("percent", None if n is None or not d else 100 * n / d, "%", m.span())
            else:
                value = _num(m["n"]) if "n" in g else _FRACTION.get(re.sub(r"[- ]+", " ", m[0].lower()))
                add("percent", value, "%", m.span())
    for rx in _FREQ:
        for m in rx.finditer(norm):
            g = m.groupdict()
            if any(abs(te - m.start()) <= 1 or (0 <= ts - m.end() <= 8 and not re.search(rf"[{_CLAUSE_END}]", norm[m.end():ts]))
                   for ts, te, k in taken if k == "money"):
                continue  # "每年 90 亿英镑" is a rate, not how often something happens
            if g.get("adv"):
                add("frequency", _ADVERB[m["adv"].lower()], "year", m.span())
                continue
            times = g.get("t") or "1"
            t = _TIMES.get(times.lower()) or _num(re.sub(r"\s+times$", "", times, flags=_I))
            n = 2.0 if g.get("other") else _num(g.get("n")) or 1.0
            hi = _num(g.get("m"))
            if t:
                add("frequency", _period(m["per"]) * n / t, "year", m.span(), hi and _period(m["per"]) * hi / t)
    for m in _YEAR.finditer(norm):
        add("year", int(m["y"]), "", m.span())
    for rx in _DURATION:
        for m in rx.finditer(norm):
            n, hi, per = _num(m["n"]), _num(m["m"]), _period(m["per"])
            add("duration", None if n is None else n * per, "year", m.span(), hi and hi * per)
    for rx, cn in ((_COUNT_CN, True), (_COUNT_EN, False)):
        for m in rx.finditer(norm):
            n, noun = _num(m["n"]), _noun(m, cn, lex)
            if noun and n and n == int(n):
                add("count", n, noun[0], (m.start(), m.start("rest") + noun[1]))
    actors = [Fact("actor", name, role, text, span) for name, role, text, span in actor_facts(norm, pos, lex.actor_rx, lex.actors)]
    return sorted(facts + actors, key=lambda f: f.span)


def _noun(m: re.Match[str], chinese: bool, lex: _Lexicon) -> tuple[str, int] | None:
    """Counted thing and how many phrase characters name it.

    The last known noun is the head ("6名内阁成员" -> member); failing that the classifier (版 -> edition)
    or the raw phrase, which can still meet the same wording on the other side.
    """
    rest, words = m["rest"], []
    if not chinese:
        words = list(itertools.takewhile(lambda w: w.lower() not in _EN_STOP, rest.split()))
        rest = " ".join(words)
    found = list(lex.noun_rx.finditer(_singular(rest).lower())) if rest else []
    if chinese and not m["cls"]:
        return (lex.nouns[found[0][0].lower()], found[0].end()) if found and found[0].start() == 0 else None
    if found and chinese and re.match(f"[{_COLLECTIVE}](?![成建织合中统])", rest[found[-1].end():]):  # not 组成, 集中
        return rest[:found[-1].end() + 1], found[-1].end() + 1  # 项目群 counts groups of projects, not projects
    if found:
        end = found[-1].end()
        if not chinese:  # map back through singularisation by counting words
            end = len(" ".join(words[:len(_singular(rest)[:end].split())]))
        return lex.nouns[found[-1][0].lower()], end
    if chinese:
        return lex.nouns.get(m["cls"]) or rest[:4] or m["cls"], len(rest[:4])
    plural = next((w for w in words if re.search(r"[^s]s$", w)), words[-1]) if words else ""
    return (_singular(plural).lower(), len(rest)) if plural else None
