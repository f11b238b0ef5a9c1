"""Clean PDF-extracted text into readable paragraphs, and rebuild flattened tables.

PDF extraction of Chinese journals hard-wraps every line (often with blank lines between
them), spaces out some CJK text (`跨 省 厅`), interleaves page furniture (running heads,
`续表`, `(上接第8页)`, another article's footer) and flattens tables cell by cell. This
module undoes that. Nothing is dropped silently: every removed line is reported in
`Cleaned.removed` with the reason.

Text from markup (HTML, `clean(..., furniture=False)`) is taken block by block as written.

Output conventions the chunker relies on:
- paragraphs are separated by one blank line (`\\n\\n`);
- a heading is a paragraph of its own (`2.1　标题`);
- a rebuilt table cell is a paragraph `表1 · 行名 · 列名：单元格文本`.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass, field

from .sections import HEADING, MD_HEADING, is_heading, underlined_headings  # noqa: F401 — HEADING/MD_HEADING re-exported
from .text import CJK, detect_lang

CJK_PUNCT = r"\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2014\u2018\u2019\u201c\u201d\u2026\u00b7"
_CJK_RE = re.compile(f"[{CJK}]")
_SPACED_CJK = re.compile(f"(?<=[{CJK}{CJK_PUNCT}]) +(?=[{CJK}{CJK_PUNCT}])")
_DIGIT_CJK = re.compile(f"(?<=[0-9%]) +(?=[{CJK}{CJK_PUNCT}])|(?<=[{CJK}{CJK_PUNCT}]) +(?=[0-9])")
_THOUSANDS = re.compile(r"(?<![\d.])(\d{1,3}) (\d{3})(?=[.\d]|\D|$)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Page furniture: (reason, pattern over a stripped line). Generic to Chinese journal PDFs.
FURNITURE = [
    ("running head", re.compile(r"^·[^·]{2,20}·$")),
    ("table continuation marker", re.compile(r"^续表$")),
    ("page continuation marker", re.compile(r"^[（(](上接|下转)第?\s*\d+\s*页[)）]$")),
    ("footer of another article", re.compile(r"^◇")),
    ("page number", re.compile(r"^[-—]?\s*\d{1,4}\s*[-—]?$")),
]
LIST_START = re.compile(r"^([一二三四五六七八九十]+是|[①-⑳]|\[\d+\]\s)")
LIST_ITEM = re.compile(r"^([-*•]\s|\d{1,3}(?:\.\d{1,3})*[.)]\s)")  # "- item", "2. Step", "5.1. Question": after a blank line, a new block
CN_TERMINAL = "。！？；：”」』）)■"
AUTHOR_LINE = re.compile(r"^[A-Z]{2,}\s+[A-Z][a-z]+(?:\s*,\s*[A-Z]{2,}\s+[A-Z][a-z]+)*$")
AFFILIATION = re.compile(r"^[(（][^()（）]{2,80}\b\d{5,6}[)）]$")
EN_JOINERS = ("and", "of", "for", "the", "in", "on", "to", "a", "an", "with", ",", ":", "-")


@dataclass(frozen=True)
class TableSpec:
    """What is known of a table's header: the corner label, the columns and the row labels."""

    number: int
    corner: str
    columns: tuple[str, ...]
    rows: tuple[str, ...]


@dataclass(frozen=True)
class TableCell:
    table: int
    row: str
    column: str
    text: str


@dataclass
class Cleaned:
    text: str
    removed: list[tuple[str, str]] = field(default_factory=list)  # (reason, removed text)
    cells: list[TableCell] = field(default_factory=list)
    unparsed_tables: list[int] = field(default_factory=list)


def squash(text: str) -> str:
    """All whitespace removed: the form used to compare text regardless of wrapping."""
    return re.sub(r"\s+", "", text)


def is_cjk_text(text: str) -> bool:
    """Chinese by the passages' own test (`text.detect_lang`), so a document and its passages agree."""
    return detect_lang(text) == "zh"


