"""`citeqa add`: put a source into the corpus and the manifest without ever overwriting a file.

A name already taken gets a numbered name; the same URL or the same bytes added again updates
the existing entry (its references merged) instead of making a second copy; a file already
inside the corpus is registered where it is. The file is written before the manifest and
removed again if the manifest cannot be written, so the two always agree.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import SUPPORTED, CorpusError, manifest_documents, slug, upsert_manifest_entry


@dataclass
class Added:
    """What `add` did, for a truthful message."""

    path: Path  # the stored file, inside the corpus
    doc_id: str
    action: str  # "added", "updated" or "unchanged"
    how: str  # "copied", "fetched", "registered in place", "same URL", "same content as <path>"
    cites: list[int] = field(default_factory=list)  # every reference the entry now backs
    new_cites: list[int] = field(default_factory=list)  # those linked by this call


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _same_content(corpus: Path, digest: str) -> Path | None:
    """A document in the corpus with exactly these bytes (manifest entries and sources/ first)."""
    candidates = [corpus / d["path"] for d in manifest_documents(corpus) if "path" in d]
    sources = corpus / "sources"
    candidates += sorted(p for p in sources.iterdir() if p.is_file()) if sources.is_dir() else []
    for p in candidates:
        if p.is_file() and not p.is_symlink() and p.suffix.lower() in SUPPORTED and _sha(p.read_bytes()) == digest:
            return p
    return None


def _write_new(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` under `name`, or name-2, name-3 … if taken; never replaces an existing file."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = Path(name).stem, Path(name).suffix
    tmp = folder / f".{stem}.{os.getpid()}.tmp"
    tmp.write_bytes(data)
    try:
        for n in range(1, 10_000):
            target = folder / (f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")
            try:
                os.link(tmp, target)  # fails if the name exists: no overwrite, even in a race
                return target
            except FileExistsError:
                continue
        raise CorpusError(f"no free file name for {name} in {folder}")
    finally:
        tmp.unlink(missing_ok=True)


def _unique_id(corpus: Path, wanted: str) -> str:
    taken = {d.get("id") for d in manifest_documents(corpus)}
    doc_id, n = wanted, 1
    while doc_id in taken:
        n += 1
        doc_id = f"{wanted}-{n}"
    return doc_id


def add_source(corpus: Path, name: str, data: bytes | None, url: str | None = None, cites: list[int] | None = None,
               title: str = "", in_place: Path | None = None) -> Added:
    """Record a source: `in_place` is a file already in the corpus; otherwise `data` is stored under `name`."""
    corpus = Path(corpus)
    docs = manifest_documents(corpus)
    cites = sorted(set(cites or []))
    existing: dict | None = None
    path: Path | None = None
    how = ""
    if in_place is not None:
        path, how = in_place, "registered in place"
    elif url and (existing := next((d for d in docs if d.get("url") == url and (corpus / d.get("path", "")).is_file()), None)):
        path, how = corpus / existing["path"], "same URL"
        if data is not None and _sha(path.read_bytes()) != _sha(data):
            if existing.get("fetched"):  # a page citeqa itself fetched from this URL: refresh it
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, path)
                how = "same URL, content refreshed"
            else:  # the user's own file for this URL is never overwritten
                how = "same URL; the page changed but the file in the corpus is yours and is kept as it is"
    elif data is not None and (same := _same_content(corpus, _sha(data))) is not None:
        path, how = same, f"same content as {same.relative_to(corpus)}"
    rel = str(path.relative_to(corpus)) if path else None
    existing = next((d for d in docs if rel and str(Path(d.get("path", ""))) == rel), None)
    old_cites = sorted(int(n) for n in (existing or {}).get("cites", []))
    created = None
    if path is None:
        path = created = _write_new(corpus / "sources", name, data or b"")
        how, rel = ("fetched" if url else "copied"), str(path.relative_to(corpus))
    doc_id = existing.get("id") if existing and existing.get("id") else _unique_id(corpus, slug(path.stem))
    entry = {"path": rel, "url": url, "cites": cites, "title": title}
    if created is not None and url:
        entry["fetched"] = True  # citeqa wrote this file from the URL, so a later add of the URL may refresh it
    if existing is None:
        entry = {"id": doc_id, **entry, "kind": "source"}  # an existing entry keeps its id and kind
    try:
        action = upsert_manifest_entry(corpus, entry)
    except (CorpusError, OSError):
        if created is not None:
            created.unlink(missing_ok=True)  # keep manifest and files in agreement
        raise
    now = sorted(set(old_cites) | set(cites))
    return Added(path=path, doc_id=doc_id, action=action, how=how, cites=now, new_cites=[n for n in cites if n not in old_cites])
