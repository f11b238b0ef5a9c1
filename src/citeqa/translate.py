"""Query-side pieces of dictionary translation: tokens, pass-through, sense scoring helpers.

Some tokens are the same in both languages and must reach the other side untouched:
commands, paths (/etc/fstab), options (--force), file names, versions (4.96), identifiers
with digits (exim4), anything in backticks, and words the Chinese documents themselves
write in Latin letters (GRUB, ltsp, Windows). `units` splits a question into such
pass-through tokens and runs of ordinary words that go through the dictionary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import Stemmer

from .text import to_halfwidth

_STEMMER = Stemmer.Stemmer("english")
EN_WORD = re.compile(r"[A-Za-z]+(?:[&'’][A-Za-z]+)*|\d+(?:\.\d+)?")
LATIN_TOKEN = re.compile(r"[A-Za-z0-9_./~+\-]*[A-Za-z0-9_]")  # a Latin token as written, path or word
_BACKTICK = re.compile(r"`([^`]+)`")
_WRAP = "\"'“”‘’«»「」()[]{}<>,;:!?。，；：！？、（）"
_CODE = re.compile(
    r"[/\\_=$@~]"  # paths, identifiers, variables
    r"|^--?[A-Za-z]"  # options
    r"|[A-Za-z]\d|\d[A-Za-z]"  # exim4, x86, 3com
    r"|^\d+(?:\.\d+){1,3}[A-Za-z0-9\-]*$"  # versions
    r"|^[A-Za-z0-9\-]{2,}\.[a-z]{1,5}$"  # file names: sources.list, fstab.bak
)
_ABBREVIATION = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?")  # U.S., e.g., i.e.

# Produce nothing on their own. _LIGHT words may still start a phrase ("carry out", "make up").
ARTICLES = {"a", "an", "the", "sb", "sth", "one's", "oneself", "etc"}
FUNCTION = set(
    """about above across after against all also am among and any are as at be been before being below
    between both but by can could did do does doing down during each either few for from had has have
    having he her here hers him his how i if in into is it its itself just may me might more most much
    must my neither no nor not of off on once only or other our out over own same shall she should so
    some such than that their them then there these they this those through to too under until up upon
    very was we were what when where whether which while who whom whose why will with within without
    would yet you your many one often always usually ever never again still already now well however thus
    something anything everything nothing someone anyone everyone somebody anybody somewhere anywhere everywhere
    don't doesn't didn't can't cannot won't isn't aren't wasn't weren't shouldn't wouldn't couldn't
    myself yourself themselves ourselves""".split()
)
LIGHT = set("make made makes get got give given take taken put set keep go went come bring carry say said let lets".split())
NUMBERS = dict(zip("two three four five six seven eight nine ten eleven twelve".split(), map(str, range(2, 13))))


@dataclass(frozen=True)
class Unit:
    """A pass-through token (`verbatim`) or a run of dictionary words (surface, lower-case, stem)."""

    verbatim: str = ""
    words: tuple[tuple[str, str, str], ...] = ()


def word_tokens(text: str) -> list[tuple[str, str, str]]:
    """(surface, lower-case, stem) per English word or number; articles and sb/sth dropped."""
    out = []
    for w in EN_WORD.findall(text.replace("’", "'")):
        w = w.removesuffix("'s")
        if (low := w.lower()) not in ARTICLES:
            out.append((w, low, _STEMMER.stemWord(low)))
    return out


def lemma(low: str) -> str:
    """The dictionary form of an inflected English word (caught -> catch, children -> child).

    A stemmer cuts suffixes but cannot undo an irregular form, and the dictionary lists
    only base forms: without this, "Which signal cannot be caught?" has no Chinese for "caught".
    """
    import simplemma  # loads its English table (~0.1 s) on first use

    return simplemma.lemmatize(low, lang="en").lower()


def is_english_word(low: str) -> bool:
    """An ordinary English word (simplemma's English vocabulary, the table `lemma` reads), not a product name."""
    import simplemma

    return simplemma.is_known(low, lang="en")


def phrase_key(toks: list[tuple[str, str, str]] | tuple[tuple[str, str, str], ...]) -> tuple[str, ...]:
    """Phrase key: stems cut to 6 letters so derivations meet (strategic/strategy planning)."""
    return tuple(stem[:6] for *_, stem in toks)


def is_code(token: str) -> bool:
    """A command, path, option, file name, version or identifier: never translated."""
    return bool(_CODE.search(token)) and bool(re.search("[A-Za-z0-9]", token)) and not _ABBREVIATION.fullmatch(token)


def latin_tokens(text: str) -> list[str]:
    """Latin tokens as written in a text (paths whole), plus the word parts of compound ones."""
    out = []
    for tok in LATIN_TOKEN.findall(text):
        tok = tok.strip(".-")
        if tok:
            out.append(tok)
            if not tok.isalnum():
                out += [p for p in re.findall(r"[A-Za-z][A-Za-z0-9]*", tok) if p != tok]
    return out


def units(query: str, known_latin: frozenset[str] | set[str]) -> list[Unit]:
    """Split a question into code-like pass-through tokens and runs of words (a pass-through token ends a run).

    Plain words the Chinese text also writes in Latin (GRUB, ltsp) stay in their run so phrases
    still match; the caller keeps them verbatim too (`known_latin`).
    """
    out: list[Unit] = []
    run: list[tuple[str, str, str]] = []

    def flush() -> None:
        if run:
            out.append(Unit(words=tuple(run)))
            run.clear()

    query = re.sub(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff0f\uff1a-\uff20]", " ", to_halfwidth(query))
    pieces = re.split(r"(`[^`]+`)", query.replace("’", "'"))
    for piece in pieces:
        if m := _BACKTICK.fullmatch(piece):
            flush()
            out.append(Unit(verbatim=m.group(1).strip()))
            continue
        for raw in piece.split():
            tok = raw.strip(_WRAP).removesuffix("'s")
            tok = tok.rstrip(".") if not re.search(r"\.[a-z]{1,5}$", tok) or tok.count(".") > 2 else tok
            low = tok.lower()
            if tok and (is_code(tok) or ("-" in tok and low in known_latin)):
                flush()
                out.append(Unit(verbatim=tok))
            else:
                run += word_tokens(tok)
    flush()
    return out


def share(ranked: list[tuple[float, str]], weight: float, limit: int) -> list[tuple[str, float]]:
    """Pirkola structured query: the kept alternatives of one source unit split its weight."""
    ranked = sorted(ranked, reverse=True)[:limit]
    ranked = [(s, t) for s, t in ranked if s >= 0.25 * ranked[0][0]]
    total = sum(s for s, _ in ranked)
    return [(t, weight * s / total) for s, t in ranked]
