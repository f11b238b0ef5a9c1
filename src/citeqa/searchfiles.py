"""The search side of a build: BM25 indexes, the dense calibration sample and the vector store.

Written into the build folder before it is checksummed, so nothing is re-derived when the index
loads. A build that grows the live one (`incremental.Growth`) tokenises only the new passages,
extends the saved BM25 postings and adds the new vectors to the saved FAISS graphs.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from . import workers
from .models import Chunk

_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")  # the characters text.zh_tokens segments with jieba


def search_writer(chunks: list[Chunk], texts: list[str], vectors: np.ndarray, lexicon, milvus: tuple[str, str] | None, growth=None):
    """The search side's files, written into the build folder before it is checksummed.

    BM25 indexes (zh words; English words plus the English glosses of Chinese passages, and
    without them for the ablation), the dense channel's calibration sample, and the FAISS
    store (unless the vectors live in Milvus): nothing is re-derived when the index loads.
    With `milvus` = (uri, collection) the BM25 term scores also go to that Milvus collection as
    sparse vectors, with the per-term tables the query side needs in search/lexical-milvus.
    With `growth`, `chunks` and `texts` are the new passages (rows growth.n on): only they are tokenised and added.
    """
    from .dense import Calibration
    from .incremental import grown_store
    from .lexical import LexicalIndex
    from .searcher import SEARCH_DIR
    from .vectorstore import FaissStore, StoredVector

    langs = [c.lang for c in chunks]
    if growth:  # `chunks` are the new passages; the vectors are all
        langs = list(growth.langs) + langs

    def write(folder: Path) -> None:
        out = folder / SEARCH_DIR
        out.mkdir()
        tokens = _tokens(chunks, texts, lexicon)
        lexical = {}
        for name in list(tokens):  # one index at a time, its tokens freed once built: a million passages hold ~10^8 tokens
            index = LexicalIndex.build(tokens.pop(name), previous=growth.postings.pop(name) if growth else None)
            index.save(out / f"lexical-{name}")
            if milvus:
                lexical[name] = index
        Calibration.fit(vectors, langs).save(out)
        if milvus:
            from .milvus_lexical import connect, write_sparse

            client = connect(milvus[0])
            try:
                write_sparse(client, milvus[1], lexical, [StoredVector.from_chunk(i, c) for i, c in enumerate(chunks)], out / "lexical-milvus")
            finally:
                client.close()
        elif growth:
            grown_store(growth, vectors, chunks).save(out / "dense")
        else:
            store = FaissStore(dim=vectors.shape[1])
            if len(vectors):
                store.add(vectors, [StoredVector.from_chunk(i, c) for i, c in enumerate(chunks)])
            store.save(out / "dense")

    return write


def _tokens(chunks: list[Chunk], texts: list[str], lexicon) -> dict[str, list[list[str]]]:
    """Each passage's tokens for the three BM25 indexes, every passage tokenised once per tokenizer.

    zh: jieba words (in worker processes with CITEQA_WORKERS=N); a passage without Chinese characters
    segments to exactly its English words, which are reused. en: English words plus the English
    glosses of a Chinese passage's terms; en-plain: English words alone (the ablation).
    """
    from .text import en_tokens, zh_tokens

    en_plain = [en_tokens(t) for t in texts]
    chinese = [t for t in texts if _HAN.search(t)]
    segmented = iter(list(workers.imap(zh_tokens, chinese, size=sum(map(len, chinese)))))
    zh = [next(segmented) if _HAN.search(t) else toks for t, toks in zip(texts, en_plain)]
    glossed = [toks + (en_tokens(" ".join(lexicon.english_gloss(t))) if c.lang != "en" else []) for c, t, toks in zip(chunks, texts, en_plain)]
    return {"zh": zh, "en": glossed, "en-plain": en_plain}


