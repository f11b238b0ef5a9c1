"""A build grown by new documents serves the same answers as a build from scratch, and redoes only the new ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT, HashEncoder

from citeqa.add import add_source
from citeqa.build import build_index
from citeqa.searcher import Searcher
from citeqa.sentvec import passage_sentences
from citeqa.store import load_index

ENGLISH = """# Research infrastructure roadmaps

The roadmap identifies new research infrastructures of pan-European interest. Projects enter the
roadmap after an evaluation of their scientific case and their maturity.

Landmarks are infrastructures that were implemented and deliver science services. Member states
fund their construction and operation through national budgets and coordinate priorities.
"""
CHINESE = "# 补充说明\n\n路线图每两年更新一次，新项目须通过科学评估和成熟度评估。\n\n地标设施已经建成并提供科研服务，由成员国共同出资运行。\n"


@pytest.fixture()
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", folder)
    return folder


def _answers(index: Path, questions: list[str]) -> list[list[tuple[str, str, float]]]:
    searcher = Searcher.load(index, encoder=HashEncoder())
    return [[(h.chunk.doc_id, h.text, round(h.score, 4)) for h in searcher.search(q, k=5).hits] for q in questions]


def test_added_documents_extend_the_build_and_answer_as_a_full_build(corpus, tmp_path):
    index = tmp_path / "index"
    build_index(corpus, index, encoder=HashEncoder(), progress=False)
    before = len(load_index(index).chunks)
    add_source(corpus, "roadmap.md", ENGLISH.encode())
    add_source(corpus, "notes-zh.md", CHINESE.encode())
    encoder = HashEncoder()
    grown = build_index(corpus, index, encoder=encoder, progress=False)
    new = load_index(index).chunks[before:]
    assert grown.grown and grown.reused == before and encoder.encoded == len(new) + sum(len(passage_sentences(c)) for c in new)
    full = build_index(corpus, tmp_path / "full", encoder=HashEncoder(), progress=False, force=True)
    assert not full.grown and full.chunks == grown.chunks
    a, b = load_index(index, verify="full"), load_index(tmp_path / "full")
    assert a.manifest["count"] == len(a.chunks) == len(a.vectors) == grown.chunks
    assert list(a.manifest["documents"])[0] == "st-coordination" and set(a.manifest["documents"]) == {"st-coordination", "roadmap", "notes-zh"} == set(a.documents)
    assert {d: sorted(r) for d, r in a.extras["citing"].items()}.keys() == b.extras["citing"].keys()
    assert sorted(c.text for c in a.chunks) == sorted(c.text for c in b.chunks)
    assert [c.doc_id for c in a.chunks][:before] == [c.doc_id for c in b.chunks if c.doc_id == "st-coordination"]
    questions = ["How do projects enter the roadmap?", "路线图多久更新一次？", "地标设施由谁出资？", "What are landmarks?",
                 "日本综合科学技术创新会议如何统筹？", "How does the NNI coordinate agencies?"]
    assert _answers(index, questions) == _answers(tmp_path / "full", questions)


def test_a_changed_document_rebuilds_everything(corpus, tmp_path):
    index = tmp_path / "index"
    add_source(corpus, "roadmap.md", ENGLISH.encode())
    build_index(corpus, index, encoder=HashEncoder(), progress=False)
    (corpus / "sources" / "roadmap.md").write_text(ENGLISH + "\nA new paragraph about evaluation panels.\n", encoding="utf-8")
    report = build_index(corpus, index, encoder=HashEncoder(), progress=False)
    assert not report.grown and not report.up_to_date


def test_a_newer_lexicon_recipe_makes_the_lexicon_again_and_reuses_the_vectors(corpus, tmp_path, monkeypatch):
    import citeqa.lexicon as lexicon

    index = tmp_path / "index"
    before = build_index(corpus, index, encoder=HashEncoder(), progress=False).chunks
    add_source(corpus, "roadmap.md", ENGLISH.encode())
    monkeypatch.setattr(lexicon, "RECIPE", lexicon.RECIPE + 1)  # a citeqa whose dictionary reading changed
    report = build_index(corpus, index, encoder=HashEncoder(), progress=False)
    assert not report.grown and not report.up_to_date and report.reused == before  # old lexicon not extended; vectors kept
    assert load_index(index).extras["lexicon"]["recipe"] == lexicon.RECIPE
    assert build_index(corpus, index, encoder=HashEncoder(), progress=False).up_to_date


def test_force_rebuilds_even_when_documents_were_only_added(corpus, tmp_path):
    index = tmp_path / "index"
    build_index(corpus, index, encoder=HashEncoder(), progress=False)
    add_source(corpus, "roadmap.md", ENGLISH.encode())
    assert not build_index(corpus, index, encoder=HashEncoder(), progress=False, force=True).grown


def test_unchanged_files_are_not_read_again_and_give_the_same_documents(corpus, tmp_path, monkeypatch):
    import citeqa.build as build

    index = tmp_path / "index"
    add_source(corpus, "roadmap.md", ENGLISH.encode())
    build_index(corpus, index, encoder=HashEncoder(), progress=False)
    first = load_index(index)
    read: list[str] = []
    real = build.load_document
    monkeypatch.setattr(build, "load_document", lambda entry: (read.append(entry.doc_id), real(entry))[1])
    (corpus / "sources" / "roadmap.md").write_text(ENGLISH + "\nPanels review each proposal.\n", encoding="utf-8")
    build_index(corpus, index, encoder=HashEncoder(), progress=False)
    assert read == ["roadmap"]  # only the changed file was read and cleaned
    again = load_index(index)
    article = "st-coordination"
    assert again.documents[article].__dict__ == first.documents[article].__dict__
    fresh = build_index(corpus, tmp_path / "fresh", encoder=HashEncoder(), progress=False)
    assert (again.path / "documents.jsonl").read_bytes() == (load_index(fresh.index_path.parent).path / "documents.jsonl").read_bytes()
    assert (again.path / "chunks.jsonl").read_bytes() == (load_index(tmp_path / "fresh").path / "chunks.jsonl").read_bytes()


def test_a_followed_link_outside_the_corpus_is_read_and_then_reused(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text("The roadmap is updated every two years.\n", encoding="utf-8")
    outside = tmp_path / "shared" / "landmarks.txt"
    outside.parent.mkdir()
    outside.write_text(ENGLISH, encoding="utf-8")
    (corpus / "landmarks.txt").symlink_to(outside)
    index = tmp_path / "index"
    first = build_index(corpus, index, encoder=HashEncoder(), progress=False, follow_symlinks=True)
    assert not first.errors and {d for d, _ in first.documents} == {"note", "landmarks"}
    (corpus / "more.txt").write_text("Landmarks deliver science services.\n", encoding="utf-8")
    grown = build_index(corpus, index, encoder=HashEncoder(), progress=False, follow_symlinks=True)
    assert grown.grown and not grown.errors and grown.embedded == 1


def test_documents_are_read_again_only_when_the_reader_changes(tmp_path, monkeypatch):
    """A cleaning change (incremental.READER) must reach documents an index read before it."""
    import citeqa.build as build
    import citeqa.incremental as incremental

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "roadmap.md").write_text(ENGLISH, encoding="utf-8")
    (folder / "note.md").write_text(CHINESE, encoding="utf-8")
    build_index(folder, tmp_path / "index", encoder=HashEncoder(), progress=False)
    read: list[str] = []
    real = build.load_document
    monkeypatch.setattr(build, "load_document", lambda entry: read.append(entry.path.name) or real(entry))
    assert build_index(folder, tmp_path / "index", encoder=HashEncoder(), progress=False).up_to_date and read == []
    monkeypatch.setattr(incremental, "READER", incremental.READER + "-next")
    build_index(folder, tmp_path / "index", encoder=HashEncoder(), progress=False)
    assert sorted(read) == ["note.md", "roadmap.md"]
