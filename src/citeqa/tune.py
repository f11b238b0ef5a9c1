"""Choosing fusion weights and the abstention threshold leave-one-corpus-out.

For each corpus family (a suite `group`) the grid is scored on all the other families, the
best setting is kept, and that setting is reported on the family left out: the held-out figure
is what a corpus nobody tuned on can expect. A family scores the mean over its sets' language
directions of (recall@5 + MRR@10) / 2, so every direction counts the same whatever its number of
questions; a setting scores the mean over families minus their standard deviation, so it must
hold on every kind of corpus rather than excel on the family with the most sets (the next corpus
is a new family). The answerability model is a logistic regression with both classes weighted
equally (unanswerable questions abstained on, answerable ones not).
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, replace

import numpy as np

from .fusion import Weights, confidence
from .suite import Prepared, rerank, score

GRID = {
    "dense": (1.0,),  # the scale the others are relative to
    "dense_cross": (0.5, 1.0),
    "lexical": (0.5, 1.0, 2.0),
    "lexical_cross": (0.0, 0.5, 1.0),
    "lexical_rel": (0.0, 0.5),
    "dense_rel": (0.0, 0.5),
    "shared_rel": (0.0, 1.0, 2.0),
    "shared_abs": (0.0, 0.5, 1.0),
    "same_language": (0.0, -0.25, -0.5, -0.75),
    "sentence": (0.0, 0.5, 1.0),
}


def settings(base: Weights = Weights()) -> list[Weights]:
    keys = list(GRID)
    out = [replace(base, **dict(zip(keys, values))) for values in itertools.product(*GRID.values())]
    return out + [replace(base, method="rrf")]


@dataclass(frozen=True)
class GridScores:
    """Candidate settings, each scored once per set; the folds of leave-one-corpus-out only regroup these.

    Scoring the grid is nearly all of a suite run's tuning time, and a fold's objective needs
    nothing but the per-direction scores of its training sets, so each (setting, set) pair is
    scored once instead of once per fold.
    """

    candidates: list[Weights]
    values: dict[str, np.ndarray]  # set name -> [candidate, direction]: (recall@5 + MRR) / 2


def score_grid(prepared: dict[str, list[Prepared]], candidates: list[Weights], progress: bool | None = None) -> GridScores:
    from tqdm import tqdm

    rows: dict[str, list[list[float]]] = {name: [] for name in prepared}
    show = sys.stderr.isatty() if progress is None else progress
    for w in tqdm(candidates, desc="scoring settings", unit="setting", disable=not show or len(candidates) < 2, leave=False):
        for name, ps in prepared.items():
            rows[name].append([(d["R@5"] + d["MRR"]) / 2 for key, d in score(ps, w).items() if key != "all"])
    return GridScores(candidates, {name: np.array(v, dtype=np.float64).reshape(len(candidates), -1) for name, v in rows.items()})


def _family_means(grid: GridScores, names: list[str], groups: dict[str, str] | None) -> tuple[list[str], np.ndarray]:
    """Families (a set is its own unless `groups` says) and each candidate's mean over a family's directions."""
    families: dict[str, list[np.ndarray]] = {}
    for name in names:
        if grid.values[name].shape[1]:
            families.setdefault((groups or {}).get(name, name), []).append(grid.values[name])
    means = [np.hstack(v).mean(axis=1) for v in families.values()]
    return list(families), np.stack(means, axis=1) if means else np.zeros((len(grid.candidates), 0))


def grid_objectives(grid: GridScores, names: list[str], groups: dict[str, str] | None = None) -> np.ndarray:
    """`objective` of every candidate on the sets `names`, from the stored scores."""
    per_family = _family_means(grid, names, groups)[1]
    if not per_family.shape[1]:
        return np.zeros(len(grid.candidates))
    return per_family.mean(axis=1) - per_family.std(axis=1)


def family_scores(prepared: dict[str, list[Prepared]], w: Weights, groups: dict[str, str] | None = None) -> dict[str, float]:
    """family -> mean (recall@5 + MRR) / 2 over its sets' directions (a set is its own family unless `groups` says)."""
    families, means = _family_means(score_grid(prepared, [w], progress=False), list(prepared), groups)
    return {f: float(m) for f, m in zip(families, means[0])}