def normalize(raw: str) -> str:
    """Unify newlines and drop control characters (NUL, form feeds) that break downstream tools."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    return text.replace("\u00a0", " ").replace("\u2009", " ").replace("\u202f", " ")


def tidy_inline(text: str) -> str:
    """Collapse spaces that PDF extraction puts inside Chinese: `跨 省 厅` -> `跨省厅`, `2020 年` -> `2020年`."""
    text = re.sub(r"[ ]{2,}", " ", text.strip(" "))
    text = _SPACED_CJK.sub("", text)
    text = _DIGIT_CJK.sub("", text)
    return _THOUSANDS.sub(r"\1\2", text)


def join_lines(lines: list[str]) -> str:
    """Join hard-wrapped lines: no space inside Chinese, one space between Latin words."""
    out = ""
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith("-") and line[:1].islower():
            out = out + line
        elif _CJK_RE.match(out[-1]) or re.match(f"[{CJK_PUNCT}]", out[-1]) or _CJK_RE.match(line[0]) or re.match(f"[{CJK_PUNCT}]", line[0]):
            out = out + line
        else:
            out = out + " " + line
    return tidy_inline(out)


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """Runs of non-blank lines, as (first, last+1) line indices."""
    blocks, start = [], None
    for i, line in enumerate(lines + [""]):
        if line.strip() and start is None:
            start = i
        elif not line.strip() and start is not None:
            blocks.append((start, i))
            start = None
    return blocks


def _markup_blocks(text: str) -> list[str]:
    """Blank-line separated blocks, a fenced code block kept whole even across blank lines."""
    out: list[str] = []
    fenced = False
    for block in re.split(r"\n[ ]*\n", text):
        if fenced:
            out[-1] += "\n" + block
        elif block.strip():
            out.append(block.strip() if block.lstrip().startswith("```") else " ".join(block.split()))
        fenced ^= block.count("```") % 2 == 1
    return out


def _paragraphs(lines: list[str]) -> list[list[str]]:
    """Group body lines into paragraphs.

    Chinese: a blank line is only a wrap; a paragraph ends at a short line ending in
    terminal punctuation, before a heading or a list item (`一是`, `①`, `[n]`).
    Latin: a blank line ends a paragraph when the text before it ends a sentence, before a
    list item (`- `, `2. `), or around author and affiliation lines.
    """
    body = [ln.strip() for ln in lines if ln.strip()]
    cjk_lengths = [len(ln) for ln in body if is_cjk_text(ln)]
    width = statistics.median(cjk_lengths) if cjk_lengths else 40
    paras: list[list[str]] = []
    current: list[str] = []
    prev_blank = True
    prev_heading = False
    fenced = False
    for raw in lines + [""]:
        line = raw.strip()
        if not line:
            prev_blank = True
            continue
        fence = line.startswith("```")
        heading = not fenced and not fence and not raw.startswith(("    ", "\t")) and is_heading(line, standalone=prev_blank)
        starts_new = False
        if current and fenced:
            starts_new = False  # a code block is one paragraph; `# comment` in it is no heading
        elif current and (fence or current[0].startswith("```")):
            starts_new = True
        elif current:
            last = current[-1]
            if any(x.startswith("\u0000") or AUTHOR_LINE.match(x) or AFFILIATION.match(x) for x in (line, last)) or heading or LIST_START.match(line) or line.startswith(("Abstract:", "Keywords:")):
                starts_new = True
            elif prev_heading and not raw.startswith("\u3000"):
                starts_new = True
            elif _CJK_RE.search(last) or _CJK_RE.search(line):
                tail = re.sub(r"\s*\[[\d,\s\-–]+\]\s*$", "", last)
                starts_new = tail.endswith(tuple(CN_TERMINAL)) and len(last) < 0.85 * width
            else:
                starts_new = prev_blank and (
                    last.endswith((".", "?", "!")) or current[0].startswith("Keywords:") or bool(LIST_ITEM.match(line))
                    or (line[:1].isupper() and not last.endswith(EN_JOINERS))
                )
        if starts_new and current:
            paras.append(current)
            current = []
        current.append(line)
        if fence:
            fenced = not fenced
        if heading:
            prev_heading = True
        elif not (prev_heading and raw.startswith("\u3000")):
            prev_heading = False
        prev_blank = False
    if current:
        paras.append(current)
    return paras


def _drop_foreign_abstracts(paras: list[str], title_en: str, removed: list[tuple[str, str]]) -> list[str]:
    """Keep only the English abstract whose title matches the document's English title.

    Journal PDFs often print the abstract of a neighbouring article beside this one.
    An abstract unit runs from its title paragraph to its `Keywords:` paragraph.
    """
    if not title_en:
        return paras
    key = squash(title_en).lower()[:40]
    out, unit = [], []
    for para in paras:
        if _CJK_RE.search(para) and not unit:
            out.append(para)
            continue
        unit.append(para)
        if para.startswith("Keywords:"):
            text = "\n\n".join(unit)
            if key in squash(text).lower():
                out.extend(unit)
            else:
                removed.append(("abstract of another article", text))
            unit = []
    return out + unit


def _furniture(lines: list[str]) -> list[str | None]:
    """Why each line is page furniture (None: it is text); never inside a ``` block.

    Lines holding only a number are page numbers only when there are several and they ascend:
    a lone "309" in a manual is an example's output, page numbers come one per page, in order.
    """
    reasons: list[str | None] = []
    fenced = False
    for line in lines:
        fenced ^= line.strip().startswith("```")
        reasons.append(None if fenced else next((why for why, pat in FURNITURE if pat.match(line.strip())), None))
    numbers = [int(re.sub(r"\D", "", line)) for line, why in zip(lines, reasons) if why == "page number"]
    if not (len(numbers) >= 2 and all(b > a for a, b in zip(numbers, numbers[1:]))):
        reasons = [None if why == "page number" else why for why in reasons]
    return reasons


