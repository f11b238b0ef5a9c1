"""The corpus folder: discover documents and read the manifest that describes them.

Every supported file under the folder is a document; `manifest.toml` adds metadata
(titles, authors, the bibliography, table headers, facets). A file with no manifest entry
is still indexed, titled from its file name.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from .clean import TableSpec
from .models import Reference

MANIFEST = "manifest.toml"
SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}


class CorpusError(RuntimeError):
    """The corpus folder or its manifest cannot be used; the message says how to fix it."""


@dataclass
class DocumentEntry:
    """One document as the manifest (or its defaults) describes it."""

    doc_id: str
    path: Path
    title: str
    kind: str = "source"
    title_en: str = ""
    authors: list[str] = field(default_factory=list)
    url: str | None = None
    cites: list[int] = field(default_factory=list)  # article reference numbers this source backs
    tables: tuple[TableSpec, ...] = ()
    references: list[Reference] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)  # websites the document names as its sources
    in_manifest: bool = False


@dataclass
class Corpus:
    root: Path
    entries: list[DocumentEntry]
    facets: dict[str, dict[str, list[str]]]
    missing: list[tuple[str, str]]  # (manifest id, path) entries whose file does not exist
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): e.g. links leaving the corpus

    def bibliography(self) -> dict[int, Reference]:
        """The article's numbered references, each linked to the source document that backs it."""
        refs: dict[int, Reference] = {}
        for entry in self.entries:
            for ref in entry.references:
                refs[ref.n] = ref
        for entry in self.entries:
            for n in entry.cites:
                old = refs.get(n, Reference(n=n, text=entry.title, url=entry.url))
                refs[n] = Reference(n=n, text=old.text, url=old.url or entry.url, source_doc=entry.doc_id)
        return dict(sorted(refs.items()))


def slug(name: str) -> str:
    s = re.sub(r"[^\w\-]+", "-", name.lower()).strip("-")
    return s or "document"


def _load_manifest(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: not valid TOML ({exc}). Fix the file or move it away to index with defaults.") from exc


def follow_symlinks_default() -> bool:
    """`citeqa build --follow-symlinks` sets CITEQA_FOLLOW_SYMLINKS=1 for the whole build."""
    return os.environ.get("CITEQA_FOLLOW_SYMLINKS", "") not in ("", "0")


def walk_documents(root: Path, follow_symlinks: bool = False) -> tuple[list[Path], list[tuple[str, str]]]:
    """Supported files under `root` (hidden ones skipped) and the links skipped because they leave it."""
    real_root = root.resolve()
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=follow_symlinks):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for d in dirnames:
            link = here / d
            if not follow_symlinks and link.is_symlink() and not link.resolve().is_relative_to(real_root):
                skipped.append((str(link.relative_to(root)), f"folder link to {link.resolve()}, outside the corpus — not followed (build --follow-symlinks indexes it)"))
        for name in sorted(filenames):
            path = here / name
            if name.startswith(".") or path.suffix.lower() not in SUPPORTED:
                continue
            target = path.resolve()
            if not follow_symlinks and path.is_symlink() and not target.is_relative_to(real_root):
                skipped.append((str(path.relative_to(root)), f"link to {target}, outside the corpus — not followed (build --follow-symlinks indexes it)"))
                continue
            if path.is_file():
                files.append(path)
            elif path.is_symlink():
                skipped.append((str(path.relative_to(root)), f"broken link to {target}"))
    return sorted(files), skipped


