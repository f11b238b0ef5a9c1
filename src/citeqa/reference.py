"""Citations a reader can paste: GB/T 7714-2015 (Chinese readers) and APA 7.

A bibliography entry is usually already written in GB/T 7714 (`作者. 题名[J]. 刊名, 年, 卷(期): 页.`);
it is parsed into fields so it can also be given in APA. A document is cited from what is
known of it: authors, title, year, venue, URL. Unknown parts are left out, never invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .models import Document, Reference

TYPE_CODES = {"J": "journal article", "M": "book", "R": "report", "C": "proceedings", "D": "thesis", "EB/OL": "web page", "N": "newspaper", "Z": "other"}
_GBT = re.compile(r"^(?P<authors>[^.．]+?)[.．]\s*(?P<title>.+?)\[(?P<code>[A-Z]+(?:/OL)?)\][.．]?\s*(?P<rest>.*)$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class CitationFields:
    authors: list[str] = field(default_factory=list)
    title: str = ""
    code: str = ""  # GB/T 7714 document type: J, M, R, EB/OL, ...
    venue: str = ""  # journal, publisher or site
    place: str = ""
    year: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    url: str = ""
    et_al: bool = False


def parse_gbt(text: str, url: str | None = None) -> CitationFields | None:
    """Fields of a GB/T 7714 entry, or None when the text is not in that form."""
    m = _GBT.match(" ".join(text.split()))
    if not m:
        return None
    names = [n.strip() for n in re.split(r"[,，]", m.group("authors")) if n.strip()]
    et_al = bool(names) and names[-1] in ("等", "et al", "et al.")
    f = CitationFields(authors=[n for n in names if n not in ("等", "et al", "et al.")], title=m.group("title").strip(), code=m.group("code"), et_al=et_al, url=url or "")
    rest = m.group("rest").strip().rstrip(".")
    if y := re.search(r"\b(1[89]\d\d|20\d\d)\b", rest):
        f.year = y.group(1)
    if vol := re.search(r",\s*(\d+)\s*\((\d+)\)", rest):
        f.volume, f.issue = vol.groups()
    if pages := re.search(r":\s*(\d+(?:\s*[-–]\s*\d+)?)\s*$", rest):
        f.pages = pages.group(1).replace(" ", "")
    head = re.split(r",\s*(?:1[89]\d\d|20\d\d)", rest)[0]
    if ":" in head and f.code in ("M", "R", "C", "D"):
        f.place, f.venue = (s.strip() for s in head.split(":", 1))
    else:
        f.venue = head.strip()
    if u := re.search(r"https?://\S+", rest):
        f.url = f.url or u.group(0).rstrip(".")
    return f


def _split_name(name: str) -> tuple[str, str]:
    """(surname, given names) of a Latin-script name: `DU Dan` (surname in capitals) or `Jane Doe`."""
    parts = name.replace(",", " ").split()
    if len(parts) < 2:
        return name, ""
    if parts[0].isupper() and len(parts[0]) > 1:
        return parts[0].capitalize(), " ".join(parts[1:])
    if "," in name:
        return name.split(",")[0].strip(), name.split(",", 1)[1].strip()
    return parts[-1], " ".join(parts[:-1])


def _initials(given: str, dots: bool) -> str:
    letters = [p[0].upper() for p in re.split(r"[\s\-]+", given) if p]
    return " ".join(x + "." for x in letters) if dots else " ".join(letters)


def _gbt_author(name: str) -> str:
    if _CJK.search(name):
        return name
    surname, given = _split_name(name)
    return f"{surname.upper()} {_initials(given, dots=False)}".strip()


def _apa_author(name: str) -> str:
    if _CJK.search(name):
        return name
    surname, given = _split_name(name)
    return f"{surname}, {_initials(given, dots=True)}" if given else surname


def to_gbt(f: CitationFields) -> str:
    """GB/T 7714-2015: at most three authors, then 等 / et al."""
    chinese = bool(_CJK.search(f.title))
    names = [_gbt_author(a) for a in f.authors[:3]]
    if f.et_al or len(f.authors) > 3:
        names.append("等" if chinese else "et al")
    out = (", ".join(names) + ". ") if names else ""
    out += f"{f.title}[{f.code or 'Z'}]. "
    venue = f"{f.place}: {f.venue}" if f.place and f.venue else f.venue
    tail = ", ".join(x for x in (venue, f.year) if x)
    if f.volume:
        tail += f", {f.volume}" + (f"({f.issue})" if f.issue else "")
    if f.pages:
        tail += f": {f.pages}"
    out += (tail + ". ") if tail else ""
    if f.url:
        out += f"[{date.today().isoformat()}]. {f.url}." if f.code == "EB/OL" else f"{f.url}."
    return out.strip()


def to_apa(f: CitationFields) -> str:
    """APA 7: Authors (Year). Title. Venue, volume(issue), pages. URL"""
    names = [_apa_author(a) for a in f.authors]
    if f.et_al:
        names.append("et al.")
    if len(names) > 1 and not f.et_al:
        authors = ", ".join(names[:-1]) + ", & " + names[-1]
    else:
        authors = ", ".join(names)
    if authors and not authors.endswith("."):
        authors += "."  # a group or Chinese name: "科技部. (2021)."
    year = f"({f.year})" if f.year else "(n.d.)"
    out = f"{authors} {year}. " if authors else f"{f.title}. {year}. "
    if authors:
        out += f"{f.title}. "
    venue = f.venue
    if f.volume:
        venue += f", {f.volume}" + (f"({f.issue})" if f.issue else "")
    if f.pages:
        venue += f", {f.pages}"
    out += f"{venue}. " if venue else ""
    out += f.url
    return out.strip()


def document_fields(doc: Document) -> CitationFields:
    code = {"article": "J", "html": "EB/OL"}.get(doc.kind if doc.kind == "article" else doc.source_format, "R" if doc.source_format == "pdf" else "Z")
    if doc.url and code == "Z":
        code = "EB/OL"
    return CitationFields(
        authors=list(doc.authors), title=doc.title, code=code, venue=getattr(doc, "venue", "") or "", year=getattr(doc, "year", "") or "", url=doc.url or ""
    )


def format_reference(item: Document | Reference, style: str = "gbt7714") -> str:
    """A citation of a document or bibliography entry in `gbt7714` or `apa` style."""
    if style not in ("gbt7714", "apa"):
        raise ValueError(f"unknown citation style {style!r}; use 'gbt7714' or 'apa'")
    if isinstance(item, Reference):
        fields = parse_gbt(item.text, item.url)
        if fields is None:  # free text: give it as written, with its URL
            text = item.text.strip()
            return text + (f" {item.url}" if item.url and item.url not in text else "")
    else:
        fields = document_fields(item)
    return to_gbt(fields) if style == "gbt7714" else to_apa(fields)
