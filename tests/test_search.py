"""Search behaviour on the real index (questions written for these tests, not taken from the gold set)."""

from __future__ import annotations

import re

import pytest

from citeqa.search import Filters, QueryError

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    "question, evidence",
    [
        ("How many full-time staff does the US National Nanotechnology Coordination Office have?", "13名专职工作人员"),
        ("How many research bodies does UKRI coordinate?", "下属9个研究机构"),
        ("How many times a year does ESFRI usually meet?", "每年召开4次"),
        ("What share of the 2016-2020 national key R&D programme budget came from central government funds?", "49.5%"),
    ],
)
def test_english_question_finds_chinese_only_evidence(searcher, question, evidence):
    result = searcher.search(question, k=5)
    assert result.lang == "en" and not result.abstained
    texts = [h.text.replace(" ", "") for h in result.hits]
    assert any(evidence in t for t in texts), texts
    assert CJK.search(result.hits[0].text)


def test_acronyms_are_expanded_both_ways(searcher):
    q = searcher.understand("What does OSTP do for the NNI?")
    assert "白宫科技政策办公室" in " ".join(q.expansions["OSTP"])
    assert any("National Nanotechnology Initiative" in t for t in q.expansions["NNI"])
    assert "NNI" in q.mechanisms


def test_mechanism_filter_does_not_leak(searcher):
    for mechanism in ("NNI", "CSTI", "UKRI", "ESFRI"):
        hits = searcher.search("How is the budget coordinated?", k=8, filters=Filters(mechanism=mechanism)).hits
        assert hits and all(h.chunk.mechanism == mechanism for h in hits)


def test_measure_and_language_filters(searcher):
    hits = searcher.search("评估", k=6, filters=Filters(measure="evaluation", lang="zh")).hits
    assert hits and all(h.chunk.measure == "evaluation" and h.chunk.lang == "zh" for h in hits)


@pytest.mark.parametrize("question", ["NNI 预算", "How does ESFRI select research infrastructures?", "英国研究与创新署的资金来源", "Sir Paul Nurse"])
def test_highlight_is_inside_the_passage(searcher, question):
    for hit in searcher.search(question, k=5).hits:
        a, b = hit.highlight
        assert 0 <= a < b <= len(hit.text)
        assert hit.text[a:b].strip() == hit.text[a:b]


def test_citations_resolve_to_the_bibliography(searcher):
    hit = next(h for h in searcher.search("国家重点研发计划总经费预算中中央财政经费占比", k=5).hits if 31 in h.chunk.citations)
    ref = next(c for c in hit.citations if c.n == 31)
    assert "国家重点研发计划2020年度报告" in ref.reference
    unknown = next(h for h in searcher.search("纳米计划截至2021财年共投入多少财政预算", k=5).hits if 7 in h.chunk.citations)
    assert next(c for c in unknown.citations if c.n == 7).reference is None  # [7] is not in the surviving list


@pytest.mark.parametrize(
    "question",
    ["What did Brazil's science ministry spend on nanotechnology in 2015?", "法国国家科研中心的预算是多少？", "Which Nobel prize did Fraunhofer win?"],
)
def test_questions_about_absent_entities_abstain(searcher, question):
    result = searcher.search(question, k=5)
    assert result.abstained and result.understood["not_in_corpus"]


@pytest.mark.parametrize("bad", ["", "   \n\t ", "？？！！…", "🙂🙂🙂"])
def test_empty_or_wordless_questions_raise_a_clear_error(searcher, bad):
    with pytest.raises(QueryError, match="question"):
        searcher.search(bad)


def test_huge_question_is_truncated_with_a_notice(searcher):
    result = searcher.search("纳米计划的预算如何统筹？" * 1000)
    assert any("truncated" in n for n in result.notices) and result.hits


def test_control_characters_traditional_chinese_and_fullwidth_latin(searcher):
    plain = searcher.search("英国研究与创新署每年统筹管理多少科研经费", k=1).hits[0].chunk.chunk_id
    assert searcher.search("英国研究与创新署\x00每年统筹管理\x07多少科研经费", k=1).hits[0].chunk.chunk_id == plain
    trad = searcher.search("英國研究與創新署每年統籌管理多少科研經費", k=1)
    assert any("simplified" in n for n in trad.notices) and trad.hits[0].chunk.chunk_id == plain
    assert searcher.understand("ＮＮＩ的预算").expansions.get("NNI")


def test_injection_strings_are_just_text(searcher):
    for text in ["'; DROP TABLE chunks; --", "<script>alert(1)</script>", "{{7*7}} ${7*7}"]:
        result = searcher.search(text, k=3)
        assert result.query == text
