"""Claim-level verdicts: each case names the error a reviewer must not be shown as "supported"."""

from __future__ import annotations

import json

import pytest

from citeqa.check import VERDICTS, check_claim, judge
from citeqa.claim_report import check_cli, claim_html, draft_sentences, read_claims
from citeqa.claim_eval import evaluate_claims
from citeqa.models import Chunk, Hit, SearchResult

CSTI = "2014年，日本综合科学技术会议改组为综合科学技术创新会议，由日本首相担任主席，包括6名内阁成员和8名专家成员。"
UKRI = "2018年，英国政府组建研究与创新署，由商业、能源与产业战略部提供资金，主要职能是统筹管理英国每年90亿英镑的科研经费。"
FUND = "2018年英国政府据此改革科研与创新资助体系，整合7个研究理事会、英国创新署和英格兰研究委员会，设立战略优先基金，支持跨学科科研项目。"
ROADMAP = "欧洲研究基础设施战略论坛通过发布路线图明确共同目标。2006—2021年已发布6版路线图，其内容主要包含3个部分。"
NO_BUDGET = "美国纳米计划没有单独的预算，而是通过共同设立的战略目标和优先领域，指导和影响相关联邦政府机构的预算投入。"


def verdict(searcher, claim: str, *passages: str) -> str:
    """The claim judged against exactly these passages (no search), so the test pins the comparison."""
    hits = [Hit(chunk=Chunk(chunk_id=f"p{i}", doc_id="d", text=t, start=0, end=len(t), section=("s",)), score=1.0,
                title="t", highlight=(0, len(t)), rank=i + 1) for i, t in enumerate(passages)]
    return judge(searcher, SearchResult(query=claim, lang="", hits=hits), claim).verdict


@pytest.mark.parametrize("claim", ["UKRI manages about 9 billion US dollars of research funding per year.",
                                   "英国研究与创新署每年统筹管理90亿美元科研经费。"])
def test_currency_mismatch_is_a_conflict(searcher, claim):
    assert verdict(searcher, claim, UKRI) == "contradicted"


def test_same_amount_and_currency_supports(searcher):
    assert verdict(searcher, "UKRI manages about 9 billion pounds of research funding each year.", UKRI) == "supported"


@pytest.mark.parametrize("claim,expected", [
    ("CSTI includes eight cabinet members and six expert members.", "contradicted"),
    ("综合科学技术创新会议包括8名内阁成员和6名专家成员。", "contradicted"),
    ("CSTI includes six cabinet members and eight expert members.", "supported"),
    ("综合科学技术创新会议包括6名内阁成员和8名专家成员。", "supported"),
])
def test_counts_are_bound_to_their_noun(searcher, claim, expected):
    assert verdict(searcher, claim, CSTI) == expected


def test_passive_chair_in_english_meets_chinese_active(searcher):
    assert verdict(searcher, "CSTI is chaired by the Prime Minister of Japan.", CSTI) == "supported"
    assert verdict(searcher, "CSTI is chaired by the Chief Cabinet Secretary.", CSTI) == "contradicted"


def test_funder_named_differently_is_a_conflict(searcher):
    assert verdict(searcher, "英国研究与创新署的资金由英国财政部提供。", UKRI) == "contradicted"


def test_practice_of_another_mechanism_is_a_conflict_quoting_whose_it_is(searcher):
    report = judge(searcher, SearchResult("", "", [Hit(Chunk("p", "d", FUND, 0, len(FUND)), 1.0, "t", (0, len(FUND)))]),
                   "日本综合科学技术创新会议设立了战略优先基金，支持跨学科科研项目。")
    assert report.verdict == "contradicted"
    assert any("UKRI" in r and "战略优先基金" in r for r in report.reasons)


def test_a_year_alone_never_supports(searcher):
    assert verdict(searcher, "UKRI published its first research strategy in 2021.", ROADMAP) != "supported"
    assert verdict(searcher, "ESFRI admitted 11 new projects to its 2021 roadmap.", ROADMAP) != "supported"
    assert verdict(searcher, "2021年英国研究与创新署总部迁往斯温顿。", UKRI, ROADMAP) != "supported"


def test_negation_flips_the_verdict(searcher):
    assert verdict(searcher, "美国纳米计划拥有单独的预算。", NO_BUDGET) == "contradicted"
    assert verdict(searcher, "美国纳米计划没有单独的预算。", NO_BUDGET) == "supported"


