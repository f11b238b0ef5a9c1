"""Persisted index: FAISS vectors + chunk table + documents + manifest, swapped in atomically.

Layout under the index folder:
    .citeqa-index        marks the folder as citeqa's
    CURRENT              name of the live build folder (replaced atomically with os.replace)
    build-<stamp>/       .citeqa-build marker, manifest.json, vectors.faiss, chunks.jsonl, documents.json, …
A build writes a new folder, checksums every file into its manifest, then flips CURRENT.
A build killed at any point leaves CURRENT pointing at the previous, complete build.
citeqa writes only into an empty folder or one it created, and deletes only folders that carry
its marker: a folder holding anything else is refused with the list of what it holds.
Loading verifies the checksums and that the index matches the encoder and chunker asked
for, and refuses with the command that rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import faiss
import numpy as np

from .lock import build_lock
from .models import Chunk, Document

FORMAT_VERSION = 1
HNSW_THRESHOLD = 50_000  # below this, exact search is fast enough (~5 ms per query at 384-d)
INDEX_MARKER = ".citeqa-index"
BUILD_MARKER = ".citeqa-build"
INDEX_FILES = {"manifest.json", "vectors.faiss", "embeddings.npy", "chunks.jsonl", "documents.json", "extras.json"}
DESCRIPTIVE = {"README", "README.md", "README.txt", ".gitignore", ".gitkeep"}  # never written or deleted
KEEP_PREVIOUS = 1  # builds kept besides the live one, so a reader that just read CURRENT still finds its folder


class IndexError_(RuntimeError):
    """The index is missing, corrupt or was built differently; the message says how to rebuild."""


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with: citeqa build --index {index_dir}"


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
        nlist = max(16, int(4 * np.sqrt(len(vectors))))
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
    """Everything a search needs, loaded from one build folder."""

    path: Path
    manifest: dict[str, Any]
    vectors: np.ndarray
    index: faiss.Index
    chunks: list[Chunk]
    documents: dict[str, Document]
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. the mined lexicon

    @property
    def encoder(self) -> str:
        return self.manifest["encoder"]


def _pointer(index_dir: Path) -> tuple[Path | None, str]:
    """The live build folder and its manifest's SHA-256, as recorded in CURRENT."""
    try:
        name, _, digest = (index_dir / "CURRENT").read_text(encoding="utf-8").strip().partition("\n")
    except (OSError, ValueError):
        return None, ""
    build = index_dir / name.strip()
    return (build if name.strip() and build.is_dir() else None), digest.strip()


def current_build(index_dir: Path) -> Path | None:
    """The live build folder (readers load files that a build wrote through `extra_files` from here)."""
    return _pointer(index_dir)[0]


