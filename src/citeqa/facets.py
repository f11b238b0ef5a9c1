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

    @classmethod
    def from_manifest(cls, raw: dict[str, dict[str, list[str]]]) -> "Facets":
        return cls({facet: {v: tuple(a) for v, a in vals.items()} for facet, vals in raw.items()})

    def to_json(self) -> dict[str, dict[str, list[str]]]:
        return {f: {v: list(a) for v, a in vals.items()} for f, vals in self.values.items()}

    def counts(self, facet: str, text: str) -> Counter:
        """How often each value's aliases occur (case-insensitive, whole words for Latin)."""
        found: Counter = Counter()
        low = text.lower()
        for value, aliases in self.values.get(facet, {}).items():
            for alias in aliases:
                if re.fullmatch(r"[\w\s,\-]+", alias) and alias.isascii():
                    found[value] += len(re.findall(rf"(?<![\w-]){re.escape(alias.lower())}(?![\w-])", low))
                else:
                    found[value] += low.count(alias.lower())
        return +found

    def best(self, facet: str, text: str, context: str = "") -> str:
        scores = self.counts(facet, text) + Counter({k: 3 * v for k, v in self.counts(facet, context).items()})
        return scores.most_common(1)[0][0] if scores else ""

    def tag(self, chunk: Chunk) -> Chunk:
        from dataclasses import replace

        context = " ".join((chunk.label, *chunk.section[-2:]))
        return replace(chunk, mechanism=self.best("mechanism", chunk.text, context), measure=self.best("measure", chunk.text, context))
