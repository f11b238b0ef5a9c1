"""The scale benchmark's child processes: a build with every phase timed, and a cold load then queries.

Run by `citeqa.scalebench` (`python -m citeqa.scalebench build|measure …`), each in a fresh
interpreter so load time and memory are those of a cold process.
"""

from __future__ import annotations

import cProfile
import json
import os
import re
import sys
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import numpy as np

MB = 1024 * 1024
NOISE = 0.02  # per-dimension sigma: a noisy copy keeps cos ~0.9 with its sentences' mean vector


class InjectedEncoder:
    """Passage vectors injected (no model run); identity and queries those of the real default encoder."""

    def __init__(self, pool: dict[str, Any] | None, vectors: np.ndarray | None, seed: int = 0) -> None:
        from .embed import DEFAULT_ENCODER, get_encoder

        self.real = get_encoder(DEFAULT_ENCODER)
        self.name, self.dim, self.seed, self.vectors = self.real.name, self.real.dim, seed, vectors
        self.rows = {s: r for lang in ("zh", "en") for s, r in zip(pool["sentences"][lang], pool["rows"][lang])} if pool and vectors is not None else {}
        self.seconds, self.matched, self.count = 0.0, 0, 0

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.real.encode_queries(texts)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        from .chunk import SENTENCE_END

        started = time.perf_counter()
        out = np.empty((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            rng = np.random.default_rng([self.seed, zlib.crc32(text.encode("utf-8"))])
            rows = [self.rows[s] for s in (" ".join(p.split()) for p in re.split(SENTENCE_END, text)) if s in self.rows]
            base = self.vectors[rows].mean(axis=0) if rows else np.zeros(self.dim, np.float32)
            scale = NOISE if rows else 1.0
            self.matched, self.count = self.matched + bool(rows), self.count + 1
            out[i] = base + rng.standard_normal(self.dim, dtype=np.float32) * scale
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        self.seconds += time.perf_counter() - started
        return out


# -- the build child: build_index with every phase timed -----------------------------------------

PHASES = [  # (module, attribute, phase): functions the build calls, timed exclusive of the phases nested in them
    ("citeqa.build", "load_corpus", "read corpus"), ("citeqa.build", "load_document", "ingest (read + clean)"),
    ("citeqa.build", "chunk_document", "chunk"), ("citeqa.facets", "Facets.tag", "facet tagging"),
    ("citeqa.build", "_cached_vectors", "reuse check"), ("citeqa.lexicon", "Lexicon.build", "lexicon"),
    ("citeqa.lexicon", "Lexicon.to_json", "lexicon"), ("citeqa.lexicon", "Lexicon.english_gloss", "english glosses"),
    ("citeqa.searchfiles", "_tokens", "tokenise"), ("citeqa.text", "en_tokens", "tokenise en"),
    ("citeqa.lexical", "LexicalIndex.build", "bm25s index"), ("citeqa.lexical", "LexicalIndex.save", "bm25s save"),
    ("citeqa.dense", "Calibration.fit", "calibration"), ("citeqa.incremental", "find_growth", "growth check"), ("citeqa.store", "make_faiss_index", "faiss build"),
    ("citeqa.vectorstore", "FaissStore.add", "faiss store add"), ("citeqa.vectorstore", "FaissStore.save", "faiss store save"),
    ("faiss", "write_index", "faiss write"), ("numpy", "save", "np.save"), ("citeqa.store", "_file_facts", "checksums"),
    ("citeqa.store", "write_chunks", "chunk table"), ("citeqa.store", "write_documents", "documents"),
    ("citeqa.store", "_fsync_tree", "fsync"), ("citeqa.build", "write_index", "write_index (other)"),
]


def _instrument(phases: dict[str, float]) -> None:
    """Wrap PHASES so each call's time goes to its phase minus the time of phases called inside it.

    A phase called inside another is reported with the outer one in brackets: "tokenise zh (lexicon)".
    """
    import importlib

    stack: list[list] = []  # [phase, seconds spent in phases called inside it]

    def timed(fn: Callable, phase: str) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            outer = next((p for p, _ in reversed(stack) if p != phase), "")
            stack.append([phase, 0.0])
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                key = f"{phase} ({outer})" if outer and not outer.startswith("write_index") else phase
                phases[key] = phases.get(key, 0.0) + spent - stack.pop()[1]
                if stack:
                    stack[-1][1] += spent
        return wrapper

    for module, attr, phase in PHASES:
        owner = importlib.import_module(module)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)
        wrapped = timed(original, phase)
        setattr(owner, name, wrapped)
        for mod in [m for k, m in list(sys.modules.items()) if k.startswith("citeqa.") and m is not None]:
            if not path and getattr(mod, name, None) is original:  # `from .x import f` copies in other modules
                setattr(mod, name, wrapped)


def _inject_cross_vectors(seed: int = 0) -> None:
    """Cross-language vectors (crossvec.py) drawn at random: their files and query cost are measured, not their quality.

    USE encodes ~150 passages/s here, hours at a million passages; questions are still encoded by the real model.
    """
    from . import crossvec

    rng = np.random.default_rng(seed)

    def encode(cls: Any, texts: list[str], progress: bool = False) -> np.ndarray:
        v = rng.standard_normal((len(texts), crossvec.DIM), dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    crossvec.CrossEncoder.encode = classmethod(encode)  # type: ignore[method-assign]


def build_child(corpus: Path, index: Path, pool_path: Path, vectors_path: Path | None) -> dict[str, Any]:
    import resource

    from .build import build_index
    from .store import current_build

    pool = json.loads(pool_path.read_text(encoding="utf-8"))
    encoder = InjectedEncoder(pool, np.load(vectors_path) if vectors_path else None)
    _inject_cross_vectors()
    phases: dict[str, float] = {}
    _instrument(phases)
    started = time.perf_counter()
    report = build_index(corpus, index, encoder=encoder, progress=False, force=True)
    seconds = time.perf_counter() - started
    phases["encode (injected)"] = encoder.seconds
    phases["other"] = seconds - sum(phases.values())
    build = current_build(index)
    files = {p.relative_to(build).as_posix(): round(p.stat().st_size / MB, 2) for p in build.rglob("*") if p.is_file()}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"build_s": round(seconds, 2), "build_cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "passages": report.chunks, "vectors_from_sources": round(encoder.matched / max(encoder.count, 1), 3), "documents": len(report.documents),
            "phases_s": {k: round(v, 2) for k, v in sorted(phases.items(), key=lambda kv: -kv[1])},
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "index_mb": round(sum(files.values()), 1),
            "files_mb": dict(sorted(files.items(), key=lambda kv: -kv[1])[:12])}


# -- the measure child: a cold Searcher.load, then queries with precomputed question vectors ------


class CachedQueries:
    """The real encoder behind a cache: the warm-up pass encodes, timed passes only look vectors up."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.cache: dict[str, np.ndarray] = {}
        self.seconds = 0.0

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.cache]
        if missing:
            started = time.perf_counter()
            self.cache.update(zip(missing, self.inner.encode_queries(missing)))
            self.seconds += time.perf_counter() - started
        return np.stack([self.cache[t] for t in texts])

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self.inner.encode_passages(texts, progress=progress)


def _p(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1000, q)), 3) if values else 0.0


def _times(items: list[Any], fn: Callable[[Any], Any], cpu: list[float] | None = None) -> list[float]:
    """Wall time of fn(item) per item; the process's CPU time per item is appended to `cpu` when given."""
    out = []
    for item in items:
        started, used = time.perf_counter(), time.process_time()
        fn(item)
        out.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - used)
    return out


