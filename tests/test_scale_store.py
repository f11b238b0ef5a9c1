"""The lazily read index format: chunk table, documents, verification levels, the previous format."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import citeqa.store as store
from citeqa.build import _cached_vectors
from citeqa.chunktable import ChunkTable, DocumentTable, write_chunks, write_documents
from citeqa.facets import Facets
from citeqa.models import Chunk, Document
from citeqa.store import IndexError_, current_build, load_index, sha256_file
from citeqa.text import en_tokens, zh_tokens
from citeqa.vectorstore import FaissStore, StoredVector


def _chunks() -> list[Chunk]:
    return [
        Chunk("a:0-5", "a", "英国研究与创新署", 0, 5, ("一、", "预算"), 2, "zh", (3, 4), "body", "", "UKRI", "budget"),
        Chunk("b:0-9", "b", "UKRI funds research.", 0, 9, (), None, "en", (), "table", "表1", "", ""),
        Chunk("a:5-9", "a", "line\nwith \"quotes\" and \\ slashes", 5, 9, ("x",), None, "zh", (), "body", "", "NNI", "budget"),
    ]


def test_chunk_table_round_trip_and_columns(tmp_path):
    chunks = _chunks()
    write_chunks(tmp_path, chunks, ["h0", "h1", "h2"])
    table = ChunkTable.open(tmp_path)
    assert len(table) == 3 and list(table) == chunks and table[-1] == chunks[2] and table[1:] == chunks[1:]
    with pytest.raises(IndexError):
        table[3]
    mech = table.column("mechanism")
    assert list(mech) == ["UKRI", "", "NNI"] and list(mech[np.array([2, 0])]) == ["NNI", "UKRI"]
    assert mech.code("NNI") >= 0 and mech.code("CSTI") == -1 and list(mech.values) == sorted(mech.values)
    assert [h.decode() for h in table.hashes] == ["h0", "h1", "h2"]
    assert table.of_document("a") == [chunks[0], chunks[2]] and table.of_document("missing") == []


def test_documents_are_read_on_demand_and_headers_carry_no_text(tmp_path):
    docs = [Document("a", "标题", "全文" * 50, pages=[(0, 5, 1)], cites=[7]), Document("b", "Title", "Text.", lang="en")]
    write_documents(tmp_path, docs)
    table = DocumentTable.open(tmp_path)
    assert list(table) == ["a", "b"] and table["a"].text == docs[0].text and table["a"].pages == [(0, 5, 1)]
    assert table.get("missing") is None
    heads = table.headers()
    assert heads["a"].title == "标题" and heads["a"].cites == [7] and heads["a"].text == "" and heads["b"].lang == "en"


def test_big_files_are_size_checked_at_load_and_checksummed_on_request(built_index, tmp_path, monkeypatch):
    index = tmp_path / "index"
    shutil.copytree(built_index, index)
    text = current_build(index) / "chunks.jsonl"
    data = bytearray(text.read_bytes())
    data[len(data) // 2] ^= 0x01  # same size, one bit flipped
    text.write_bytes(bytes(data))
    with pytest.raises(IndexError_, match="corrupt"):
        load_index(index)  # small: checksummed at every load
    monkeypatch.setattr(store, "VERIFY_MAX_BYTES", 1000)
    assert len(load_index(index).chunks) > 40  # big: a load checks only its size
    with pytest.raises(IndexError_, match="corrupt"):
        load_index(index, verify="full")
    text.write_bytes(bytes(data[:-10]))
    with pytest.raises(IndexError_, match="corrupt"):
        load_index(index)  # a truncated big file is caught by its size


def test_an_index_of_the_previous_format_is_refused_with_the_rebuild_command(built_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(built_index, index)
    build = current_build(index)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    (build / "manifest.json").write_text(json.dumps(dict(manifest, format_version=1)), encoding="utf-8")
    (index / "CURRENT").write_text(f"{build.name}\n{sha256_file(build / 'manifest.json')}\n", encoding="utf-8")
    with pytest.raises(IndexError_, match="citeqa build --force"):
        load_index(index)


def test_vectors_of_the_previous_format_are_reused(built_index, tmp_path):
    """Upgrading re-embeds nothing: a format-1 build's embeddings.npy and manifest hashes are read."""
    index = tmp_path / "index"
    shutil.copytree(built_index, index)
    data = load_index(index)
    build, vectors = data.path, np.asarray(data.vectors)
    hashes = [h.decode() for h in data.chunks.hashes]
    np.save(build / "embeddings.npy", vectors[::-1])
    manifest = dict(data.manifest, format_version=1, text_hashes=hashes)
    manifest["files"] = dict(manifest["files"], **{"embeddings.npy": sha256_file(build / "embeddings.npy")})
    manifest["sizes"] = {}
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    known, rows = _cached_vectors(index, data.encoder)
    assert len(rows) == len(set(hashes)) and np.array_equal(known[rows[hashes[0]]], vectors[-1])
    assert _cached_vectors(index, "another-encoder")[1] == {}


def test_a_passage_without_chinese_segments_to_its_english_words():
    """The build reuses a CJK-free passage's English tokens as its Chinese-channel tokens."""
    for text in ["UKRI funds 9 billion pounds (2018).", "R&D: the U.S. NNI's 21st-century act, v3.5.7 -x --y", "Ｆｕｌｌ-width ＮＮＩ２０２０ and café naïve",
                 "e.g. self-driving cars' A.I. 100% #1 x86_64 a-b-c '' - . 3.14", ""]:
        assert zh_tokens(text) == en_tokens(text), text


def test_facet_counts_each_alias_on_its_own():
    facets = Facets.from_manifest({"mechanism": {"A": ["UK", "科学"], "B": ["科学技术", "UK Research"]}})
    assert facets.counts("mechanism", "UKRI and UK; uk-based; 科学技术与科学") == {"A": 3, "B": 1}
    assert facets.counts("mechanism", "UK Research and Innovation") == {"A": 1, "B": 1}
    assert facets.best("mechanism", "nothing here") == ""


def test_a_memory_mapped_faiss_store_can_still_change(tmp_path):
    rng = np.random.default_rng(0)
    v = rng.standard_normal((20, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    items = [StoredVector(i, f"d{i // 10}", "en", "", "", "body") for i in range(20)]
    s = FaissStore(8)
    s.add(v[:10], items[:10])
    s.save(tmp_path / "dense")
    mapped = FaissStore.load(tmp_path / "dense", mmap=True)
    assert mapped.search(v[3], 1)[0][0] == 3 and mapped.search(v[3], 3, {"doc_id": "d0"})
    mapped.add(v[10:], items[10:])
    assert mapped.count() == 20 and mapped.search(v[15], 1)[0][0] == 15
    assert mapped.delete_document("d0") == 10 and mapped.search(v[15], 1)[0][0] == 15
