"""Spread a build's pure-Python text work (jieba segmentation) over worker processes, on request.

Segmenting Chinese is most of a large build's CPU time and every text is independent, so with
CITEQA_WORKERS=N (N > 1) big inputs go to a pool of N processes (started fresh with "spawn":
the building process may hold threads — a server, FAISS, torch — that a forked child must not
inherit). Results come back in input order, so the output is the same as a plain `map`.
Off by default: on the shared 2-core machine the benchmarks run on, two workers made the
100k-passage lexicon scan slower (67.7 s against 59.8 s in one process, load average 5-6):
starting them and shipping tokens back cost more CPU than the second core gave. Small inputs
and a main script that a spawned child would re-run (no `__main__` guard) always run here.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
MIN_CHARS = 2_000_000  # below this much text (~5,000 passages) starting workers (~1 s each) costs more than it saves


def workers() -> int:
    """How many processes to use: CITEQA_WORKERS when set to a positive number, else 1."""
    wanted = os.environ.get("CITEQA_WORKERS", "")
    return int(wanted) if wanted.isdigit() and int(wanted) > 0 else 1


def _main_is_guarded() -> bool:
    """A spawned child imports the parent's main script again: safe only if it runs nothing at import."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or getattr(main, "__spec__", None) is not None:  # interactive, or `python -m`
        return True
    try:
        source = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"if\s+__name__\s*==\s*['\"]__main__['\"]", source) is not None


def imap(fn: Callable[[Any], T], items: Iterable[Any], size: int, chunksize: int = 64) -> Iterator[T]:
    """fn over items in order; in worker processes when the items hold `size` >= MIN_CHARS characters."""
    n = workers()
    if n < 2 or size < MIN_CHARS or not _main_is_guarded():
        yield from map(fn, items)
        return
    with mp.get_context("spawn").Pool(n) as pool:
        yield from pool.imap(fn, items, chunksize)
