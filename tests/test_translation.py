"""Translation that survives other domains: pass-through, validated glosses, corpus sense choice,
Chinese -> English, a bounded-work build, and the persisted format. Small invented texts only."""

from __future__ import annotations

import json

import jieba
import pytest

from citeqa import lexicon_build as lexicon_module
from citeqa import mining
from citeqa.lexicon import FORMAT_VERSION, Lexicon, TermPair, WeightedTerm

MANUAL = "\n".join(
    [
        "编辑 /etc/fstab 文件可以设置挂载点。",
        "邮件服务器使用 exim4 软件包，版本为 4.96。",
        "使用 apt-get 安装软件包，使用 dpkg 查询软件包。",
        "GRUB 可以引导 Windows 系统，也可以引导 Linux 内核。",
        "GRUB 的配置文件位于 /boot/grub 目录。Windows 和 GRUB 可以共存。",
        "用户密码保存在 /etc/shadow 文件中。",
    ]
)


def terms(result: list[WeightedTerm]) -> list[str]:
    return [t.term for t in result]


@pytest.fixture(scope="module")
def manual() -> Lexicon:
    return Lexicon.build([MANUAL])


def test_commands_paths_and_versions_reach_chinese_terms_verbatim(manual: Lexicon) -> None:
    result = manual.translate_en("How do I edit /etc/fstab with exim4 4.96 and `apt-get`?")
    got = terms(result)
    assert {"/etc/fstab", "exim4", "4.96", "apt-get"} <= set(got)
    assert not {"4", "exim", "etc", "等等", "apt", "get"} & set(got)  # nothing altered or split into noise
    assert manual.passthrough("Is it /etc/shadow or --force, sources.list, x86_64?") == [
        "/etc/shadow", "--force", "sources.list", "x86_64"
    ]


def test_verbatim_tokens_pass_even_when_the_corpus_lacks_them() -> None:
    lex = Lexicon.build(["这是一段与软件无关的中文文字。"])
    assert {"/usr/share/doc", "libc6", "2.36-9"} <= set(terms(lex.translate_en("Is /usr/share/doc from libc6 2.36-9?")))


def test_latin_words_the_chinese_text_uses_win_over_dictionary_senses(manual: Lexicon) -> None:
    weights = {t.term: t.weight for t in manual.translate_en("How does GRUB boot Windows?")}
    assert weights["GRUB"] >= 1.0 and weights["Windows"] >= 1.0
    assert weights.get("窗口", 0.0) < weights["Windows"] / 2  # Windows is not "a window" in this corpus
    assert "引导" in weights


def test_function_words_and_abbreviations_never_pass_through(manual: Lexicon) -> None:
    assert manual.passthrough("What is the U.S. position, e.g. on the GRUB?") == []


NON_GLOSSES = (
    "请运行该脚本（kill -9 1234）结束进程。"
    "配置写在系统文件（/etc/fstab）里。"
    "该版本发布于去年（2019）。"
    "源列表位于软件源文件（sources.list）中。"
    "这个工具很好用（see the manual for details on every option you may want）。"
    "软件包管理系统（dpkg）负责安装。"
    "请阅读说明文件（README.Debian）。"
    "使用的软件包（`linux-libc-dev`）已经更新。"
)


def test_parentheses_that_are_not_glosses_are_rejected() -> None:
    text = NON_GLOSSES + "该报告由国际能源署（International Energy Agency，IEA）发布。国际能源署每年更新。"
    gloss = {(p.en, p.zh) for p in Lexicon.build([text]).pairs if p.source == "gloss"}
    assert gloss == {("International Energy Agency", "国际能源署"), ("IEA", "国际能源署")}


