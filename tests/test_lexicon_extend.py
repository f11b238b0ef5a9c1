"""A lexicon grown by new documents agrees with one built from the whole corpus, in any document order."""

from __future__ import annotations

from citeqa.lexicon import Lexicon
from citeqa.lexicon_build import extend

ENGLISH = ("The National Research Council coordinates research infrastructure. "
           "Funding is allocated through a roadmap of facilities.\n")


def test_extended_lexicon_matches_a_full_build(article):
    paragraphs = [p for p in article[0].text.split("\n") if p.strip()]
    half = len(paragraphs) // 2
    first, second = "\n".join(paragraphs[:half]), "\n".join(paragraphs[half:]) + "\n" + ENGLISH
    whole = Lexicon.build([second, first])  # another order: windows are named by their text, not their position
    grown = extend(Lexicon.build([first]), [second])
    assert grown is not None
    a, b = whole.table, grown.table
    assert a.en_vocab == b.en_vocab and a.latin == b.latin
    mined = {p.zh for lex in (whole, grown) for p in lex.pairs if p.source == "gloss"}  # counted from the new texts only
    plain = [w for w in a.freq if w not in mined]
    assert {w: a.freq[w] for w in plain} == {w: b.freq.get(w, 0) for w in plain}
    cedict = lambda lex: {(p.en, p.zh) for p in lex.pairs if p.source in ("cedict", "derived") and p.zh not in mined}  # noqa: E731
    assert cedict(whole) == cedict(grown)
    assert a.cooc.windows == b.cooc.windows
    shared = [t for t in a.cooc._sketch if t in b.cooc._sketch]
    assert len(shared) > 0.9 * len(a.cooc._sketch)
    assert all(list(a.cooc._sketch[t]) == list(b.cooc._sketch[t]) for t in shared)
    for question in ("How are research facilities funded?", "科技资源如何统筹配置？"):
        assert whole.translate_en(question) == grown.translate_en(question)
        assert whole.translate_zh(question) == grown.translate_zh(question)


def test_lexicon_saved_without_window_count_cannot_be_extended(article):
    saved = Lexicon.build([article[0].text]).to_json()
    saved["cooc"].pop("windows")
    assert extend(Lexicon.from_json(saved), ["更多的文字"]) is None
    again = Lexicon.from_json(Lexicon.build([article[0].text]).to_json())
    assert extend(again, ["更多的文字"]) is not None
