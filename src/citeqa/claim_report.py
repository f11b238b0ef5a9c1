"""`citeqa check`: one claim or a whole draft, printed, as JSON, or as a Markdown/CSV/HTML report.

A draft (.txt/.md) is split into sentences; a .csv is read one claim per row (a `claim` column,
else the first column); a .jsonl one object per line with a `claim` field.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import sys
from pathlib import Path
from typing import Iterable

from .atomicfile import write_atomic
from .check import ClaimReport, check_claim
from .search import QueryError, Searcher

BADGE = {"supported": "#bbf7d0", "contradicted": "#fecaca", "mixed": "#fde68a", "not_found": "#e5e7eb"}
_DRAFT_SENT = re.compile(r"[^。！？!?\n]+[。！？!?]?|[^\n]+")
_EN_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")


def draft_sentences(text: str) -> list[str]:
    """Claims of a draft: its sentences, Chinese or English; headings and fragments under 6 characters dropped."""
    out = []
    for para in text.splitlines():
        for piece in _DRAFT_SENT.findall(para):
            out += [s.strip() for s in _EN_SPLIT.split(piece) if len(s.strip()) >= 6 and not s.strip().startswith("#")]
    return out


def read_claims(path: Path) -> list[str]:
    """Claims from a draft, a CSV or a JSONL file."""
    text = Path(path).read_text(encoding="utf-8-sig")
    suffix = Path(path).suffix.lower()
    if suffix == ".jsonl":
        return [str(json.loads(line).get("claim", "")).strip() for line in text.splitlines() if line.strip()]
    if suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            return []
        col = next((i for i, h in enumerate(rows[0]) if h.strip().lower() == "claim"), None)
        body = rows[1:] if col is not None else rows
        return [r[col or 0].strip() for r in body if len(r) > (col or 0) and r[col or 0].strip()]
    return draft_sentences(text)





def _evidence_line(r: ClaimReport) -> str:
    deciding = [h for h, v in zip(r.hits, r.passage_verdicts) if v != "not_found"]
    h = (deciding or r.hits or [None])[0]
    if h is None:
        return ""
    return f"{h.title} · {' > '.join(h.chunk.section)} · chars {h.chunk.start}–{h.chunk.end}"


def to_markdown(reports: list[ClaimReport]) -> str:
    counts = {v: sum(r.verdict == v for r in reports) for v in BADGE}
    lines = ["# Claim check", "", " · ".join(f"{v}: {n}" for v, n in counts.items()), ""]
    for i, r in enumerate(reports, 1):
        lines += [f"## {i}. {r.verdict.upper()} ({r.confidence:.2f})", "", f"> {r.claim}", ""]
        lines += [f"- {x}" for x in r.reasons[:4]]
        ev = _evidence_line(r)
        lines += ([f"- source: {ev}"] if ev else []) + [""]
    return "\n".join(lines)


def to_csv(reports: list[ClaimReport]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["n", "claim", "verdict", "confidence", "reasons", "source"])
    for i, r in enumerate(reports, 1):
        w.writerow([i, r.claim, r.verdict, f"{r.confidence:.2f}", " | ".join(r.reasons[:4]), _evidence_line(r)])
    return buf.getvalue()


def claim_html(report: ClaimReport) -> str:
    """The app's Check view: the overall verdict first, then the reasons, then each passage with its own verdict."""
    esc = html.escape
    parts = [f'<div class="cq-verdict" style="background:{BADGE[report.verdict]};color:#111;border-radius:6px;padding:8px 12px;'
             f'font-weight:600">{esc(report.verdict.replace("_", " ").upper())} · confidence {report.confidence:.2f}</div>',
             f'<div class="cq-meta">claim: <b>{esc(report.claim)}</b></div>']
    parts += [f'<div class="cq-notice">{esc(n)}</div>' for n in report.notices]
    parts.append("<ul class=\"cq-reasons\">" + "".join(f"<li>{esc(x)}</li>" for x in report.reasons) + "</ul>")
    for i, (h, v) in enumerate(zip(report.hits, report.passage_verdicts)):
        facts = "".join(f"<li>{esc(f.reason())}</li>" for f in report.facts if f.hit == i)
        parts.append(f'<div class="cq-hit"><div class="cq-head"><span class="cq-badge" style="background:{BADGE[v]}">'
                     f'{esc(v.replace("_", " "))}</span> #{i + 1} · {esc(h.title)} · {esc(" > ".join(h.chunk.section))}</div>'
                     f'<div class="cq-text">{esc(h.text)}</div>' + (f'<ul class="cq-facts">{facts}</ul>' if facts else "") + "</div>")
    return "".join(parts)


