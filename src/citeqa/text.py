"""Text helpers shared by the build and the search: tokens, language, sentence ends, acronyms.

Tokens for lexical search: jieba words for Chinese, stemmed words for English.

One tokenizer for passages and questions alike, so both sides of a BM25 match agree.
BM25 over unsegmented Chinese scores ~0; jieba's search mode also emits the short words
inside long compounds (综合科学技术创新会议 -> 科学, 技术, 创新, 会议 …).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

import jieba
import Stemmer

jieba.setLogLevel(logging.WARNING)

_STEMMER = Stemmer.Stemmer("english")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9&'\-]*|\d+(?:\.\d+)?")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # ideographs, extension A and compatibility ideographs
_CJK_LETTER = re.compile(f"[{CJK}]")
SENTENCE_END = re.compile(r"(?<=[。！？!?；;])[”’」』）)]*(?:\s*\[[\d,\s\-–]+\])?|(?<=[.!?])\s+(?=[A-Z\[(])|\n\n")


# web and mail addresses: ASCII only, so a CJK word written against one is not swallowed with it
_ADDRESS = re.compile(r"(?:https?|ftp)://[\w\-.~:/?#\[\]@!$&'()*+,;=%]+|www\.[\w\-.~/?#=%&]+|[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.ASCII | re.I)


def detect_lang(text: str) -> str:
    """Chinese when over 30 % of the letters are CJK (counted in C: it was most of chunking's time).

    Web and mail addresses are not counted: they are in no language, and their letters made a
    Chinese line naming four web sites (资料来源：根据 https://www.nano.gov，…网站公开信息整理) or a
    translator's credit (徐明 <xuming@…>) "English".
    """
    if "://" in text or "@" in text or "www." in text:
        text = _ADDRESS.sub(" ", text)
    letters = sum(map(str.isalpha, text))
    return "zh" if letters and sum(map(str.isalpha, _CJK_LETTER.findall(text))) / letters > 0.3 else "en"


def is_acronym(word: str) -> bool:
    """NNI, R&D, NSIs, ImPACT: mostly capitals (Build-Dependencies is a word, not an acronym)."""
    letters = [c for c in word if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z&.\-]*", word)) and upper >= 2 and 2 * upper >= len(letters)


EN_STOP = frozenset(
    """a about above after again all also am an and any are as at be been before being below between both but by can could
    did do does doing down during each few for from further had has have having he her here hers how i if in into is it its
    itself just me more most my no nor not of off on once only or other our out over own same she should so some such than
    that the their them then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours according article paper authors author say says said mention mentioned
    describe described respectively besides much many often""".split()
)
ZH_STOP = frozenset(
    "的 了 和 与 及 或 在 是 为 对 将 把 被 由 从 以 其 之 等 也 而 并 于 中 上 下 个 这 那 有 各 该 所 哪些 哪个 什么 多少 如何 怎样 怎么 是否 吗 呢 "
    "请 问 文章 本文 作者 被 如何 何 谁 哪 多久 一次 举例".split()
)
# question words and how an English rendering says them: they ask, they name nothing
ZH_QUESTION = {"什么": "what", "哪些": "which", "哪个": "which", "如何": "how", "怎样": "how", "怎么": "how", "为什么": "why",
               "多少": "how many", "谁": "who", "何时": "when", "哪里": "where", "是否": "whether", "哪": "which"}


def to_halfwidth(text: str) -> str:
    """Full-width Latin letters and digits (ＮＮＩ２０２０) to ASCII; Chinese punctuation stays."""
    return "".join(unicodedata.normalize("NFKC", ch) if "\uff10" <= ch <= "\uff5a" else ch for ch in text)


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    return _STEMMER.stemWord(word.lower())


def en_tokens(text: str) -> list[str]:
    """Lowercased, stemmed English words without stopwords (acronyms kept whole)."""
    return [stem(w) for w in _LATIN.findall(to_halfwidth(text)) if w.lower() not in EN_STOP and len(w) > 1 or w.isdigit()]


def zh_tokens(text: str) -> list[str]:
    """jieba search-mode words of the Chinese parts, plus the English words in between."""
    text = to_halfwidth(text)
    out = []
    for piece in re.split(r"([A-Za-z0-9][A-Za-z0-9&'.\-]*)", text):
        if not piece:
            continue
        if _CJK.search(piece):
            out += [w for w in jieba.cut_for_search(piece) if _CJK.search(w) and w not in ZH_STOP]
        elif re.match(r"[A-Za-z0-9]", piece):
            out += en_tokens(piece)
    return out
