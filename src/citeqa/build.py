"""Build the index: read -> clean -> chunk -> tag -> embed (cached) -> store.

Re-running with nothing changed is a no-op; a changed or added document re-embeds only
its passages whose text changed (vectors are reused by content hash from the live build).
Bad documents are reported with their reason and skipped; the build fails only when no
document could be indexed.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .chunk import ChunkConfig, chunk_document
from .corpus import MANIFEST, CorpusError, load_corpus
from .embed import DEFAULT_ENCODER, Encoder, get_encoder, reuse_or_encode
from .facets import Facets
from .incremental import find_growth, read_documents, source_key
from .ingest import IngestError, load_document
from .models import Chunk, Document
from .passage import lexical_text, passage_text, text_hash
from .searchfiles import search_writer
from .sentvec import FOLDER as SENTENCES, SentenceVectors, encode_sentences, join
from .cite import citing_rows
from .crossvec import FOLDER as CROSS, NAME as CROSS_NAME, SENTENCES as CROSS_SENTENCES, CrossVectors, build as build_cross
from .store import VECTOR_FILES, IndexError_, current_build, load_index, read_manifest, verify_files, write_index


@dataclass
class BuildReport:
    index_path: Path | None
    documents: list[tuple[str, int]] = field(default_factory=list)  # (doc_id, chunks)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    removed: dict[str, int] = field(default_factory=dict)  # furniture removed, by reason
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    up_to_date: bool = False
    grown: bool = False  # the live build was extended by new documents (old passages kept, see incremental.py)

    @property
    def chunks(self) -> int:
        return sum(n for _, n in self.documents)


class BuildError(RuntimeError):
    """Nothing could be indexed; the message lists why."""


def _build_key(encoder: str, chunker: str, docs: list[Document], corpus_root: Path) -> str:
    manifest = corpus_root / MANIFEST
    parts = [encoder, chunker, manifest.read_text(encoding="utf-8") if manifest.exists() else ""]
    parts += sorted(f"{d.doc_id}:{d.content_hash}" for d in docs)
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    encoder: str | Encoder = DEFAULT_ENCODER,
    chunk_config: ChunkConfig = ChunkConfig(),
    progress: bool = True,
    force: bool = False,
    store: str = "faiss",
    milvus_uri: str | None = None,
    follow_symlinks: bool | None = None,
    sentences: bool | None = None,
    cross: bool | None = None,
) -> BuildReport:
    """Index `corpus_dir` into `index_dir`; vectors go to FAISS (default) or, with store="milvus", to Milvus at `milvus_uri`.

    `sentences` embeds each passage's sentences too (sentvec.py): better rankings for about twice
    the encoding. None keeps what the index already does (on for a new index), so `citeqa add`
    and a plain rebuild never drop them or add them behind the user's back. `cross` does the same for
    the cross-language encoder's vectors (crossvec.py).
    """
    if store not in ("faiss", "milvus"):
        raise ValueError(f"unknown store {store!r}: use faiss or milvus")
    if store == "milvus" and not milvus_uri:
        raise ValueError("--store milvus needs --milvus-uri: a local file ending in .db (Milvus Lite) or http://host:19530")
    started = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    corpus = load_corpus(corpus_dir, follow_symlinks)
    report = BuildReport(index_path=None)
    report.errors += corpus.skipped
    for doc_id, path in corpus.missing:
        report.errors.append((path, f"manifest entry {doc_id!r} points to a file that does not exist — fix or remove the entry"))

    documents: list[Document] = []
    seen_hashes: dict[str, str] = {}
    sources: dict[str, str] = {}  # doc_id -> the key of the file and entry it was read from
    live = _live(index_dir)  # the build being replaced, read once: its documents, passages and vectors are reused
    read_before = None if force or live is None else read_documents(live)
    for entry in corpus.entries:
        try:
            sources[entry.doc_id] = key_ = source_key(entry, corpus_dir)
            before = read_before(key_) if read_before and key_ else None
            doc, removed = (before, []) if before else load_document(entry)
        except IngestError as exc:
            report.errors.append((str(entry.path.relative_to(corpus_dir)), str(exc)))
            continue
        except Exception as exc:  # a reader bug must not cost the other documents
            report.errors.append((str(entry.path.relative_to(corpus_dir)), f"unexpected {exc.__class__.__name__}: {exc}"))
            continue
        if doc.content_hash in seen_hashes:
            report.errors.append((str(entry.path.relative_to(corpus_dir)), f"duplicate of document {seen_hashes[doc.content_hash]!r} — skipped"))
            continue
        seen_hashes[doc.content_hash] = doc.doc_id
        for reason, _ in removed:
            report.removed[reason] = report.removed.get(reason, 0) + 1
        documents.append(doc)
    if not documents:
        reasons = "; ".join(f"{p}: {r}" for p, r in report.errors) or "the folder has no .txt, .md, .html or .pdf files"
        raise BuildError(f"nothing could be indexed from {corpus_dir} ({reasons})")

    enc = get_encoder(encoder) if isinstance(encoder, str) else encoder
    previous = read_manifest(index_dir)
    want = sentences if sentences is not None else bool((previous or {}).get("sentences", True))
    want_cross = cross if cross is not None else bool((previous or {}).get("cross", True))
    from .lexicon import RECIPE as LEXICON_RECIPE  # in the key: a citeqa that reads the dictionary differently makes the lexicon again
    key = _build_key(f"{enc.name}|{store}|{milvus_uri or ''}|lexicon {LEXICON_RECIPE}" + ("" if want else "|whole passages") + ("" if want_cross else "|one encoder"),
                     chunk_config.signature(), documents, corpus_dir)
    files = (previous or {}).get("files", {})
    has_sentences = f"search/{SENTENCES}/vectors.npy" in files
    has_cross = all(f"search/{f}/vectors.npy" in files for f in (CROSS, f"{CROSS}/{CROSS_SENTENCES}"))
    if previous and previous.get("build_key") == key and not force and (has_sentences or not want) and (has_cross or not want_cross):
        try:
            load_index(index_dir, encoder=enc.name, chunker=chunk_config.signature())
            report.up_to_date = True
            report.index_path = index_dir
            report.documents = [(d, info["chunks"]) for d, info in previous.get("documents", {}).items()]
            report.seconds = time.perf_counter() - started
            return report
        except IndexError_:
            pass  # corrupt or mismatched: rebuild below

    facets = Facets.from_manifest(corpus.facets)
    growth = None if force or live is None else find_growth(live, documents, enc.name, chunk_config.signature(), store, json.loads(json.dumps(facets.to_json())))
    known, rows = _cached_vectors(index_dir, enc.name, live)
    earlier = _cached(index_dir, live, SENTENCES, SentenceVectors.load) if rows and want else None
    same_model = live is not None and live.manifest.get("cross_encoder") == CROSS_NAME
    earlier_cross = _cached(index_dir, live, CROSS, CrossVectors.load) if rows and want_cross and same_model else None
    whole_cross = earlier_cross if earlier_cross is not None and earlier_cross.sentences is not None else None  # growth keeps its rows
    if growth and (len(known) != growth.n or any(w and (e is None or len(e) != growth.n) for w, e in ((want, earlier), (want_cross, whole_cross)))):
        growth = None
    report.grown = growth is not None
    every = growth.old + growth.new if growth else documents  # a grown build keeps the old passages' rows, first
    if growth:
        documents, report.documents = growth.new, list(growth.counts.items())
    chunks: list[Chunk] = []  # the passages to write: all of them, or a grown build's new ones
    for doc in documents:
        doc_chunks = [facets.tag(c) for c in chunk_document(doc, chunk_config)]
        chunks += doc_chunks
        report.documents.append((doc.doc_id, len(doc_chunks)))

    texts = [passage_text(c) for c in chunks]
    hashes = [text_hash(t) for t in texts]
    at = np.fromiter((rows.get(h, -1) for h in hashes), np.int64, len(hashes))
    todo = np.flatnonzero(at < 0)
    vectors = reuse_or_encode(texts, at, known, lambda t: enc.encode_passages(t, progress=progress), enc.dim)
    report.embedded, report.reused = len(todo), len(chunks) - len(todo) + (growth.n if growth else 0)
    sentvecs = encode_sentences(chunks, enc, [earlier.of(int(r)) if earlier is not None and r >= 0 else None for r in at], progress) if want else None
    crossvecs = build_cross(chunks, texts, at, earlier_cross, list(growth.langs) if growth else [], progress) if want_cross else None
    if growth:
        vectors = np.concatenate([known, vectors])
        if sentvecs is not None:  # a grown build that wants sentences has the live build's (checked above)
            sentvecs = join(earlier, sentvecs)

    from .lexicon import Lexicon
    from .milvus_lexical import field_name

    lexicon = growth.lexicon if growth else Lexicon.build([d.text for d in every])
    collection = f"citeqa_{key[:16]}"
    write_search = search_writer(chunks, [lexical_text(c) for c in chunks], vectors, lexicon, (milvus_uri, f"{collection}_lexical") if store == "milvus" else None, growth)

    def search_files(folder: Path) -> None:
        write_search(folder)
        if sentvecs is not None:
            sentvecs.save(folder / "search" / SENTENCES)
        if crossvecs is not None:
            crossvecs.save(folder / "search" / CROSS)
    manifest = {
        "encoder": enc.name,
        "encoder_backend": getattr(enc, "backend", None),
        "chunker": chunk_config.signature(),
        "normalized": True,
        "sentences": want,
        "cross": want_cross,
        "cross_encoder": CROSS_NAME if want_cross else None,
        "build_key": key,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "corpus": str(corpus_dir),
        "documents": {
            d.doc_id: {"hash": d.content_hash, "path": d.path, "title": d.title, "chunks": n, "source": sources.get(d.doc_id)}
            for d, (_, n) in zip(every, report.documents)
        },
    }
    extras = {
        "lexicon": lexicon.to_json(),
        "facets": facets.to_json(),
        "bibliography": {n: ref.__dict__ for n, ref in corpus.bibliography().items()},
        "sources": [src for e in corpus.entries for src in e.sources],
        "citing": citing_rows(chunks, first=growth.n if growth else 0, before=growth.citing if growth else None),
    }
    if store == "milvus":
        manifest["vector_store"] = _fill_milvus(milvus_uri, collection, vectors, chunks)
        manifest["vector_store"]["lexical"] = {"collection": f"{collection}_lexical", "fields": {n: field_name(n) for n in ("zh", "en", "en-plain")}}
    report.index_path = write_index(index_dir, manifest, vectors, chunks, documents, extras, extra_files=search_files, text_hashes=hashes,
                                    after=growth.build if growth else None)
    if store == "milvus":
        _drop_other_collections(milvus_uri, keep={collection, f"{collection}_lexical"})
    report.seconds = time.perf_counter() - started
    return report


def _fill_milvus(uri: str, collection: str, vectors: np.ndarray, chunks: list[Chunk]) -> dict:
    """Load this build's vectors into its own collection (named by the build key).

    A new collection per build keeps the swap atomic: readers use the collection the live
    manifest names, and older collections are dropped only after CURRENT has moved.
    """
    from .vectorstore import MilvusStore, StoredVector

    ms = MilvusStore(uri, collection=collection, dim=vectors.shape[1])
    try:
        if ms.count() != len(chunks):
            ms.client.drop_collection(collection)
            ms.close()
            ms = MilvusStore(uri, collection=collection, dim=vectors.shape[1])
            ms.add(vectors, [StoredVector.from_chunk(i, c) for i, c in enumerate(chunks)])
        ms.client.flush(collection)
        return {"backend": "milvus", "uri": ms.uri, "collection": collection}
    finally:
        ms.close()


def _drop_other_collections(uri: str, keep: set[str]) -> None:
    from .vectorstore import MilvusStore

    ms = MilvusStore(uri, collection=min(keep))
    try:
        for name in ms.client.list_collections():
            if name.startswith("citeqa_") and name not in keep:
                ms.client.drop_collection(name)
    finally:
        ms.close()


def _live(index_dir: Path) -> Any:
    """The live build (store.IndexData), or None when there is none or it cannot be read."""
    try:
        return load_index(index_dir) if current_build(index_dir) is not None else None
    except IndexError_:
        return None


def _cached_vectors(index_dir: Path, encoder_name: str, live: Any = None) -> tuple[np.ndarray, dict[str, int]]:
    """The live build's vectors and the row of each passage-text hash, when it used the same encoder.

    A build of the previous format (hashes in its manifest, vectors in embeddings.npy) is
    reused too, so upgrading re-embeds nothing. The vector file is checksummed in full.
    `live`: the live build when already loaded (`_live`), else it is read here.
    """
    none = (np.zeros((0, 0), np.float32), {})
    previous, build = read_manifest(index_dir), current_build(index_dir)
    if not previous or build is None or previous.get("encoder") != encoder_name:
        return none
    try:
        if previous.get("format_version") == 1:
            name, hashes = "embeddings.npy", list(previous.get("text_hashes", []))
        else:
            data = live if live is not None else load_index(index_dir, encoder=encoder_name)
            build, previous = data.path, data.manifest
            name = next(n for n in VECTOR_FILES if n in previous.get("files", {}))
            hashes = [h.decode("ascii") for h in data.chunks.hashes]
        verify_files(build, previous, index_dir, [name], full=True)
        vectors = np.asarray(np.load(build / name, mmap_mode="r"))  # a plain view: rows are gathered, not copied one by one
    except (IndexError_, StopIteration, OSError, ValueError):
        return none
    return (vectors, {h: i for i, h in enumerate(hashes)}) if len(vectors) == len(hashes) else none


def _cached(index_dir: Path, live: Any, folder: str, load: Callable[[Path], Any]) -> Any:
    """The live build's vectors in search/`folder` (checksummed), reused with its passage vectors; None if it has none."""
    names = [n for n in live.manifest.get("files", {}) if n.startswith(f"search/{folder}/")] if live is not None else []
    if not names:
        return None
    try:
        verify_files(live.path, live.manifest, index_dir, names, full=True)
        return load(live.path / "search" / folder)
    except (IndexError_, OSError, ValueError):
        return None


__all__ = ["BuildError", "BuildReport", "CorpusError", "build_index", "passage_text"]
