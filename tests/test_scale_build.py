"""The build's scaling parts give the same output as the plain path: worker processes, reused tokens."""

from __future__ import annotations

from pathlib import Path

import citeqa.workers as workers
from citeqa.lexicon import Lexicon
from citeqa.text import zh_tokens

ROOT = Path(__file__).resolve().parents[1]


def _texts() -> list[str]:
    text = (ROOT / "corpus" / "st-coordination-article.txt").read_text(encoding="utf-8")
    return [p for p in text.split("\n\n") if p.strip()]


def test_worker_processes_return_the_same_tokens_in_order(monkeypatch):
    texts = _texts()[:80]
    monkeypatch.setattr(workers, "MIN_CHARS", 0)
    monkeypatch.setenv("CITEQA_WORKERS", "2")
    assert list(workers.imap(zh_tokens, texts, size=1, chunksize=7)) == [zh_tokens(t) for t in texts]


def test_the_lexicon_mined_in_worker_processes_is_the_same(monkeypatch):
    texts = _texts()
    alone = Lexicon.build(texts).to_json()
    monkeypatch.setattr(workers, "MIN_CHARS", 0)
    monkeypatch.setenv("CITEQA_WORKERS", "2")
    assert Lexicon.build(texts).to_json() == alone


def test_workers_are_not_started_from_a_script_a_child_would_run_again(monkeypatch, tmp_path):
    import sys
    import types

    script = tmp_path / "script.py"
    script.write_text("from citeqa.build import build_index\nbuild_index('c', 'i')\n", encoding="utf-8")
    fake = types.ModuleType("__main__")
    fake.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake)
    assert not workers._main_is_guarded()
    script.write_text("def main(): ...\n\nif __name__ == '__main__':\n    main()\n", encoding="utf-8")
    assert workers._main_is_guarded()


def test_passage_language_is_the_share_of_cjk_letters_outside_addresses():
    import re

    from citeqa.chunk import detect_lang
    from citeqa.clean import CJK, is_cjk_text

    def reference(text: str) -> str:  # the rule, one character at a time
        letters = [c for c in text if c.isalpha()]
        return "zh" if letters and sum(bool(re.match(f"[{CJK}]", c)) for c in letters) / len(letters) > 0.3 else "en"

    samples = ["", "123 !!", "UKRI 英国研究与创新署", "纳米 NNI National Nanotechnology Initiative", "ﾃｽﾄ カタカナ", "\ufa6e\ufa6e a",
               "Ωμέγα 中", "ＮＮＩ全角", "中文" + "x" * 5, "中" + "y" * 3, *[t for t in _texts()[:200] if "://" not in t and "@" not in t]]
    for text in samples:
        assert detect_lang(text) == reference(text) == ("zh" if is_cjk_text(text) else "en"), text
    # web and mail addresses are in no language: their letters do not count
    assert detect_lang("徐明 <xuming@users.sourceforge.net>") == "zh"
    assert detect_lang("见https://x.org获取更多") == "zh"  # the CJK written against the address still counts
    assert detect_lang("邮件存档在 https://lists.debian.org/debian-user/ 阅读") == "zh"
    assert detect_lang("See https://www.nano.gov for the NNI budget") == "en"
    assert detect_lang("https://www.nano.gov") == detect_lang("a@b.org") == "en"