@pytest.mark.parametrize(
    "en, zh, kept",
    [
        ("Free Software Foundation", "自由软件基金会", "自由软件基金会"),  # every word a CEDICT sense
        ("free software", "当我们提及自由软件", "自由软件"),  # leading words the English does not explain are cut
        ("OECD", "经济合作与发展组织", "经济合作与发展组织"),  # acronym letters = sense initials, any order
        ("Sir Paul Nurse", "保罗·纳斯爵士", "保罗·纳斯爵士"),  # transliterated name
        ("unstable", "稳定", ""),  # "stable" is not "unstable"
        ("Debian Policy", "政策", ""),  # half the name unexplained
        ("BTS", "系统", ""),
        ("NIC", "系统要求确保有至少有两块网卡", ""),  # a sentence, not a term
        (".deb", "名称", ""),
        ("main、non-free、contrib", "主要软件包目录", ""),
    ],
)
def test_gloss_validation(en: str, zh: str, kept: str) -> None:
    assert mining.validate(en, zh) == kept


def test_sense_choice_follows_corpus_cooccurrence() -> None:
    lines = ["冬天下雪时穿靴子。"] * 12 + ["引导程序负责引导内核。"] * 3 + ["系统启动时先加载内核。"]
    lex = Lexicon.build(["\n".join(lines)])
    alone = terms(lex.translate_en("boot"))
    assert alone[0] == "靴子"  # the commoner sense wins without context
    in_context = terms(lex.translate_en("How do I boot the kernel?"))
    assert in_context.index("引导") < in_context.index("靴子") if "靴子" in in_context else "引导" in in_context


def test_chinese_question_gets_english_terms_and_rendering() -> None:
    english = ["The mail server configuration lives in one file."] * 1000  # the collection's English prose
    lex = Lexicon.build([MANUAL + "\n配置邮件服务器需要修改配置文件。"], en_vocab=english)
    got = {t.term: t.weight for t in lex.translate_zh("如何配置 exim4 的邮件服务器？")}
    assert {"exim4", "mail", "server"} <= set(got)
    assert "email" not in got and "post" not in got  # senses the collection's English never uses
    rendering = lex.render_en("如何配置 exim4 的邮件服务器？")
    assert rendering.startswith("how") and "exim4" in rendering and "server" in rendering
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in rendering)


def test_function_words_name_nothing_and_unknown_words_are_read_through_their_parts() -> None:
    """可以 ("can") is not translated as its later sense "possible"; 追溯到, a word no table lists, is
    read as 追溯 ("trace back to") + 到."""
    from citeqa.cedict import is_function_word

    assert is_function_word("可以") and is_function_word("如果") and not is_function_word("需要")
    english = ["The programme is possible to trace back to its origins, the date it started."] * 1000
    lex = Lexicon.build(["纳米计划的源头可以追溯到二〇〇〇年。"], en_vocab=english)
    got = set(terms(lex.translate_zh("纳米计划的源头可以追溯到哪一年？")))
    assert "possible" not in got
    assert got & {"date from", "trace sth back to", "go upstream"}
    assert "possible" not in lex.render_en("纳米计划的源头可以追溯到哪一年？")


def test_mining_looks_back_a_bounded_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each bracket costs the same whatever precedes it: no look-back over the whole corpus."""
    seen: list[int] = []
    real = mining._options

    def spy(before: str):
        seen.append(len(before))
        return real(before)

    monkeypatch.setattr(mining, "_options", spy)
    filler = "各国政府统筹协调科技资源，" * 200
    Lexicon.build([filler + "国际能源署（International Energy Agency，IEA）发布报告。" + filler + "世界卫生组织（WHO）。"])
    assert seen and max(seen) <= mining.LOOKBACK


def test_build_work_grows_linearly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Characters handed to the segmenter grow with the corpus, not with its square."""
    handed: list[int] = []
    real = jieba.lcut

    def counting(text, *args, **kwargs):
        handed.append(len(text))
        return real(text, *args, **kwargs)

    monkeypatch.setattr(lexicon_module.jieba, "lcut", counting)
    doc = NON_GLOSSES + "该报告由国际能源署（International Energy Agency，IEA）发布。\n"
    sizes = []
    for copies in (1, 8):
        handed.clear()
        Lexicon.build([doc * copies])
        sizes.append(sum(handed))
    assert sizes[1] <= 8 * sizes[0] * 1.05


