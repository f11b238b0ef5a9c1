"""What a question asks for, and whether a passage can say it: a quantity or a date.

A question that asks how many, how much, how often, how long or when is answered by a passage
that states a number ("18 ESFRI Projects", "every two years", "January 2001"), however close in
topic a passage without one is. The ranking adds a small term for such passages (`Weights.
answer_type`, fusion.ranked_scores); the evidence the answerability model reads does not include it,
so a "how many" question is not made more answerable by the numbers in the corpus. The lists
are question words and numerals of the two languages, not knowledge of any corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

_ASKS_EN = r"\b(?:how (?:many|much|often|long|old|large|big)|when|(?:what|which) (?:year|date|month|day|time))\b"
_ASKS_ZH = r"多少|几(?!乎)|哪一?年|何时|什么时候|多久|多长|多大|第几|哪个月|哪一?天"
ASKS = re.compile(f"{_ASKS_EN}|{_ASKS_ZH}", re.IGNORECASE)

_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
                 r"thousand|million|billion|dozen|twice|annual(?:ly)?|biennial(?:ly)?|yearly|monthly|weekly|daily")
_ZH_NUMERAL = r"[一二两三四五六七八九十百千万]+\s*[个名次年届项家所位条种月天周]"
STATES = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b|{_ZH_NUMERAL}", re.IGNORECASE)


def asks_quantity(question: str) -> bool:
    """The question asks for a number, an amount, a frequency, a duration or a date."""
    return bool(ASKS.search(question))


def states_quantity(texts: Iterable[str]) -> np.ndarray:
    """1 for each text that states a number (digits, a number word, a Chinese numeral with its measure word), else 0."""
    return np.array([1.0 if STATES.search(t) else 0.0 for t in texts], np.float32)
