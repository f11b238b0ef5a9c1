"""Print the top costs of the profiles `python -m citeqa.scalebench run --profile N` wrote.

    .venv/bin/python scripts/scale_profile.py WORKDIR/profile-100000 [--top 25]
"""

from __future__ import annotations

import argparse
import pstats
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for name in ("load.prof", "query.prof"):
        path = args.folder / name
        if path.exists():
            print(f"==== {path}")
            stats = pstats.Stats(str(path)).strip_dirs()
            stats.sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
