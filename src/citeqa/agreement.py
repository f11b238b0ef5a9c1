"""How many candidates each channel must hand the fusion: top-10 agreement with exhaustive fusion.

Fusion over each channel's top k0 is exact for every passage that made some channel's list;
a passage that no channel ranked in its top k0 cannot be fused in. This measures, on a gold
set's questions, how often the fused top 10 equals the top 10 of fusing every passage.

    python -m citeqa.agreement INDEX GOLD [K0 ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .evaluate import load_gold
from .fusion import fuse, ranking
from .searcher import Searcher


def top10(searcher: Searcher, question: str, k0: int) -> list[int]:
    s = searcher.with_weights(candidates=k0)
    q = s.understand(question)
    f = s.features(q)
    fused = fuse(f, s.weights)
    return [int(r) for r in f.rows[ranking(f, fused, s.weights)[:10]]]


def agreement(searcher: Searcher, questions: list[str], k0s: list[int]) -> dict[int, float]:
    everything = len(searcher.chunks)
    exhaustive = [top10(searcher, q, everything) for q in questions]
    return {k0: float(np.mean([top10(searcher, q, k0) == ex for q, ex in zip(questions, exhaustive)])) for k0 in k0s}


def main(argv: list[str]) -> None:
    index, gold, *k0s = argv
    searcher = Searcher.load(Path(index))
    questions = [i.question for i in load_gold(gold)]
    result = agreement(searcher, questions, [int(k) for k in k0s] or [20, 50, 100, 200])
    print(f"{len(questions)} questions, {len(searcher.chunks)} passages:", ", ".join(f"k0={k}: {v:.3f}" for k, v in result.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
