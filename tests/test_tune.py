"""Choosing fusion weights: a setting must hold on every corpus family, not on the one with most sets."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from citeqa.evaluate import GoldItem
from citeqa.fusion import Features, Weights
from citeqa.suite import Prepared
from citeqa.tune import family_scores, objective


def question(dense: list[float], lexical: list[float], answer: int) -> Prepared:
    """A Chinese question over Chinese passages whose answer is candidate `answer`."""
    n = len(dense)
    f = Features(rows=np.arange(n), lang=np.array(["zh"] * n), query_lang="zh", dense=np.array(dense, np.float32),
                 dense_translated=np.zeros(n, np.float32), lexical_zh=np.array(lexical, np.float32),
                 lexical_en=np.zeros(n, np.float32))
    item = GoldItem(f"q{answer}", "zh", "问题", ("证据",), "", "", "fact")
    return Prepared(item, "zh→zh", f, np.arange(n) == answer, None, False)


# Family "words": three sets whose answers share the question's words (strong lexical weight ranks
# them first, a weak one second). Family "meaning": one set whose answer the encoder finds and
# the lexical channel misranks (third with a strong lexical weight, first with a weak one).
WORDS = {f"words-{i}": [question([4, 2], [0.2, 0.6], answer=1)] for i in range(3)}
MEANING = {"meaning": [question([1, 1, 4], [0.5, 0.5, 0.05], answer=2)]}
PREPARED = WORDS | MEANING
GROUPS = {name: name.split("-")[0] for name in PREPARED}
LEXICAL = replace(Weights(), dense_rel=0.0, lexical_rel=0.0, lexical=2.0)
BALANCED = replace(Weights(), dense_rel=0.0, lexical_rel=0.0, lexical=0.5)


def test_family_scores_pool_a_familys_sets():
    scores = family_scores(PREPARED, LEXICAL, GROUPS)
    assert scores == {"words": 1.0, "meaning": (1 + 1 / 3) / 2}


def test_a_setting_that_fails_one_family_loses_to_one_that_holds_on_both():
    """Counted per set, the lexical setting wins (three sets of one family); counted per family it loses."""
    assert objective(PREPARED, LEXICAL) > objective(PREPARED, BALANCED)
    assert objective(PREPARED, LEXICAL, GROUPS) < objective(PREPARED, BALANCED, GROUPS)



def test_scoring_the_grid_once_gives_every_fold_the_same_choice_as_scoring_it_per_fold():
    """Folds regroup stored per-set scores; they must agree with scoring each setting on the fold's sets."""
    from citeqa.tune import grid_objectives, score_grid, settings

    grid = score_grid(PREPARED, settings(), progress=False)
    assert len(grid.candidates) == len(settings())
    for names in (list(PREPARED), ["words-0", "meaning"], list(WORDS)):
        fold = {n: PREPARED[n] for n in names}
        direct = np.array([objective(fold, w, GROUPS) for w in grid.candidates])
        assert np.allclose(grid_objectives(grid, names, GROUPS), direct)
    assert grid_objectives(grid, list(PREPARED), GROUPS).max() > grid_objectives(grid, list(PREPARED), GROUPS).min()
