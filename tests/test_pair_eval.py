"""Mined term pairs are scored against judged pairs; a pair nobody judged is reported, not guessed."""

import json

import pytest

from citeqa import mining
from citeqa.pair_eval import load_judged, mined_pairs, score_pairs


def test_every_pair_mined_from_the_article_is_judged_and_right(searcher) -> None:
    judged = load_judged("eval/gold/term-pairs.jsonl")
    score = score_pairs(mined_pairs(searcher.lexicon), judged)
    assert score.mined >= 20 and not score.unjudged, score.unjudged
    assert score.precision == 1.0, score.wrong


def test_unjudged_and_wrong_pairs_are_listed_apart(tmp_path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"en": "NTP", "zh": "网络时间协议", "correct": True}, {"en": "NTP", "zh": "本地网络时间协议", "correct": False}]))
    score = score_pairs([("NTP", "网络时间协议"), ("NTP", "本地网络时间协议"), ("LVM", "逻辑卷管理")], load_judged(path))
    assert (score.mined, score.judged, score.correct, score.precision) == (3, 2, 1, 0.5)
    assert score.wrong == [("NTP", "本地网络时间协议")] and score.unjudged == [("LVM", "逻辑卷管理")]
    path.write_text('{"en": "NTP", "zh": "网络时间协议", "correct": "yes"}')
    with pytest.raises(ValueError, match="true or false"):
        load_judged(path)


@pytest.mark.parametrize(
    "en, zh, kept",
    [
        ("Universal Character Set", "字符集", ""),  # the Chinese names only part of the English
        ("open file description", "文件描述", ""),
        ("NTP", "本地网络时间协议", "网络时间协议"),  # an acronym's unexplained leading words are cut too
        ("R&D", "国家研发", "研发"),
        ("Tagged Queue Depth", "标记队列深度", "标记队列深度"),  # 标记 may be the word the dictionary missed
        ("OSTP", "白宫科技政策办公室", "白宫科技政策办公室"),  # a proper noun leading the name stays
    ],
)
def test_a_gloss_names_the_whole_term(en: str, zh: str, kept: str) -> None:
    assert mining.validate(en, zh) == kept