def _is_ours(p: Path) -> bool:
    """A build folder citeqa wrote: it carries the marker, or (written before markers) holds only index files."""
    if not p.is_dir() or p.is_symlink() or not p.name.startswith(("build-", ".tmp-")):
        return False
    if (p / BUILD_MARKER).is_file():
        return True
    names = {c.name for c in p.iterdir()}
    if not names or not names <= INDEX_FILES or any(c.is_dir() for c in p.iterdir()):
        return False
    if p.name.startswith(".tmp-"):
        return True
    try:
        return "build_key" in json.loads((p / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def foreign_items(index_dir: Path, allowed: Iterable[str] = ()) -> list[str]:
    """Names in the index folder that citeqa did not create (and so must never touch)."""
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        return []
    allowed = set(allowed) | _store_files(read_manifest(index_dir) or {})  # the live build's Milvus Lite file
    found = []
    for p in sorted(index_dir.iterdir()):
        n = p.name
        if n in ("CURRENT", ".CURRENT.tmp") or n.startswith(".citeqa-") or n in DESCRIPTIVE or _is_ours(p):
            continue
        if any(n == a or (n.startswith(".") and a in n) for a in allowed):  # e.g. a Milvus Lite file and its lock
            continue
        found.append(n + ("/" if p.is_dir() else ""))
    return found


def check_index_dir(index_dir: Path, corpus_dir: Path | str | None = None, allowed: Iterable[str] = (), locked: bool = True) -> None:
    """Refuse an index folder that is (inside) the corpus or holds files citeqa did not create.

    Without the build lock (`locked=False`) a folder already marked as citeqa's is not listed:
    another build may be writing in it; the check under the lock is the one that counts.
    """
    index_dir = Path(index_dir)
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexError_(f"--index {index_dir} is a file, not a folder; pass a new or empty folder, e.g. --index index")
    if corpus_dir:
        i, c = index_dir.resolve(), Path(corpus_dir).resolve()
        if i == c or c in i.parents or i in c.parents:
            where = "is" if i == c else "is inside" if c in i.parents else "contains"
            raise IndexError_(
                f"index folder {index_dir} {where} the corpus folder {corpus_dir}: the index would be read as documents "
                f"and documents could be overwritten. Pass an index folder outside the corpus, e.g. --index index"
            )
    foreign = [] if not locked and (index_dir / INDEX_MARKER).is_file() else foreign_items(index_dir, allowed)
    if foreign:
        shown = ", ".join(foreign[:8]) + (f" and {len(foreign) - 8} more" if len(foreign) > 8 else "")
        raise IndexError_(
            f"index folder {index_dir} holds files citeqa did not create ({shown}); citeqa builds only into an empty "
            f"folder or one it created. Pass another folder with --index (e.g. --index index), or move those files away."
        )


def _checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under the build folder by relative path (subfolders too)."""
    return {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in ("manifest.json", BUILD_MARKER)
    }


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())


def write_index(
    index_dir: Path,
    manifest: dict[str, Any],
    vectors: np.ndarray,
    chunks: list[Chunk],
    documents: list[Document],
    extras: dict[str, Any],
    extra_files: Callable[[Path], None] | None = None,
) -> Path:
    """Write a complete build folder, then make it live in one atomic rename.

    `extra_files(folder)` may add files (subfolders too) to the build before it is checksummed.
    """
    index_dir = Path(index_dir)
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
        kind = choose_store_kind(len(vectors))
        # kept for readers of the format; the searcher's own store (HNSW above the threshold) is
        # written by `extra_files`, so this copy stays exact and costs no second graph build
        faiss.write_index(make_faiss_index(vectors, "flat"), str(tmp / "vectors.faiss"))
        np.save(tmp / "embeddings.npy", vectors)
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in chunks:
                f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        docs = [{k: v for k, v in d.__dict__.items() if k != "tables"} for d in documents]
        (tmp / "documents.json").write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
        (tmp / "extras.json").write_text(json.dumps(extras, ensure_ascii=False), encoding="utf-8")
        if extra_files is not None:
            extra_files(tmp)
        manifest = dict(manifest, format_version=FORMAT_VERSION, store=kind, count=len(chunks), dim=int(vectors.shape[1]) if len(vectors) else 0)
        manifest["files"] = _checksums(tmp)
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


def _store_files(manifest: dict[str, Any]) -> set[str]:
    """Names in the index folder owned by the vector store (a Milvus Lite file may live there)."""
    uri = str((manifest.get("vector_store") or {}).get("uri", ""))
    return {Path(uri).name} if uri.endswith(".db") else set()


def _delete(p: Path) -> None:
    """Rename into citeqa's trash first, so a kill mid-delete never leaves a half folder that looks foreign."""
    trash = p.with_name(f".citeqa-trash-{uuid.uuid4().hex[:8]}-{p.name.lstrip('.')}")
    try:
        os.rename(p, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def remove_leftovers(index_dir: Path) -> None:
    """Delete temp folders of builds that died and unfinished deletions (call with the build lock held)."""
    for p in Path(index_dir).iterdir():
        if p.is_dir() and not p.is_symlink() and p.name.startswith(".citeqa-trash-"):
            shutil.rmtree(p, ignore_errors=True)
        elif p.name.startswith(".tmp-") and _is_ours(p):
            _delete(p)


def _remove_stale(index_dir: Path, keep: set[str]) -> None:
    """Delete older builds and temp folders of builds that died: only folders citeqa marked, never `keep`."""
    for p in index_dir.iterdir():
        if p.name not in keep and _is_ours(p):
            _delete(p)


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    build = current_build(index_dir)
    if build is None:
        return None
    try:
        return json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # unreadable, not UTF-8, or not JSON
        return None


def load_index(index_dir: Path, encoder: str | None = None, chunker: str | None = None, verify: bool = True) -> IndexData:
    """Load the live build; refuse a corrupt one or one built with another encoder/chunker.

    A build that finishes while we read (CURRENT moved) is not corruption: read the new one.
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


def _load_build(index_dir: Path, encoder: str | None, chunker: str | None, verify: bool) -> IndexData:
    build, digest = _pointer(index_dir)
    if build is None:
        raise IndexError_(f"no index in {index_dir}: build one with: citeqa build --index {index_dir}")
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError covers bad UTF-8 and bad JSON
        raise IndexError_(f"index manifest in {build} is unreadable ({exc.__class__.__name__}); {rebuild_hint(index_dir)}") from exc
    try:
        manifest_ok = not digest or sha256_file(build / "manifest.json") == digest
    except OSError:
        manifest_ok = False
    if not manifest_ok:
        raise IndexError_(f"index manifest in {build} is corrupt (checksum mismatch); {rebuild_hint(index_dir)}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexError_(f"index in {build} has format {manifest.get('format_version')}, this citeqa reads {FORMAT_VERSION}; {rebuild_hint(index_dir)}")
    if encoder and manifest.get("encoder") != encoder:
        raise IndexError_(
            f"index was built with encoder {manifest.get('encoder')!r} but {encoder!r} was asked for; "
            f"rebuild it with: citeqa build --index {index_dir} --encoder <that encoder>"
        )
    if chunker and manifest.get("chunker") != chunker:
        raise IndexError_(f"index was built with chunker {manifest.get('chunker')!r}, this citeqa uses {chunker!r}; {rebuild_hint(index_dir)}")
    if verify:
        for name, digest in manifest.get("files", {}).items():
            path = build / name
            try:
                ok = sha256_file(path) == digest
            except OSError:
                ok = False
            if not ok:
                raise IndexError_(f"index file {path} is missing or corrupt (checksum mismatch); {rebuild_hint(index_dir)}")
    try:
        chunks = [Chunk.from_dict(json.loads(line)) for line in (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line]
        docs = {d["doc_id"]: Document(**d) for d in json.loads((build / "documents.json").read_text(encoding="utf-8"))}
        for d in docs.values():
            d.pages = [tuple(p) for p in d.pages]
        vectors = np.load(build / "embeddings.npy")
        index = faiss.read_index(str(build / "vectors.faiss"))
        extras = json.loads((build / "extras.json").read_text(encoding="utf-8"))
    except Exception as exc:  # any decoding failure means the same thing to the user
        raise IndexError_(f"index in {build} cannot be read ({exc.__class__.__name__}: {exc}); {rebuild_hint(index_dir)}") from exc
    if index.ntotal != len(chunks) or len(vectors) != len(chunks):
        raise IndexError_(f"index in {build} is inconsistent ({index.ntotal} vectors, {len(chunks)} chunks); {rebuild_hint(index_dir)}")
    return IndexData(path=build, manifest=manifest, vectors=vectors, index=index, chunks=chunks, documents=docs, extras=extras)
