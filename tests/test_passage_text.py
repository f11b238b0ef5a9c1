"""The word channels read a passage's document heading; the encoder reads the passage and its nearest heading."""

from __future__ import annotations

from pathlib import Path

from conftest import HashEncoder

from citeqa.build import build_index
from citeqa.passage import lexical_text, passage_text
from citeqa.searcher import Searcher
from citeqa.store import load_index

class Recording(HashEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def encode_passages(self, texts, progress=False):
        self.texts += texts
        return super().encode_passages(texts, progress)


ZDUMP = "# zdump(8)\n\n## DESCRIPTION\n\nThe program prints the current time in each time zone named on the command line.\n"
DATE = "# date(1)\n\n## DESCRIPTION\n\nDisplay the current time in the given format, or set the system date and time.\n"


def test_a_passage_is_found_by_its_document_heading_it_never_writes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "zdump.md").write_text(ZDUMP, encoding="utf-8")
    (corpus / "date.md").write_text(DATE, encoding="utf-8")
    encoder = Recording()
    build_index(corpus, tmp_path / "index", encoder=encoder, progress=False)
    data = load_index(tmp_path / "index")
    body = next(c for c in data.chunks if c.doc_id == "zdump" and "prints" in c.text)
    assert "zdump" not in body.text and body.section == ("zdump(8)", "DESCRIPTION")
    assert lexical_text(body).startswith("zdump(8) > DESCRIPTION\n") and passage_text(body).startswith("DESCRIPTION\n")
    assert passage_text(body) in encoder.texts and lexical_text(body) not in encoder.texts  # the encoder's text has no document heading

    searcher = Searcher.load(tmp_path / "index", encoder=HashEncoder())
    found = searcher.en.search([("zdump", 1.0), ("time", 1.0)], k=5)
    best = int(found.rows[found.scores.argmax()])
    assert searcher.chunks[best].doc_id == "zdump" and "prints" in searcher.chunks[best].text
