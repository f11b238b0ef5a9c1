"""Which Chinese terms the corpus uses together: bottom-k sketches of the text windows each term occurs in.

Sense choice needs "does 引导 occur near 系统 in this collection?" for any two translation
candidates. Exact co-occurrence tables grow with the square of the vocabulary; a bottom-k
sketch (the K smallest hashes of a term's window ids) is fixed-size per term, built in one
pass, and estimates the overlap of two terms' windows (exact below K windows).
"""

from __future__ import annotations

import base64
import heapq
from collections.abc import Iterable
from typing import Any

import numpy as np

K = 32
_MULT, _MASK = 0x9E3779B1, 0xFFFFFFFF


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(a.tobytes()).decode("ascii")


def window_key(document: int, n: int) -> int:
    """A 32-bit name for window n of a document (splitmix64 of the pair): independent of scan order."""
    z = (document + (n + 1) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return (z ^ (z >> 31)) & _MASK


class Cooccurrence:
    def __init__(self, sketches: dict[str, list[int]] | None = None, df: dict[str, int] | None = None, windows: int = 0) -> None:
        self._heaps: dict[str, list[int]] = {}  # while building: max-heaps (negated hashes)
        self._sketch: dict[str, np.ndarray] = {t: np.asarray(sorted(s), dtype=np.uint32) for t, s in (sketches or {}).items()}
        self.df: dict[str, int] = dict(df or {})
        self._windows = windows  # windows seen so far; a scan that continues a corpus numbers its windows after these
        self._sets: dict[str, frozenset[int] | None] = {}

    @property
    def windows(self) -> int:
        return self._windows

    def merged(self, other: Cooccurrence) -> Cooccurrence:
        """The sketches of two scans of different texts: bottom-k sketches of content-keyed windows merge exactly."""
        out = Cooccurrence(windows=self._windows + other._windows)
        for t in set(self._sketch) | set(other._sketch):
            both = np.concatenate([self._sketch.get(t, np.empty(0, np.uint32)), other._sketch.get(t, np.empty(0, np.uint32))])
            out._sketch[t] = np.unique(both)[:K]
            out.df[t] = self.df.get(t, 0) + other.df.get(t, 0)
        return out

    def add_window(self, terms: Iterable[str], key: int | None = None) -> None:
        """Record one text window (a set of distinct terms); `key` names it (`window_key`), else its number.

        Windows named by their text give the same sketches whatever order the documents are
        scanned in, so a corpus scanned in parts (a grown build) equals one scanned at once.
        """
        self._windows += 1
        h = (key if key is not None else self._windows * _MULT) & _MASK
        heaps, df = self._heaps, self.df
        for t in terms:
            df[t] = df.get(t, 0) + 1
            heap = heaps.get(t)
            if heap is None:
                heaps[t] = [-h]
            elif len(heap) < K:
                heapq.heappush(heap, -h)
            elif h < -heap[0]:
                heapq.heapreplace(heap, -h)

    def restricted(self, terms: set[str]) -> Cooccurrence:
        """The sketches of `terms` only (the translation targets), frozen for querying."""
        out = Cooccurrence(windows=self._windows)
        out._sketch = {t: np.asarray(sorted(-x for x in heap), dtype=np.uint32) for t, heap in self._heaps.items() if t in terms}
        out._sketch.update({t: s for t, s in self._sketch.items() if t in terms})
        out.df = {t: n for t, n in self.df.items() if t in out._sketch}
        return out

    def _set(self, term: str) -> frozenset[int] | None:
        if term not in self._sets:
            sk = self._sketch.get(term)
            self._sets[term] = None if sk is None else frozenset(sk.tolist())
        return self._sets[term]

    def overlap(self, a: str, b: str) -> float:
        """Estimated share of the rarer term's windows that also hold the other (0 when unknown)."""
        sa, sb = self._set(a), self._set(b)
        if sa is None or sb is None or a == b:
            return 0.0
        union = sorted(sa | sb)[:K]
        inter = sum(1 for x in union if x in sa and x in sb)
        jaccard = inter / len(union)
        na, nb = self.df[a], self.df[b]
        shared = jaccard * (na + nb) / (1 + jaccard)  # |A∩B| from J = |A∩B| / (|A| + |B| - |A∩B|)
        return min(1.0, shared / min(na, nb))

    def __len__(self) -> int:
        return len(self._sketch)

    def to_json(self) -> dict[str, Any]:
        terms = sorted(self._sketch)
        lengths = np.array([len(self._sketch[t]) for t in terms], dtype=np.uint8)
        flat = np.concatenate([self._sketch[t] for t in terms]) if terms else np.zeros(0, np.uint32)
        return {"k": K, "terms": terms, "df": [self.df[t] for t in terms], "lengths": _b64(lengths), "hashes": _b64(flat.astype("<u4")),
                "windows": self._windows}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Cooccurrence:
        out = cls(windows=int(d.get("windows", -1)))  # -1: saved before windows were named by content: cannot be merged
        if not d.get("terms"):
            return out
        lengths = np.frombuffer(base64.b64decode(d["lengths"]), dtype=np.uint8)
        flat = np.frombuffer(base64.b64decode(d["hashes"]), dtype="<u4")
        ends = np.cumsum(lengths)
        out._sketch = {t: flat[e - n : e] for t, n, e in zip(d["terms"], lengths.tolist(), ends.tolist())}
        out.df = dict(zip(d["terms"], d["df"]))
        return out
