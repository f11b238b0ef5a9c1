"""The names a corpus glosses, found in any text: one name however many forms it is written in.

A gloss pairs a Chinese name with its English name or acronym (欧洲研究基础设施战略论坛 /
"European Strategy Forum on Research Infrastructures" / ESFRI). A question or passage that
writes any form names the same thing, so ranking counts it once (coverage, query weights).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

from .text import is_acronym

if TYPE_CHECKING:
    from .lexicon import TermPair


class GlossedNames:
    """Index of the glossed pairs: Chinese names by first character (longest first), every form's other sides."""

    def __init__(self, pairs: list[TermPair]) -> None:
        glossed = [p for p in pairs if p.source == "gloss"]
        self._first: dict[str, list[str]] = defaultdict(list)  # first character -> glossed names, longest first
        for zh in sorted({p.zh for p in glossed}, key=len, reverse=True):
            self._first[zh[0]].append(zh)
        self._named: dict[str, set[str]] = defaultdict(set)  # a name (either language) -> its other side
        for p in glossed:
            self._named[p.zh].add(p.en)
            self._named[p.en].add(p.zh)
        self._pattern: re.Pattern[str] | None = None  # built on first use: most loads never ask

    def at(self, text: str, i: int) -> str:
        """The longest glossed Chinese name starting at `text[i]`, or ""."""
        return next((zh for zh in self._first.get(text[i], ()) if text.startswith(zh, i)), "")

    def find(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """The names `text` writes, each as (as written, every form the corpus gives it); a text that
        writes two forms of one name gets two entries with the same forms. Chinese names by longest
        match, English names and acronyms as whole, case-sensitive words."""
        if self._pattern is None:
            latin = sorted((n for n in self._named if n.isascii()), key=len, reverse=True)
            self._pattern = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, latin)) + r")(?![\w-])") if latin else re.compile(r"(?!)")
        found, i = [], 0
        while i < len(text):
            name = self.at(text, i)
            if name:
                found.append(name)
            i += len(name) or 1
        found += self._pattern.findall(text)
        out: dict[str, tuple[str, ...]] = {}
        for name in found:
            forms = {name} | self._named[name]
            forms |= {z for f in list(forms) for z in self._named[f]}  # NNI -> 纳米计划 -> 美国国家纳米技术计划
            if any(f.isascii() and (" " in f or is_acronym(f)) for f in forms):  # a name, not a word (启动 "start")
                out.setdefault(name, tuple(sorted(forms)))
        return list(out.items())
