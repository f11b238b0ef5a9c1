"""The dev suite: several corpora, each with a gold set, scored in one table.

`eval/suite.toml` lists the sets (name, corpus folder, gold file, the corpus's language when it
is one language, the command that prepares the corpus, a group naming the corpus family for
leave-one-corpus-out). Each question is read and its channel features computed once
(`Searcher.features`, the expensive part: encoder calls); every fusion setting and baseline is
then a cheap re-ranking of those features, so weights can be swept and chosen
leave-one-corpus-out (see tune.py).
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .abstain import unsupported_terms
from .coverage import is_off_topic
from .evaluate import GoldItem, is_relevant, load_gold
from .fusion import Features, Weights, confidence, evidence, fuse, ranking
from .searcher import Searcher
from .text import zh_tokens

K = 10


@dataclass(frozen=True)
class SuiteSet:
    name: str
    corpus: Path
    gold: Path
    group: str
    lang: str = ""  # the corpus's one language ("zh"/"en"), or "" for a mixed corpus
    target: str = ""  # keep only gold items whose target_lang is this (parallel sets)
    prepare: str = ""  # the command that fetches/prepares the corpus
    limit: int = 0  # score only the first `limit` questions (large generated sets)
    uses: tuple[str, ...] = ()  # other groups whose documents this set's corpus is made of


@dataclass(frozen=True)
class Suite:
    sets: list[SuiteSet]
    term_pairs: Path | None = None  # judged term pairs of the suite's corpora (pair_eval.py)


def load_suite(path: Path) -> Suite:
    root = Path(path).resolve().parent.parent  # eval/suite.toml -> the repository
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for s in raw.get("set", []):
        out.append(SuiteSet(name=s["name"], corpus=root / s["corpus"], gold=root / s["gold"], group=s.get("group", s["name"]),
                            lang=s.get("lang", ""), target=s.get("target", ""), prepare=s.get("prepare", ""),
                            limit=int(s.get("limit", 0)), uses=tuple(s.get("uses", ()))))
    return Suite(out, root / raw["term_pairs"] if raw.get("term_pairs") else None)


@dataclass
class Prepared:
    """One question with everything a re-ranking needs."""

    item: GoldItem
    direction: str  # e.g. "en→zh"
    features: Features | None
    relevant: np.ndarray  # bool per candidate row
    boost: np.ndarray | None
    unsupported: bool
    baselines: dict[str, list[bool]] = field(default_factory=dict)  # method -> relevance of its top K


def direction(item: GoldItem, s: SuiteSet) -> str:
    target = s.lang or item.target_lang or (item.evidence_lang if item.evidence_lang in ("zh", "en") else "mixed")
    return f"{item.lang}→{target}"


def prepare(searcher: Searcher, s: SuiteSet, progress: bool = True) -> list[Prepared]:
    items = [i for i in load_gold(s.gold) if not s.target or i.target_lang == s.target][: s.limit or None]
    out = []
    queries = [searcher.understand(item.question) for item in items]
    texts = [searcher.query_texts(q) for q in queries]
    flat = [t for ts in texts for t in ts]
    vectors = searcher.encoder.encode_queries(flat) if flat else np.zeros((0, 1), np.float32)
    starts = np.cumsum([0] + [len(ts) for ts in texts])
    for n, (item, q) in enumerate(zip(items, queries), 1):
        qvecs = vectors[starts[n - 1] : starts[n]]
        f = searcher.features(q, qvecs=qvecs)
        texts = [searcher.chunks[r].text for r in f.rows]
        rel = np.array([is_relevant(t, item.evidence) for t in texts], bool) if item.answerable else np.zeros(len(f.rows), bool)
        p = Prepared(item, direction(item, s), f, rel, searcher.facet_matches(q, f.rows), bool(unsupported_terms(q, searcher.zh, searcher.en, searcher.lexicon)))
        if item.answerable:
            p.baselines = _baselines(searcher, item, qvecs[0])
        out.append(p)
        if progress:
            print(f"\r{s.name}: {n}/{len(items)}", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return out


def _baselines(searcher: Searcher, item: GoldItem, qvec: np.ndarray) -> dict[str, list[bool]]:
    """Plain BM25 over jieba tokens, plain dense cosine, and their RRF (k = 60), over the same passages."""
    bm25 = searcher.zh.search([(t, 1.0) for t in zh_tokens(item.question)], 100)
    bm25_rows = bm25.rows[np.argsort(-bm25.scores, kind="stable")]
    dense_rows = np.array([r for r, _ in searcher.dense.store.search(qvec, 100)], np.int64)
    fused: dict[int, float] = {}
    for ranking in (bm25_rows, dense_rows):
        for rank, r in enumerate(ranking, 1):
            fused[int(r)] = fused.get(int(r), 0.0) + 1 / (60 + rank)
    rrf_rows = sorted(fused, key=lambda r: -fused[r])
    judge = lambda rows: [is_relevant(searcher.chunks[int(r)].text, item.evidence) for r in list(rows)[:K]]  # noqa: E731
    return {"BM25 (jieba)": judge(bm25_rows), "dense (mE5)": judge(dense_rows), "RRF(BM25, dense)": judge(rrf_rows)}


def rerank(p: Prepared, w: Weights) -> tuple[list[bool], np.ndarray, bool]:
    """Relevance of the top K under weights `w`, the evidence vector behind the confidence, and
    whether the question is off topic (its best passages share too few of its words, coverage.py)."""
    f = p.features
    if f is None or not len(f.rows):  # nothing found: the evidence of an empty ranking
        return [], evidence(f, np.zeros(0, np.float32)), f is not None and is_off_topic(f, w, p.boost)
    off = is_off_topic(f, w, p.boost)
    fused = fuse(f, w, p.boost)
    return list(p.relevant[ranking(f, fused, w)[:K]]), evidence(f, fused), off


def _first(rel: list[bool]) -> int | None:
    return rel.index(True) + 1 if True in rel else None


def score(prepared: list[Prepared], w: Weights | None = None, method: str | None = None) -> dict[str, dict[str, float]]:
    """Per direction (and "all"): n, R@1/5/10, MRR@10; abstention precision/recall over the set."""
    ranks: dict[str, list[int | None]] = {}
    abstained, unanswerable = [], []
    for p in prepared:
        off = False
        if method:
            rel, conf = p.baselines.get(method, []), 1.0
        else:
            rel, x, off = rerank(p, w)
            conf = confidence(x, w)
        if p.item.answerable:
            ranks.setdefault(p.direction, []).append(_first(rel))
            ranks.setdefault("all", []).append(_first(rel))
        if not method and p.item.kind != "parallel":
            abstained.append(p.unsupported or off or conf < w.abstain_below)
            unanswerable.append(not p.item.answerable)
    out = {d: _metrics(r) for d, r in ranks.items()}
    if abstained:
        a, u = np.array(abstained), np.array(unanswerable)
        out["all"]["abstain_precision"] = float((a & u).sum() / a.sum()) if a.sum() else 1.0
        out["all"]["abstain_recall"] = float((a & u).sum() / u.sum()) if u.sum() else 1.0
        out["all"]["false_abstain"] = float((a & ~u).sum() / max(1, (~u).sum()))
    return out


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    at = lambda k: sum(1 for r in ranks if r is not None and r <= k) / n  # noqa: E731
    return {"n": n, "R@1": at(1), "R@5": at(5), "R@10": at(10), "MRR": sum(1 / r for r in ranks if r) / n}
