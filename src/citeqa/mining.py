"""Term pairs a corpus defines itself: 中文名（English Name，ACR） and （以下简称“短称”）.

A parenthesis is not always a gloss: it may hold code, a file name, a date, a command or a
remark. A mined pair is kept only when CC-CEDICT supports it: enough of the English name's
words are senses of the Chinese term's words, or the acronym's letters are initials of those
senses, or the acronym abbreviates a full name that passed; and a Chinese term that names only
part of the English (every word of it explained, an English word left over: 字符集 for "Universal
Character Set") is not a gloss of it. Leading Chinese words nothing in the English explains are
cut (本地 of 本地网络时间协议 for NTP) when the English is explained in full, unless they are a
proper noun (美国, 日本), which a translation may leave out. Everything here is linear in the
corpus: each bracket looks back a bounded window, and "does the corpus use this term again"
is counted in the build's one walk over its tokens (`lexicon_build._scan`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import jieba.posseg

from .cedict import all_definitions, content_words, segment, stem_key
from .text import is_acronym  # noqa: F401  (re-exported: the term table reads acronyms too)

HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_GLOSS = re.compile(r"[（(]([^（）()]{1,200})[）)]")
_ALIAS = re.compile(r"^\s*(?:以下)?(?:简称|下称)[：:]?\s*[“\"「『]([^”\"」』]{1,20})[”\"」』]\s*$")
_RUN = re.compile(f"[{HAN}、·]{{1,40}}$")
_QUOTED = {"》": "《", "”": "“", "」": "「"}
_JOINERS = {"、", "与", "和", "及"}  # may sit inside a Chinese name, never start one
_NAME = re.compile(r"[A-Za-z][A-Za-z'’&.\-]*(?:,? [A-Za-z][A-Za-z'’&.\-]*)*")  # letters, one space between words
_FILEISH = re.compile(r"\.[A-Za-z]|^-|[-.]$")
_PROPER = {"ns", "nr", "nt", "nz", "nrfg", "nrt"}
LOOKBACK = 42
MIN_WORD_SHARE = 2 / 3  # English content words a gloss must explain through CEDICT (chosen on the article + Debian FAQ)
MIN_COVERAGE = 0.5  # share of the Chinese term's characters the English must explain
MIN_LETTER_SHARE = 0.6  # acronym letters (>= 4 letters) that must be sense initials; 3 or fewer: all


@dataclass(frozen=True)
class Site:
    """One bracket that may be a gloss: the Chinese candidates before it and what it contains."""

    options: tuple[str, ...]  # terms the corpus must use again to be chosen, most specific first
    fallback: str  # chosen when none of `options` recurs
    content: str
    alias: str = ""  # the short form of （以下简称“…”）


def abbreviates(short: str, long: str) -> bool:
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


def split_gloss(content: str) -> tuple[str, str]:
    """(full English name, acronym) of a gloss; the acronym is the last comma part, when it abbreviates the rest."""
    parts = [p.strip() for p in re.split(r"[，,;；]", " ".join(content.split())) if p.strip()]
    if is_acronym(parts[-1]):
        full = ", ".join(parts[:-1])
        if not full or abbreviates(parts[-1], full):
            return full, parts[-1]
    return ", ".join(parts), ""


def _options(before: str) -> tuple[tuple[str, ...], str]:
    """Candidate Chinese terms ending at a bracket: recurring noun-like runs first, then the last list item."""
    before = before.rstrip()
    if before[-1:] in _QUOTED:  # 《全球粮食安全战略计划》（Global Food Security Strategic Plan）
        start = before.rfind(_QUOTED[before[-1]])
        return (), before[start + 1 : -1] if start >= 0 else ""
    run = _RUN.search(before)
    if not run:
        return (), ""
    toks = [(p.word, p.flag) for p in jieba.posseg.lcut(run.group())]
    # particles, prepositions and punctuation end the term (与/和/、 may sit inside one: 研究与创新署)
    cut = max((i + 1 for i, (w, f) in enumerate(toks) if w not in _JOINERS and w != "·" and f[0] in "upx"), default=0)
    toks = toks[cut:]
    words = [w for w, _ in toks]
    if "·" in words[1:]:  # transliterated personal name: 保罗·纳斯爵士
        return (), "".join(words[words.index("·") - 1 :])
    starts = [i for i, (w, f) in enumerate(toks) if w not in _JOINERS and f != "v" and f[0] not in "cdrmqfxup"]
    options = tuple("".join(words[i:]) for i in starts if len(words) - i >= 2)
    # otherwise the last list item (、/和/及 separate items; 与 usually belongs to the name: 管理与预算办公室)
    last = max((i + 1 for i, w in enumerate(words) if w in _JOINERS - {"与"}), default=0)
    return options, next(("".join(words[i:]) for i in starts if i >= last), "")


def find_sites(texts: Iterable[str]) -> list[Site]:
    """Every bracket after Chinese text that holds Latin letters or a short-form note (bounded look-back)."""
    sites: list[Site] = []
    seen: dict[tuple[str, str], Site | None] = {}
    for text in texts:
        for m in _GLOSS.finditer(text):
            content = m.group(1)
            alias = _ALIAS.match(content)
            if not alias:
                letters = sum(c.isascii() and c.isalpha() for c in content)
                if letters < 2 or re.search(f"[{HAN}]|https?:|www\\.", content) or len(content.split()) > 12:
                    continue
            before = text[max(0, m.start() - LOOKBACK) : m.start()]
            if (before, content) not in seen:
                options, fallback = _options(before)
                ok = options or fallback
                seen[before, content] = Site(options, fallback, content, alias.group(1) if alias else "") if ok else None
            if site := seen[before, content]:
                sites.append(site)
    return sites


def _senses(zh: str) -> list[set[str]]:
    """Per CEDICT segment of a term: the stem keys of all its senses' content words."""
    return [{stem_key(w) for d in all_definitions(seg) for w in content_words(d)} for seg in segment(zh)]


