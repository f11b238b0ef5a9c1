"""Retrieval that must hold on any corpus: both language directions, verbatim tokens, any encoder, abstention."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from citeqa.build import build_index
from citeqa.present import support_of
from citeqa.search import Searcher
from citeqa.text import en_tokens

ZH_DOC = """# 欧洲研究基础设施战略论坛

欧洲研究基础设施战略论坛（European Strategy Forum on Research Infrastructures，ESFRI）成立于2002年，负责制定欧洲研究基础设施路线图。

论坛每年召开4次全体会议，由成员国科技部门代表组成。

# 邮件服务

在 Debian 系统中，默认的邮件传输代理是 exim4，其配置文件位于 /etc/exim4 目录。

编辑 /etc/fstab 文件可以设置开机时自动挂载的文件系统。

# 预算

中国的科技计划经费主要以中央财政资金为主，地方和企业投入较少。
"""

EN_DOC = """# ESFRI Roadmap 2021

The ESFRI Roadmap 2021 lists 63 research infrastructures: 22 new projects and 41 landmarks that are already operating.

# Membership

Delegates of the member states are nominated by their research ministers and meet in plenary sessions.
"""


class BagOfWordsEncoder:
    """A second, non-mE5 encoder: hashed word counts. Its cosines sit in a band nothing like mE5's."""

    name = "test:bag-of-words"
    dim = 256

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"\w", t.lower()) + en_tokens(t):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1
            out[i] += 0.05  # a shared offset, as real encoders have
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts)


def one_document(tmp_path, text: str) -> Searcher:
    """A searcher over one Markdown document, with the bag-of-words encoder (the encoder is not tested)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "doc.md").write_text(text, encoding="utf-8")
    build_index(corpus, tmp_path / "index", encoder=BagOfWordsEncoder(), progress=False)
    return Searcher.load(tmp_path / "index", encoder=BagOfWordsEncoder())


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Searcher:
    """A small mixed corpus (Chinese and English documents) with the real default encoder."""
    root = tmp_path_factory.mktemp("mixed")
    (root / "corpus").mkdir()
    (root / "corpus" / "zh.md").write_text(ZH_DOC, encoding="utf-8")
    (root / "corpus" / "en.md").write_text(EN_DOC, encoding="utf-8")
    build_index(root / "corpus", root / "index", progress=False)
    return Searcher.load(root / "index")


def test_chinese_question_reaches_an_english_passage_among_chinese_ones(mixed):
    result = mixed.search("2021年路线图列出了多少个研究基础设施？", k=5)
    langs = [h.chunk.lang for h in result.hits]
    assert "zh" in {c.lang for c in mixed.chunks}
    assert any("63 research infrastructures" in h.text for h in result.hits[:3]), [h.text[:40] for h in result.hits]
    assert "en" in langs


def test_english_question_reaches_a_chinese_passage(mixed):
    result = mixed.search("How many plenary meetings does the forum hold each year?", k=3)
    assert any("每年召开4次" in h.text for h in result.hits)


def test_commands_and_paths_pass_to_the_chinese_channel_verbatim(mixed):
    q = mixed.understand("How do I configure exim4 and edit /etc/fstab?")
    terms = {t for t, _ in q.zh_terms}
    for token in en_tokens("exim4 /etc/fstab"):
        if token in mixed.zh:
            assert token in terms
    assert "4" not in terms and "exim" not in terms
    hit = mixed.search("Where is the exim4 configuration?", k=1).hits[0]
    assert "/etc/exim4" in hit.text


def test_a_second_encoder_gives_real_dense_scores(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "en.md").write_text(EN_DOC, encoding="utf-8")
    (corpus / "zh.md").write_text(ZH_DOC, encoding="utf-8")
    build_index(corpus, tmp_path / "index", encoder=BagOfWordsEncoder(), progress=False)
    searcher = Searcher.load(tmp_path / "index", encoder=BagOfWordsEncoder())
    q = searcher.understand("roadmap research infrastructures landmarks")
    f = searcher.features(q)
    assert np.count_nonzero(f.dense) > 0 and f.dense.max() > 1.0  # calibrated z, not clipped to zero
    top = f.rows[int(np.argmax(f.dense))]
    assert "landmarks" in searcher.chunks[top].text


@pytest.mark.parametrize("question", ["What is a good recipe for banana bread?", "明天北京天气怎么样？", "xqzt plmk vvbr",
                                      "什么是光合作用？",  # one word whose parts (合作 "cooperate", 作用 "function") are on topic
                                      "Who won the football world cup in 2018?"])  # the article says 世界 "world" and 2018
def test_off_topic_questions_are_abstained_on(searcher, question):
    result = searcher.search(question, k=5)
    assert result.abstained and result.understood["support"] == "none"


def test_answerable_questions_are_not_abstained_on(searcher):
    for question in ("How much research funding does UKRI manage each year?", "美国纳米计划多久评估一次？"):
        result = searcher.search(question, k=5)
        assert not result.abstained and result.understood["support"] in ("weak", "strong")


def test_a_one_letter_name_is_not_a_reason_to_abstain(mixed):
    result = mixed.search("Does the C locale change where exim4 keeps its configuration?", k=3)
    assert "C" not in result.understood["not_in_corpus"]


def test_filters_are_masks_over_the_candidates(mixed):
    from citeqa.search import Filters

    hits = mixed.search("research infrastructures", k=5, filters=Filters(lang="zh")).hits
    assert hits and all(h.chunk.lang == "zh" for h in hits)


def test_a_chinese_name_counts_as_known_through_its_translation(tmp_path):
    """Over English documents, 日志 is known as "log"; a city the documents never mention is not."""
    searcher = one_document(tmp_path, (
        "# Package logs\n\nEvery package installation is recorded in the log file /var/log/dpkg.log, "
        "one line per action, so an administrator can see what changed and when.\n"
    ))
    assert searcher.search("安装软件包的日志保存在哪里？", k=3).understood["not_in_corpus"] == []
    assert "北京" in searcher.search("明天北京会下雨吗？", k=3).understood["not_in_corpus"]


def test_the_dense_channel_reads_an_english_rendering_next_to_the_question(mixed):
    """An English question's Chinese senses are encoded with the question (context picks the sense);
    a Chinese question's English rendering is encoded alone."""
    en = mixed.query_texts(mixed.understand("How many research infrastructures does the roadmap list?"))
    assert len(en) == 2 and re.search(r"[\u4e00-\u9fff]", en[1]) and en[1].endswith("How many research infrastructures does the roadmap list?")
    zh = mixed.query_texts(mixed.understand("路线图列出了多少个研究基础设施？"))
    assert len(zh) == 2 and not re.search(r"[\u4e00-\u9fff]", zh[1])


