"""What a reader returns, and the error every reader raises for a file it cannot use."""

from __future__ import annotations

from dataclasses import dataclass, field


class IngestError(Exception):
    """A document could not be read; the message names the reason and the fix."""


@dataclass
class RawText:
    pages: list[str]  # one string per page; formats without pages give one entry
    paged: bool
    title: str = ""
    format: str = "text"  # "text" | "pdf" | "html"
    notices: list[str] = field(default_factory=list)
    outline: list[tuple[int, int, str]] = field(default_factory=list)  # (page, level, title) bookmarks
    meta: dict[str, str] = field(default_factory=dict)  # authors, year, venue from the file's metadata
