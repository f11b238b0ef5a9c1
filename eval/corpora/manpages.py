"""Fetch the Linux man pages that exist both in English and in Chinese as two zero-config corpora.

    python eval/corpora/manpages.py           # download (apt-get), render, write the corpora
    python eval/corpora/manpages.py --check   # every gold span is found in both corpora

`manpages` (English, the man-pages project) and `manpages-zh` (Simplified Chinese, translated
from older versions of the same pages) share 54 pages: files (proc.5, locale.5), conventions
(signal.7, hier.7, ascii.7), networking (ip.7, tcp.7, socket.7) and a few commands (ldd.1,
zic.8). Each page is rendered with groff (tables through tbl, no hyphenation, one line per
paragraph) into Markdown: the man sections (NAME, DESCRIPTION, …) become `##` headings and
subsections `###`. Writes eval/data/manpages/en/ and eval/data/manpages/zh/ (the same file
names in both, e.g. `signal.7.md`, no manifest) and eval/data/manpages/SOURCE.txt.
Re-running with the same package versions changes nothing.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

import debpkg
from debpkg import check_spans, cli, read_corpus, run as _run, write_atomic

EVAL = Path(__file__).resolve().parents[1]
DATA = EVAL / "data"
CACHE = DATA / ".cache" / "manpages"
OUT = DATA / "manpages"
GOLD = EVAL / "gold" / "manpages.jsonl"
SIDES = {"en": ("manpages", "usr/share/man"), "zh": ("manpages-zh", "usr/share/man/zh_CN")}


def render(source: bytes) -> str:
    """A man page's troff source as Markdown: headings from the man sections, a paragraph per line."""
    troff = gzip.decompress(source)
    done = subprocess.run(["groff", "-k", "-t", "-Tutf8", "-man", "-rLL=4000n", "-rHY=0", "-P-c"],
                          input=troff, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"groff failed ({done.returncode}): {done.stderr.decode(errors='replace')[:300]} "
                         "— install groff-base (apt-get install groff-base)")
    lines = done.stdout.decode("utf-8", errors="replace").splitlines()
    lines = [re.sub(r".\x08", "", line).rstrip() for line in lines]  # any overstrike left by the device
    body = [line for line in lines if line.strip()]
    if len(body) < 3:
        return ""
    title = body[0].split()[0]  # "SIGNAL(7)   Linux Programmer's Manual   SIGNAL(7)"
    out = [f"# {title}", ""]
    for line in body[1:-1]:  # between the page's header and footer lines
        if not re.search(r"\w", line):  # a table's rule
            continue
        indent = len(line) - len(line.lstrip())
        text = re.sub(r"\s{2,}", " ", line.strip())
        if indent == 0:
            out += [f"## {text}", ""]
        elif indent <= 4 and len(text) <= 80:
            out += [f"### {text}", ""]
        else:
            out += [text, ""]
    return "\n".join(out)


def shared_pages(roots: dict[str, Path]) -> list[str]:
    """Pages (man7/signal.7.gz) that both languages ship as real files."""
    def pages(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.glob("man[1-9]/*.gz") if p.is_file() and not p.is_symlink()}
    return sorted(pages(roots["en"]) & pages(roots["zh"]))


def build() -> None:
    roots, versions, debs = {}, {}, {}
    for lang, (package, folder) in SIDES.items():
        debs[lang] = debpkg.download(package, CACHE)
        versions[lang] = _run(["dpkg-deb", "-f", str(debs[lang]), "Version"]).strip()
        roots[lang] = debpkg.extract(debs[lang], CACHE) / folder
    pages = shared_pages(roots)
    provenance = ["Linux man pages present in both packages below, rendered with groff -t -man -Tutf8 into Markdown.", ""]
    for lang, (package, folder) in SIDES.items():
        out, names, written = OUT / lang, set(), 0
        for page in pages:
            text = render((roots[lang] / page).read_bytes())
            if not text:
                continue
            name = Path(page).name[: -len(".gz")] + ".md"
            names.add(name)
            written += write_atomic(out / name, text.encode("utf-8"))
        for stale in out.glob("*.[1-9].md"):  # only pages this script wrote (name.N.md)
            if stale.name not in names:
                stale.unlink()
        print(f"{lang}: {len(names)} pages in {out.relative_to(EVAL.parent)} ({written} written) from {package} {versions[lang]}")
        provenance.append(f"{lang}/  {package} {versions[lang]}  ({debs[lang].name}, {folder}/man*/PAGE.gz)")
    provenance += ["", "pages: " + " ".join(pages)]
    write_atomic(OUT / "SOURCE.txt", ("\n".join(provenance) + "\n").encode("utf-8"))


def check(gold: Path) -> int:
    """Every answerable question needs a span inside one English and one Chinese passage."""
    return check_spans(gold, {lang: read_corpus(OUT / lang)[1] for lang in SIDES})


def main(argv: list[str] | None = None) -> int:
    return cli(argv, __doc__, GOLD, build, check)


if __name__ == "__main__":
    sys.exit(main())