def test_old_format_is_refused_with_the_fix(manual: Lexicon) -> None:
    data = manual.to_json()
    assert data["version"] == FORMAT_VERSION
    restored = Lexicon.from_json(json.loads(json.dumps(data, ensure_ascii=False)))
    assert restored.pairs == manual.pairs
    q = "How does GRUB boot Windows from /boot/grub?"
    assert restored.translate_en(q) == manual.translate_en(q)
    with pytest.raises(ValueError, match="citeqa build --force"):
        Lexicon.from_json({"version": 1, "pairs": [["a", "甲乙", "gloss", 1.0]], "freq": {}})
    assert TermPair("a", "甲乙", "gloss") == TermPair(*["a", "甲乙", "gloss", 1.0])


def test_an_irregular_english_form_finds_the_dictionary_sense_of_its_base_form() -> None:
    """The dictionary lists "to catch", "to hold": "caught" and "held" must reach them too."""
    lex = Lexicon.build(["SIGKILL 信号不能被捕获，也不能被忽略。全体会议每年举行一次。"])
    assert "捕获" in terms(lex.translate_en("Which signal cannot be caught?"))
    assert "举行" in terms(lex.translate_en("How often is the plenary meeting held?"))


def test_a_phrasal_verb_sense_reaches_the_one_word_form_the_english_uses() -> None:
    """CEDICT says 登录 is "to log in"; a manual writes "the login prompt"."""
    english = " ".join(["The file is printed before the login prompt. Each login is recorded."] * 300)
    lex = Lexicon.build([english])
    assert "login" in terms(lex.translate_zh("登录前显示什么？"))


def test_a_negated_sense_does_not_translate_its_word() -> None:
    """CC-CEDICT gives 可以 the sense "not bad": "bad" must not become 可以, nor "few" 不少 ("not few")."""
    lex = Lexicon.build(["这个办法可以用，效果不错。那个办法很糟糕，问题不少。"])
    bad = terms(lex.translate_en("Why is it a bad idea?"))
    assert "可以" not in bad and "糟糕" in bad
    assert "不少" not in terms(lex.translate_en("only a few problems"))
    assert "可以" in terms(lex.translate_en("Is it possible?"))  # its other senses still translate


def test_a_glossed_name_is_one_thing_the_question_names() -> None:
    """欧洲研究基础设施战略论坛, its English name and ESFRI are one name: one concept for the shared-word
    count (a passage that says ESFRI shares it), and its words share one word's weight in the
    question's own channel, so they do not outweigh what the question asks about it; likewise the
    search-mode pieces of one word (成员, 成员国)."""
    from citeqa.coverage import concepts
    from citeqa.query import understand

    lex = Lexicon.build(["欧洲研究基础设施战略论坛（European Strategy Forum on Research Infrastructures，ESFRI）每年开会。"
                         "欧洲研究基础设施战略论坛由成员国代表组成。"])
    names = dict(lex.names("ESFRI 和欧洲研究基础设施战略论坛是什么？"))
    assert names["ESFRI"] == names["欧洲研究基础设施战略论坛"]
    assert "European Strategy Forum on Research Infrastructures" in names["ESFRI"]
    assert lex.names("启动服务") == [] and lex.names("esfri") == []  # whole, case-sensitive acronyms only

    class NoFacets:
        def counts(self, kind, text):
            from collections import Counter
            return Counter()

    q = understand("欧洲研究基础设施战略论坛每个成员国派几名代表？", lex, NoFacets(), in_zh=lambda t: True)
    found = concepts(q, lex)
    assert [c.word for c in found][0] == "欧洲研究基础设施战略论坛"
    assert ("en", ("esfri",)) in found[0].forms
    assert not {"欧洲", "研究", "战略", "论坛"} & {c.word for c in found}
    weight = dict(q.zh_terms)
    assert weight["论坛"] < 0.25 and weight["代表"] == 1.0
    assert weight["成员"] == weight["成员国"] == 0.5  # one word's search-mode pieces share its weight
    assert "每个" not in dict(q.en_terms)  # 每 "each" + 个: names nothing, so no untranslated term
