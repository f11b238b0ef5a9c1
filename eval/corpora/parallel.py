"""Automatic parallel gold set: English paragraphs query the Chinese corpus and the reverse.

    python eval/corpora/parallel.py                # after debian_faq.py; writes eval/gold/parallel-faq.jsonl if missing
    python eval/corpora/parallel.py --regenerate   # rewrite it from the current chunker's passages

The set is committed, and each span must lie inside one passage as citeqa chunks the corpus
today, so a changed chunker yields a (slightly) different set: an existing file is kept unless
--regenerate is given, and the suite's figures stay comparable across machines.

Both languages are rendered from one DocBook source, so a chapter keeps its file name and every
section keeps its anchor id. Paragraphs (<p>) are aligned section by section:

* a dynamic programme (Gale–Church style: 1-1, 1-0, 0-1, 2-1, 1-2) over the two paragraph
  lists scores a 1-1 pair by its length ratio against the corpus-wide ratio and by the tokens
  both sides must share (numbers, URLs, links to other sections, code/command names);
* a 1-1 pair is kept when its tokens agree (every shared-kind token of the shorter side found
  on the other, or none on either) and its length ratio is within a factor LENGTH_SLACK of
  the corpus ratio; in a section whose paragraph counts differ a pair also needs at least one
  shared token — position alone is not trusted there.

The query is the source paragraph's first ~200 characters (English) or ~100 (Chinese, about
the same content). The evidence is up to two short spans from the matching part of the target
paragraph, kept only if they occur exactly once in the target corpus as citeqa reads it and
inside one of its passages.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import html as lxml_html

from debian_faq import GOLD, OUT, plain_html
from debpkg import read_corpus

PARALLEL = GOLD.with_name("parallel-faq.jsonl")
LENGTH_SLACK = 2.0  # a kept pair's length ratio is within this factor of the corpus ratio
QUERY_CHARS = {"en": 200, "zh": 100}
SPAN_CHARS = {"en": (30, 60), "zh": (12, 20)}  # evidence span length, whitespace removed
MIN_CHARS = {"en": 80, "zh": 35}  # shorter paragraphs ("Yes.") make no useful query
CJK = re.compile(r"[\u3400-\u9fff]")
TOKEN = re.compile(r"https?://[^\s，。）]+|/[\w./-]{3,}|\d+(?:\.\d+)*")  # URLs, paths, numbers ("64-bit" = "64 位")


@dataclass
class Para:
    """One <p>: its text, whitespace-free length, and the tokens a translation keeps verbatim."""

    text: str
    size: int
    tokens: set[str] = field(default_factory=set)


def _tokens(node) -> set[str]:
    found = {a.get("href").split("#")[-1] for a in node.iter("a") if a.get("href")}
    found |= {"".join(c.text_content().split()).lower() for c in node.xpath(".//code|.//*[@class='command']|.//tt")}
    found |= {t.rstrip(".,;:)") .lower() for t in TOKEN.findall(node.text_content())}
    return {t for t in found if t and not CJK.search(t)}


def sections(path: Path) -> dict[str, list[Para]]:
    """Paragraphs of each section (by anchor id), nested sections excluded, in reading order."""
    tree = lxml_html.fromstring(path.read_bytes())
    out: dict[str, list[Para]] = {}
    for p in tree.iter("p"):
        owner = next((a for a in p.iterancestors() if a.tag == "div" and a.get("class") in ("section", "footnote", "chapter", "preface", "appendix")), None)
        if owner is None:
            continue
        anchor = owner.xpath("./div[@class='titlepage']//a[@id]/@id") or owner.xpath(".//a[@id]/@id")
        text = " ".join(p.text_content().split())
        if not anchor or not text:
            continue
        out.setdefault(anchor[0], []).append(Para(text, len(text.replace(" ", "")), _tokens(p)))
    return out


def agree(a: Para, b: Para) -> tuple[bool, int]:
    """(no contradiction, shared token count): the side with fewer tokens must find all of them on the other."""
    shared = len(a.tokens & b.tokens)
    small = min(len(a.tokens), len(b.tokens))
    return shared >= small, shared


def align(en: list[Para], zh: list[Para], ratio: float) -> list[tuple[int, int, int]]:
    """1-1 pairs (i, j, shared tokens) from a length + token DP over one section."""
    def cost11(a: Para, b: Para) -> float:
        ok, shared = agree(a, b)
        return abs(math.log((b.size + 10) / (ratio * (a.size + 10)))) * 2 - shared + (0 if ok else 3)

    n, m, skip = len(en), len(zh), 2.5
    best = [[math.inf] * (m + 1) for _ in range(n + 1)]
    back: dict[tuple[int, int], tuple[int, int]] = {}
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            for di, dj in ((1, 1), (1, 0), (0, 1), (2, 1), (1, 2)):
                if i < di or j < dj or best[i - di][j - dj] == math.inf:
                    continue
                if (di, dj) == (1, 1):
                    step = cost11(en[i - 1], zh[j - 1])
                elif di == 0 or dj == 0:
                    step = skip
                else:
                    step = skip * 1.2
                if best[i - di][j - dj] + step < best[i][j]:
                    best[i][j], back[i, j] = best[i - di][j - dj] + step, (di, dj)
    pairs, i, j = [], n, m
    while (i, j) != (0, 0):
        di, dj = back[i, j]
        if (di, dj) == (1, 1):
            pairs.append((i - 1, j - 1))
        i, j = i - di, j - dj
    kept = []
    for a, b in reversed(pairs):
        ok, shared = agree(en[a], zh[b])
        within = abs(math.log(zh[b].size / (ratio * en[a].size))) <= math.log(LENGTH_SLACK)
        if ok and within and (n == m or shared > 0):
            kept.append((a, b, shared))
    return kept


def query(text: str, lang: str) -> str:
    """The paragraph's first ~N characters, cut at a word (en) or punctuation (zh) boundary."""
    limit = QUERY_CHARS[lang]
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = cut.rfind(" ") if lang == "en" else max(cut.rfind(c) for c in "，。；：、")
    return cut[: stop if stop > limit // 2 else limit].rstrip(" ,;:，、")


def _candidates(text: str, lang: str) -> list[str]:
    """Whitespace-free windows of one sentence: whole words (en) or from a clause start, Latin runs unsplit (zh)."""
    low, high = SPAN_CHARS[lang]
    out = []
    if lang == "en":
        words = text.split()
        for i in range(len(words)):
            span = ""
            for w in words[i:]:
                if len(span + w) > high:
                    break
                span += w
                if w[-1] in ".!?" and len(span) < low:
                    span = ""
                    break
                if len(span) >= low and (w[-1] in ".!?" or len(span) + 8 > high):
                    break
            if len(span) >= low:
                out.append(span)
        return out
    flat = "".join(text.split())
    starts = [0] + [i + 1 for i, c in enumerate(flat) if c in "，。；：、！？（）“”"]
    for a in starts:
        b = min(a + high, len(flat))
        stop = re.search(r"[。！？]", flat[a:b])
        if stop:
            b = a + stop.end()
        while a < b < len(flat) and flat[b - 1].isascii() and flat[b - 1].isalnum() and flat[b].isascii() and flat[b].isalnum():
            b -= 1
        while a < b and flat[a] in "，。；：、！？（）“”":
            a += 1
        if b - a >= low:
            out.append(flat[a:b])
    return out


def spans(target: Para, covered: float, lang: str, documents: str, passages: list[str], source: str) -> list[str]:
    """Up to two spans from the first `covered` share of the target: unique in the corpus, inside a passage, crossing no markup."""
    flat = "".join(target.text.split())
    region = max(int(len(flat) * covered), SPAN_CHARS[lang][1] * 2)
    chosen: list[str] = []
    end = 0
    for span in _candidates(target.text, lang):
        at = flat.find(span, end)
        if at < 0 or at >= region or len(chosen) == 2:
            continue
        if lang == "zh" and len(CJK.findall(span)) < len(span) // 2:
            continue  # the span must be Chinese text, not a shared command or URL
        if span in source and documents.count(span) == 1 and any(span in p for p in passages):
            chosen.append(span)
            end = at + len(span)
    return chosen


def build() -> list[dict]:
    chapters = sorted(p.name for p in (OUT / "en").glob("*.html") if (OUT / "zh" / p.name).exists())
    docs = {name: (sections(OUT / "en" / name), sections(OUT / "zh" / name)) for name in chapters}
    total = {"en": 0, "zh": 0}
    for en, zh in docs.values():
        for key in en.keys() & zh.keys():
            if len(en[key]) == len(zh[key]):
                total["en"] += sum(p.size for p in en[key])
                total["zh"] += sum(p.size for p in zh[key])
    ratio = total["zh"] / total["en"]
    corpora = {lang: read_corpus(OUT / lang) for lang in ("en", "zh")}
    flat = {lang: "\n".join(docs) for lang, (docs, _) in corpora.items()}
    passages = {lang: ps for lang, (_, ps) in corpora.items()}
    sources = {lang: plain_html(OUT / lang) for lang in ("en", "zh")}
    items, stats = [], {"sections": 0, "paragraphs_en": 0, "paragraphs_zh": 0, "pairs": 0}
    for name, (en, zh) in docs.items():
        stats["paragraphs_en"] += sum(map(len, en.values()))
        stats["paragraphs_zh"] += sum(map(len, zh.values()))
        for key in [k for k in en if k in zh]:
            stats["sections"] += 1
            for a, b, shared in align(en[key], zh[key], ratio):
                stats["pairs"] += 1
                pair = {"en": en[key][a], "zh": zh[key][b]}
                for src, tgt in (("en", "zh"), ("zh", "en")):
                    if pair[src].size < MIN_CHARS[src]:
                        continue
                    q = query(pair[src].text, src)
                    covered = min(1.0, len(q) / len(pair[src].text))
                    evidence = spans(pair[tgt], covered, tgt, flat[tgt], passages[tgt], sources[tgt])
                    if evidence:
                        items.append({"id": "", "lang": src, "question": q, "evidence": evidence, "mechanism": "none",
                                      "measure": "none", "kind": "parallel", "target_lang": tgt, "evidence_lang": tgt,
                                      "note": f"{name}#{key} en p{a + 1} = zh p{b + 1}, {shared} shared tokens"})
    for n, item in enumerate(items, 1):
        item["id"] = f"par-{item['lang']}-{n:04d}"
    print(f"length ratio zh/en {ratio:.3f}; {stats['sections']} sections, {stats['paragraphs_en']} en / "
          f"{stats['paragraphs_zh']} zh paragraphs, {stats['pairs']} aligned pairs kept")
    return items


def main() -> int:
    if PARALLEL.exists() and "--regenerate" not in sys.argv[1:]:
        print(f"{PARALLEL} exists and is kept (the suite's figures are measured on it); pass --regenerate to rebuild it")
        return 0
    items = build()
    tmp = PARALLEL.with_name(PARALLEL.name + ".tmp")
    tmp.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    os.replace(tmp, PARALLEL)
    by = {}
    for i in items:
        by[i["lang"]] = by.get(i["lang"], 0) + 1
    print(f"{len(items)} items -> {PARALLEL}: " + ", ".join(f"{n} {lang} queries over the {'zh' if lang == 'en' else 'en'} corpus" for lang, n in sorted(by.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