def _rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / MB, 1)


def measure_child(index: Path, questions: list[str], k: int = 5, profile_dir: Path | None = None) -> dict[str, Any]:
    from .embed import encoder_spec, get_encoder
    from .query import Filters
    from .searcher import Searcher
    from .store import read_manifest

    started = time.perf_counter()
    encoder = CachedQueries(get_encoder(encoder_spec(read_manifest(index)["encoder"])))
    encoder.encode_queries(["warm-up"])
    encoder_load_s, rss_before = time.perf_counter() - started, _rss_mb()
    profile = cProfile.Profile() if profile_dir else None
    started, load_cpu_s = time.perf_counter(), time.process_time()
    if profile:
        profile.enable()
    searcher = Searcher.load(index, encoder=encoder)
    if profile:
        profile.disable()
        profile.dump_stats(profile_dir / "load.prof")
    load_s, rss, load_cpu_s = time.perf_counter() - started, _rss_mb(), time.process_time() - load_cpu_s

    pairs = Counter((lang, mech) for lang, mech in zip(searcher.columns["lang"], searcher.columns["mechanism"]) if mech)
    (lang, mechanism), kept = pairs.most_common(1)[0] if pairs else (("zh", ""), 0)
    filters = Filters(lang=lang, mechanism=mechanism or None)
    encoder.seconds = 0.0
    for q in questions:  # warm-up: encodes every query text once (real encoder) and warms caches
        searcher.search(q, k=k)
        searcher.search(q, k=k, filters=filters)
    encoder_ms = encoder.seconds * 1000 / max(len(questions), 1)
    plain_cpu: list[float] = []  # on a loaded machine wall time includes waiting for a core; CPU time does not
    plain = _times(questions, lambda q: searcher.search(q, k=k), plain_cpu)
    filtered = _times(questions, lambda q: searcher.search(q, k=k, filters=filters))

    understood = [searcher.understand(q) for q in questions]
    lexical = []
    for q in understood:  # bm25s alone, the question's own-language channel, same saved index
        channel = searcher.zh if q.lang == "zh" else searcher.en
        tokens = [t for t, _ in (q.zh_terms if q.lang == "zh" else q.en_terms) if t in channel.vocab]
        lexical.append((channel.model, tokens or [next(iter(channel.vocab))]))
    for model, tokens in lexical[:3]:
        model.retrieve([tokens], k=10, show_progress=False, n_threads=1)
    bm25 = _times(lexical, lambda mt: mt[0].retrieve([mt[1]], k=10, show_progress=False, n_threads=1))
    store = searcher.dense.store
    qvecs = [encoder.encode_queries([q.text])[0] for q in understood]
    dense = _times(qvecs, lambda v: store.search(v, 10))
    # the same anchors under the filter: bm25s with its weight mask, the store with the filter
    allowed, wanted = searcher.mask(filters).astype(np.float32), filters.pushed()
    bm25_f = _times(lexical, lambda mt: mt[0].retrieve([mt[1]], k=10, show_progress=False, n_threads=1, weight_mask=allowed))
    dense_f = _times(qvecs, lambda v: store.search(v, 10, wanted))
    anchor, anchor_f = np.add(bm25, dense), np.add(bm25_f, dense_f)  # per question: its bm25s call + its FAISS call
    parts = getattr(store, "_parts", {})  # FAISS: one index per language; the raw anchor searches the largest
    index_ = max(parts.values(), key=lambda p: p.ntotal) if parts else None
    raw = _times(qvecs, lambda v: index_.search(v[None, :], 10)) if index_ is not None else []
    raw_f = []
    if parts.get(lang) is not None and hasattr(parts[lang], "hnsw"):  # plain HNSW under the filter: a selector, default beam
        import faiss

        labels, _ = store._allowed(lang, {f: v for f, v in wanted.items() if f != "lang"}) if len(wanted) > 1 else (np.arange(parts[lang].ntotal), None)
        selector = faiss.IDSelectorBatch(labels)
        params = faiss.SearchParametersHNSW(sel=selector)
        raw_f = _times(qvecs, lambda v: parts[lang].search(v[None, :], 10, params=params))
    import faiss  # one question at a time gains nothing from OpenMP threads and, on a busy machine, waits for them

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    single = _times(qvecs, lambda v: store.search(v, 10))
    plain_single = _times(questions, lambda q: searcher.search(q, k=k))
    faiss.omp_set_num_threads(threads)

    if profile:
        profile = cProfile.Profile()
        profile.enable()
        for q in questions:
            searcher.search(q, k=k)
            searcher.search(q, k=k, filters=filters)
        profile.disable()
        profile.dump_stats(profile_dir / "query.prof")
    out = {"load_s": round(load_s, 3), "rss_mb": rss,
           "query_ms_p50": _p(plain, 50), "query_ms_p95": _p(plain, 95),
           "filtered_ms_p50": _p(filtered, 50), "filtered_ms_p95": _p(filtered, 95),
           "bm25s_ms_p50": _p(bm25, 50), "faiss_ms_p50": _p(dense, 50)}
    out["anchors"] = {  # per-question sums, so a p95 is set against the anchors' own p95
        "bm25s_ms_p95": _p(bm25, 95), "faiss_ms_p95": _p(dense, 95), "sum_ms_p50": _p(list(anchor), 50), "sum_ms_p95": _p(list(anchor), 95),
        "filtered_bm25s_ms_p50": _p(bm25_f, 50), "filtered_faiss_ms_p50": _p(dense_f, 50),
        "filtered_sum_ms_p50": _p(list(anchor_f), 50), "filtered_sum_ms_p95": _p(list(anchor_f), 95),
        "filtered_hnsw_selector_ms_p50": _p(raw_f, 50), "filtered_hnsw_selector_ms_p95": _p(raw_f, 95)}
    for name, times, sums in (("query", plain, anchor), ("filtered", filtered, anchor_f)):
        out["anchors"][f"{name}_over_anchor_p50"] = round(_p(times, 50) / max(_p(list(sums), 50), 1e-9), 2)
        out["anchors"][f"{name}_over_anchor_p95"] = round(_p(times, 95) / max(_p(list(sums), 95), 1e-9), 2)
    out["details"] = {
        "passages": len(searcher.chunks), "store": store.describe().get("name"), "k": k, "questions": len(questions),
        "filter": {"lang": lang, "mechanism": mechanism, "share_of_passages": round(kept / max(len(searcher.chunks), 1), 4)},
        "load_cpu_s": round(load_cpu_s, 3), "query_cpu_ms_p50": _p(plain_cpu, 50), "query_cpu_ms_p95": _p(plain_cpu, 95),
        "encoder_load_s": round(encoder_load_s, 3), "rss_before_load_mb": rss_before, "encoder_ms_per_question": round(encoder_ms, 2),
        "faiss_raw_index_ms_p50": _p(raw, 50), "faiss_threads": threads, "faiss_1thread_ms_p50": _p(single, 50),
        "query_1thread_ms_p50": _p(plain_single, 50), "query_1thread_ms_p95": _p(plain_single, 95), "bm25s_questions": len(bm25), "load_avg": [round(x, 2) for x in os.getloadavg()],
    }
    return out