def clean(raw: str, tables: tuple[TableSpec, ...] = (), title_en: str = "", furniture: bool = True) -> Cleaned:
    """Turn raw extracted text into clean paragraphs; see the module docstring.

    `furniture=False` is for text whose blocks come from markup (HTML): every block is a
    paragraph as the author wrote it, and nothing that only looks like furniture is removed.
    """
    if not furniture:
        return Cleaned(text="\n\n".join(_markup_blocks(normalize(raw))))
    removed: list[tuple[str, str]] = []
    lines = []
    raw_lines = underlined_headings(normalize(raw).split("\n"))
    for line, reason in zip(raw_lines, _furniture(raw_lines)):
        if reason:
            removed.append((reason, line.strip()))
        else:
            lines.append(line.rstrip())

    # Pull table regions out of the line stream before paragraphing.
    from .tablerebuild import TableParser  # here, not at import: it builds on this module's helpers

    parsers = {spec.number: TableParser(spec) for spec in tables}
    blocks = _blocks(lines)
    texts = ["\n".join(lines[a:b]) for a, b in blocks]
    keep = [True] * len(lines)
    anchor: dict[int, int] = {}  # table number -> line index where it is rendered
    bi = 0
    while bi < len(blocks):
        for number, parser in parsers.items():
            end = parser.parse(texts, bi)
            if end > bi:
                cap_block = bi - 1
                if cap_block >= 0 and re.match(rf"^表\s*{number}(?!\d)", squash(texts[cap_block])):
                    parser.caption = join_lines(texts[cap_block].split("\n")).replace(f"表 {number}", f"表{number}")
                    bi = cap_block
                for a, b in blocks[bi:end]:
                    for k in range(a, b):
                        keep[k] = False
                anchor.setdefault(number, blocks[bi][0])
                bi = end
                break
        else:
            bi += 1

    body: list[str] = []
    for k, line in enumerate(lines):
        for number, at in anchor.items():
            if k == at:
                body += ["", f"\u0000TABLE{number}", ""]
        if keep[k]:
            body.append(line)

    paras: list[str] = []
    for group in _paragraphs(body):
        if len(group) == 1 and group[0].startswith("\u0000TABLE"):
            paras.extend(parsers[int(group[0][6:])].render())
        else:
            paras.append("\n".join(group) if group[0].startswith("```") else join_lines(group))
    paras = _drop_foreign_abstracts(paras, title_en, removed)

    cells = [c for p in parsers.values() for c in p.cells]
    failed = [n for n, p in parsers.items() if p.failed]
    return Cleaned(text="\n\n".join(p for p in paras if p), removed=removed, cells=cells, unparsed_tables=failed)
