"""Fetch the Debian Edu manual (English original and its zh-cn translation) as two zero-config corpora.

    python eval/corpora/debian_edu.py           # download (apt-get), extract, write the corpora
    python eval/corpora/debian_edu.py --check   # every gold span is found in a passage of both corpora

Writes eval/data/debian-edu/en/ and eval/data/debian-edu/zh/ (the manual of the current release
as the single HTML file the packages ship, same file name in both, no manifest) and
eval/data/debian-edu/SOURCE.txt (package versions, file checksums). The previous release's manual,
also shipped, is left out: it repeats most of the current one passage for passage. The zh-cn
translation is partial; untranslated sections stay in English, as a reader of it would see them.
Re-running with the same package versions changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import debpkg
from debpkg import cli, run as _run, write_atomic

EVAL = Path(__file__).resolve().parents[1]
DATA = EVAL / "data"
CACHE = DATA / ".cache" / "debian-edu"
OUT = DATA / "debian-edu"
GOLD = EVAL / "gold" / "debian-edu.jsonl"
MANUALS = ("debian-edu-bookworm-manual.html",)
MARKUP = set("`*\\|[]#")  # a span crossing reader markup breaks when the HTML reader changes


@dataclass(frozen=True)
class Side:
    """One language of the manual: the package and the folder its manuals sit in."""

    lang: str
    package: str
    folder: str  # inside the extracted package


SIDES = (
    Side("en", "debian-edu-doc-en", "usr/share/doc/debian-edu-doc-en"),
    Side("zh", "debian-edu-doc-zh-cn", "usr/share/doc/debian-edu-doc-zh-cn"),
)


def download(package: str) -> Path:
    return debpkg.download(package, CACHE)


def extract(deb: Path) -> Path:
    return debpkg.extract(deb, CACHE)


def build() -> None:
    provenance = ["Debian Edu manual (current release), HTML from the Debian packages below (apt-get download).",
                  "Licence: GPL-2+ (see the packages' copyright file). Images and the previous release's manual left out.", ""]
    for side in SIDES:
        deb = download(side.package)
        version = _run(["dpkg-deb", "-f", str(deb), "Version"]).strip()
        root = extract(deb) / side.folder
        out = OUT / side.lang
        written = 0
        for name in MANUALS:
            source = root / name
            if not source.is_file():
                raise SystemExit(f"{side.package} {version} has no {name} — the package layout changed; update MANUALS")
            data = source.read_bytes()
            written += write_atomic(out / name, data)
            provenance.append(f"{side.lang}/{name}  {side.package} {version}  /{side.folder}/{name}  "
                              f"sha256 {hashlib.sha256(data).hexdigest()}")
        for stale in out.glob("*.html"):  # only files this script wrote
            if stale.name not in MANUALS:
                stale.unlink()
        print(f"{side.lang}: {len(MANUALS)} manual(s) in {out.relative_to(EVAL.parent)} ({written} written, "
              f"{len(MANUALS) - written} unchanged) from {side.package} {version}")
    write_atomic(OUT / "SOURCE.txt", ("\n".join(provenance) + "\n").encode("utf-8"))


def squash(text: str) -> str:
    """All whitespace removed, as the evaluator compares spans and passages."""
    return "".join(text.split())


def corpus_passages(folder: Path) -> tuple[int, list[tuple[str, str]]]:
    """(characters read, [(passage squashed, its language)]) of a corpus as citeqa reads and chunks it."""
    from citeqa.chunk import chunk_document
    from citeqa.corpus import load_corpus
    from citeqa.ingest import load_document

    chars, passages = 0, []
    for entry in load_corpus(folder).entries:
        doc, _ = load_document(entry)
        chars += len(doc.text)
        passages += [(squash(chunk.text), chunk.lang) for chunk in chunk_document(doc)]
    return chars, passages


def is_zh(span: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in span)


def found(span: str, passages: list[tuple[str, str]], lang: str) -> bool:
    """The span sits inside one passage; on the Chinese side, a Chinese span or a span inside a Chinese
    passage (a command quoted in a translated sentence), so an untranslated paragraph does not count."""
    return any(span in text and (lang == "en" or is_zh(span) or plang == "zh") for text, plang in passages)


def check(gold: Path) -> int:
    """Every answerable question needs a span inside one passage of the English and of the Chinese corpus."""
    corpora = {side.lang: corpus_passages(OUT / side.lang) for side in SIDES}
    items = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    failures = 0
    for item in items:
        spans = item["evidence"]
        for span in spans:
            if span != squash(span) or MARKUP & set(span):
                failures += 1
                print(f"FAIL {item['id']} span has whitespace or reader markup: {span}")
        if not spans:
            continue
        for lang, (_, passages) in corpora.items():
            if not any(found(s, passages, lang) for s in spans):
                failures += 1
                where = "a Chinese span or a span in a Chinese passage" if lang == "zh" else "a span inside a passage"
                print(f"FAIL {item['id']} no {where} of the {lang} corpus: {spans}")
        for span in spans:
            if not any(span in text for _, passages in corpora.values() for text, _ in passages):
                print(f"warn {item['id']} span found in no passage: {span}")
    langs = {lang: sum(1 for i in items if i["lang"] == lang) for lang in ("en", "zh")}
    kinds = {k: sum(1 for i in items if i["kind"] == k) for k in sorted({i["kind"] for i in items})}
    print(f"{len(items)} questions ({langs}; {kinds}), {sum(1 for i in items if i['evidence'])} answerable, "
          f"{failures} failures")
    for lang, (chars, passages) in corpora.items():
        print(f"{lang}: {chars} characters, {len(passages)} passages")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    return cli(argv, __doc__, GOLD, build, check)


if __name__ == "__main__":
    sys.exit(main())