def objective(prepared: dict[str, list[Prepared]], w: Weights, groups: dict[str, str] | None = None) -> float:
    """Mean over families minus their standard deviation: a setting that holds on every family.

    Leave-one-corpus-out on the dev suite, the held-out mean over set-directions was 0.851 when
    choosing by the plain mean over directions, 0.853 by the mean over families, and 0.855–0.864
    for this criterion with the deviation weighted 0.25–1.5 (1 is used: no constant to tune);
    chosen on all families, every variant picks the same setting.
    """
    return float(grid_objectives(score_grid(prepared, [w], progress=False), list(prepared), groups)[0])


def _judged(prepared: dict[str, list[Prepared]], w: Weights) -> list[tuple[Prepared, np.ndarray]]:
    """Questions the score decides (the name and shared-word checks refuse the rest), with their evidence.

    Paragraphs used as queries (parallel sets) are not questions and are left out too.
    """
    out = []
    for p in (p for rows in prepared.values() for p in rows if not p.unsupported and p.item.kind != "parallel"):
        _, x, off = rerank(p, w)
        if not off:
            out.append((p, x))
    return out


def fit_abstention(prepared: dict[str, list[Prepared]], w: Weights, l2: float = 0.1) -> tuple[float, ...]:
    """Logistic regression of answerability on the evidence vector (classes weighted equally).

    Newton's method on four parameters: a library would add a dependency for ten lines.
    Questions the entity and shared-word checks abstain on anyway are left out.
    """
    judged = _judged(prepared, w)
    xs = [x for _, x in judged]
    y = np.array([1.0 if p.item.answerable else 0.0 for p, _ in judged])
    if not len(y) or y.all() or not y.any():
        return w.abstain_model
    x = np.hstack([np.ones((len(y), 1)), np.array(xs, dtype=np.float64)])
    weight = np.where(y == 1, 0.5 / y.sum(), 0.5 / (1 - y).sum())
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ beta))
        grad = x.T @ (weight * (p - y)) + l2 * np.r_[0, beta[1:]] / len(y)
        hess = (x * (weight * p * (1 - p))[:, None]).T @ x + np.diag(np.r_[0, np.full(len(beta) - 1, l2 / len(y))])
        step = np.linalg.solve(hess + 1e-9 * np.eye(len(beta)), grad)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    return tuple(round(float(b), 4) for b in beta)


MAX_FALSE_ABSTAIN = 0.0  # share of answerable training questions the threshold may abstain on (see README)


def choose(prepared: dict[str, list[Prepared]], base: Weights = Weights(), groups: dict[str, str] | None = None,
           grid: GridScores | None = None) -> Weights:
    """Best fusion setting, its answerability model, and a threshold that rarely refuses an answerable question.

    `grid` holds the settings already scored on (at least) these sets; without it they are scored here.
    """
    grid = grid or score_grid(prepared, settings(base))
    best = grid.candidates[int(np.argmax(grid_objectives(grid, list(prepared), groups)))]
    best = replace(best, abstain_model=fit_abstention(prepared, best))
    answerable = [confidence(x, best) for p, x in _judged(prepared, best) if p.item.answerable]
    if answerable:
        best = replace(best, abstain_below=round(min(0.5, float(np.quantile(answerable, MAX_FALSE_ABSTAIN))), 4))
    return best


def leave_one_out(prepared: dict[str, list[Prepared]], groups: dict[str, str], uses: dict[str, set[str]] | None = None,
                  base: Weights = Weights(), grid: GridScores | None = None) -> dict[str, Weights]:
    """group left out -> the weights chosen on all the other groups.

    A set built from another family's documents (`uses`) is left out with that family too,
    and a held-out set's own `uses` families are left out of its training.
    """
    grid = grid or score_grid(prepared, settings(base))
    out = {}
    for held in sorted(set(groups.values())):
        train = {name: prepared[name] for name in training_sets(list(prepared), groups, uses or {}, held)}
        out[held] = choose(train, base, groups, grid) if train else base
    return out


def training_sets(names: list[str], groups: dict[str, str], uses: dict[str, set[str]], held: str) -> list[str]:
    """The sets a fold that leaves out family `held` may tune on: none of its family, none built from its
    documents, none of the families its own sets are built from."""
    held_uses = set().union(*(uses.get(n, set()) for n, g in groups.items() if g == held))
    return [n for n in names if not (groups[n] == held or held in uses.get(n, set()) or groups[n] in held_uses)]
