"""A question that asks for a quantity or a date ranks a passage that states one above one that does not."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from citeqa.answertype import asks_quantity, states_quantity
from citeqa.fusion import Features, Weights, evidence, fuse, ranking

from citeqa.search import Searcher
from test_retrieval import BagOfWordsEncoder, one_document


@pytest.mark.parametrize("question", ["How many delegates does each member state send?", "How often are the guidelines reviewed?",
                                      "When was the council set up?", "In which year did the programme start?",
                                      "论坛的议事规则多久修订一次？", "每个成员国派几名代表？", "综合科学技术会议是哪一年设立的？"])
def test_questions_that_ask_for_a_quantity_or_a_date(question):
    assert asks_quantity(question)


@pytest.mark.parametrize("question", ["Who chairs the council?", "Why was the roadmap split in two?", "谁担任论坛主席？",
                                      "这几乎是所有人的看法吗？"])
def test_questions_that_do_not(question):
    assert not asks_quantity(question)


def test_passages_that_state_a_number_in_either_language():
    texts = ["The forum is composed of two delegates per member state.", "Guidelines are reviewed every 2 years.",
             "委员会由三名代表组成。", "The council coordinates science policy.", "论坛负责协调各国的研究基础设施。"]
    assert list(states_quantity(texts)) == [1, 1, 1, 0, 0]


def two_passages(quantity) -> Features:
    n = 2
    return Features(rows=np.arange(n), lang=np.array(["en", "en"]), query_lang="en", dense=np.zeros(n, np.float32),
                    dense_translated=np.zeros(n, np.float32), lexical_zh=np.zeros(n, np.float32),
                    lexical_en=np.array([0.60, 0.55], np.float32), quantity=quantity)


def test_the_passage_stating_the_quantity_ranks_first_and_the_evidence_is_unchanged():
    w = Weights()
    plain, asked = two_passages(None), two_passages(np.array([0.0, 1.0], np.float32))
    assert ranking(plain, fuse(plain, w), w)[0] == 0
    assert ranking(asked, fuse(asked, w), w)[0] == 1
    assert ranking(asked, fuse(asked, w), replace(w, answer_type=0.0))[0] == 0
    assert evidence(asked, fuse(asked, w)) == evidence(plain, fuse(plain, w))  # numbers do not make a question answerable


def test_the_searcher_marks_numbered_passages_only_for_a_quantity_question(tmp_path):
    one_document(tmp_path, "# Forum\n\nEach member state sends delegates to the forum.\n\n# Plenary\n\nEach member state sends two delegates to the forum plenary.\n")
    question = "How many delegates does a member state send to the forum?"
    for weight, first in ((0.0, "sends delegates"), (2.0, "two delegates")):  # 2.0: more than the gap in this tiny corpus
        s = Searcher.load(tmp_path / "index", encoder=BagOfWordsEncoder(), weights=replace(Weights(), answer_type=weight))
        f = s.features(s.understand(question))
        if weight:
            assert [bool(x) for x in f.quantity] == ["two" in s.chunks[int(r)].text for r in f.rows]
        hits = s.rank(s.understand(question), f, k=2).hits
        assert first in hits[0].text
        assert hits[0].score >= hits[1].score  # the scores shown are the ones the ranking ordered by
    assert s.features(s.understand("Who sends delegates to the forum?")).quantity is None


def test_the_build_saves_which_passages_state_a_number_and_a_grown_table_keeps_them_aligned(tmp_path):
    from citeqa.chunktable import NUMBERS, ChunkTable, write_chunks
    from citeqa.models import Chunk

    def chunk(i, text):
        return Chunk(f"d:{i}", "d", text, 0, len(text), (), None, "en", (), "body", "", "", "")

    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    write_chunks(first, [chunk(0, "It meets twice a year."), chunk(1, "It coordinates policy.")], ["h0", "h1"])
    write_chunks(second, [chunk(2, "There are 18 projects.")], ["h2"], after=first)
    table = ChunkTable.open(second)
    assert list(table.numbers) == [1, 0, 1] == list(states_quantity(c.text for c in table))
    np.savez(first / "columns.npz", **{k: v for k, v in np.load(first / "columns.npz").items() if k != NUMBERS})
    assert ChunkTable.open(first).numbers is None  # an index built before the column
    write_chunks(tmp_path, [chunk(3, "No figure here.")], ["h3"], after=first)
    assert list(ChunkTable.open(tmp_path).numbers) == [1, 0, 0]  # the older passages are read once to fill it


def test_the_searcher_reads_the_column_and_falls_back_to_the_text(tmp_path):
    s = one_document(tmp_path, "# Forum\n\nEach member state sends two delegates.\n\n# Plenary\n\nThe forum agrees the roadmap.\n")
    rows = np.arange(len(s.chunks))
    from_column = s.states_number(rows)
    s.chunks.numbers = None
    assert list(from_column) == list(s.states_number(rows)) == [1.0 if "two" in c.text else 0.0 for c in s.chunks]