def to_html(reports: list[ClaimReport]) -> str:
    body = "".join(f"<section><h2>{i}.</h2>{claim_html(r)}</section>" for i, r in enumerate(reports, 1))
    return ("<!doctype html><meta charset=utf-8><title>citeqa claim check</title>"
            "<style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:60em;margin:auto}"
            ".cq-hit{border:1px solid #ddd;border-radius:8px;padding:8px;margin:8px 0}.cq-text{white-space:pre-wrap}"
            ".cq-badge{border-radius:4px;padding:0 6px}.cq-meta,.cq-head{color:#555;font-size:.9em}</style>" + body)


def write_reports(reports: list[ClaimReport], folder: Path) -> list[Path]:
    """claims.md, claims.csv (with BOM for spreadsheets), claims.html and claims.json in `folder`.

    The folder must be new, empty or one citeqa wrote reports into (ValueError otherwise), so a
    user's own claims.md is never replaced.
    """
    from .eval_report import report_folder

    folder = report_folder(folder)
    files = [(folder / "claims.md", to_markdown(reports), "utf-8"), (folder / "claims.csv", to_csv(reports), "utf-8-sig"),
             (folder / "claims.html", to_html(reports), "utf-8"),
             (folder / "claims.json", json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=1), "utf-8")]
    for path, text, enc in files:
        write_atomic(path, text, enc)
    return [p for p, _, _ in files]


def check_many(searcher: Searcher, claims: Iterable[str], k: int = 5) -> list[ClaimReport]:
    reports = []
    for c in claims:
        try:
            reports.append(check_claim(searcher, c, k=k))
        except QueryError as e:
            reports.append(ClaimReport(c, "", "not_found", 0.0, [f"not checked: {e}"]))
    return reports


def _print_one(r: ClaimReport, out) -> None:
    out.write(f"{r.verdict.upper()} ({r.confidence:.2f})  {r.claim}\n")
    for x in r.reasons[:4]:
        out.write(f"  - {x}\n")
    for i, (h, v) in enumerate(zip(r.hits, r.passage_verdicts), 1):
        out.write(f"  #{i} [{v}] {h.title} · {' > '.join(h.chunk.section)} · chars {h.chunk.start}–{h.chunk.end}\n")


def check_cli(searcher: Searcher, claim: str | None, file: Path | None, report_dir: Path | None,
              as_json: bool, k: int = 5, out=None) -> int:
    """`citeqa check`: exit 0 when every claim is supported, 1 when any is not, 2 on bad input."""
    out = out or sys.stdout
    if bool(claim) == bool(file):
        out.write("give either a claim or --file\n")
        return 2
    try:
        claims = read_claims(file) if file else [claim or ""]
    except (OSError, ValueError, UnicodeDecodeError) as e:
        out.write(f"cannot read {file}: {e}\n")
        return 2
    if not claims:
        out.write(f"no claims found in {file}\n")
        return 2
    if not file:
        try:
            reports = [check_claim(searcher, claims[0], k=k)]
        except QueryError as e:
            out.write(f"cannot check this claim: {e}\n")
            return 2
    else:
        reports = check_many(searcher, claims, k)
    if as_json:
        data = reports[0].to_dict() if not file else [r.to_dict() for r in reports]
        out.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    else:
        for r in reports:
            _print_one(r, out)
    if report_dir:
        try:
            written = write_reports(reports, Path(report_dir))
        except ValueError as e:
            out.write(f"error: {e}\n")
            return 2
        for p in written:
            out.write(f"wrote {p}\n") if not as_json else None
    return 0 if all(r.verdict == "supported" for r in reports) else 1
