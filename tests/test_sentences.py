"""Sentence vectors: a passage can be scored by its best sentence, stored with the build and reused."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest
from conftest import ROOT, HashEncoder

from citeqa.add import add_source
from citeqa.build import build_index
from citeqa.fusion import Features, Weights, fuse, ranking
from citeqa.models import Chunk
from citeqa.searcher import Searcher
from citeqa.sentvec import SentenceVectors, encode_sentences, join, passage_sentences

TWO = "Member states fund the infrastructure. The board meets twice a year to review projects."


def chunk(text: str, **kw) -> Chunk:
    return Chunk(chunk_id="d:0", doc_id="d", text=text, start=0, end=len(text), **kw)


def test_a_passage_splits_into_its_sentences_with_the_section_title():
    assert passage_sentences(chunk(TWO, section=("Funding",))) == ["Funding\nMember states fund the infrastructure.",
                                                                  "Funding\nThe board meets twice a year to review projects."]
    assert passage_sentences(chunk("路线图每两年更新一次。新项目须通过科学评估和成熟度评估。", lang="zh")) == ["路线图每两年更新一次。", "新项目须通过科学评估和成熟度评估。"]
    assert passage_sentences(chunk("One sentence only, however long it is.")) == []  # its passage vector says it all
    assert passage_sentences(chunk(TWO, kind="table")) == []


def test_best_takes_each_rows_best_sentence_in_any_row_order():
    e = np.eye(3, dtype=np.float16)
    sv = SentenceVectors(np.array([e[0], e[1], e[2]], np.float16), np.array([0, 2, 2, 3]))  # row 0: two, row 1: none, row 2: one
    q = np.array([0.2, 0.9, 0.1], np.float32)
    got = sv.best(np.array([q, -q]), np.array([2, 0, 1]))
    assert got.shape == (2, 3) and np.allclose(got[:, :2], [[0.1, 0.9], [-0.1, -0.2]], atol=1e-3) and np.all(got[:, 2] == -np.inf)


def test_encoding_reuses_the_given_passages_and_join_keeps_rows_in_order():
    enc = HashEncoder()
    first = encode_sentences([chunk(TWO), chunk("Just one.")], enc)
    assert len(first) == 2 and enc.encoded == 2 and len(first.of(1)) == 0
    again = encode_sentences([chunk(TWO), chunk("Another passage here. It has two sentences.")], enc, reuse=[first.of(0), None])
    assert enc.encoded == 4 and np.array_equal(again.of(0), first.of(0))  # only the second passage was encoded
    both = join(first, again)
    assert len(both) == 4 and np.array_equal(both.of(3), again.of(1)) and len(both.of(1)) == 0


def test_the_best_sentence_share_lets_a_focused_passage_win():
    f = Features(rows=np.arange(2), lang=np.array(["en", "en"]), query_lang="en", dense=np.array([2.0, 3.0], np.float32),
                 dense_translated=np.zeros(2, np.float32), lexical_zh=np.zeros(2, np.float32), lexical_en=np.zeros(2, np.float32),
                 sentence=np.array([5.0, 3.0], np.float32), sentence_translated=np.zeros(2, np.float32))
    w = replace(Weights(), shared_abs=0.0, same_language=0.0)
    assert ranking(f, fuse(f, replace(w, sentence=0.0)), w)[0] == 1
    assert ranking(f, fuse(f, replace(w, sentence=1.0)), w)[0] == 0  # passage 0 holds the one sentence that matches
    assert f.with_sentences(1.0) is not f and replace(f, sentence=None).with_sentences(1.0).dense is f.dense  # no sentences: unchanged


@pytest.fixture()
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", folder)
    return folder


def test_a_build_stores_sentences_and_a_grown_build_encodes_only_the_new_ones(corpus, tmp_path):
    index = tmp_path / "index"
    build_index(corpus, index, encoder=HashEncoder(), progress=False)
    s = Searcher.load(index, encoder=HashEncoder())
    before = s.sentences
    assert before is not None and len(before) == len(s.chunks) and len(before.vectors) > len(s.chunks)
    f = s.features(s.understand("How does the NNI coordinate agencies?"))
    assert f.sentence is not None and np.all(f.sentence >= f.dense)  # the better of passage and best sentence
    add_source(corpus, "roadmap.md", (TWO + "\n\nLandmarks deliver science services. Panels review each proposal.\n").encode())
    enc = HashEncoder()
    report = build_index(corpus, index, encoder=enc, progress=False)
    grown = Searcher.load(index, encoder=HashEncoder())
    new = list(grown.chunks)[len(s.chunks):]
    assert report.grown and enc.encoded == len(new) + sum(len(passage_sentences(c)) for c in new)
    assert np.array_equal(np.asarray(grown.sentences.vectors[: len(before.vectors)]), np.asarray(before.vectors))


def test_an_index_without_sentence_vectors_says_so_and_eval_adds_them(tmp_path, monkeypatch):
    import citeqa.build as build
    from citeqa.cli_review import _searcher_or_build

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "roadmap.md").write_text("# Roadmap\n\n" + TWO + "\n", encoding="utf-8")

    class Unsaved(SentenceVectors):
        def save(self, folder):  # an index as built before sentence vectors existed
            pass

    monkeypatch.setattr(build, "encode_sentences", lambda chunks, enc, reuse=None, progress=False: Unsaved(*encode_sentences(chunks, enc).__dict__.values()))
    build_index(corpus, index, progress=False)
    old = Searcher.load(index)
    assert old.missing_sentences() and any("no sentence vectors" in n for n in old.search("Who funds the infrastructure?").notices)
    assert not old.with_weights(sentence=0.0).missing_sentences()  # weights that do not use them need nothing
    monkeypatch.undo()
    upgraded = _searcher_or_build(index, tmp_path / "elsewhere")  # rebuilt from the folder the index was built from
    assert upgraded.sentences is not None and not upgraded.search("Who funds the infrastructure?").notices


def test_an_index_built_without_sentences_keeps_that_choice_until_asked(corpus, tmp_path):
    """--no-sentences: no sentence files, no notice; rebuilds and growth keep it; --sentences adds them, reusing passages."""
    index = tmp_path / "index"
    build_index(corpus, index, encoder=HashEncoder(), progress=False, sentences=False)
    s = Searcher.load(index, encoder=HashEncoder())
    assert s.sentences is None and s.data.manifest["sentences"] is False
    assert not s.missing_sentences() and not any("sentence" in n for n in s.search("How does the NNI coordinate agencies?").notices)
    assert build_index(corpus, index, encoder=HashEncoder(), progress=False).up_to_date

    add_source(corpus, "roadmap.md", (TWO + "\n").encode())
    enc = HashEncoder()
    report = build_index(corpus, index, encoder=enc, progress=False)
    grown = Searcher.load(index, encoder=HashEncoder())
    assert report.grown and grown.sentences is None and enc.encoded == len(grown.chunks) - len(s.chunks)  # passages only

    enc = HashEncoder()
    report = build_index(corpus, index, encoder=enc, progress=False, sentences=True)
    full = Searcher.load(index, encoder=HashEncoder())
    assert report.embedded == 0 and full.sentences is not None and len(full.sentences) == len(full.chunks)
    assert enc.encoded == len(full.sentences.vectors)  # only the sentences were encoded
