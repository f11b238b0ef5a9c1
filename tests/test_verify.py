"""Claim checking: each case pins a verdict *and* the reason a reviewer would read."""


import pytest


from citeqa.verify import UNCLEAR, Fact, check_claim, extract_facts

ALIASES = {"UKRI": ["英国研究与创新署", "UK Research and Innovation"], "财政部": ["Treasury", "HM Treasury"]}


def only(text: str, kind: str) -> Fact:
    facts = [f for f in extract_facts(text) if f.kind == kind]
    assert len(facts) == 1, facts
    return facts[0]


def test_money_across_languages_supports():
    v = check_claim("9 billion pounds", "统筹管理英国每年 90 亿英镑的科研经费")
    assert v.verdict == "supports"
    assert v.reasons == ["claim 9 billion pounds (9 billion GBP) = passage 90亿英镑 (9 billion GBP)"]


def test_frequency_mismatch_conflicts():
    v = check_claim("every 4 years", "每 3 年对纳米计划进行 1 次评估")
    assert v.verdict == "conflicts"
    assert "claim every 4 years ≠ passage 每3年对纳米计划进行1次 (every 3 years)" in v.reasons


def test_count_of_same_noun_conflicts():
    v = check_claim("欧洲研究基础设施战略论坛代表团由28个国家的代表和常任专家组成",
                    "研究基础设施论坛代表团由 36 个国家的代表和常任专家组成")
    assert v.verdict == "conflicts"
    assert v.reasons == ["claim 28个国家 (28 country) ≠ passage 36个国家 (36 country)"]


def test_editions_and_years_support():
    v = check_claim("ESFRI published six editions of its roadmap between 2006 and 2021", "2006—2021 年已发布 6 版路线图")
    assert v.verdict == "supports"
    assert any("6 edition" in r for r in v.reasons)
    assert "claim 2006 = passage 2006" in v.reasons


def test_half_versus_33_percent_conflicts_even_with_a_matching_count():
    v = check_claim("MOST accounted for roughly half of the S&T spending of the 15 central departments",
                    "其中科技部经费 478.03 亿元，仅占 15 个部门总经费的 33%")
    assert v.verdict == "conflicts"
    assert v.reasons[0] == "claim half (50%) ≠ passage 33%"
    assert any(r.startswith("claim 15 central departments") and " = " in r for r in v.reasons)


def test_unrelated_passage_is_unclear():
    v = check_claim("9 billion pounds", "日本综合科学技术创新会议直接负责跨省厅的协调工作")
    assert v == type(v)("unclear", [UNCLEAR])


def test_different_funder_conflicts():
    v = check_claim("英国研究与创新署的资金由英国财政部提供", "由商业、能源与产业战略部提供资金", ALIASES)
    assert v.verdict == "conflicts"
    assert v.reasons[0].startswith("claim 财政部 ≠ passage 商业、能源与产业战略部")


def test_funder_conflict_without_aliases_and_across_pdf_line_breaks():
    v = check_claim("英国研究与创新署的资金由英国财政部提供", "2018 年，英国政府组建研究与创新署，由商\n\n业、能源与产业战略部提供资金")
    assert v.verdict == "conflicts"
    assert v.reasons[0].startswith("claim 英国财政部 ≠ passage 商业、能源与产业战略部")


def test_english_funder_matches_chinese_alias():
    assert check_claim("UKRI is funded by HM Treasury", "资金由英国财政部提供", ALIASES).verdict == "supports"
    assert check_claim("UKRI is funded by HM Treasury", "由商业、能源与产业战略部提供资金", ALIASES).verdict == "conflicts"


def test_actors_in_different_scripts_need_aliases_to_compare():
    v = check_claim("UKRI is funded by HM Treasury", "由商业、能源与产业战略部提供资金")
    assert v.verdict == "unclear"


def test_money_with_space_grouped_digits():
    text = "总经费为 1 445.74 亿元"
    f = only(text, "money")
    assert (f.value, f.unit) == (pytest.approx(1.44574e11), "CNY")
    assert text[f.span[0]:f.span[1]] == "1 445.74 亿元"


@pytest.mark.parametrize("text,years,upper", [
    ("every three years", 3.0, None), ("每两年", 2.0, None), ("每3～4年", 3.0, 4.0), ("monthly", 1 / 12, None),
    ("每月举行一次正式会议", 1 / 12, None), ("每年召开4次", 0.25, None), ("four times a year", 0.25, None),
    ("四年一度的评估", 4.0, None),
])
def test_frequencies_normalise_to_years(text, years, upper):
    f = only(text, "frequency")
    assert f.value == pytest.approx(years)
    assert f.upper == (None if upper is None else pytest.approx(upper))


@pytest.mark.parametrize("text,pct", [("33%", 33.0), ("roughly half", 50.0), ("a third", 100 / 3), ("三分之一", 100 / 3)])
def test_percentages(text, pct):
    assert only(text, "percent").value == pytest.approx(pct)


def test_counts_share_a_noun_across_languages():
    assert only("包括 6 名内阁成员", "count").unit == only("six cabinet members", "count").unit == "member"
    assert only("8 名专家成员", "count").unit == "member"  # head noun, not the modifier 专家
    assert (only("九十亿英镑", "money").value, only("两个国家", "count").value) == (9e9, 2.0)


def test_range_contains_claim_value():
    assert check_claim("reviewed every 4 years", "国家研究委员会每 3 ～ 4 年").verdict == "supports"
    assert check_claim("reviewed every 5 years", "国家研究委员会每 3 ～ 4 年").verdict == "conflicts"


def test_per_year_money_is_a_rate_not_a_frequency():
    assert [f.kind for f in extract_facts("统筹管理英国每年 90 亿英镑的科研经费")] == ["money"]
    assert check_claim("every 4 years", "英国每年 90 亿英镑").verdict == "unclear"


def test_ordinals_and_other_currencies_are_not_compared():
    assert extract_facts("第3版路线图") == []
    assert check_claim("9 billion dollars", "90 亿英镑").verdict == "unclear"


def test_year_at_sentence_end_and_us_dollars():
    assert [(f.kind, f.value) for f in extract_facts("The NNI was launched in 1998.")] == [("year", 1998)]
    f = only("31 billion US dollars", "money")
    assert (f.value, f.unit) == (3.1e10, "USD")


def test_alias_must_cover_most_of_an_actor():
    facts = [f for f in extract_facts("由日本首相担任主席", {"CSTI": ["日本"]}) if f.kind == "actor"]
    assert [(f.value, f.unit) for f in facts] == [("日本首相", "chair")]
