"""Off-topic probes: questions no suite corpus answers, asked of every index under --index.

Prints, per index, the probes citeqa answered instead of abstaining on (each one is a defect).

    .venv/bin/python scripts/offtopic_probes.py --index /tmp/suite-idx/suite
"""

from __future__ import annotations

import argparse
from pathlib import Path

from citeqa.searcher import Searcher

PROBES = ["What is a good recipe for banana bread?", "明天北京天气怎么样？", "xqzt plmk vvbr", "什么是光合作用？",
          "What is the capital of France?", "How did the stock index close today?", "Who won the NBA finals last year?",
          "How do I make lasagna?", "怎么烤曲奇饼干？", "Who won the football world cup in 2018?", "今天上证指数收盘多少点？",
          "What's the weather like in Paris tomorrow?"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True, help="a folder of citeqa indexes (e.g. the suite's)")
    args = ap.parse_args()
    total = 0
    for folder in sorted(p for p in args.index.iterdir() if (p / "CURRENT").is_file()):
        searcher = Searcher.load(folder)
        answered = [q for q in PROBES if not searcher.search(q, k=5).abstained]
        total += len(answered)
        print(f"{folder.name}: {len(answered)} of {len(PROBES)} answered {answered}")
    print(f"answered in all: {total}")


if __name__ == "__main__":
    main()