def test_a_name_the_dictionary_transliterates_or_an_ordinary_word_is_not_unknown(tmp_path):
    """安倍 is "Abe (Japanese surname)" in the dictionary and the documents write "Abe"; 登月 ("to go to
    the moon") is a word jieba tags as a name, not a name; 北京 the documents never mention stays unknown."""
    searcher = one_document(tmp_path, (
        "# The council\n\nIn February 2014 Prime Minister Abe of Japan chaired the council's meeting on the new research "
        "programmes, including the ambitious Moonshot programme for disruptive innovation.\n"
    ))
    assert searcher.search("2014年安倍主持召开的会议讨论了什么？", k=3).understood["not_in_corpus"] == []
    assert searcher.search("日本为什么要推出登月型研究开发计划？", k=3).understood["not_in_corpus"] == []
    assert "北京" in searcher.search("安倍在北京开过会吗？", k=3).understood["not_in_corpus"]


def test_an_english_word_inside_a_chinese_question_is_not_an_unknown_name(tmp_path):
    """A Chinese manual writes postmaster as 邮件主管: the English word is a term its translation
    renders, not a name; a program name the manual never mentions (flatpak) stays unknown."""
    searcher = one_document(tmp_path, "# 邮件地址\n\n“邮件主管”的地址是大小写不敏感的，每个站点都应当设置这个地址。\n")
    assert searcher.search("邮件系统里的 postmaster 地址区分大小写吗？", k=3).understood["not_in_corpus"] == []
    assert "flatpak" in searcher.search("怎么用 flatpak 安装软件？", k=3).understood["not_in_corpus"]


@pytest.mark.parametrize("word, english", [("安倍", ["Abe"]), ("里加", ["Riga"]), ("北京", ["Beijing"]), ("王", []), ("登月", [])])
def test_a_dictionary_name_is_spelled_as_english_writes_it(word, english):
    from citeqa.cedict import names

    assert names(word) == english


def test_a_question_sharing_one_rare_word_with_the_corpus_is_off_topic(tmp_path):
    """The FAQ names France once; "the capital of France" matches that word fully and nothing else."""
    searcher = one_document(tmp_path, (
        "# User groups\n\nThe association Debian France organises meetings for users and developers.\n\n"
        "# Upgrades\n\nTo upgrade from one release to the next, edit the sources list and run a full upgrade.\n"
    ))
    off = searcher.search("What is the capital of France?", k=3)
    assert off.abstained and off.understood["off_topic"] and off.understood["not_in_corpus"] == [] and off.confidence == 0.0
    on = searcher.search("How do I upgrade to the next release?", k=3)
    assert not on.understood["off_topic"]
    assert not searcher.search("France", k=3).understood["off_topic"]  # one word asked, one word shared
    locale = searcher.search("What does the C locale do?", k=3)  # one word asked, none shared
    assert locale.abstained and locale.understood["off_topic"]
    assert support_of(locale) == ("none", "the closest passages share too few of the question's words (at most one, and not all)")
    (tmp_path / "b").mkdir()
    manual = one_document(tmp_path / "b", "# Locales\n\nThe C locale makes programs print messages in plain English.\n")
    assert not manual.search("What does the C locale do?", k=3).understood["off_topic"]


def test_a_word_written_twice_is_one_content_word(mixed):
    """"Table" and "table", "statistics." and "statistics" count once: a passage saying it shares one word."""
    from citeqa.coverage import concepts

    q = mixed.understand("Does Table 2 list statistics. Which table lists the statistics?")
    words = [c.word.lower().rstrip(".") for c in concepts(q, mixed.lexicon)]
    assert words.count("table") == 1 and words.count("statistics") == 1


def test_shared_words_count_a_translation_as_the_word(mixed):
    """An English question's words are found in a Chinese passage through their translations."""
    from citeqa.coverage import concepts, shared

    q = mixed.understand("How many plenary meetings does the forum hold each year?")
    rows = np.array([i for i, c in enumerate(mixed.chunks) if "每年召开4次" in c.text])
    assert shared(concepts(q, mixed.lexicon), mixed.zh, mixed.en, rows)[0] >= 2