def _initials(seg: str) -> tuple[set[str], int]:
    """Initials of a segment's sense words, and how many letters it may give (its longest sense's word count)."""
    senses = [content_words(d) for d in all_definitions(seg)]
    return {w[0] for ws in senses for w in ws}, max(map(len, senses), default=0)


def _acronym_fits(acronym: str, segs: list[str]) -> list[bool]:
    """Which segments give the acronym a letter (initials of their senses); [] when too few letters fit.

    Letters are first matched in order (a name's words usually keep their order across the two
    languages: SIP = 战略 创新 促进), then in any order (OECD = 经济 合作 发展 组织).
    """
    letters = [c.lower() for c in acronym if c.isupper()]  # NSIs, ImPACT: capitals only
    initials = [_initials(s) for s in segs]
    need = len(letters) if len(letters) <= 3 else MIN_LETTER_SHARE * len(letters)
    for ordered in (True, False):
        used, last = [0] * len(segs), 0
        for ch in letters:  # "science and technology" (科技) may give S and T
            order = range(last, len(segs)) if ordered else sorted(range(len(segs)), key=lambda j: used[j] > 0)
            j = next((j for j in order if ch in initials[j][0] and used[j] < initials[j][1]), None)
            if j is not None:
                used[j] += 1
                last = j
        if len(letters) >= 2 and sum(used) >= need:
            return [n > 0 for n in used]
    return []


def _trim(zh: str, explained: list[bool]) -> str:
    """Drop leading segments no English word explains, unless they are proper nouns (美国, 日本)."""
    segs = segment(zh)
    i = 0
    while i < len(segs) - 1 and not explained[i]:
        flags = {p.flag for p in jieba.posseg.lcut(segs[i])}
        if flags & _PROPER:
            break
        i += 1
    return "".join(segs[i:])


@lru_cache(maxsize=65_536)  # a name glossed again costs nothing
def validate(en: str, zh: str) -> str:
    """The Chinese term `en` really glosses (possibly with unexplained leading words cut off), or ""."""
    if not _NAME.fullmatch(en) or _FILEISH.search(en) or len(en.split()) > 10 or not re.fullmatch(f"[{HAN}、·]{{2,}}", zh):
        return ""
    if "·" in zh and all(w[0].isupper() for w in en.split()):
        return zh  # a transliterated personal name: 保罗·纳斯爵士 (Sir Paul Nurse)
    senses = _senses(zh)
    complete = True  # every English word explained: leading Chinese words nothing explains can go
    if is_acronym(en) and " " not in en:
        explained = _acronym_fits(en, segment(zh))
        if not explained:
            return ""
    else:
        words = [stem_key(w) for w in content_words(en)]
        hits = [any(w in s for s in senses) for w in words]
        if not words or sum(hits) < MIN_WORD_SHARE * len(words):
            return ""
        explained = [any(w in s for w in words) for s in senses]
        complete = all(hits)
        if not complete and all(ok or seg in _JOINERS for seg, ok in zip(segment(zh), explained)):
            return ""  # the Chinese names only part of the English: 字符集 for "Universal Character Set"
    # 本地网络时间协议 (NTP) -> 网络时间协议; but 标记 of 标记队列深度 (Tagged Queue Depth) may be
    # the translation of the word the dictionary did not explain, so it stays
    term = _trim(zh, explained) if complete else zh
    explained = explained[len(segment(zh)) - len(segment(term)) :]
    covered = sum(len(seg) for seg, ok in zip(segment(term), explained) if ok)
    return term if len(term) >= 2 and covered >= MIN_COVERAGE * len(term) else ""


def mine(sites: list[Site], counts: Counter[str], *, check: bool = True) -> list[tuple[str, str]]:
    """(English, Chinese) pairs from the bracket sites, validated unless `check` is off."""
    pairs: list[tuple[str, str]] = []
    aliases: list[tuple[str, str]] = []
    for site in sites:
        zh = next((o for o in site.options if counts[o] >= 2), site.fallback)
        if site.alias:
            if zh:
                aliases.append((zh, site.alias))
            continue
        if len(zh) < 2:
            continue
        full, acronym = split_gloss(site.content)
        kept_full = (validate(full, zh) if check else zh) if full else ""
        if kept_full:
            pairs.append((full, kept_full))
        if acronym:
            named = kept_full if kept_full and (not check or abbreviates(acronym, full)) else (validate(acronym, zh) if check else zh)
            if named:
                pairs.append((acronym, named))
    by_suffix: dict[str, list[tuple[str, str]]] = {}
    for en, zh in dict.fromkeys(pairs):
        for k in range(len(zh)):
            by_suffix.setdefault(zh[k:], []).append((en, zh))
    for long, short in aliases:  # 纳米计划 inherits the names of 美国国家纳米技术计划
        inherited = list(by_suffix.get(long, []))
        inherited += [p for k in range(len(long)) for p in by_suffix.get(long[k:], []) if p[1] == long[k:]]
        pairs += [(en, short) for en, _ in inherited]
    return list(dict.fromkeys(pairs))
