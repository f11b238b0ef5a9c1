"""Persisted index: FAISS vectors + chunk table + documents + manifest, swapped in atomically.

Layout under the index folder:
    CURRENT              name of the live build folder (replaced atomically with os.replace)
    build-<stamp>/       manifest.json, vectors.faiss, chunks.jsonl, documents.json, lexicon.json
A build writes a new folder, checksums every file into its manifest, then flips CURRENT.
A build killed at any point leaves CURRENT pointing at the previous, complete build.
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
from typing import Any

import faiss
import numpy as np

from .models import Chunk, Document

FORMAT_VERSION = 1
HNSW_THRESHOLD = 50_000  # below this, exact search is fast enough (~5 ms per query at 384-d)


class IndexError_(RuntimeError):
    """The index is missing, corrupt or was built differently; the message says how to rebuild."""


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with: citeqa build --index {index_dir}"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
    return _pointer(index_dir)[0]


def write_index(
    index_dir: Path,
    manifest: dict[str, Any],
    vectors: np.ndarray,
    chunks: list[Chunk],
    documents: list[Document],
    extras: dict[str, Any],
) -> Path:
    """Write a complete build folder, then make it live in one atomic rename."""
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-{stamp}"
    final = index_dir / f"build-{stamp}"
    tmp.mkdir()
    kind = choose_store_kind(len(vectors))
    faiss.write_index(make_faiss_index(vectors, kind), str(tmp / "vectors.faiss"))
    np.save(tmp / "embeddings.npy", vectors)
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
    docs = [{k: v for k, v in d.__dict__.items() if k != "tables"} for d in documents]
    (tmp / "documents.json").write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    (tmp / "extras.json").write_text(json.dumps(extras, ensure_ascii=False), encoding="utf-8")
    manifest = dict(manifest, format_version=FORMAT_VERSION, store=kind, count=len(chunks), dim=int(vectors.shape[1]) if len(vectors) else 0)
    manifest["files"] = {p.name: sha256_file(p) for p in sorted(tmp.iterdir())}
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    for p in tmp.iterdir():
        with open(p, "rb") as f:
            os.fsync(f.fileno())
    os.replace(tmp, final)
    pointer_tmp = index_dir / ".CURRENT.tmp"
    pointer_tmp.write_text(f"{final.name}\n{sha256_file(final / 'manifest.json')}\n", encoding="utf-8")
    with open(pointer_tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(pointer_tmp, index_dir / "CURRENT")
    _remove_stale(index_dir, keep=final.name)
    return final


def _remove_stale(index_dir: Path, keep: str) -> None:
    """Delete older builds and temp folders of builds that died (never the live one)."""
    for p in index_dir.iterdir():
        if p.is_dir() and p.name != keep and (p.name.startswith("build-") or p.name.startswith(".tmp-")):
            shutil.rmtree(p, ignore_errors=True)


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    build = current_build(index_dir)
    if build is None:
        return None
    try:
        return json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # unreadable, not UTF-8, or not JSON
        return None


def load_index(index_dir: Path, encoder: str | None = None, chunker: str | None = None, verify: bool = True) -> IndexData:
    """Load the live build; refuse a corrupt one or one built with another encoder/chunker."""
    index_dir = Path(index_dir)
    build, digest = _pointer(index_dir)
    if build is None:
        raise IndexError_(f"no index in {index_dir}: build one with: citeqa build --index {index_dir}")
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError covers bad UTF-8 and bad JSON
        raise IndexError_(f"index manifest in {build} is unreadable ({exc.__class__.__name__}); {rebuild_hint(index_dir)}") from exc
    if digest and sha256_file(build / "manifest.json") != digest:
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
            if not path.exists() or sha256_file(path) != digest:
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
