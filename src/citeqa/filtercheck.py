"""Filter values checked against what the index holds, matched without regard to case.

An unknown mechanism, measure, language or document is an error that lists the valid values,
so a typo never looks like "nothing supports this".
"""

from __future__ import annotations

from typing import Any, Iterable

from .query import Filters

FACETS = ("mechanism", "measure", "lang", "doc")


class FilterError(ValueError):
    """A filter value the index does not hold; the message lists the valid ones."""


def facet_values(chunks: Iterable[Any]) -> dict[str, list[str]]:
    """Every value each filter can take in this index (from its passages)."""
    columns = getattr(chunks, "columns", None)
    if isinstance(columns, dict):  # a saved chunk table: read the code columns, not every passage
        import numpy as np

        used = {f: columns[c].values[np.unique(columns[c].codes)].tolist() for f, c in (("mechanism", "mechanism"), ("measure", "measure"), ("lang", "lang"), ("doc", "doc_id"))}
        return {f: sorted(set(map(str, used[f])) - {""}) for f in FACETS}
    values: dict[str, set[str]] = {f: set() for f in FACETS}
    for c in chunks:
        values["mechanism"].add(c.mechanism)
        values["measure"].add(c.measure)
        values["lang"].add(c.lang)
        values["doc"].add(c.doc_id)
    return {f: sorted(v - {""}) for f, v in values.items()}


def check_filters(chunks: Iterable[Any], mechanism: str | None = None, measure: str | None = None, lang: str | None = None,
                  doc: str | None = None) -> Filters:
    """The search filters for what a user typed, in the index's own spelling; FilterError naming the valid values otherwise."""
    valid = facet_values(chunks)
    out: dict[str, str | None] = {}
    problems = []
    for facet, value in {"mechanism": mechanism, "measure": measure, "lang": lang, "doc": doc}.items():
        if value is None or value == "":
            out[facet] = None
            continue
        match = next((v for v in valid[facet] if v.casefold() == value.strip().casefold()), None)
        if match is None:
            problems.append(f"unknown {facet} {value!r}; valid values: {', '.join(valid[facet]) or '(none in this index)'}")
        out[facet] = match
    if problems:
        raise FilterError("; ".join(problems))
    return Filters(out["mechanism"], out["measure"], out["lang"], out["doc"])
