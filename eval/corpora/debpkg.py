"""Fetching a Debian package's files for an eval corpus: download once, unpack once, write atomically."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable


def run(cmd: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def download(package: str, cache: Path) -> Path:
    """The package's .deb in the cache, fetched with `apt-get download` when missing."""
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"{package}_*.deb"))
    if found:
        print(f"cached   {found[-1].name}")
        return found[-1]
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise SystemExit("apt-get and dpkg-deb are needed (a Debian or Ubuntu system); "
                         f"or put {package}_*.deb into {cache} by hand and re-run")
    run(["apt-get", "download", package], cwd=cache)
    found = sorted(cache.glob(f"{package}_*.deb"))
    if not found:
        raise SystemExit(f"apt-get download {package} left no .deb in {cache} (run apt-get update?)")
    print(f"fetched  {found[-1].name}")
    return found[-1]


def extract(deb: Path, cache: Path) -> Path:
    """Unpack the .deb once into the cache (dpkg-deb -x)."""
    target = cache / deb.stem
    if not target.is_dir():
        tmp = Path(tempfile.mkdtemp(dir=cache))
        run(["dpkg-deb", "-x", str(deb), str(tmp)])
        os.replace(tmp, target)
        print(f"unpacked {deb.name}")
    return target


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` unless the file already holds it; True when written."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def read_corpus(folder: Path) -> tuple[list[str], list[str]]:
    """(documents, passages) as citeqa reads and chunks them, all whitespace removed (relevance is per passage)."""
    from citeqa.chunk import chunk_document
    from citeqa.corpus import load_corpus
    from citeqa.ingest import load_document

    documents, passages = [], []
    for entry in load_corpus(folder).entries:
        doc, _ = load_document(entry)
        documents.append("".join(doc.text.split()))
        passages += ["".join(chunk.text.split()) for chunk in chunk_document(doc)]
    return documents, passages


def check_spans(gold: Path, corpora: dict[str, list[str]], sources: str | None = None) -> int:
    """Every answerable question needs a span inside a passage of each corpus; 1 when one does not.

    `sources`: the raw files with whitespace removed, to warn about a span that crosses markup.
    """
    items = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    failures = 0
    for item in items:
        for lang, passages in corpora.items():
            if item["evidence"] and not any(s in p for s in item["evidence"] for p in passages):
                failures += 1
                print(f"FAIL {item['id']} no span inside a {lang} passage: {item['evidence']}")
        for span in item["evidence"]:
            if not any(span in p for passages in corpora.values() for p in passages):
                print(f"warn {item['id']} span found in no passage: {span}")
            if sources is not None and span not in sources:
                print(f"warn {item['id']} span crosses markup (code, emphasis, link) and may not survive a reader change: {span}")
    answerable = sum(1 for i in items if i["evidence"])
    sizes = ", ".join(f"{lang} {len(p)} passages" for lang, p in corpora.items())
    print(f"{len(items)} questions, {answerable} answerable, {failures} failures ({sizes})")
    return 1 if failures else 0


def cli(argv: list[str] | None, doc: str, gold: Path, build: Callable[[], None], check: Callable[[Path], int]) -> int:
    """`script.py` builds the corpora; `script.py --check [--gold FILE]` checks the gold spans."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="check the gold spans against both corpora")
    parser.add_argument("--gold", type=Path, default=gold)
    args = parser.parse_args(argv)
    if args.check:
        return check(args.gold)
    build()
    return 0
