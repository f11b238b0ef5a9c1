"""The corpus folder: discover documents and read the manifest that describes them.

Every supported file under the folder is a document; `manifest.toml` adds metadata
(titles, authors, the bibliography, table headers, facets). A file with no manifest entry
is still indexed, titled from its file name.
"""

from __future__ import annotations

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


def load_corpus(root: Path) -> Corpus:
    """Walk `root` for documents and merge in the manifest's metadata."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"corpus folder {root} does not exist. Create it and put documents in it, or pass --corpus DIR.")
    manifest = _load_manifest(root)
    by_path: dict[str, dict[str, Any]] = {}
    for raw in manifest.get("documents", []):
        if "path" not in raw:
            raise CorpusError(f"{root / MANIFEST}: a [[documents]] entry has no 'path' (id={raw.get('id')!r}).")
        by_path[str(Path(raw["path"]))] = raw

    entries, seen_ids = [], set()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED):
        rel = str(path.relative_to(root))
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
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
    return Corpus(root=root, entries=entries, facets=manifest.get("facets", {}), missing=missing)


def add_manifest_entry(root: Path, entry: dict[str, Any]) -> None:
    """Append a [[documents]] entry, keeping the manifest's comments; written atomically."""
    target = root / MANIFEST
    known = {d.get("path") for d in _load_manifest(root).get("documents", [])}
    if entry["path"] in known:
        return
    old = target.read_text(encoding="utf-8") if target.exists() else ""
    block = "[[documents]]\n" + tomli_w.dumps({k: v for k, v in entry.items() if v not in (None, "", [])})
    tmp = target.with_suffix(".toml.tmp")
    tmp.write_text(old.rstrip("\n") + "\n\n" + block if old else block, encoding="utf-8")
    tmp.replace(target)
