"""What is embedded and lexically indexed for a passage (shared by the build and the search)."""

from __future__ import annotations

import hashlib

from .models import Chunk


def text_hash(text: str) -> str:
    """Short content hash of an indexed text: a passage whose text is unchanged keeps its vector."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def passage_text(chunk: Chunk) -> str:
    """The passage with its nearest section title.

    The title carries the topic ("加强预算分配统筹") that a sentence deep in the section
    leaves implicit; table cells already name their row and column.
    """
    if chunk.kind == "table" or not chunk.section:
        return chunk.text
    return f"{chunk.section[-1]}\n{chunk.text}"
