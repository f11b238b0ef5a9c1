"""FAISS in this process: one index per passage language, keyed by chunk-table row.

The dense channel asks for each language's best passages separately (see dense.py). One graph
over every language answered that with a selector: the walk passes the other language's nodes,
so the beam had to double and still found fewer true neighbours (at a million mixed passages,
46 % of the exact top 10 under a language filter against 86 % from a graph of that language
alone, in a third of the time). So each language gets its own index, of the kind its size calls
for (store.choose_store_kind) unless forced; a search without a language filter merges them.

Labels inside a part are positions in that part (`_members[lang][label]` is the store position,
`_ids[position]` the chunk row), never IndexIDMap ids, whose per-query translation is an OpenMP
region (~15 ms of thread wake-up on a busy 2-core box for a 0.05 ms search). The vectors are kept
because an HNSW graph cannot remove nodes: a delete rebuilds the parts it touches.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .store import choose_store_kind, make_faiss_index
from .vectorstore import DESCRIPTOR, EXACT_BELOW, FILTER_FIELDS, ITEMS, StoredVector, _batch, _filters, _query, _read_descriptor

ALL = ""  # the one part of a store saved before stores were split by language


def _part_file(lang: str) -> str:
    return "faiss.index" if lang == ALL else f"faiss-{re.sub(r'[^A-Za-z0-9_-]', '_', lang)}.index"


class FaissStore:
    """FAISS indexes (one per language) with the filter fields as in-memory columns."""

    def __init__(self, dim: int = 384, kind: str | None = None) -> None:
        if kind not in (None, "flat", "hnsw", "ivf"):
            raise ValueError(f"unknown FAISS store kind {kind!r}: use flat, hnsw or ivf")
        self.dim, self.forced, self.kind = dim, kind, kind or choose_store_kind(0)
        self._vectors, self._ids = np.empty((0, dim), np.float32), np.empty(0, np.int64)
        self._meta = {f: np.empty(0, dtype=object) for f in FILTER_FIELDS}
        self._parts: dict[str, Any] = {}  # lang -> faiss index over that language's vectors
        self._members: dict[str, np.ndarray] = {}  # lang -> store positions of its vectors, in label order
        self._cache: dict[Any, Any] = {}  # rows and selectors per filter, until the next change
        self._mapped: Path | None = None  # the folder, while the parts read their vectors from its files

    @property
    def name(self) -> str:
        return f"faiss-{self.kind}"

    def count(self) -> int:
        return len(self._ids)

    @property
    def vectors(self) -> np.ndarray:
        """Every stored vector by store position (= chunk row for a built index), as a plain ndarray view."""
        return np.asarray(self._vectors)

    def _part_kind(self, n: int) -> str:
        return self.forced or choose_store_kind(n)

    def _own(self) -> None:
        """Before a change: parts read memory-mapped are read again into memory (mapped ones are read-only)."""
        if self._mapped is not None:
            self._parts = {lang: faiss.read_index(str(self._mapped / _part_file(lang))) for lang in self._parts}
            self._mapped = None

    def _split(self) -> None:
        """Store positions of each language (a store saved unsplit keeps one part for all)."""
        if list(self._parts) == [ALL]:
            self._members = {ALL: np.arange(self.count())}
        else:
            langs = self._meta["lang"]
            self._members = {lang: np.flatnonzero(langs == lang) for lang in dict.fromkeys(langs.tolist())}

    def add(self, vectors: np.ndarray, items: list[StoredVector]) -> None:
        self._own()
        v, ids = _batch(vectors, items, self.dim), np.array([it.id for it in items], np.int64)
        if np.isin(ids, self._ids).any():
            raise ValueError("some ids are already stored; delete_document() before adding a document again")
        start = self.count()
        self._vectors, self._ids = np.concatenate([self._vectors, v]), np.concatenate([self._ids, ids])
        for f in FILTER_FIELDS:
            self._meta[f] = np.concatenate([self._meta[f], np.array([getattr(it, f) for it in items], dtype=object)])
        self._cache.clear()
        if list(self._parts) == [ALL]:  # an unsplit store gains its language parts
            self._parts = {}
        old = {lang: len(m) for lang, m in self._members.items()}
        self._split()
        for lang, members in self._members.items():
            new = members[members >= start]
            part = self._parts.get(lang)
            if not len(new):
                continue
            if part is None or self._part_kind(len(members)) != self._part_kind(old.get(lang, 0)):
                self._parts[lang] = make_faiss_index(self._vectors[members], self._part_kind(len(members)))
            elif isinstance(part, faiss.IndexIVF):
                part.add_with_ids(self._vectors[new], np.arange(old[lang], len(members), dtype=np.int64))
            else:
                part.add(self._vectors[new])
        self.kind = self._part_kind(max(map(len, self._members.values()), default=0))  # the largest part's

    def delete_document(self, doc_id: str) -> int:
        rows = np.flatnonzero(self._meta["doc_id"] == doc_id)
        if not len(rows):
            return 0
        self._own()
        touched = set(self._meta["lang"][rows].tolist())
        keep = np.ones(self.count(), bool)
        keep[rows] = False
        self._vectors, self._ids = self._vectors[keep], self._ids[keep]
        self._meta = {f: col[keep] for f, col in self._meta.items()}
        self._cache.clear()
        if list(self._parts) == [ALL]:
            self._parts, touched = {}, set(self._meta["lang"].tolist())
        self._split()
        self._parts = {lang: p for lang, p in self._parts.items() if lang in self._members and lang not in touched}
        for lang in touched & set(self._members):
            members = self._members[lang]
            self._parts[lang] = make_faiss_index(self._vectors[members], self._part_kind(len(members)))
        self.kind = self._part_kind(max(map(len, self._members.values()), default=0))  # the largest part's
        return len(rows)

    def _allowed(self, lang: str, filters: dict[str, str]) -> tuple[np.ndarray, Any]:
        """Labels in part `lang` that pass the filters, and their FAISS selector (cached per filter)."""
        key = (lang, tuple(sorted(filters.items())))
        if key not in self._cache:
            members = self._members[lang]
            keep = np.ones(len(members), bool)
            for field, value in filters.items():
                keep &= self._meta[field][members] == value
            labels = np.flatnonzero(keep)
            self._cache[key] = (labels, faiss.IDSelectorBatch(labels) if len(labels) else None)
        return self._cache[key]

    def search(self, query: np.ndarray, k: int, filters: dict[str, str] | None = None) -> list[tuple[int, float]]:
        q, filters = _query(query, self.dim), _filters(filters)
        split = list(self._parts) != [ALL]
        langs = [filters["lang"]] if split and "lang" in filters else list(self._parts)
        rest = {f: v for f, v in filters.items() if not (split and f == "lang")}
        hits: list[tuple[int, float]] = []
        for lang in langs:
            part = self._parts.get(lang)
            if part is None or not part.ntotal:
                continue
            index, params, n = part, None, part.ntotal
            if rest:
                labels, selector = self._allowed(lang, rest)
                if not len(labels):
                    continue
                n = len(labels)
                if isinstance(part, faiss.IndexIVF):
                    params = faiss.SearchParametersIVF(sel=selector, nprobe=part.nprobe)
                elif isinstance(part, faiss.IndexHNSW) and n >= EXACT_BELOW * part.ntotal:
                    # the walk passes excluded nodes but keeps only allowed ones: widen the beam to match
                    params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(k, int(part.hnsw.efSearch * part.ntotal / n)))
                else:  # flat, or a narrow filter on HNSW: exact scan of the allowed rows (the graph's own flat storage)
                    flat = part if not isinstance(part, faiss.IndexHNSW) else faiss.downcast_index(part.storage)
                    index, params = flat, faiss.SearchParameters(sel=selector)
            scores, labels = index.search(q, min(k, n), params=params)
            found = labels[0] >= 0
            hits += zip(self._ids[self._members[lang][labels[0][found]]].tolist(), scores[0][found].tolist())
        return sorted(hits, key=lambda h: -h[1])[:k] if len(langs) > 1 else hits[:k]

    def describe(self) -> dict[str, Any]:
        parts = {}
        for lang, p in self._parts.items():
            info: dict[str, Any] = {"count": int(p.ntotal), "kind": "hnsw" if isinstance(p, faiss.IndexHNSW) else "ivf" if isinstance(p, faiss.IndexIVF) else "flat"}
            if isinstance(p, faiss.IndexHNSW):
                info.update(M=p.hnsw.nb_neighbors(1), efConstruction=p.hnsw.efConstruction, efSearch=p.hnsw.efSearch, exact_below=EXACT_BELOW)
            elif isinstance(p, faiss.IndexIVF):
                info.update(nlist=p.nlist, nprobe=p.nprobe)
            parts[lang] = info
        return {"name": self.name, "backend": "faiss", "count": self.count(), "dim": self.dim, "kind": self.kind, "forced": self.forced,
                "index": {"metric": "IP", "parts": parts}}

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        before = _read_descriptor(folder)  # a store saved here earlier: replace only the files it wrote
        if before.get("backend") == "faiss":
            for lang in before.get("index", {}).get("parts") or [ALL]:
                (folder / _part_file(lang)).unlink(missing_ok=True)
        for lang, part in self._parts.items():
            faiss.write_index(part, str(folder / _part_file(lang)))
        np.save(folder / "vectors.npy", self._vectors)
        if before.get("backend") == "faiss":
            (folder / "items.json").unlink(missing_ok=True)  # the item list of stores saved before the coded columns
        columns: dict[str, np.ndarray] = {"id": self._ids}
        for f in FILTER_FIELDS:  # codes into sorted values: a million rows load in milliseconds
            columns[f"{f}_values"], columns[f"{f}_codes"] = np.unique(self._meta[f].astype(str), return_inverse=True)
        np.savez(folder / ITEMS, **columns)
        (folder / DESCRIPTOR).write_text(json.dumps(self.describe(), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, mmap: bool = False) -> "FaissStore":
        """A saved store; with `mmap` the parts' vectors stay in their files (paged in as searches touch them)."""
        folder, desc = Path(folder), _read_descriptor(folder)
        if desc.get("backend") != "faiss":
            raise ValueError(f"no saved FAISS store in {folder}")
        store = cls(desc["dim"], desc.get("forced"))
        store.kind, store._vectors = desc["kind"], np.load(folder / "vectors.npy", mmap_mode="r")  # read-only until a change copies it
        if (folder / ITEMS).exists():
            with np.load(folder / ITEMS) as z:
                store._ids = z["id"].astype(np.int64)
                store._meta = {f: z[f"{f}_values"].astype(object)[z[f"{f}_codes"]].reshape(-1) for f in FILTER_FIELDS}
        else:  # saved before the coded columns
            columns = json.loads((folder / "items.json").read_text(encoding="utf-8"))
            store._ids = np.array(columns["id"], np.int64)
            store._meta = {f: np.array(columns[f], dtype=object).reshape(-1) for f in FILTER_FIELDS}
        langs = list(desc.get("index", {}).get("parts", {})) or ([ALL] if (folder / _part_file(ALL)).exists() else [])
        flag = faiss.IO_FLAG_MMAP_IFC if mmap else 0
        store._parts = {lang: faiss.read_index(str(folder / _part_file(lang)), flag) for lang in langs}
        store._mapped = folder if mmap and store._parts else None
        store._split()
        indexed = sum(p.ntotal for p in store._parts.values())
        if not indexed == len(store._ids) == len(store._vectors) or any(store._parts[lang].ntotal != len(m) for lang, m in store._members.items() if lang in store._parts):
            raise ValueError(f"FAISS store in {folder} is inconsistent ({indexed} indexed, {len(store._ids)} items)")
        return store
