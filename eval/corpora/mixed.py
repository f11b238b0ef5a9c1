"""A mixed-language corpus from two Debian manuals: the FAQ in Chinese next to the Edu manual in English.

Neither citeqa nor its tuning knows which document answers a question, so a Chinese question
must find the English manual and an English question the Chinese FAQ while the other
language's passages compete — the situation of a Chinese article with English sources,
on documents of another domain. Run after debian_faq.py and debian_edu.py:

    python eval/corpora/mixed.py      # eval/data/debian-mixed/ + eval/gold/debian-mixed.jsonl
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

EVAL = Path(__file__).resolve().parents[1]
PARTS = {  # source corpus -> the language its evidence is in here
    EVAL / "data" / "debian-faq" / "zh": ("zh", EVAL / "gold" / "debian-faq.jsonl", "faq"),
    EVAL / "data" / "debian-edu" / "en": ("en", EVAL / "gold" / "debian-edu.jsonl", "edu"),
}
OUT = EVAL / "data" / "debian-mixed"
GOLD = EVAL / "gold" / "debian-mixed.jsonl"


def main() -> int:
    missing = [str(p) for p in PARTS if not p.is_dir()]
    if missing:
        print(f"missing {', '.join(missing)}: run eval/corpora/debian_faq.py and eval/corpora/debian_edu.py first", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    lines = []
    for folder, (lang, gold, prefix) in PARTS.items():
        for f in sorted(folder.iterdir()):
            if f.is_file() and f.suffix in (".html", ".txt", ".md"):
                target = OUT / f"{prefix}-{f.name}"
                if not target.exists() or target.read_bytes() != f.read_bytes():
                    shutil.copyfile(f, target)
        for line in gold.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            item["id"] = f"mix-{item['id']}"
            if item["evidence"]:
                item["evidence_lang"] = lang
            lines.append(json.dumps(item, ensure_ascii=False))
    tmp = GOLD.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, GOLD)
    print(f"{OUT}: {len(list(OUT.iterdir()))} files; {GOLD}: {len(lines)} questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
