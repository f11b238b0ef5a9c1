"""Building a Lexicon: one pass over the corpus (jieba per Chinese line), gloss mining, CEDICT lookups.

Only the build imports this; a searcher reads the saved Lexicon (lexicon.py) and never segments
the corpus again.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

import jieba

from . import mining, workers
from .cedict import cedict, definitions
from .cooccur import Cooccurrence, window_key
from .lexicon import Lexicon, TermPair
from .text import en_tokens
from .translate import latin_tokens

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_HAN_WORD = re.compile(f"[{_HAN}]+")
_HAS_HAN = re.compile(f"[{_HAN}]")
_SUFFIXES = set("性度化者率型式家员界方类")  # derivational: 成熟度 = 成熟 + 度 ("maturity")
_SHORT_LINE = 6  # a Latin-only line of a Chinese document with at most this many words is code, not English prose


def mine(texts: list[str], *, use_gloss: bool = True, use_cedict: bool = True,
         en_vocab: Iterable[str] | None = None) -> tuple[list[TermPair], dict[str, Any]]:
    """The term pairs of a corpus and the statistics translation needs (Lexicon's constructor arguments)."""
    sites = mining.find_sites(texts) if use_gloss else []
    scan = _scan(texts, sites)
    mined = mining.mine(sites, scan.candidates)
    pairs = [TermPair(en, zh, "gloss") for en, zh in mined]
    accepted = {en for en, _ in mined}
    for site in sites:  # a glossed name's English words are not Latin the Chinese text uses
        if any(part in accepted for part in mining.split_gloss(site.content)):
            scan.latin.subtract(w.lower() for w in latin_tokens(site.content))
    for en, zh in mined:
        scan.freq[zh] = max(scan.freq[zh], scan.candidates[zh])
    if use_cedict:
        pairs += _cedict_pairs(scan.freq)
    english = Counter(en_tokens(" ".join(en_vocab))) if en_vocab is not None else scan.english
    targets = {p.zh for p in pairs}
    return pairs, {"freq": scan.freq, "latin": +scan.latin, "en_vocab": english, "cooc": scan.cooc.restricted(targets)}


def extend(lexicon: Lexicon, texts: list[str]) -> Lexicon | None:
    """The lexicon of a corpus grown by `texts`, scanning `texts` alone (None: `lexicon` was saved without what that needs).

    Counts, the English vocabulary and co-occurrence sketches add up exactly; CEDICT pairs are
    looked up for the new words; glosses are mined from the new texts' brackets, with the
    recurrence check counted in the new texts (a full build counts it in the whole corpus).
    """
    old = lexicon.table
    if old.cooc.windows < 0:
        return None
    pairs, stats = mine(texts)
    return Lexicon(lexicon.pairs + pairs, Counter(old.freq) + stats["freq"], latin=Counter(old.latin) + stats["latin"],
                   en_vocab=Counter(old.en_vocab) + stats["en_vocab"], cooc=old.cooc.merged(stats["cooc"]))


def _derive(zh: str) -> list[TermPair]:
    """English for a corpus word CEDICT lacks, from its parts (Chinese compounds are head-final)."""
    if len(zh) >= 3 and zh[-1] in _SUFFIXES and definitions(zh[:-1]):
        return [TermPair(d, zh, "derived", 0.7) for d in definitions(zh[:-1])[:4]]
    for k in range(1, len(zh) - 1):
        left = [d for d in definitions(zh[:k]) if " " not in d][:3]
        right = [d for d in definitions(zh[k:]) if " " not in d][:3]
        if left and right:
            return [TermPair(f"{a} {b}", zh, "derived", 0.8) for a in left for b in right]
    return []


def _cedict_pairs(freq: Counter[str]) -> list[TermPair]:
    pairs: list[TermPair] = []
    for zh in sorted(w for w in freq if _HAN_WORD.fullmatch(w)):
        defs = definitions(zh)
        pairs += [TermPair(d, zh, "cedict") for d in defs] if defs else _derive(zh)
    return pairs


@dataclass
class _Scan:
    """What one pass over the corpus collects."""

    freq: Counter[str]
    latin: Counter[str]  # Latin tokens as the Chinese text writes them (lower-case)
    english: Counter[str]  # stems of English prose
    candidates: Counter[str]  # occurrences of mined-term candidates
    cooc: Cooccurrence


def _segment(text: str) -> list[list[str]]:
    """jieba words of each line of `text` that holds Chinese, in order.

    No HMM guessing of unknown words: 1.7x faster, and the dev and parallel sets score the same.
    """
    return [jieba.lcut(line, HMM=False) for line in text.split("\n") if _HAS_HAN.search(line)]


def _scan(texts: list[str], sites: list[mining.Site]) -> _Scan:
    """Tokenise every Chinese line once (jieba); count words, CEDICT n-grams, term candidates and co-occurrence."""
    ced = cedict()
    wanted = {o for s in sites for o in s.options} | {s.fallback for s in sites}
    prefixes = {w[:k] for w in wanted for k in range(1, len(w) + 1)}
    scan = _Scan(Counter(), Counter(), Counter(), Counter(), Cooccurrence())
    segmented = workers.imap(_segment, texts, size=sum(map(len, texts)), chunksize=1)
    try:
        for text, cuts in zip(texts, segmented):
            _count(text, iter(cuts), scan, ced, wanted, prefixes)
    finally:
        segmented.close()  # stops the worker processes
    return scan


def _count(text: str, cut, scan: _Scan, ced, wanted: set[str], prefixes: set[str]) -> None:
    """Add one document to the scan; `cut` yields the jieba words of its Chinese lines in order."""
    document, windows = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little"), 0
    chinese_doc = len(_HAS_HAN.findall(text)) * 4 >= len(re.findall("[A-Za-z]", text))
    for line in text.split("\n"):
        if not _HAS_HAN.search(line):
            words = latin_tokens(line)
            if chinese_doc and len(words) <= _SHORT_LINE:
                scan.latin.update(w.lower() for w in words)
            else:
                scan.english.update(en_tokens(line))
            continue
        if len(_HAS_HAN.findall(line)) * 4 >= len(re.findall("[A-Za-z]", line)):  # not an untranslated English sentence
            scan.latin.update(w.lower() for w in latin_tokens(line))
        run: list[str] = []
        window: set[str] = set()
        for tok in next(cut) + [""]:
            han = bool(_HAN_WORD.fullmatch(tok))
            if han or tok.isdigit():
                scan.freq[tok] += 1
            if han or tok in ("、", "·"):
                run.append(tok)
                if han and len(tok) > 1:
                    window.add(tok)
                continue
            for i in range(len(run)):  # CEDICT headwords across tokens, and mined-term candidates
                s = run[i]
                for t in run[i + 1 : i + 4]:
                    s += t
                    if s in ced:
                        scan.freq[s] += 1
                s = ""
                for t in run[i:]:
                    s += t
                    if s not in prefixes:
                        break
                    if s in wanted:
                        scan.candidates[s] += 1
            run = []
            if len(window) >= 60:
                scan.cooc.add_window(window, window_key(document, windows))
                windows, window = windows + 1, set()
        if window:
            scan.cooc.add_window(window, window_key(document, windows))
            windows += 1
