"""The chunk table and the documents, read lazily from a build folder.

A million passages parsed into Python objects at load would cost seconds and gigabytes; a
search touches a few hundred. So passages and documents are JSON lines read through a memory
map, with a byte-offset array saved beside them: `chunks[i]` parses line i only. What every
query needs for all passages (language, facets, document) is saved at build as integer code
columns over the sorted distinct values, so filters and facet boosts are array operations.

    chunks.jsonl            one passage per line (the Chunk's fields)
    chunks.offsets.npy      int64 byte offset of each line, plus the file's length
    columns.npz             codes and values of COLUMNS, each passage's text hash and whether it states a number
    documents.jsonl         one document per line (without its rebuilt tables)
    documents.offsets.npy
    documents.head.json     each document's id, titles, language, kind, citation data (small)
"""

from __future__ import annotations

import json
import mmap
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, overload

import numpy as np

from .answertype import states_quantity
from .models import Chunk, Document

COLUMNS = ("lang", "mechanism", "measure", "doc_id", "kind")
NUMBERS = "states_number"  # in columns.npz: the answer-type flag of each passage, so a query reads no passage text for it
# what lists of documents and citations need, without the text and its maps
HEAD_FIELDS = ("doc_id", "title", "title_en", "lang", "kind", "cites", "url", "path", "year", "venue", "authors")
CHUNK_FILES = ("chunks.jsonl", "chunks.offsets.npy", "columns.npz")
DOCUMENT_FILES = ("documents.jsonl", "documents.offsets.npy", "documents.head.json")
CACHE = 4096  # parsed passages kept (a query touches at most a few hundred)
DOCUMENT_CACHE = 256  # parsed documents kept (each hit's document is read for its source locator)


@dataclass(frozen=True)
class Column:
    """A string column as codes into its sorted distinct values: `column[rows]` gives the strings."""

    values: np.ndarray  # sorted distinct values (unicode array)
    codes: np.ndarray  # int32, one per row

    @classmethod
    def encode(cls, strings: Iterable[str]) -> "Column":
        values, codes = np.unique(strings if isinstance(strings, np.ndarray) else np.asarray(list(strings), dtype=str), return_inverse=True)
        return cls(values, codes.astype(np.int32).reshape(-1))

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, rows: Any) -> Any:
        return self.values[self.codes[rows]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values[self.codes].tolist())

    def code(self, value: str) -> int:
        """The code of `value`, or -1 when no row has it."""
        at = int(np.searchsorted(self.values, value))
        return at if at < len(self.values) and self.values[at] == value else -1


class Lines:
    """A JSON-lines file read one line at a time through a memory map."""

    def __init__(self, path: Path, offsets: Path) -> None:
        self.offsets = np.load(offsets)  # 8 bytes a line, in memory: indexing a memory map costs microseconds
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            self._data: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        if len(self.offsets) < 1 or int(self.offsets[-1]) != size:
            raise ValueError(f"{path.name} does not match its offsets (file of {size} bytes)")

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> dict[str, Any]:
        return json.loads(self._data[int(self.offsets[i]) : int(self.offsets[i + 1])])


def write_lines(path: Path, records: Iterable[dict[str, Any]], offsets: Path, after: Path | None = None) -> None:
    """Write one JSON object per line and the byte offset of each line.

    `after`: a build folder whose lines of the same file come first, copied as bytes (a grown
    build keeps its old rows without parsing them).
    """
    at = [0]
    with open(path, "wb") as f:
        if after is not None:
            with open(after / path.name, "rb") as old:
                shutil.copyfileobj(old, f, 1 << 24)
            at = np.load(after / offsets.name).tolist()
        for r in records:
            line = (json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8")
            f.write(line)
            at.append(at[-1] + len(line))
    np.save(offsets, np.asarray(at, np.int64))


class ChunkTable(Sequence[Chunk]):
    """All passages of a build; `table[i]` parses passage i on demand, the columns are arrays."""

    def __init__(self, lines: Lines, columns: dict[str, Column], hashes: np.ndarray, numbers: np.ndarray | None = None) -> None:
        if any(len(c) != len(lines) for c in columns.values()) or len(hashes) != len(lines):
            raise ValueError(f"chunk columns do not match the {len(lines)} passages")
        if numbers is not None and len(numbers) != len(lines):
            raise ValueError(f"the number column does not match the {len(lines)} passages")
        self.lines, self.columns, self.hashes = lines, columns, hashes
        self.numbers = numbers  # 1 where a passage states a number (answertype.py); None in an index built before it
        self._cache: dict[int, Chunk] = {}

    @classmethod
    def open(cls, folder: Path) -> "ChunkTable":
        with np.load(folder / "columns.npz") as z:
            columns = {f: Column(z[f"{f}_values"], z[f"{f}_codes"]) for f in COLUMNS}
            hashes = z["text_hash"]
            numbers = z[NUMBERS] if NUMBERS in z else None
        return cls(Lines(folder / "chunks.jsonl", folder / "chunks.offsets.npy"), columns, hashes, numbers)

    def __len__(self) -> int:
        return len(self.lines)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...
    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"passage {i} out of range ({len(self)} passages)")
        chunk = self._cache.get(i)
        if chunk is None:
            if len(self._cache) >= CACHE:
                self._cache.clear()
            chunk = self._cache[i] = Chunk.from_dict(self.lines[i])
        return chunk

    def column(self, name: str) -> Column:
        return self.columns[name]

    def of_document(self, doc_id: str) -> list[Chunk]:
        """A document's passages in table order, parsing only theirs (not every passage's line)."""
        col = self.columns["doc_id"]
        return [self[int(i)] for i in np.flatnonzero(col.codes == col.code(doc_id))] if col.code(doc_id) >= 0 else []


