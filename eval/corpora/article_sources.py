"""Build the "article + sources" corpus: the shipped article plus the English sources it draws on.

    python eval/corpora/article_sources.py            # build eval/data/article-sources/ (+ .index)
    python eval/corpora/article_sources.py --fresh    # start again from an empty corpus folder
    python eval/corpora/article_sources.py --check    # every gold span sits where its language says

The corpus is a copy of corpus/ (article + manifest.toml) with each file of eval/sources/ added
through `citeqa add` (so the manifest records title, URL and the article references it backs).
One source is added as a PDF rendered here from its text with reportlab, so the PDF reader is
exercised without committing a binary. Re-running adds nothing new and rebuilds nothing;
after editing a source run with --fresh (`citeqa add` knows a source by its URL and keeps the
copy it already has).
Where the texts come from, and under which licence: eval/sources/PROVENANCE.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

EVAL = Path(__file__).resolve().parents[1]
REPO = EVAL.parent
SOURCES = EVAL / "sources"
DATA = EVAL / "data"
CORPUS = DATA / "article-sources"
INDEX = DATA / "article-sources.index"
CACHE = DATA / ".cache" / "article-sources"
GOLD = EVAL / "gold" / "article-sources.jsonl"
MARKER = ".made-by-article-sources"  # only a corpus folder carrying it is ever deleted


@dataclass(frozen=True)
class Source:
    """One source file: where it lives under eval/sources/, its page title, address and the [n] it backs."""

    file: str
    title: str
    url: str
    cites: tuple[int, ...] = ()
    pdf: bool = False  # rendered to PDF before it is added


# [n] numbers: the article's bibliography is lost except [29]-[32]; a number is given where the
# article's sentence carrying it states what this source states (see PROVENANCE.md).
SOURCES_LIST = (
    Source("nni-about.html", "About the NNI: Coordination, Organization and Leadership, NNCO",
           "https://www.nano.gov/about-nni/what/coordination", (25,)),
    Source("nni-budget-supplements.md", "NNI Supplements to the President's Budget and Program Component Areas",
           "https://www.nano.gov/2020BudgetSupplement", (7,)),
    Source("pdf/nni-strategy-assessments.txt", "The NNI Strategic Plan and the Assessments of the NNI",
           "https://obamawhitehouse.archives.gov/administration/eop/ostp/NNIStrategy", (8, 21), pdf=True),
    Source("csti-cabinet-office.html", "Council for Science, Technology and Innovation (Cabinet Office, Japan)",
           "http://www.cao.go.jp/en/importantcouncil.html", (10,)),
    Source("japan-sip-impact.txt", "Japan: SIP, ImPACT and the Council for Science and Technology Policy",
           "https://www.jst.go.jp/sip/en/about_sip.html", (19,)),
    Source("ukri-about.html", "UK Research and Innovation: our organisation, structure and budget",
           "https://www.ukri.org/who-we-are/about-uk-research-and-innovation/our-organisation/", (11, 12)),
    Source("ukri-strategy-and-funds.md", "UKRI strategy, cross-council funds and the Nurse Review",
           "https://www.ukri.org/publications/ukri-strategy-2022-to-2027/ukri-strategy-2022-to-2027/", (18, 24)),
    Source("esfri-about.html", "How ESFRI works, structure and organisation",
           "https://www.esfri.eu/how-esfri-works", (27,)),
    Source("esfri-roadmap.txt", "ESFRI Roadmap: strategy reports, methodology and landscape analysis",
           "http://roadmap2018.esfri.eu/strategy-report/", (13, 14)),
)


def render_pdf(text_file: Path, pdf_file: Path, title: str) -> Path:
    """Typeset a Markdown-ish text (#/## headings, '- ' bullets, blank-line paragraphs) as a PDF.

    invariant=1 makes reportlab's output byte-identical across runs, so re-adding is a no-op.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from xml.sax.saxutils import escape

    styles = getSampleStyleSheet()
    flow = []
    for block in text_file.read_text(encoding="utf-8").split("\n\n"):
        block = block.strip()
        if not block:
            continue
        if block.startswith("## "):
            flow.append(Paragraph(escape(block[3:]), styles["Heading2"]))
        elif block.startswith("# "):
            flow.append(Paragraph(escape(block[2:]), styles["Title"]))
        elif all(line.startswith("- ") for line in block.splitlines()):
            flow += [Paragraph(escape(line[2:]), styles["BodyText"], bulletText="•") for line in block.splitlines()]
        else:
            flow.append(Paragraph(escape(" ".join(block.split())), styles["BodyText"]))
        flow.append(Spacer(1, 4))
    pdf_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = pdf_file.with_name(pdf_file.name + ".tmp")
    SimpleDocTemplate(str(tmp), pagesize=A4, title=title, author="", invariant=1).build(flow)
    os.replace(tmp, pdf_file)
    return pdf_file


def citeqa_bin() -> str:
    found = REPO / ".venv" / "bin" / "citeqa"
    return str(found) if found.exists() else (shutil.which("citeqa") or "citeqa")


def build(fresh: bool) -> None:
    if fresh and CORPUS.exists():
        if not (CORPUS / MARKER).exists():
            raise SystemExit(f"{CORPUS} was not made by this script (no {MARKER}); remove it yourself")
        shutil.rmtree(CORPUS)
        if (INDEX / ".citeqa-index").exists():
            shutil.rmtree(INDEX)
    if not CORPUS.exists():
        tmp = CORPUS.with_name(CORPUS.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(REPO / "corpus", tmp)
        (tmp / MARKER).write_text("made by eval/corpora/article_sources.py; --fresh deletes this folder\n", encoding="utf-8")
        os.replace(tmp, CORPUS)
        print(f"copied corpus/ to {CORPUS.relative_to(REPO)}")
    for src in SOURCES_LIST:
        path = SOURCES / src.file
        if src.pdf:
            path = render_pdf(path, CACHE / (Path(src.file).stem + ".pdf"), src.title)
        cmd = [citeqa_bin(), "add", str(path), "--corpus", str(CORPUS), "--index", str(INDEX),
               "--title", src.title, "--url", src.url]
        for n in src.cites:
            cmd += ["--cites", str(n)]
        print("$", " ".join(cmd[1:3]), "…", flush=True)
        done = subprocess.run(cmd, cwd=REPO)
        if done.returncode != 0:
            raise SystemExit(f"citeqa add {path.name} failed ({done.returncode})")


# ---------------------------------------------------------------- check


@dataclass
class Texts:
    """Whitespace-free text of the article and of the sources, whole and per passage."""

    article: str = ""
    sources: dict[str, str] = field(default_factory=dict)
    passages: list[str] = field(default_factory=list)


def squash(text: str) -> str:
    return "".join(text.split())


def corpus_texts(folder: Path) -> Texts:
    """Read the corpus with citeqa's own loader, cleaner and chunker (what the index holds)."""
    from citeqa.chunk import chunk_document
    from citeqa.corpus import load_corpus
    from citeqa.ingest import load_document

    texts = Texts()
    for entry in load_corpus(folder).entries:
        doc, _ = load_document(entry)
        flat = squash(doc.text)
        if doc.kind == "article":
            texts.article += flat
        else:
            texts.sources[entry.path.name] = flat
        texts.passages += [squash(c.text) for c in chunk_document(doc)]
    return texts


def problems(item: dict, texts: Texts) -> list[str]:
    """What is wrong with one gold item, given where its spans must (and must not) be found."""
    out = []
    spans, lang = item["evidence"], item.get("evidence_lang")
    if not spans:
        return [] if item["kind"] == "unanswerable" else ["answerable kind but no evidence"]
    if item["kind"] == "unanswerable":
        return ["unanswerable but has evidence"]
    for span in spans:
        if span != squash(span):
            out.append(f"span has whitespace: {span!r}")
        if lang == "en" and not 20 <= len(span) <= 80:
            out.append(f"span length {len(span)} outside 20-80: {span!r}")
        in_sources = [name for name, text in texts.sources.items() if span in text]
        if lang == "en":
            if not in_sources:
                out.append(f"not in any source: {span!r}")
            if span in texts.article:
                out.append(f"also in the article: {span!r}")
        elif lang == "zh":
            if span not in texts.article:
                out.append(f"not in the article: {span!r}")
            if in_sources:
                out.append(f"also in a source ({in_sources[0]}): {span!r}")
        else:
            out.append(f"evidence_lang must be en or zh, not {lang!r}")
        if not any(span in p for p in texts.passages):
            out.append(f"no single passage holds it (split by the chunker?): {span!r}")
    return out


def check(gold: Path) -> int:
    texts = corpus_texts(CORPUS)
    items = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    failures = 0
    for item in items:
        for msg in problems(item, texts):
            failures += 1
            print(f"FAIL {item['id']} {msg}")
    ids = [i["id"] for i in items]
    if len(set(ids)) != len(ids):
        failures += 1
        print("FAIL duplicate ids")
    def count(lang: str, where: str) -> int:
        return sum(i["lang"] == lang and i.get("evidence_lang") == where and bool(i["evidence"]) for i in items)

    print(f"{len(items)} questions: evidence only in the English sources zh {count('zh', 'en')} / en {count('en', 'en')}; "
          f"only in the article zh {count('zh', 'zh')} / en {count('en', 'zh')}; "
          f"unanswerable {sum(not i['evidence'] for i in items)}")
    print(f"corpus: article {len(texts.article)} chars, {len(texts.sources)} sources "
          f"{sum(map(len, texts.sources.values()))} chars, {len(texts.passages)} passages; {failures} failures")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="check the gold spans against the built corpus")
    parser.add_argument("--fresh", action="store_true", help="delete the corpus folder this script made and rebuild")
    parser.add_argument("--gold", type=Path, default=GOLD)
    args = parser.parse_args(argv)
    if args.check:
        return check(args.gold)
    build(args.fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