def load_corpus(root: Path, follow_symlinks: bool | None = None) -> Corpus:
    """Walk `root` for documents and merge in the manifest's metadata."""
    root = Path(root)
    follow = follow_symlinks_default() if follow_symlinks is None else follow_symlinks
    if not root.is_dir():
        raise CorpusError(f"corpus folder {root} does not exist. Create it and put documents in it, or pass --corpus DIR.")
    manifest = _load_manifest(root)
    by_path: dict[str, dict[str, Any]] = {}
    for raw in manifest.get("documents", []):
        if "path" not in raw:
            raise CorpusError(f"{root / MANIFEST}: a [[documents]] entry has no 'path' (id={raw.get('id')!r}).")
        by_path[str(Path(raw["path"]))] = raw

    entries, seen_ids = [], set()
    paths, skipped = walk_documents(root, follow)
    for path in paths:
        rel = str(path.relative_to(root))
        raw = by_path.get(rel, {})
        doc_id = raw.get("id") or slug(path.stem)
        while doc_id in seen_ids:
            doc_id += "-1"
        seen_ids.add(doc_id)
        entries.append(
            DocumentEntry(
                doc_id=doc_id,
                path=path,
                title=raw.get("title") or path.stem.replace("_", " ").replace("-", " "),
                kind=raw.get("kind", "source"),
                title_en=raw.get("title_en", ""),
                authors=list(raw.get("authors", [])),
                url=raw.get("url"),
                cites=[int(n) for n in raw.get("cites", [])],
                tables=tuple(
                    TableSpec(int(t["number"]), t["corner"], tuple(t["columns"]), tuple(t["rows"])) for t in raw.get("tables", [])
                ),
                references=[Reference(n=int(r["n"]), text=r["text"], url=r.get("url")) for r in raw.get("references", [])],
                sources=[dict(src, doc_id=doc_id) for src in raw.get("sources", [])],
                in_manifest=bool(raw),
            )
        )
    found = {str(e.path.relative_to(root)) for e in entries}
    missing = [(raw.get("id", "?"), p) for p, raw in by_path.items() if p not in found]
    return Corpus(root=root, entries=entries, facets=manifest.get("facets", {}), missing=missing, skipped=skipped)


def manifest_documents(root: Path) -> list[dict[str, Any]]:
    """The manifest's [[documents]] entries (empty when there is no manifest)."""
    return list(_load_manifest(Path(root)).get("documents", []))


_HEADER = re.compile(r"^\s*\[", re.M)


def _entry_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each [[documents]] entry's own key/value lines (its sub-tables excluded)."""
    spans = []
    for m in re.finditer(r"^\[\[documents\]\][^\n]*\n?", text, re.M):
        nxt = _HEADER.search(text, m.end())
        spans.append((m.start(), nxt.start() if nxt else len(text)))
    return spans


def _block(entry: dict[str, Any]) -> str:
    return "[[documents]]\n" + tomli_w.dumps({k: v for k, v in entry.items() if v not in (None, "", [])})


def upsert_manifest_entry(root: Path, entry: dict[str, Any]) -> str:
    """Add a [[documents]] entry, or update the one with the same path in place (cites merged).

    Returns "added", "updated" or "unchanged". Comments elsewhere in the manifest are kept;
    the file is written atomically and re-read to prove it still parses.
    """
    root = Path(root)
    target = root / MANIFEST
    old = target.read_text(encoding="utf-8") if target.exists() else ""
    docs = _load_manifest(root).get("documents", [])
    index = next((i for i, d in enumerate(docs) if str(Path(d.get("path", ""))) == str(Path(entry["path"]))), None)
    if index is None:
        new = (old.rstrip("\n") + "\n\n" + _block(entry)) if old else _block(entry)
        action = "added"
    else:
        current = docs[index]
        spans = _entry_spans(old)
        if len(spans) != len(docs):
            raise CorpusError(f"{target}: entries are not all written as [[documents]] tables; add {entry['path']} by hand")
        base = {k: v for k, v in current.items() if not isinstance(v, list) or not v or not isinstance(v[0], dict)}
        merged = dict(base)
        for key, value in entry.items():
            if key == "cites":
                merged["cites"] = sorted(set(int(n) for n in current.get("cites", [])) | set(int(n) for n in value or []))
            elif key == "id" and current.get("id"):
                continue  # the id others may already use stays
            elif value not in (None, "", []):
                merged[key] = value
        if merged == base:
            return "unchanged"
        start, end = spans[index]
        new = old[:start] + _block(merged).rstrip("\n") + ("\n\n" if end < len(old) else "\n") + old[end:]
        action = "updated"
    try:
        parsed = tomllib.loads(new).get("documents", [])
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"{target}: could not record {entry['path']} without breaking the manifest ({exc}); edit it by hand") from exc
    kept = len(parsed) == len(docs) + (action == "added") and all(
        parsed[i].get(k) == v for i, d in enumerate(docs) if i != index for k, v in d.items()
    ) and (index is None or all(parsed[index].get(k) == v for k, v in docs[index].items() if k not in entry))
    if not kept:
        raise CorpusError(f"{target}: could not record {entry['path']} without changing other entries; edit the manifest by hand")
    tmp = target.with_name(f".{MANIFEST}.{os.getpid()}.tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, target)
    return action


def add_manifest_entry(root: Path, entry: dict[str, Any]) -> None:
    """Add or update (in place) the [[documents]] entry for `entry["path"]`; written atomically."""
    upsert_manifest_entry(root, entry)
