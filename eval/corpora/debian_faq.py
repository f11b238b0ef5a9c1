"""Fetch the Debian FAQ (English original and its zh-cn translation) as two zero-config corpora.

    python eval/corpora/debian_faq.py           # download (apt-get), extract, write the corpora
    python eval/corpora/debian_faq.py --check   # every gold span is found in both corpora

Writes eval/data/debian-faq/en/ and eval/data/debian-faq/zh/ (one HTML file per chapter, the
same file names in both, no manifest) and eval/data/debian-faq/SOURCE.txt (package versions).
The table of contents (index.html) is left out: it lists every question and answers none.
Re-running with the same package versions changes nothing.
"""

from __future__ import annotations

import html
import sys
from dataclasses import dataclass
from pathlib import Path

import debpkg
from debpkg import check_spans, cli, read_corpus, run as _run, write_atomic

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


def plain_html(folder: Path) -> str:
    """The corpus's HTML with tags kept and whitespace removed: a span found here crosses no markup."""
    return "\n".join(html.unescape("".join(p.read_text(encoding="utf-8").split())) for p in sorted(folder.glob("*.html")))


def check(gold: Path) -> int:
    """Every answerable question needs a span inside one English and one Chinese passage."""
    corpora = {side.lang: read_corpus(OUT / side.lang)[1] for side in SIDES}
    return check_spans(gold, corpora, "\n".join(plain_html(OUT / side.lang) for side in SIDES))


def main(argv: list[str] | None = None) -> int:
    return cli(argv, __doc__, GOLD, build, check)


if __name__ == "__main__":
    sys.exit(main())
