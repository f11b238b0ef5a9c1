"""Persisted index: chunk table, documents, search files and manifest, swapped in atomically.

A build folder (see indexdir for the folder around it) holds manifest.json, the lazily read
chunk table and documents (chunktable), extras.json (lexicon, facets, bibliography) and
search/ (BM25 indexes, calibration, the dense store with its vectors). A build writes a new
folder, checksums every file into its manifest, then flips CURRENT: a build killed at any
point leaves CURRENT pointing at the previous, complete build.

Loading checks that the index matches the encoder and chunker asked for, every file's size
and the checksums of the small files; the big ones (text, vectors, postings: gigabytes at a
million passages) are checksummed on request (`verify="full"`, `citeqa info --verify`).
A refusal names the command that rebuilds the index.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal

import faiss
import numpy as np

from .chunktable import ChunkTable, DocumentTable, write_chunks, write_documents
from .indexdir import (  # noqa: F401  (re-exported: the folder rules are part of the store's API)
    BUILD_MARKER, DESCRIPTIVE, INDEX_FILES, INDEX_MARKER, IndexError_, _pointer, _remove_stale, _store_files,
    check_index_dir, current_build, foreign_items, read_manifest, rebuild_hint, remove_leftovers,
)
from .lock import build_lock
from .models import Chunk, Document
from .passage import passage_text, text_hash

FORMAT_VERSION = 2  # 2: columnar chunk table and documents read lazily; no legacy vectors.faiss/embeddings.npy
HNSW_THRESHOLD = 50_000  # below this, exact search is fast enough (~5 ms per query at 384-d)
KEEP_PREVIOUS = 1  # builds kept besides the live one, so a reader that just read CURRENT still finds its folder
VERIFY_MAX_BYTES = 8 << 20  # files up to this size are checksummed at every load, bigger ones on request
VECTOR_FILES = ("search/dense/vectors.npy", "vectors.npy")  # the dense store's copy, else the build's own


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def choose_store_kind(n: int) -> str:
    """Exact inner-product search below HNSW_THRESHOLD vectors, HNSW graph above."""
    return "flat" if n < HNSW_THRESHOLD else "hnsw"


def make_faiss_index(vectors: np.ndarray, kind: str) -> faiss.Index:
    dim = vectors.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    elif kind == "ivf":
        nlist = min(max(16, int(4 * np.sqrt(len(vectors)))), max(1, len(vectors)))  # k-means needs a point per list
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = max(8, nlist // 16)
    else:
        raise ValueError(f"unknown FAISS store kind {kind!r}: use flat, hnsw or ivf")
    if len(vectors):
        index.add(vectors)
    return index


@dataclass
class IndexData:
    """Everything a search needs from one build folder, each part read when first used."""

    path: Path
    manifest: dict[str, Any]
    chunks: ChunkTable
    documents: DocumentTable
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. the mined lexicon
    _vectors: np.ndarray | None = field(default=None, repr=False)
    _store: Any = field(default=None, repr=False)

    @property
    def encoder(self) -> str:
        return self.manifest["encoder"]

    @property
    def vectors(self) -> np.ndarray:
        """Passage vectors by chunk row, memory-mapped."""
        if self._vectors is None:
            path = next((self.path / n for n in VECTOR_FILES if (self.path / n).is_file()), None)
            dim = int(self.manifest.get("dim") or 0)
            self._vectors = np.load(path, mmap_mode="r") if path else np.zeros((0, dim), np.float32)
        return self._vectors

    @property
    def store(self) -> Any:
        """The dense FAISS store saved with this build (read memory-mapped; ids are chunk rows)."""
        if self._store is None:
            from .faissstore import FaissStore

            self._store = FaissStore.load(self.path / "search" / "dense", mmap=True)
        return self._store


def _file_facts(folder: Path) -> tuple[dict[str, str], dict[str, int]]:
    """SHA-256 and size of every file under the build folder by relative path (subfolders too)."""
    sums, sizes = {}, {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name not in ("manifest.json", BUILD_MARKER):
            name = p.relative_to(folder).as_posix()
            sums[name], sizes[name] = sha256_file(p), p.stat().st_size
    return sums, sizes


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())


def write_index(
    index_dir: Path,
    manifest: dict[str, Any],
    vectors: np.ndarray,
    chunks: Iterable[Chunk],
    documents: list[Document],
    extras: dict[str, Any],
    extra_files: Callable[[Path], None] | None = None,
    text_hashes: list[str] | None = None,
    after: Path | None = None,
) -> Path:
    """Write a complete build folder, then make it live in one atomic rename.

    `extra_files(folder)` may add files (subfolders too) to the build before it is checksummed;
    when it writes no dense store, the vectors are kept in the build's own vectors.npy.
    `text_hashes` (of each passage's indexed text, see passage.text_hash) are computed when not given.
    `after`: the live build this one grows; its passages and documents come first, copied as they
    are, and `chunks`, `documents` and `text_hashes` are the new ones only (`vectors` are all).
    """
    index_dir, chunks = Path(index_dir), list(chunks)
    allowed = _store_files(manifest)
    check_index_dir(index_dir, manifest.get("corpus"), allowed, locked=False)
    with build_lock(index_dir):
        check_index_dir(index_dir, manifest.get("corpus"), allowed)
        (index_dir / INDEX_MARKER).write_text("citeqa index folder: citeqa creates and deletes only build folders marked .citeqa-build\n", encoding="utf-8")
        remove_leftovers(index_dir)
        stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        tmp = index_dir / f".tmp-{stamp}"
        final = index_dir / f"build-{stamp}"
        tmp.mkdir()
        (tmp / BUILD_MARKER).write_text(f"written by citeqa (pid {os.getpid()})\n", encoding="utf-8")
        hashes = text_hashes if text_hashes is not None else [text_hash(passage_text(c)) for c in chunks]
        write_chunks(tmp, chunks, hashes, after)
        write_documents(tmp, documents, after)
        (tmp / "extras.json").write_text(json.dumps(extras, ensure_ascii=False), encoding="utf-8")
        if extra_files is not None:
            extra_files(tmp)
        if not (tmp / VECTOR_FILES[0]).is_file():
            np.save(tmp / VECTOR_FILES[1], np.asarray(vectors, np.float32))
        manifest = {k: v for k, v in manifest.items() if k not in ("text_hashes", "files", "sizes")}
        dim = int(vectors.shape[1]) if len(vectors) else int(manifest.get("dim") or 0)
        manifest.update(format_version=FORMAT_VERSION, store=choose_store_kind(len(vectors)), count=len(vectors), dim=dim)
        manifest["files"], manifest["sizes"] = _file_facts(tmp)
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_tree(tmp)
        previous = current_build(index_dir)
        os.replace(tmp, final)
        pointer_tmp = index_dir / ".CURRENT.tmp"
        pointer_tmp.write_text(f"{final.name}\n{sha256_file(final / 'manifest.json')}\n", encoding="utf-8")
        with open(pointer_tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(pointer_tmp, index_dir / "CURRENT")
        _remove_stale(index_dir, keep={final.name} | ({previous.name} if previous and KEEP_PREVIOUS else set()))
    return final


Verify = Literal["quick", "full"] | bool


def load_index(index_dir: Path, encoder: str | None = None, chunker: str | None = None, verify: Verify = True) -> IndexData:
    """Load the live build; refuse a corrupt one or one built with another encoder/chunker.

    verify: True/"quick" checks every file's size and the small files' checksums, "full" every
    checksum, False none. A build that finishes while we read (CURRENT moved) is not corruption:
    read the new one.
    """
    index_dir = Path(index_dir)
    for attempt in range(3):
        pointer = _pointer(index_dir)
        try:
            return _load_build(index_dir, encoder, chunker, verify)
        except IndexError_:
            if attempt == 2 or _pointer(index_dir) == pointer:
                raise
    raise AssertionError("unreachable")


def verify_files(build: Path, manifest: dict[str, Any], index_dir: Path, names: Iterable[str] | None = None, full: bool = False) -> None:
    """Refuse a build whose files (all, or `names`) differ in size or, up to VERIFY_MAX_BYTES unless `full`, in checksum."""
    sums, sizes = manifest.get("files", {}), manifest.get("sizes", {})
    for name in (names if names is not None else sums):
        path = build / name
        try:
            size = path.stat().st_size
            ok = name in sums and size == sizes.get(name, size)
            if ok and (full or size <= VERIFY_MAX_BYTES):
                ok = sha256_file(path) == sums[name]
        except OSError:
            ok = False
        if not ok:
            raise IndexError_(f"index file {path} is missing or corrupt (checksum mismatch); {rebuild_hint(index_dir)}")


def _load_build(index_dir: Path, encoder: str | None, chunker: str | None, verify: Verify) -> IndexData:
    build, digest = _pointer(index_dir)
    if build is None:
        raise IndexError_(f"no index in {index_dir}: build one with: citeqa build --index {index_dir}")
    try:
        raw = (build / "manifest.json").read_bytes()
        manifest = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError) as exc:  # ValueError covers bad UTF-8 and bad JSON
        raise IndexError_(f"index manifest in {build} is unreadable ({exc.__class__.__name__}); {rebuild_hint(index_dir)}") from exc
    if digest and hashlib.sha256(raw).hexdigest() != digest:
        raise IndexError_(f"index manifest in {build} is corrupt (checksum mismatch); {rebuild_hint(index_dir)}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexError_(
            f"index in {build} has format {manifest.get('format_version')}, this citeqa reads {FORMAT_VERSION}; "
            f"rebuild it with: citeqa build --force --index {index_dir}"
        )
    if encoder and manifest.get("encoder") != encoder:
        raise IndexError_(
            f"index was built with encoder {manifest.get('encoder')!r} but {encoder!r} was asked for; "
            f"rebuild it with: citeqa build --index {index_dir} --encoder <that encoder>"
        )
    if chunker and manifest.get("chunker") != chunker:
        raise IndexError_(f"index was built with chunker {manifest.get('chunker')!r}, this citeqa uses {chunker!r}; {rebuild_hint(index_dir)}")
    if verify:
        verify_files(build, manifest, index_dir, full=verify == "full")
    try:
        chunks, documents = ChunkTable.open(build), DocumentTable.open(build)
        extras = json.loads((build / "extras.json").read_text(encoding="utf-8"))
    except Exception as exc:  # any decoding failure means the same thing to the user
        raise IndexError_(f"index in {build} cannot be read ({exc.__class__.__name__}: {exc}); {rebuild_hint(index_dir)}") from exc
    data = IndexData(path=build, manifest=manifest, chunks=chunks, documents=documents, extras=extras)
    try:
        vectors = len(data.vectors)
    except Exception as exc:
        raise IndexError_(f"index vectors in {build} cannot be read ({exc.__class__.__name__}); {rebuild_hint(index_dir)}") from exc
    if not len(chunks) == vectors == manifest.get("count"):
        raise IndexError_(f"index in {build} is inconsistent ({vectors} vectors, {len(chunks)} chunks); {rebuild_hint(index_dir)}")
    return data