def test_unrelated_passage_is_not_found(searcher):
    assert verdict(searcher, "ESFRI's secretariat is based in Brussels.", UKRI, CSTI) == "not_found"


def test_check_claim_json_shape(searcher):
    d = check_claim(searcher, "UKRI manages about 9 billion pounds of research funding each year.", k=3).to_dict()
    assert {"claim", "verdict", "confidence", "reasons", "evidence"} <= d.keys()
    assert d["verdict"] in VERDICTS and len(d["evidence"]) == 3
    assert {"text", "doc_id", "verdict", "facts"} <= d["evidence"][0].keys()
    assert d["verdict"] == "supported"


def test_claim_html_leads_with_the_verdict_and_escapes(searcher):
    page = claim_html(check_claim(searcher, "<script>x</script> UKRI manages 9 billion US dollars a year.", k=2))
    assert page.index("CONTRADICTED") < page.index("cq-hit") and "<script>" not in page


def test_draft_csv_and_jsonl_are_read(tmp_path):
    draft = tmp_path / "d.txt"
    draft.write_text("UKRI was set up in 2018. It manages 9 billion pounds.\n英国研究与创新署成立于2018年。它管理90亿英镑。\n# Heading\n")
    assert draft_sentences(draft.read_text()) == ["UKRI was set up in 2018.", "It manages 9 billion pounds.",
                                                  "英国研究与创新署成立于2018年。", "它管理90亿英镑。"]
    (tmp_path / "c.csv").write_text("id,claim\n1,UKRI was set up in 2018.\n2,\n")
    assert read_claims(tmp_path / "c.csv") == ["UKRI was set up in 2018."]
    (tmp_path / "c.jsonl").write_text(json.dumps({"claim": "ESFRI 成立于2002年"}, ensure_ascii=False) + "\n")
    assert read_claims(tmp_path / "c.jsonl") == ["ESFRI 成立于2002年"]


def test_check_cli_writes_every_report(searcher, tmp_path, capsys):
    draft = tmp_path / "draft.txt"
    draft.write_text("UKRI manages about 9 billion US dollars of research funding per year.\n欧洲研究基础设施战略论坛成立于2002年。\n")
    assert check_cli(searcher, None, draft, tmp_path / "rep", False, 3) == 1  # one claim is contradicted
    assert sorted(p.name for p in (tmp_path / "rep").iterdir() if not p.name.startswith(".")) == ["claims.csv", "claims.html", "claims.json", "claims.md"]
    md = (tmp_path / "rep" / "claims.md").read_text(encoding="utf-8")
    assert "CONTRADICTED" in md and "SUPPORTED" in md
    assert check_cli(searcher, "欧洲研究基础设施战略论坛成立于2002年。", None, None, True, 2) == 0
    assert json.loads(capsys.readouterr().out.split("wrote ")[-1].split("\n", 1)[1])["verdict"] == "supported"
    assert check_cli(searcher, None, None, None, False, 3) == 2


def test_check_reports_never_replace_a_users_files(searcher, tmp_path, capsys):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "claims.md").write_text("my own notes", encoding="utf-8")
    assert check_cli(searcher, "欧洲研究基础设施战略论坛成立于2002年。", None, mine, False, 2) == 2
    assert (mine / "claims.md").read_text(encoding="utf-8") == "my own notes" and "new or empty folder" in capsys.readouterr().out


def test_evaluate_claims_reports_classes_kinds_and_confusion(searcher, tmp_path):
    rows = [{"id": "a", "lang": "en", "claim": "UKRI manages about 9 billion US dollars of research funding per year.",
             "label": "contradicted", "error_kind": "wrong_currency", "evidence": [], "note": ""},
            {"id": "b", "lang": "zh", "claim": "英国研究与创新署总部位于斯温顿。", "label": "not_found", "error_kind": "", "evidence": [], "note": ""}]
    path = tmp_path / "claims.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = evaluate_claims(searcher, path, k=3)
    assert result["n"] == 2 and result["per_error_kind"]["wrong_currency"]["n"] == 1
    assert sum(result["confusion"]["contradicted"].values()) == 1 and set(result["per_lang"]) == {"en", "zh"}
