"""Fetch the Debian FAQ (English original and its zh-cn translation) as two zero-config corpora.

    python eval/corpora/debian_faq.py           # download (apt-get), extract, write the corpora
    python eval/corpora/debian_faq.py --check   # every gold span is found in both corpora

Writes eval/data/debian-faq/en/ and eval/data/debian-faq/zh/ (one HTML file per chapter, the
same file names in both, no manifest) and eval/data/debian-faq/SOURCE.txt (package versions).
The table of contents (index.html) is left out: it lists every question and answers none.
Re-running with the same package versions changes nothing.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import debpkg
from debpkg import run as _run, write_atomic

EVAL = Path(__file__).resolve().parents[1]
DATA = EVAL / "data"
CACHE = DATA / ".cache" / "debian-faq"
OUT = DATA / "debian-faq"
GOLD = EVAL / "gold" / "debian-faq.jsonl"


@dataclass(frozen=True)
class Side:
    """One language of the FAQ: the package, where its chapters sit, their file-name suffix."""

    lang: str
    package: str
    folder: str  # inside the extracted package
    suffix: str  # chapter file names end with this


SIDES = (
    Side("en", "debian-faq", "usr/share/doc/debian/FAQ", ".en.html"),
    Side("zh", "debian-faq-zh-cn", "usr/share/doc/debian/FAQ/zh-cn", ".zh-cn.html"),
)
SKIP = {"index"}  # table of contents only


def download(package: str) -> Path:
    return debpkg.download(package, CACHE)


def extract(deb: Path) -> Path:
    return debpkg.extract(deb, CACHE)


def build() -> None:
    provenance = ["Debian GNU/Linux FAQ, HTML chapters from the Debian packages below (apt-get download).",
                  "index.html (table of contents) left out.", ""]
    for side in SIDES:
        deb = download(side.package)
        version = _run(["dpkg-deb", "-f", str(deb), "Version"]).strip()
        root = extract(deb) / side.folder
        chapters = sorted(p for p in root.glob(f"*{side.suffix}") if p.is_file() and not p.is_symlink())
        out = OUT / side.lang
        written = 0
        names = set()
        for chapter in chapters:
            name = chapter.name[: -len(side.suffix)]
            if name in SKIP:
                continue
            names.add(f"{name}.html")
            written += write_atomic(out / f"{name}.html", chapter.read_bytes())
        for stale in out.glob("*.html"):  # only files this script wrote
            if stale.name not in names:
                stale.unlink()
        print(f"{side.lang}: {len(names)} chapters in {out.relative_to(EVAL.parent)} ({written} written, "
              f"{len(names) - written} unchanged) from {side.package} {version}")
        provenance.append(f"{side.lang}/  {side.package} {version}  ({deb.name}, {side.folder}/*{side.suffix})")
    write_atomic(OUT / "SOURCE.txt", ("\n".join(provenance) + "\n").encode("utf-8"))


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


def plain_html(folder: Path) -> str:
    """The corpus's HTML with tags kept and whitespace removed: a span found here crosses no markup."""
    return "\n".join(html.unescape("".join(p.read_text(encoding="utf-8").split())) for p in sorted(folder.glob("*.html")))


def check(gold: Path) -> int:
    """Every answerable question needs a span inside one English and one Chinese passage."""
    corpora = {side.lang: read_corpus(OUT / side.lang)[1] for side in SIDES}
    sources = "\n".join(plain_html(OUT / side.lang) for side in SIDES)
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
            if span not in sources:
                print(f"warn {item['id']} span crosses markup (code, emphasis, link) and may not survive a reader change: {span}")
    answerable = sum(1 for i in items if i["evidence"])
    sizes = ", ".join(f"{lang} {len(p)} passages" for lang, p in corpora.items())
    print(f"{len(items)} questions, {answerable} answerable, {failures} failures ({sizes})")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="check the gold spans against both corpora")
    parser.add_argument("--gold", type=Path, default=GOLD)
    args = parser.parse_args(argv)
    if args.check:
        return check(args.gold)
    build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
