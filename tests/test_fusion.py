"""Fusion over candidate features: the shared-word channel and the off-topic rule."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from citeqa.coverage import is_off_topic, off_topic
from citeqa.fusion import Features, Weights, fuse, ranking


def features(shared, lang=("zh", "en"), concepts=4, lexical=(0.6, 0.0), lexical_en=(0.0, 0.5)) -> Features:
    n = len(lang)
    return Features(rows=np.arange(n), lang=np.array(lang), query_lang="zh", dense=np.zeros(n, np.float32),
                    dense_translated=np.zeros(n, np.float32), lexical_zh=np.array(lexical, np.float32),
                    lexical_en=np.array(lexical_en, np.float32), shared=None if shared is None else np.array(shared), concepts=concepts)


def test_the_passage_sharing_every_word_beats_one_on_the_topic_sharing_one():
    f = features([1, 4], lang=("zh", "zh"), lexical=(0.6, 0.5), lexical_en=(0.0, 0.0))
    for w in (replace(Weights(), shared_rel=1.0, shared_abs=0.0), replace(Weights(), shared_rel=0.0, shared_abs=1.0)):
        assert ranking(f, fuse(f, w), w)[0] == 1
        assert ranking(f, fuse(f, replace(w, shared_rel=0.0, shared_abs=0.0)), w)[0] == 0  # without the channel the other one wins


def test_shared_words_relative_to_the_best_of_each_language():
    f = features([2, 1, 1], lang=("zh", "zh", "en"), lexical=(0.0, 0.0, 0.0), lexical_en=(0.0, 0.0, 0.0))
    w = replace(Weights(), dense=0, dense_cross=0, lexical=0, lexical_cross=0, lexical_rel=0, shared_rel=1.0, shared_abs=0.0, same_language=0.0)
    scores = fuse(f, w)
    assert np.allclose(scores, [1.0, 0.5, 1.0])  # the English passage is its language's best


def test_absolute_share_lets_the_passage_sharing_more_words_win_across_languages():
    # each passage is the best of its language, so the relative term cannot tell them apart
    f = features([1, 4], lang=("zh", "en"), lexical=(0.0, 0.0), lexical_en=(0.0, 0.0))
    w = replace(Weights(), dense=0, dense_cross=0, lexical=0, lexical_cross=0, lexical_rel=0, shared_rel=1.0, same_language=0.0)
    assert np.allclose(fuse(f, replace(w, shared_abs=0.0)), [1.0, 1.0])
    assert np.allclose(fuse(f, replace(w, shared_abs=1.0)), [1.25, 2.0])  # 1 of 4 words against 4 of 4


def test_same_language_term_shifts_only_passages_in_the_question_language():
    f = features([1, 1, 1], lang=("zh", "en", "zh"), lexical=(0.6, 0.0, 0.3), lexical_en=(0.0, 0.5, 0.0))
    w = replace(Weights(), same_language=0.0)
    delta = fuse(f, replace(w, same_language=-0.5)) - fuse(f, w)
    assert np.allclose(delta, [-0.5, 0.0, -0.5])  # the question is Chinese
    one = features([1, 2], lang=("zh", "zh"), lexical=(0.6, 0.3), lexical_en=(0.0, 0.0))
    assert list(ranking(one, fuse(one, replace(w, same_language=-0.5)), w)) == list(ranking(one, fuse(one, w), w))


def test_features_without_shared_words_fuse_as_before():
    f = features(None)
    w = replace(Weights(), shared_rel=1.0, shared_abs=1.0)
    assert np.allclose(fuse(f, w), fuse(f, replace(w, shared_rel=0.0, shared_abs=0.0)))


def test_off_topic_when_no_best_passage_shares_more_than_one_word_nor_all():
    assert off_topic(2, np.array([1, 1, 0]))
    assert not off_topic(2, np.array([1, 2, 0]))
    assert not off_topic(1, np.array([1, 0]))  # a one-word question sharing its word
    assert off_topic(1, np.array([0, 0, 0]))  # ... or sharing nothing
    assert off_topic(3, np.array([], np.int32))  # nothing found at all
    assert not off_topic(0, np.array([0]))  # no content word: nothing to judge


def test_off_topic_rule_reads_the_ranking_without_the_same_language_handicap():
    # the Chinese passage shares two of the question's three words; the English ones one or none
    f = features([2, 1, 1, 0], lang=("zh", "en", "en", "en"), concepts=3, lexical=(0.6, 0.0, 0.0, 0.0),
                 lexical_en=(0.0, 0.5, 0.45, 0.4))
    w = replace(Weights(), same_language=-0.5)
    assert ranking(f, fuse(f, replace(w, shared_abs=0.0, shared_rel=0.0)), w)[-1] == 0  # the handicap ranks it last
    assert not is_off_topic(f, w)  # the rule still reads it among the best three


def test_a_question_with_no_candidates_gives_evidence_of_the_same_shape():
    """The answerability model stacks every question's evidence: an empty ranking must fit the stack."""
    from citeqa.evaluate import GoldItem
    from citeqa.suite import Prepared, rerank

    item = GoldItem("q", "zh", "问题", (), "", "", "fact")
    found, empty = features([1, 2]), features([], lang=())
    shapes = {rerank(Prepared(item, "zh→zh", f, np.zeros(len(f.rows), bool), None, False), Weights())[1].shape for f in (found, empty)}
    assert len(shapes) == 1


def test_a_shared_number_does_not_put_a_question_on_topic():
    # "Who won the football world cup in 2018?": the best passages share "world" and "2018"
    f = replace(features([2, 2], lang=("zh", "zh"), concepts=5), shared_numbers=np.array([1, 1]), numbers=1)
    assert is_off_topic(f, Weights())
    assert not is_off_topic(replace(f, shared_numbers=None, numbers=0), Weights())  # counted as a word, it would pass
    assert not is_off_topic(replace(f, shared=np.array([3, 2])), Weights())  # two words besides the year: on topic


def test_numbers_are_the_concepts_written_in_digits():
    from citeqa.coverage import Concept
    assert [Concept(w, ()).is_number for w in ("2018", "8080", "2.6.32", "ext4", "IPv6", "x86")] == [True, True, True, False, False, False]
