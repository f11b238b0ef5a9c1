"""Choosing fusion weights and the abstention threshold leave-one-corpus-out.

For each corpus family (a suite `group`) the grid is scored on all the other families, the
best setting is kept, and that setting is reported on the family left out: the held-out figure
is what a corpus nobody tuned on can expect. The objective is the mean over the suite's
language directions of (recall@5 + MRR@10) / 2, so every direction counts the same whatever
its number of questions; the threshold maximises balanced abstention accuracy (unanswerable
questions abstained on, answerable ones not).
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from .fusion import Weights
from .suite import Prepared, rerank, score

GRID = {
    "dense": (0.5, 1.0),
    "dense_translated": (0.0, 0.5, 1.0),
    "lexical": (0.5, 1.0, 2.0),
    "lexical_cross": (0.0, 0.5, 1.0),
}


def settings(base: Weights = Weights()) -> list[Weights]:
    keys = list(GRID)
    out = [replace(base, **dict(zip(keys, values))) for values in itertools.product(*GRID.values())]
    return out + [replace(base, method="rrf")]


def objective(prepared: dict[str, list[Prepared]], w: Weights) -> float:
    values = []
    for rows in prepared.values():
        m = score(rows, w)
        values += [(d["R@5"] + d["MRR"]) / 2 for name, d in m.items() if name != "all"]
    return float(np.mean(values)) if values else 0.0


def threshold(prepared: dict[str, list[Prepared]], w: Weights) -> float:
    """The abstention threshold with the best balanced accuracy over these sets."""
    conf, unanswerable = [], []
    for rows in prepared.values():
        for p in rows:
            if p.unsupported:
                continue  # abstained on anyway
            conf.append(rerank(p, w)[1])
            unanswerable.append(not p.item.answerable)
    c, u = np.array(conf), np.array(unanswerable)
    if not u.any() or u.all():
        return w.abstain_below
    best, best_t = -1.0, w.abstain_below
    for t in np.unique(c):
        t = float(t) + 1e-6
        acc = ((c < t) & u).sum() / u.sum() + ((c >= t) & ~u).sum() / (~u).sum()
        if acc > best:
            best, best_t = acc, t
    return best_t


def choose(prepared: dict[str, list[Prepared]], base: Weights = Weights()) -> Weights:
    best = max(settings(base), key=lambda w: objective(prepared, w))
    return replace(best, abstain_below=threshold(prepared, best))


def leave_one_out(prepared: dict[str, list[Prepared]], groups: dict[str, str], base: Weights = Weights()) -> dict[str, Weights]:
    """group left out -> the weights chosen on all the other groups."""
    out = {}
    for held in sorted(set(groups.values())):
        train = {name: rows for name, rows in prepared.items() if groups[name] != held}
        out[held] = choose(train, base) if train else base
    return out