def write_chunks(folder: Path, chunks: list[Chunk], hashes: list[str], after: Path | None = None) -> None:
    """The passage table; with `after` (a build folder) its passages come first, copied, and `chunks` follow."""
    write_lines(folder / "chunks.jsonl", (c.to_dict() for c in chunks), folder / "chunks.offsets.npy", after)
    old = ChunkTable.open(after) if after is not None else None
    arrays: dict[str, np.ndarray] = {"text_hash": np.asarray(hashes, dtype="S24").reshape(-1)}
    if old is not None:
        arrays["text_hash"] = np.concatenate([old.hashes.astype("S24"), arrays["text_hash"]])
    for f in COLUMNS:
        new = np.asarray([getattr(c, f) for c in chunks], dtype=str).reshape(-1)
        col = Column.encode(np.concatenate([old.columns[f][:], new]) if old is not None else new)
        arrays[f"{f}_values"], arrays[f"{f}_codes"] = col.values, col.codes
    numbers = states_quantity(c.text for c in chunks).astype(np.uint8)
    if old is not None:
        earlier = old.numbers if old.numbers is not None else states_quantity(c.text for c in old).astype(np.uint8)
        numbers = np.concatenate([earlier, numbers])
    arrays[NUMBERS] = numbers
    np.savez(folder / "columns.npz", **arrays)


class DocumentTable(Mapping[str, Document]):
    """Documents by id; a document (with its full text) is parsed when it is asked for."""

    def __init__(self, lines: Lines, heads: list[dict[str, Any]]) -> None:
        if len(heads) != len(lines):
            raise ValueError(f"documents.head.json lists {len(heads)} documents, documents.jsonl holds {len(lines)}")
        self.lines, self.heads = lines, heads
        self._row = {h["doc_id"]: i for i, h in enumerate(heads)}
        self._cache: dict[str, Document] = {}

    @classmethod
    def open(cls, folder: Path) -> "DocumentTable":
        heads = json.loads((folder / "documents.head.json").read_text(encoding="utf-8"))
        return cls(Lines(folder / "documents.jsonl", folder / "documents.offsets.npy"), heads)

    def __getitem__(self, doc_id: str) -> Document:
        doc = self._cache.get(doc_id)
        if doc is None:
            d = self.lines[self._row[doc_id]]
            doc = Document(**d)
            doc.pages = [tuple(p) for p in doc.pages]  # type: ignore[misc]
            if len(self._cache) >= DOCUMENT_CACHE:
                self._cache.clear()
            self._cache[doc_id] = doc
        return doc

    def __iter__(self) -> Iterator[str]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)

    def headers(self) -> dict[str, Document]:
        """Each document with its title and cited references but no text: enough to list or cite them."""
        return {h["doc_id"]: Document(text="", **h) for h in self.heads}


def write_documents(folder: Path, documents: list[Document], after: Path | None = None) -> None:
    """The document table; with `after` (a build folder) its documents come first, copied."""
    records = [{k: v for k, v in d.__dict__.items() if k != "tables"} for d in documents]
    write_lines(folder / "documents.jsonl", records, folder / "documents.offsets.npy", after)
    heads = json.loads((after / "documents.head.json").read_text(encoding="utf-8")) if after is not None else []
    heads += [{k: r[k] for k in HEAD_FIELDS} for r in records]
    (folder / "documents.head.json").write_text(json.dumps(heads, ensure_ascii=False), encoding="utf-8")
