"""English passages: their statements (counts, rates, founding years, who founded or chairs) must be
aligned with English and Chinese claims, so a wrong value is a conflict and a restated fact is supported."""

from __future__ import annotations

import pytest

from citeqa.check import judge
from citeqa.models import Chunk, Hit, SearchResult
from citeqa.verify import extract_facts

COUNCIL = "The Alpine Water Council has twelve members and meets four times a year."
TRUST = "The Harbour Trust was founded in 1987 by Maria Lopez, and its secretariat is provided by the City Library."
RETURN = "The Harbour Trust was a £40 million investment by the city."


def verdict(searcher, claim: str, *passages: str) -> str:
    hits = [Hit(chunk=Chunk(chunk_id=f"p{i}", doc_id="d", text=t, start=0, end=len(t), section=("s",)), score=1.0,
                title="t", highlight=(0, len(t)), rank=i + 1) for i, t in enumerate(passages)]
    return judge(searcher, SearchResult(query=claim, lang="", hits=hits), claim).verdict


@pytest.mark.parametrize("claim,expected", [
    ("The Alpine Water Council has twelve members.", "supported"),
    ("The Alpine Water Council has 12 members.", "supported"),
    ("The Alpine Water Council has nine members.", "contradicted"),
    ("The Alpine Water Council meets four times a year.", "supported"),
    ("The Alpine Water Council meets twice a year.", "contradicted"),
])
def test_english_counts_and_rates_meet_an_english_passage(searcher, claim, expected):
    assert verdict(searcher, claim, COUNCIL) == expected


@pytest.mark.parametrize("claim,expected", [
    ("The Harbour Trust was established in 1987.", "supported"),
    ("The Harbour Trust was set up in 1992.", "contradicted"),
    ("The Harbour Trust was founded by Maria Lopez.", "supported"),
    ("The Harbour Trust was founded by Daniel Kim.", "contradicted"),
])
def test_founding_year_and_founder_in_english(searcher, claim, expected):
    assert verdict(searcher, claim, TRUST) == expected


def test_a_shared_title_is_not_the_same_person(searcher):
    passage = "The Harbour Trust was initially launched by President Anna Berg."
    assert verdict(searcher, "The Harbour Trust was first launched by President John Q. Miller.", passage) == "contradicted"
    assert verdict(searcher, "The Harbour Trust was first launched by President Anna Berg.", passage) == "supported"


def test_english_currency_mismatch_and_a_ratio_that_is_not_a_sum(searcher):
    assert verdict(searcher, "The Harbour Trust was a 40 million euro investment by the city.", RETURN) == "contradicted"
    assert verdict(searcher, "The Harbour Trust was a 40 million pound investment by the city.", RETURN) == "supported"
    assert verdict(searcher, "The Harbour Trust returned three pounds for every pound invested.", RETURN) == "not_found"


def test_role_slots_in_english_wording():
    facts = {(f.unit, f.value) for f in extract_facts(TRUST + " Chair | Prime Minister Members | 7 Ministers")}
    assert ("found", "Maria Lopez") in facts and ("secretariat", "City Library") in facts
    assert any(role == "chair" and str(name).startswith("Prime Minister") for role, name in facts)
    assert ("found", "President George W. Bush") in {(f.unit, f.value) for f in extract_facts("It was launched by President George W. Bush.")}


def test_chinese_collective_noun_is_not_its_member_noun():
    units = {f.unit for f in extract_facts("基金共支持了34个项目群，资助了1006个项目。") if f.kind == "count"}
    assert "project" in units and any(u.startswith("项目") and u != "project" for u in units)


def test_contrast_clause_rules_a_body_out():
    from citeqa.claim_contrast import ruled_out
    from citeqa.claims import Analyzer

    an = Analyzer({"HT": ["Harbour Trust", "海港信托"]}, ["HT"])
    sentence = "Funding for harbour research comes directly from the member towns, not the Harbour Trust."
    assert ruled_out(an, an.claim("Funding for harbour research flows from the Harbour Trust itself."), sentence)
    assert ruled_out(an, an.claim("Funding for harbour research does not come from the Harbour Trust."), sentence) is None
    assert ruled_out(an, an.claim("港口研究经费来自海港信托。"), "经费来自各成员城镇，而不是海港信托。")


def test_a_chinese_claim_meets_an_english_passage(searcher):
    assert verdict(searcher, "该理事会有九名成员。", "The council has twelve members.") == "contradicted"
    assert verdict(searcher, "该理事会有十二名成员。", "The council has twelve members.") == "supported"


def test_a_duration_is_compared_only_with_the_length_of_the_same_thing(searcher):
    passages = ("The Alpine Water Council's chair serves a two-year term.",
                "The Alpine Water Council's plan looks 10 to 20 years ahead.")
    assert verdict(searcher, "The Alpine Water Council's chair serves a two-year term.", *passages) == "supported"
    assert verdict(searcher, "The Alpine Water Council's chair serves a five-year term.", *passages) == "contradicted"


def test_a_chinese_name_read_in_an_english_one():
    from citeqa.claim_names import _reads

    assert _reads(("commiss", "european", "union"), {"european", "commiss"})
    assert not _reads(("european", "union"), {"european", "commiss"})


def test_an_acronym_defined_in_one_passage_aligns_a_sentence_using_it(searcher):
    from citeqa.claim_terms import english_acronyms

    define = "The charter called for a Regional Flood Review Board (RFRB) to advise the governor."
    dated = "In March 2011 the governor designated the planning office as the RFRB."
    assert english_acronyms([define]) == {"RFRB": "Regional Flood Review Board"}
    claim = "The planning office was designated as the Regional Flood Review Board in {}."
    assert verdict(searcher, claim.format(2011), define, dated) == "supported"
    assert verdict(searcher, claim.format(2013), define, dated) == "contradicted"
