"""The index folder: which build is live, what citeqa wrote there, and what it may delete.

    .citeqa-index        marks the folder as citeqa's
    CURRENT              name of the live build folder and its manifest's SHA-256 (replaced atomically)
    build-<stamp>/       .citeqa-build marker, manifest.json and the build's files
citeqa writes only into an empty folder or one it created, and deletes only folders that carry
its marker: a folder holding anything else is refused with the list of what it holds.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterable

INDEX_MARKER = ".citeqa-index"
BUILD_MARKER = ".citeqa-build"
# files a build folder held before builds carried their marker (such a folder is recognised by them)
INDEX_FILES = {"manifest.json", "vectors.faiss", "embeddings.npy", "chunks.jsonl", "documents.json", "extras.json"}
DESCRIPTIVE = {"README", "README.md", "README.txt", ".gitignore", ".gitkeep"}  # never written or deleted


class IndexError_(RuntimeError):
    """The index is missing, corrupt or was built differently; the message says how to rebuild."""


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with: citeqa build --index {index_dir}"


def _pointer(index_dir: Path) -> tuple[Path | None, str]:
    """The live build folder and its manifest's SHA-256, as recorded in CURRENT."""
    index_dir = Path(index_dir)
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
