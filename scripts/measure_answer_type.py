"""The answer-type term (citeqa.answertype) on the dev suite: does a "how many / when" question gain from
ranking passages that state a number first, held out?

Reports, on the suite's own indexes and features:
1. how many questions of each set ask for a quantity or a date;
2. the mean of (R@5 + MRR)/2 over set-directions at each weight, every other weight shipped;
3. leave-one-corpus-out with the weight chosen per fold together with the reduced grid of
   scripts/measure_cross.py, against the weight held at 0 through the same folds, and the best
   objective on all families per weight;
4. what it costs a question, p50 / p95: reading the build's column (the text of an index built before it).

    .venv/bin/python scripts/measure_answer_type.py --index /tmp/suite-idx
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure_cross import load_prepared, mean_r5_mrr, nested  # noqa: E402

from citeqa.answertype import asks_quantity, states_quantity  # noqa: E402
from citeqa.fusion import Weights  # noqa: E402
from citeqa.suite import load_suite, score  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VALUES = (0.0, 0.25, 0.5, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", type=Path, default=ROOT / "eval/suite.toml")
    ap.add_argument("--index", type=Path, required=True, help="root of the suite's indexes (built when missing)")
    args = ap.parse_args()
    prepared, groups, uses, searchers = load_prepared(args.suite, args.index)
    print("| set | questions | asking a quantity or date |\n|---|---|---|")
    for name, rows in prepared.items():
        print(f"| {name} | {len(rows)} | {sum(asks_quantity(p.item.question) for p in rows)} |")
    print("\n| weight | mean (R@5 + MRR)/2, other weights shipped |\n|---|---|")
    for v in VALUES:
        w = replace(Weights(), answer_type=v)
        print(f"| {v} | {mean_r5_mrr({n: score(rows, w) for n, rows in prepared.items()}):.4f} |")
    out = nested(prepared, groups, uses, VALUES, field="answer_type")
    without = nested(prepared, groups, uses, (0.0,), field="answer_type")
    print(f"\nLeave-one-corpus-out: held-out mean {mean_r5_mrr(out['held_out']):.4f} with the weight chosen per fold "
          f"{out['fold_share']}, {mean_r5_mrr(without['held_out']):.4f} without the term")
    print("Best objective on all families per weight: " + ", ".join(f"{v}: {o:.4f}" for v, o in out["objective_on_all"].items()))
    lat: dict[str, list[float]] = {"the build's column": [], "the passages' text": []}
    for s in load_suite(args.suite).sets:
        searcher = searchers[str(s.corpus)]
        for p in prepared[s.name]:
            if p.features is not None and asks_quantity(p.item.question):
                for how, read in (("the build's column", searcher.states_number),
                                  ("the passages' text", lambda rows: states_quantity(searcher.chunks[int(r)].text for r in rows))):
                    t = time.perf_counter()
                    read(p.features.rows)
                    lat[how].append((time.perf_counter() - t) * 1000)
    for how, ms in lat.items():
        print(f"Cost of a question asking a quantity ({len(ms)} over the suite), from {how}: p50 {np.percentile(ms, 50):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms")


if __name__ == "__main__":
    main()
