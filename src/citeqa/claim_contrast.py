"""Contrast clauses ("from the member agencies, not the programme"; 而不是/而非): the passage rules a
body out of the relation it states, so a claim that gives the relation to that body is contradicted."""

from __future__ import annotations

import re
from typing import Any

_CONTRAST = (re.compile(r"(?:,|\bbut|\band)\s+not\s+(?:by\s+|from\s+|to\s+|for\s+|through\s+|via\s+)?(?P<y>[^,.;:()]{2,60})", re.I),
             re.compile(r"(?:而不是|而非)(?:来自|由|通过|向)?(?P<y>[^，,。；;]{2,24})"))


def ruled_out(an: Any, view: Any, sentence: str) -> str | None:
    """The body a sentence excludes that the (affirmative) claim names, else None."""
    if view.negated:
        return None
    named = {k for _, _, k in an.entities(view.text)}
    for rx in _CONTRAST:
        for m in rx.finditer(sentence):
            if {k for _, _, k in an.entities(m["y"])} & named:
                return m["y"].strip()
    return None
