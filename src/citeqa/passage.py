"""What is embedded and lexically indexed for a passage (shared by the build and the search)."""

from __future__ import annotations

import hashlib

from .models import Chunk

TEXT_VERSION = "heads-v2"  # v2: the lexical text carries the document's top heading; part of the chunk signature


def text_hash(text: str) -> str:
    """Short content hash of an indexed text: a passage whose text is unchanged keeps its vector."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def passage_text(chunk: Chunk) -> str:
    """The passage with its nearest section title: what the encoder reads.

    The title carries the topic ("加强预算分配统筹") that a sentence deep in the section
    leaves implicit; table cells already name their row and column.
    """
    return _headed(chunk, chunk.section[-1:])


def lexical_text(chunk: Chunk) -> str:
    """The passage with its document's top heading and its nearest one, for the word channels.

    A passage deep in udp(7) never writes "UDP", a paragraph of a page about ESFRI rarely says
    "ESFRI": the top heading (a man page's name, a page's title) does. Only BM25 and the
    shared-word count read it: in the embedded text it cost the FAQ, whose chapter titles pull
    every passage of a chapter towards a question on the chapter's topic.
    """
    return _headed(chunk, chunk.section[:1] + chunk.section[-1:])


def _headed(chunk: Chunk, heads: tuple[str, ...]) -> str:
    if chunk.kind == "table" or not heads:
        return chunk.text
    return " > ".join(dict.fromkeys(heads)) + "\n" + chunk.text
