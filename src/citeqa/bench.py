"""`citeqa bench`: the numbers behind the README's performance claims, as one JSON-able dict.

Everything runs against a fresh build in a temporary folder, so the bench never touches
the user's index and always measures the corpus as it is now. The FAISS scale run uses
synthetic vectors because the real corpus is far too small to show where exact search stops
being fast enough.
"""

from __future__ import annotations

import os
import platform
import resource
import signal
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import faiss
import numpy as np
import psutil
from rich.console import Console
from rich.table import Table

from .build import build_index, passage_text
from .embed import DEFAULT_ENCODER, Encoder, get_encoder
from .evaluate import load_gold
from .search import Searcher
from .store import HNSW_THRESHOLD, choose_store_kind, current_build, make_faiss_index

DIM = 384
KINDS = ("flat", "hnsw", "ivf")
BUILD_BUDGET_S = 600.0  # one synthetic index build longer than this is recorded as too slow
MB = 1024 * 1024


def _ms(values: list[float]) -> dict[str, float]:
    """p50/p95/mean in milliseconds of durations given in seconds."""
    a = np.asarray(values) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 3), "p95_ms": round(float(np.percentile(a, 95)), 3), "mean_ms": round(float(a.mean()), 3)}


class _TimedEncoder:
    """Wraps the real encoder to record the encoder time each search actually spends.

    An English question is embedded together with its Chinese rendering (two texts, one
    call); a Chinese one is a single text. Measuring beats assuming either.
    """

    def __init__(self, inner: Encoder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.seconds, self.texts = 0.0, 0

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self.inner.encode_queries(texts)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self.inner.encode_passages(texts, progress=progress)


class _TooSlow(Exception):
    pass


def _raise_too_slow(*_: Any) -> None:
    raise _TooSlow()


@contextmanager
def _budget(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (faiss polls Python signals inside long builds).

    Only the main thread can own SIGALRM; elsewhere the block simply runs to the end.
    """
    try:
        previous = signal.signal(signal.SIGALRM, _raise_too_slow)
    except ValueError:
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def _params(index: faiss.Index) -> str:
    if isinstance(index, faiss.IndexHNSWFlat):
        return f"M=32 efConstruction={index.hnsw.efConstruction} efSearch={index.hnsw.efSearch}"
    if isinstance(index, faiss.IndexIVFFlat):
        return f"nlist={index.nlist} nprobe={index.nprobe}"
    return "exact"


def _scale_one(n: int, budget_s: float, say: Callable[[str], None]) -> dict[str, Any]:
    """Build each store kind over n random unit vectors; time queries and score recall@10 vs flat."""
    rng = np.random.default_rng(0)
    base, queries = _unit_vectors(rng, n), _unit_vectors(rng, 100)
    row: dict[str, Any] = {"n": n}
    truth: list[set[int]] = []
    for kind in KINDS:  # flat first: its answers are the ground truth
        say(f"scale n={n:,}: building {kind}")
        started = time.perf_counter()
        try:
            with _budget(budget_s):
                index = make_faiss_index(base, kind)
        except _TooSlow:
            row[kind] = {"skipped": "too slow", "build_s": round(time.perf_counter() - started, 1)}
            continue
        build_s = time.perf_counter() - started
        index.search(queries[:1], 10)  # warm-up
        times, found = [], []
        for q in queries:  # one at a time, as a user's question arrives
            t = time.perf_counter()
            _, ids = index.search(q[None, :], 10)
            times.append(time.perf_counter() - t)
            found.append(set(ids[0].tolist()))
        if kind == "flat":
            truth = found
        recall = float(np.mean([len(f & t) / len(t) for f, t in zip(found, truth)]))
        row[kind] = {"build_s": round(build_s, 3), "query_p95_ms": _ms(times)["p95_ms"], "recall_at_10": round(recall, 4),
                     "bytes": len(faiss.serialize_index(index)), "params": _params(index)}
        del index
    return row


def _store_rule(scale: list[dict[str, Any]], chunks: int) -> str:
    """State the automatic choice and check it against the measured latencies and recall."""
    text = (f"choose_store_kind(n) picks exact 'flat' search below HNSW_THRESHOLD={HNSW_THRESHOLD:,} vectors and 'hnsw' "
            f"at or above; this corpus's {chunks:,} chunks get '{choose_store_kind(chunks)}'.")
    for row in scale:
        flat, hnsw = row.get("flat", {}), row.get("hnsw", {})
        if "query_p95_ms" not in flat:
            continue
        side = "below" if row["n"] < HNSW_THRESHOLD else "above"
        text += f" n={row['n']:,} ({side}): flat p95 {flat['query_p95_ms']:.2f} ms"
        if "query_p95_ms" in hnsw:
            text += f" vs hnsw p95 {hnsw['query_p95_ms']:.2f} ms at recall@10 {hnsw['recall_at_10']:.2f}"
            if side == "below":
                ok = flat["query_p95_ms"] <= 10
                text += " -> supports flat (exact and fast enough)." if ok else " -> flat is slower than the ~5 ms the rule assumes."
            else:
                faster = hnsw["query_p95_ms"] < flat["query_p95_ms"]
                text += (" -> supports hnsw (faster)" if faster else " -> hnsw is not faster here")
                text += "." if hnsw["recall_at_10"] >= 0.9 else ", but its recall is below 0.9 on this data."
        else:
            text += f"; hnsw {hnsw.get('skipped', 'not measured')} (build over {BUILD_BUDGET_S:.0f} s)."
    return text + (" Caveats: random unit vectors have no cluster structure, a worst case for hnsw/ivf recall; and "
                   "Searcher.search scores every passage with numpy (vectors @ q) to fuse channels, so the stored FAISS "
                   "kind does not affect end-to-end query latency today.")


def run_bench(corpus_dir: Path, index_dir: Path, gold: Path, scale: list[int], progress: bool = False) -> dict[str, Any]:
    """Measure build, encoder, query, memory and FAISS-at-scale figures (index_dir is left untouched)."""
    err = Console(stderr=True)
    say: Callable[[str], None] = (lambda m: err.log(m)) if progress else (lambda m: None)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    proc = psutil.Process()
    figures: dict[str, Any] = {"machine": {
        "cpus": os.cpu_count(), "ram_total_mb": round(psutil.virtual_memory().total / MB),
        "python": platform.python_version(), "faiss": faiss.__version__}}

    say("loading the encoder")
    started = time.perf_counter()
    encoder = _TimedEncoder(get_encoder(DEFAULT_ENCODER))
    load_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="citeqa-bench-") as tmp:
        fresh_dir = Path(tmp) / "index"
        say("fresh build (force)")
        first = build_index(corpus_dir, fresh_dir, encoder=encoder, progress=progress, force=True)
        build_dir = current_build(fresh_dir)
        noop = build_index(corpus_dir, fresh_dir, encoder=encoder, progress=False)
        figures["build"] = {
            "seconds": round(first.seconds, 3), "chunks": first.chunks, "embedded": first.embedded,
            "chunks_per_s": round(first.chunks / first.seconds, 2), "encoder_load_excluded": True,
            "index_bytes": sum(p.stat().st_size for p in build_dir.iterdir()) if build_dir else 0,
            "noop_seconds": round(noop.seconds, 3), "noop_up_to_date": noop.up_to_date}

        say("loading the searcher")
        searcher = Searcher.load(fresh_dir, encoder=encoder)
        rss_searcher = proc.memory_info().rss / MB

    items = load_gold(gold)
    questions = [it.question for it in items]
    say(f"encoder latency over {min(30, len(questions))} single questions")
    encoder.encode_queries([questions[0]])  # warm-up
    single = []
    for q in (questions * 30)[:30]:
        t = time.perf_counter()
        encoder.encode_queries([q])
        single.append(time.perf_counter() - t)
    batch = [passage_text(c) for c in searcher.chunks[:32]]
    passes = []
    for _ in range(3):
        t = time.perf_counter()
        encoder.encode_passages(batch)
        passes.append(time.perf_counter() - t)
    enc_stats = _ms(single)
    figures["encoder"] = {"name": encoder.name, "load_s": round(load_s, 3), "query_p50_ms": enc_stats["p50_ms"],
                          "query_p95_ms": enc_stats["p95_ms"], "passages_per_s": round(len(batch) / float(np.median(passes)), 2),
                          "batch": len(batch)}

    say(f"end-to-end search over {len(questions)} gold questions (second pass measured)")
    e2e, overhead, texts = [], [], []
    for q in questions:
        searcher.search(q, k=5)  # first pass: warms caches
    for q in questions:
        encoder.seconds, encoder.texts = 0.0, 0
        t = time.perf_counter()
        searcher.search(q, k=5)
        e2e.append(time.perf_counter() - t)
        overhead.append(e2e[-1] - encoder.seconds)
        texts.append(encoder.texts)
    figures["query"] = {
        "questions": len(questions), **_ms(e2e),
        "search_overhead_ms_p50": _ms(overhead)["p50_ms"],  # measured: end-to-end minus the encoder calls made
        "search_overhead_ms_p50_estimate": round(_ms(e2e)["p50_ms"] - 2 * enc_stats["p50_ms"], 3),  # e2e - 2 x encoder
        "encoder_texts_per_query": round(float(np.mean(texts)), 3)}
    peak_before_scale = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rows: list[dict[str, Any]] = []
    for n in scale:
        if n * DIM * 4 * 3 >= 0.5 * psutil.virtual_memory().available:
            rows.append({"n": n, "skipped": "not enough RAM (needs 3 x n x 384 x 4 bytes under half of available RAM)"})
            continue
        rows.append(_scale_one(n, BUILD_BUDGET_S, say))
    figures["scale"] = rows
    figures["store_rule"] = _store_rule(rows, first.chunks)
    figures["memory"] = {"rss_after_searcher_load_mb": round(rss_searcher, 1), "peak_rss_before_scale_mb": round(peak_before_scale, 1),
                         "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    return figures


def render_bench(console: Console, figures: dict[str, Any]) -> None:
    """Print the figures as rich tables, one per section, in the order they were measured."""
    for section in ("machine", "build", "encoder", "query", "memory"):
        table = Table(title=section, show_header=False, title_justify="left")
        for key, value in figures[section].items():
            table.add_row(key, f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value))
        console.print(table)
    table = Table(title="FAISS at scale (random unit vectors, 384-d, k=10)", title_justify="left")
    for col in ("n", "kind", "build s", "query p95 ms", "recall@10", "size MB", "params"):
        table.add_column(col, justify="right" if col not in ("kind", "params") else "left")
    for row in figures["scale"]:
        if "skipped" in row:
            table.add_row(f"{row['n']:,}", "-", row["skipped"], "", "", "", "")
            continue
        for kind in KINDS:
            m = row[kind]
            if "skipped" in m:
                table.add_row(f"{row['n']:,}", kind, f"{m['skipped']} (>{m['build_s']})", "", "", "", "")
            else:
                table.add_row(f"{row['n']:,}", kind, f"{m['build_s']:.2f}", f"{m['query_p95_ms']:.2f}", f"{m['recall_at_10']:.3f}",
                              f"{m['bytes'] / MB:.1f}", m["params"])
    console.print(table)
    console.print(f"[bold]store rule:[/] {figures['store_rule']}")
