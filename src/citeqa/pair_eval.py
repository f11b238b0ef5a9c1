"""Precision of the term pairs a corpus's own glosses define, against judged pairs.

Mined pairs translate the question both ways and gloss Chinese passages in the English index,
so a wrong one (字符集 for "Universal Character Set") sends every question that names the term
to the wrong passages. `eval/gold/term-pairs.jsonl` judges every pair the miner finds in the
suite's corpora; a pair the file does not judge is reported, never counted as right or wrong,
so a change to the miner shows up as unjudged pairs to look at.

    python -m citeqa.pair_eval INDEX [INDEX ...] [--gold eval/gold/term-pairs.jsonl]
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PairScore:
    mined: int  # gloss pairs the corpus's lexicon holds
    judged: int
    correct: int
    wrong: list[tuple[str, str]] = field(default_factory=list)
    unjudged: list[tuple[str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.correct / self.judged if self.judged else None


def load_judged(path: Path) -> dict[tuple[str, str], bool]:
    """(English, Chinese) -> correct, from a JSONL file of {"en", "zh", "correct", …}."""
    out = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            if not isinstance(row.get("correct"), bool):
                raise ValueError(f"{path}:{n}: 'correct' must be true or false")
            out[(row["en"], row["zh"])] = row["correct"]
    return out


def mined_pairs(lexicon: Any) -> list[tuple[str, str]]:
    """The pairs the corpus defines itself (not CC-CEDICT's, not derived from its parts)."""
    return list(dict.fromkeys((p.en, p.zh) for p in lexicon.pairs if p.source == "gloss"))


def score_pairs(pairs: list[tuple[str, str]], judged: dict[tuple[str, str], bool]) -> PairScore:
    known = [p for p in pairs if p in judged]
    wrong = [p for p in known if not judged[p]]
    return PairScore(len(pairs), len(known), len(known) - len(wrong), wrong, [p for p in pairs if p not in judged])


def render(scores: dict[str, PairScore]) -> str:
    lines = ["| corpus | mined pairs | judged | correct | precision |", "|---|---|---|---|---|"]
    for name, s in scores.items():
        p = f"{s.precision:.3f}" if s.precision is not None else "–"
        lines.append(f"| {name} | {s.mined} | {s.judged} | {s.correct} | {p} |")
    for name, s in scores.items():
        lines += [f"- {name}: wrong {en} → {zh}" for en, zh in s.wrong]
        lines += [f"- {name}: not judged {en} → {zh}" for en, zh in s.unjudged]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from .searcher import Searcher

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("indexes", nargs="+", type=Path, help="index folders (as `citeqa build --index` wrote them)")
    ap.add_argument("--gold", type=Path, default=Path("eval/gold/term-pairs.jsonl"), help="judged pairs (JSONL)")
    args = ap.parse_args(argv)
    judged = load_judged(args.gold)
    scores = {str(i): score_pairs(mined_pairs(Searcher.load(i).lexicon), judged) for i in args.indexes}
    print(render(scores))
    return 0 if all(not s.unjudged for s in scores.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
