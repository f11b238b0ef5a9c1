"""Tests for citeqa.lexicon on the article: gloss mining, CEDICT query translation, acronyms, persistence.

Most tests run on the real article, joined by `join_lines` into the shape the real cleaner produces
(no line breaks or spaces between CJK characters); a few use tiny invented texts to show the mining
is not tied to this article.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from citeqa.lexicon import MAX_ALTERNATIVES, Lexicon, TermPair, WeightedTerm

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "st-coordination-article.txt"
CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"


def join_lines(raw: str) -> str:
    """Fixture cleaner: a line break or space between two CJK characters/punctuation is not a space."""
    text = re.sub(f"(?<=[{CJK}])\\s*\\n\\s*(?=[{CJK}])", "", raw)
    return re.sub(f"(?<=[{CJK}]) +(?=[{CJK}])", "", text)


def terms(result: list[WeightedTerm]) -> list[str]:
    return [t.term for t in result]


@pytest.fixture(scope="module")
def text() -> str:
    if not CORPUS.exists():
        pytest.skip(f"corpus not found: {CORPUS}")
    return join_lines(CORPUS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lex(text: str) -> Lexicon:
    return Lexicon.build([text])


def test_join_lines_fixture() -> None:
    assert join_lines("实施跨 省 厅 战略\n\n创新促进计划（SIP）") == "实施跨省厅战略创新促进计划（SIP）"


@pytest.mark.parametrize(
    "en, zh",
    [
        ("National Nanotechnology Initiative", "美国国家纳米技术计划"),
        ("NNI", "美国国家纳米技术计划"),
        ("Council for Science, Technology and Innovation", "日本综合科学技术创新会议"),  # comma inside the name
        ("CSTI", "日本综合科学技术创新会议"),
        ("OECD", "经济合作与发展组织"),
        ("OSTP", "白宫科技政策办公室"),
        ("UK Research and Innovation", "英国研究与创新署"),  # 与 inside the Chinese name
        ("NSET", "纳米科学、工程和技术分委员会"),  # 、 and 和 inside, bounded by 下属的
        ("NSIs", "纳米技术签名计划"),
        ("GFS", "全球粮食安全"),  # bounded by 以
        ("Global Food Security Strategic Plan", "全球粮食安全战略计划"),  # 《…》 title
        ("OMB", "白宫管理与预算办公室"),
        ("Sir Paul Nurse", "保罗·纳斯爵士"),
        ("NNI", "纳米计划"),  # （以下简称“纳米计划”）
    ],
)
def test_gloss_pair_is_mined(lex: Lexicon, en: str, zh: str) -> None:
    assert TermPair(en, zh, "gloss") in lex.pairs


def test_gloss_pairs_are_clean(lex: Lexicon) -> None:
    gloss = [p for p in lex.pairs if p.source == "gloss"]
    assert all(re.fullmatch("[\u4e00-\u9fff、·]+", p.zh) for p in gloss)  # no English-abstract brackets (S&T)
    assert not any(p.en.endswith(", CSTI") or p.en == "Technology and Innovation" for p in gloss)
    assert not any("以下简称" in p.zh or p.zh.startswith(("重点选择", "通过", "由")) for p in gloss)


def test_acronyms_expand_both_ways(lex: Lexicon) -> None:
    exp = lex.expand_acronyms("Does NNI coordinate with OSTP and the CSTI's council?")
    assert exp["NNI"][0] == "National Nanotechnology Initiative"
    assert {"美国国家纳米技术计划", "纳米计划"} <= set(exp["NNI"])
    assert exp["OSTP"] == ["白宫科技政策办公室"]
    assert exp["CSTI"][:2] == ["Council for Science, Technology and Innovation", "日本综合科学技术创新会议"]
    assert "美国国家纳米技术计划" in terms(lex.translate_en("NNI"))
    assert "美国国家纳米技术计划" in terms(lex.translate_en("the National Nanotechnology Initiative"))
    back = terms(lex.translate_zh("美国国家纳米技术计划的预算"))
    assert {"NNI", "National Nanotechnology Initiative", "budget"} <= set(back)
    assert {"NNI", "National Nanotechnology Initiative"} <= set(terms(lex.translate_zh("纳米计划由谁协调？")))
    assert lex.expand_acronyms("nothing known here, not even nni") == {}


def test_prime_minister_reaches_shouxiang(lex: Lexicon) -> None:
    result = lex.translate_en("Who is the prime minister?")
    assert result[0].term == "首相"
    assert "首相" in terms(lex.translate_en("the Japanese council chaired by the Prime Minister"))


@pytest.mark.parametrize(
    "query", ["the", "what", "how", "What is it?", "How many of them are there, and why?", "Which one does?"]
)
def test_function_and_question_words_translate_to_nothing(lex: Lexicon, query: str) -> None:
    assert lex.translate_en(query) == []


@pytest.mark.parametrize(
    "question, expected",
    [
        ("How many cabinet members and expert members make up the Japanese council chaired by the prime minister?",
         {"内阁", "成员", "专家", "首相", "日本"}),
        ("Does the National Nanotechnology Initiative have a separate budget?", {"预算", "美国国家纳米技术计划"}),
        ("Which groups assess the scientific excellence and maturity of roadmap proposals?",
         {"评估", "成熟度", "科学性", "路线图", "提案"}),
        ("How does the GFS programme engage with stakeholders?", {"全球粮食安全", "计划"}),
        ("What coordination mechanism between government departments did the Implementation Plan call for?",
         {"协调", "机制", "政府部门", "实施方案"}),
        ("In 2019, with how many companies did PRISM carry out joint research?",
         {"2019", "企业", "共同", "研究", "公私研发投资扩大计划"}),
        ("identifying priorities through strategic planning", {"战略规划", "优先"}),
        ("What are the six measures?", {"6", "举措"}),
    ],
)
def test_realistic_questions_reach_the_chinese_terms(lex: Lexicon, question: str, expected: set[str]) -> None:
    result = lex.translate_en(question)
    assert expected <= set(terms(result))
    assert len(result) <= 20  # noise stays bounded
    assert all(len(t.term) > 1 or t.term.isdigit() for t in result)


def test_alternatives_share_the_weight_of_their_source_word(lex: Lexicon) -> None:
    result = lex.translate_en("members")
    assert 1 < len(result) <= MAX_ALTERNATIVES
    assert sum(t.weight for t in result) == pytest.approx(1.0, abs=1e-3)
    assert result[0].term == "成员"  # the translation the corpus uses most comes first
    assert [t.weight for t in result] == sorted((t.weight for t in result), reverse=True)


def test_english_gloss_expands_passages(lex: Lexicon) -> None:
    passage = "战略工作组主要评估提案的科学性，实施工作组主要评估提案的成熟度，并为每个提案撰写评估报告。"
    gloss = lex.english_gloss(passage)
    assert {"assess", "proposal", "mature", "working group"} <= set(gloss)
    assert not {"of", "and", "taxi"} & set(gloss)  # 的/并 are function words, not terms
    assert {"NNI", "National Nanotechnology Initiative"} <= set(lex.english_gloss("纳米计划没有单独的预算"))


def test_json_round_trip(lex: Lexicon) -> None:
    restored = Lexicon.from_json(json.loads(json.dumps(lex.to_json(), ensure_ascii=False)))
    assert restored.pairs == lex.pairs
    for q in ["Does the NNI have a separate budget?", "strategic planning", "prime minister", "2019 joint research"]:
        assert restored.translate_en(q) == lex.translate_en(q)
    assert restored.translate_zh("纳米计划的预算") == lex.translate_zh("纳米计划的预算")
    assert restored.expand_acronyms("CSTI") == lex.expand_acronyms("CSTI")
    saved = lex.to_json()["known_latin"]  # the Latin words that pass through, saved rather than re-derived at load
    assert saved and restored.passthrough("NNI budget") == lex.passthrough("NNI budget")


def test_components_switch_off(text: str) -> None:
    no_gloss = Lexicon.build([text], use_gloss=False)
    assert no_gloss.pairs and not any(p.source == "gloss" for p in no_gloss.pairs)
    assert no_gloss.expand_acronyms("NNI") == {}
    no_cedict = Lexicon.build([text], use_cedict=False)
    assert no_cedict.pairs and all(p.source == "gloss" for p in no_cedict.pairs)
    assert no_cedict.translate_en("prime minister") == []
    assert "美国国家纳米技术计划" in terms(no_cedict.translate_en("NNI"))


def test_mining_is_not_tied_to_the_article() -> None:
    text = (
        "该报告由国际能源署（International Energy Agency，IEA）发布。国际能源署每年更新一次。"
        "世界卫生组织（WHO）的预算（以下简称“卫生预算”）较少。世界卫生组织总部位于日内瓦。"
        "会议邀请了联合国、国际原子能机构（International Atomic Energy Agency）和世界银行。"
    )
    lex = Lexicon.build([text])
    gloss = {(p.en, p.zh) for p in lex.pairs if p.source == "gloss"}
    assert {("International Energy Agency", "国际能源署"), ("IEA", "国际能源署"), ("WHO", "世界卫生组织")} <= gloss
    assert ("International Atomic Energy Agency", "国际原子能机构") in gloss
    assert lex.expand_acronyms("IEA") == {"IEA": ["International Energy Agency", "国际能源署"]}
    assert "国际能源署" in terms(lex.translate_en("What does the IEA update?"))


def test_a_note_after_a_dictionary_sense_does_not_drop_it() -> None:
    from citeqa.cedict import all_definitions

    assert all_definitions("欧洲") == ("Europe",) and "World Bank" in all_definitions("世界银行")  # "Europe (abbr. for 欧罗巴洲)"
    assert "Canada" not in all_definitions("加")  # one character stands for 加拿大 only inside compounds
    assert all_definitions("三浦") == ()  # "Miura (Japanese surname …)": a name, not a translation
    lex = Lexicon.build(["欧洲和亚洲的研究设施由成员国共同出资运行。"])
    assert {"Europe", "Asia"} <= set(terms(lex.translate_zh("欧洲和亚洲的研究设施")))
