"""Facets (mechanism, measure) declared in the corpus manifest: tag passages, read questions.

A facet value has aliases in both languages. A passage is tagged with the value its table
cell, section path and text name most often (label and section count triple); a question
is read the same way, so "the Japanese council" and "综合科学技术创新会议" both map to CSTI.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .models import Chunk


@dataclass(frozen=True)
class Facets:
    values: dict[str, dict[str, tuple[str, ...]]]  # facet -> value -> aliases

    def __post_init__(self) -> None:
        # per facet: (value, lower-cased alias, compiled whole-word pattern or None), compiled once;
        # a passage names few aliases, so a substring test skips the others before any regex runs
        plan = {
            facet: [(value, a.lower(), _word_pattern(a)) for value, aliases in vals.items() for a in aliases]
            for facet, vals in self.values.items()
        }
        object.__setattr__(self, "_plan", plan)

    @classmethod
    def from_manifest(cls, raw: dict[str, dict[str, list[str]]]) -> "Facets":
        return cls({facet: {v: tuple(a) for v, a in vals.items()} for facet, vals in raw.items()})

    def to_json(self) -> dict[str, dict[str, list[str]]]:
        return {f: {v: list(a) for v, a in vals.items()} for f, vals in self.values.items()}

    def counts(self, facet: str, text: str) -> Counter:
        """How often each value's aliases occur (case-insensitive, whole words for Latin)."""
        found: Counter = Counter()
        low = text.lower()
        for value, alias, pattern in self._plan.get(facet, ()):  # type: ignore[attr-defined]
            if alias not in low:
                continue
            found[value] += len(pattern.findall(low)) if pattern is not None else low.count(alias)
        return +found

    def best(self, facet: str, text: str, context: str = "") -> str:
        scores = self.counts(facet, text) + Counter({k: 3 * v for k, v in self.counts(facet, context).items()})
        return scores.most_common(1)[0][0] if scores else ""

    def tag(self, chunk: Chunk) -> Chunk:
        from dataclasses import replace

        context = " ".join((chunk.label, *chunk.section[-2:]))
        return replace(chunk, mechanism=self.best("mechanism", chunk.text, context), measure=self.best("measure", chunk.text, context))


def _word_pattern(alias: str) -> re.Pattern[str] | None:
    """A Latin alias matches as a whole word (not inside a longer word or hyphenated name); others as substrings."""
    if re.fullmatch(r"[\w\s,\-]+", alias) and alias.isascii():
        return re.compile(rf"(?<![\w-]){re.escape(alias.lower())}(?![\w-])")
    return None
