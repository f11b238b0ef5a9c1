"""Held-out precision of mined term pairs: the Chinese man pages the suite does not use.

    python eval/corpora/manpages_glosses.py     # needs apt-get, dpkg-deb and groff (groff-base)

`manpages-zh` ships about 700 Chinese pages; the suite's man-page corpus uses the 52 that also
exist in English (listed in eval/data/manpages/SOURCE.txt). The other pages — every command
page among them — are text the gloss miner was never looked at on. This renders them (symlinked
aliases skipped), mines their term pairs as `citeqa build` does, and scores the pairs against
eval/gold/term-pairs-heldout.jsonl, judged by hand against the line that glosses each one:
correct when the Chinese term, as the page uses it, names the whole of what the English names
(the page's own translation counts even when unusual). Pairs the file does not judge are listed.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import debpkg
from manpages import CACHE, OUT, SIDES, render

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
from citeqa.lexicon import Lexicon  # noqa: E402
from citeqa.pair_eval import load_judged, mined_pairs, render as render_scores, score_pairs  # noqa: E402

GOLD = Path(__file__).resolve().parents[1] / "gold" / "term-pairs-heldout.jsonl"


def held_out_pages() -> list[str]:
    """Rendered text of every real Chinese page the suite's corpus does not hold."""
    package, folder = SIDES["zh"]
    root = debpkg.extract(debpkg.download(package, CACHE), CACHE) / folder
    dev = set(next(line for line in (OUT / "SOURCE.txt").read_text().splitlines() if line.startswith("pages:")).split()[1:])
    texts = []
    for path in sorted(root.glob("man[1-9]/*.gz")):
        name = str(path.relative_to(root))
        if name in dev or path.is_symlink() or not path.is_file():
            continue
        raw = path.read_bytes()
        lines = [s.strip() for s in gzip.decompress(raw).decode("utf-8", "replace").splitlines() if s.strip() and not s.lstrip().startswith(('.\\"', '\\"'))]
        if lines and all(s.startswith(".so") for s in lines):
            continue  # only includes another page
        text = render(raw)
        if text.strip():
            texts.append(text)
    return texts


def main() -> int:
    if not (OUT / "SOURCE.txt").is_file():
        raise SystemExit("run eval/corpora/manpages.py first: it names the pages the suite uses")
    texts = held_out_pages()
    print(f"{len(texts)} held-out pages")
    score = score_pairs(mined_pairs(Lexicon.build(texts)), load_judged(GOLD))
    print(render_scores({"manpages-zh, held out": score}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
