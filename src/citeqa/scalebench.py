"""The searcher at scale: synthetic indexes of real recombined text, measured in a fresh process.

Passages are recombined from the sentences of real documents (read, cleaned and chunked by
citeqa's own readers), zh and en, tagged with the source corpora's facets, written as
Markdown files to a corpus folder and indexed by `build_index` itself. Passage vectors are
injected (embedding a million passages would take days here): each is the normalised mean of
its sentences' source-passage vectors from the real default encoder plus Gaussian noise
("real"), or a random unit vector ("random"). Questions are encoded for real.

Each size is built in a child process (killed past `timeout_s`) and measured in another, so
load time and RSS are those of a cold `Searcher.load`. Query latencies exclude the encoder:
every query text's real vector is computed in a warm-up pass and served from a cache after.

    python -m citeqa.scalebench run --sizes 10000,100000 --workdir /tmp/scale --profile 100000
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import numpy as np

MARKER = ".citeqa-scalebench"  # marks folders this benchmark created (the only ones it deletes)
KEYS = ("load_s", "rss_mb", "query_ms_p50", "query_ms_p95", "filtered_ms_p50", "filtered_ms_p95", "bm25s_ms_p50", "faiss_ms_p50")
NOISE = 0.02  # per-dimension sigma: a noisy copy keeps cos ~0.9 with its sentences' mean vector
MB = 1024 * 1024


def default_sources(root: Path = Path(".")) -> list[Path]:
    """The shipped corpus plus every evaluation corpus folder under eval/data (indexes and caches skipped)."""
    data = root / "eval" / "data"
    extra = sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith(".") and not p.name.endswith(".index")) if data.is_dir() else []
    return [p for p in [root / "corpus", *extra] if p.is_dir()]


def source_pool(sources: list[Path]) -> dict[str, Any]:
    """Sentences per language, each with the row of its source passage, plus section titles and facets."""
    from .chunk import SENTENCE_END, chunk_document, detect_lang
    from .corpus import load_corpus
    from .ingest import load_document
    from .passage import passage_text

    texts: dict[str, int] = {}
    sentences: dict[str, dict[str, int]] = {"zh": {}, "en": {}}
    titles: dict[str, set[str]] = {"zh": set(), "en": set()}
    facets: dict[str, dict[str, list[str]]] = {}
    for folder in sources:
        corpus = load_corpus(folder)
        for facet, values in corpus.facets.items():
            for value, aliases in values.items():
                merged = facets.setdefault(facet, {}).setdefault(value, [])
                merged += [a for a in aliases if a not in merged]
        for entry in corpus.entries:
            try:
                doc, _ = load_document(entry)
            except Exception:  # an unreadable source only shrinks the pool
                continue
            for chunk in chunk_document(doc):
                row = texts.setdefault(passage_text(chunk), len(texts))
                for title in chunk.section[-1:]:
                    titles[detect_lang(title)].add(title[:60])
                for s in re.split(SENTENCE_END, chunk.text):
                    s = " ".join(s.split())
                    if 15 <= len(s) <= 300:
                        sentences[detect_lang(s)].setdefault(s, row)
    return {"texts": list(texts), "facets": facets, "titles": {k: sorted(v) for k, v in titles.items()},
            "sentences": {lang: list(d) for lang, d in sentences.items()}, "rows": {lang: list(d.values()) for lang, d in sentences.items()}}


def source_vectors(pool: dict[str, Any], workdir: Path, say: Callable[[str], None]) -> np.ndarray:
    """Real default-encoder vectors of the pool's source passages, cached in workdir by content."""
    from .embed import DEFAULT_ENCODER, get_encoder

    encoder = get_encoder(DEFAULT_ENCODER)
    key = zlib.crc32("\n".join([encoder.name, *pool["texts"]]).encode("utf-8"))
    path = workdir / f"source-vectors-{key:08x}.npy"
    if not path.exists():
        say(f"encoding {len(pool['texts']):,} source passages with {encoder.name}")
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, encoder.encode_passages(pool["texts"], progress=False).astype(np.float32))
        os.replace(tmp, path)
    return np.load(path)


def write_corpus(pool: dict[str, Any], n: int, folder: Path, seed: int = 0) -> int:
    """About n distinct passages of 150-400 characters in Markdown files of 40-160 paragraphs, half zh, half en.

    Headings every 2-6 paragraphs reuse real section titles. The chunker packs paragraphs
    shorter than its minimum with the next one, so a little more than n paragraphs are written
    (the ratio is the one measured on the first documents). Returns the paragraphs written.
    """
    import tomli_w

    from .chunk import chunk_document
    from .models import Document

    if folder.exists():
        if not (folder / MARKER).exists():
            raise FileExistsError(f"{folder} exists and was not created by the scale benchmark; pass another workdir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("synthetic corpus written by citeqa.scalebench\n", encoding="utf-8")
    (folder / "manifest.toml").write_text(tomli_w.dumps({"facets": pool["facets"]}), encoding="utf-8")
    rng, seen = np.random.default_rng(seed), set()
    written = passages = doc = 0
    ratio = 1.0
    while passages < n:
        lang = "zh" if doc % 2 == 0 else "en"
        sents, titles = pool["sentences"][lang], pool["titles"][lang] or ["Section"]
        lines, paragraphs, next_heading = [f"# {titles[rng.integers(len(titles))]}"], 0, 0
        for _ in range(int(rng.integers(40, 161))):
            if paragraphs == next_heading:
                lines.append(f"## {titles[rng.integers(len(titles))]}")
                next_heading += int(rng.integers(2, 7))
            target, text = int(rng.integers(150, 401)), ""
            while len(text) < target:
                s = sents[rng.integers(len(sents))]
                if len(text) + len(s) + 1 > 400:
                    break
                text += ("" if lang == "zh" or not text else " ") + s
            if len(text) < 60 or text in seen:
                continue
            seen.add(text)
            lines.append(text)
            paragraphs += 1
        body = "\n\n".join(lines) + "\n"
        sub = folder / lang
        sub.mkdir(exist_ok=True)
        (sub / f"d{doc:06d}.md").write_text(body, encoding="utf-8")
        if doc == 0:  # how many passages the chunker makes of a paragraph
            ratio = len(chunk_document(Document(doc_id="probe", title="", text=body))) / max(paragraphs, 1)
        written += paragraphs
        passages += round(paragraphs * ratio)
        doc += 1
    return written


class InjectedEncoder:
    """Passage vectors injected (no model run); identity and queries those of the real default encoder."""

    def __init__(self, pool: dict[str, Any] | None, vectors: np.ndarray | None, seed: int = 0) -> None:
        from .embed import DEFAULT_ENCODER, get_encoder

        self.real = get_encoder(DEFAULT_ENCODER)
        self.name, self.dim, self.seed, self.vectors = self.real.name, self.real.dim, seed, vectors
        self.rows = {s: r for lang in ("zh", "en") for s, r in zip(pool["sentences"][lang], pool["rows"][lang])} if pool and vectors is not None else {}
        self.seconds, self.matched, self.count = 0.0, 0, 0

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.real.encode_queries(texts)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        from .chunk import SENTENCE_END

        started = time.perf_counter()
        out = np.empty((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            rng = np.random.default_rng([self.seed, zlib.crc32(text.encode("utf-8"))])
            rows = [self.rows[s] for s in (" ".join(p.split()) for p in re.split(SENTENCE_END, text)) if s in self.rows]
            base = self.vectors[rows].mean(axis=0) if rows else np.zeros(self.dim, np.float32)
            scale = NOISE if rows else 1.0
            self.matched, self.count = self.matched + bool(rows), self.count + 1
            out[i] = base + rng.standard_normal(self.dim, dtype=np.float32) * scale
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        self.seconds += time.perf_counter() - started
        return out


# -- the build child: build_index with every phase timed -----------------------------------------

PHASES = [  # (module, attribute, phase): functions the build calls, timed exclusive of the phases nested in them
    ("citeqa.build", "load_corpus", "read corpus"), ("citeqa.build", "load_document", "ingest (read + clean)"),
    ("citeqa.build", "chunk_document", "chunk"), ("citeqa.facets", "Facets.tag", "facet tagging"),
    ("citeqa.build", "_cached_vectors", "reuse check"), ("citeqa.lexicon", "Lexicon.build", "lexicon"),
    ("citeqa.lexicon", "Lexicon.to_json", "lexicon"), ("citeqa.lexicon", "Lexicon.english_gloss", "english glosses"),
    ("citeqa.build", "_tokens", "tokenise (zh in worker processes)"), ("citeqa.text", "en_tokens", "tokenise en"),
    ("citeqa.lexical", "LexicalIndex.build", "bm25s index"), ("citeqa.lexical", "LexicalIndex.save", "bm25s save"),
    ("citeqa.dense", "Calibration.fit", "calibration"), ("citeqa.store", "make_faiss_index", "faiss build"),
    ("citeqa.vectorstore", "FaissStore.add", "faiss store add"), ("citeqa.vectorstore", "FaissStore.save", "faiss store save"),
    ("faiss", "write_index", "faiss write"), ("numpy", "save", "np.save"), ("citeqa.store", "_file_facts", "checksums"),
    ("citeqa.store", "write_chunks", "chunk table"), ("citeqa.store", "write_documents", "documents"),
    ("citeqa.store", "_fsync_tree", "fsync"), ("citeqa.build", "write_index", "write_index (other)"),
]


def _instrument(phases: dict[str, float]) -> None:
    """Wrap PHASES so each call's time goes to its phase minus the time of phases called inside it.

    A phase called inside another is reported with the outer one in brackets: "tokenise zh (lexicon)".
    """
    import importlib

    stack: list[list] = []  # [phase, seconds spent in phases called inside it]

    def timed(fn: Callable, phase: str) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            outer = next((p for p, _ in reversed(stack) if p != phase), "")
            stack.append([phase, 0.0])
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                key = f"{phase} ({outer})" if outer and not outer.startswith("write_index") else phase
                phases[key] = phases.get(key, 0.0) + spent - stack.pop()[1]
                if stack:
                    stack[-1][1] += spent
        return wrapper

    for module, attr, phase in PHASES:
        owner = importlib.import_module(module)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)
        wrapped = timed(original, phase)
        setattr(owner, name, wrapped)
        for mod in [m for k, m in list(sys.modules.items()) if k.startswith("citeqa.") and m is not None]:
            if not path and getattr(mod, name, None) is original:  # `from .x import f` copies in other modules
                setattr(mod, name, wrapped)


def build_child(corpus: Path, index: Path, pool_path: Path, vectors_path: Path | None) -> dict[str, Any]:
    import resource

    from .build import build_index
    from .store import current_build

    pool = json.loads(pool_path.read_text(encoding="utf-8"))
    encoder = InjectedEncoder(pool, np.load(vectors_path) if vectors_path else None)
    phases: dict[str, float] = {}
    _instrument(phases)
    started = time.perf_counter()
    report = build_index(corpus, index, encoder=encoder, progress=False, force=True)
    seconds = time.perf_counter() - started
    phases["encode (injected)"] = encoder.seconds
    phases["other"] = seconds - sum(phases.values())
    build = current_build(index)
    files = {p.relative_to(build).as_posix(): round(p.stat().st_size / MB, 2) for p in build.rglob("*") if p.is_file()}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"build_s": round(seconds, 2), "build_cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "passages": report.chunks, "vectors_from_sources": round(encoder.matched / max(encoder.count, 1), 3), "documents": len(report.documents),
            "phases_s": {k: round(v, 2) for k, v in sorted(phases.items(), key=lambda kv: -kv[1])},
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "index_mb": round(sum(files.values()), 1),
            "files_mb": dict(sorted(files.items(), key=lambda kv: -kv[1])[:12])}


# -- the measure child: a cold Searcher.load, then queries with precomputed question vectors ------


class CachedQueries:
    """The real encoder behind a cache: the warm-up pass encodes, timed passes only look vectors up."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.cache: dict[str, np.ndarray] = {}
        self.seconds = 0.0

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.cache]
        if missing:
            started = time.perf_counter()
            self.cache.update(zip(missing, self.inner.encode_queries(missing)))
            self.seconds += time.perf_counter() - started
        return np.stack([self.cache[t] for t in texts])

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self.inner.encode_passages(texts, progress=progress)


def _p(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1000, q)), 3) if values else 0.0


def _times(items: list[Any], fn: Callable[[Any], Any], cpu: list[float] | None = None) -> list[float]:
    """Wall time of fn(item) per item; the process's CPU time per item is appended to `cpu` when given."""
    out = []
    for item in items:
        started, used = time.perf_counter(), time.process_time()
        fn(item)
        out.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - used)
    return out


def _rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / MB, 1)


def measure_child(index: Path, questions: list[str], k: int = 5, profile_dir: Path | None = None) -> dict[str, Any]:
    from .embed import encoder_spec, get_encoder
    from .query import Filters
    from .searcher import Searcher
    from .store import read_manifest

    started = time.perf_counter()
    encoder = CachedQueries(get_encoder(encoder_spec(read_manifest(index)["encoder"])))
    encoder.encode_queries(["warm-up"])
    encoder_load_s, rss_before = time.perf_counter() - started, _rss_mb()
    profile = cProfile.Profile() if profile_dir else None
    started, load_cpu_s = time.perf_counter(), time.process_time()
    if profile:
        profile.enable()
    searcher = Searcher.load(index, encoder=encoder)
    if profile:
        profile.disable()
        profile.dump_stats(profile_dir / "load.prof")
    load_s, rss, load_cpu_s = time.perf_counter() - started, _rss_mb(), time.process_time() - load_cpu_s

    pairs = Counter((lang, mech) for lang, mech in zip(searcher.columns["lang"], searcher.columns["mechanism"]) if mech)
    (lang, mechanism), kept = pairs.most_common(1)[0] if pairs else (("zh", ""), 0)
    filters = Filters(lang=lang, mechanism=mechanism or None)
    encoder.seconds = 0.0
    for q in questions:  # warm-up: encodes every query text once (real encoder) and warms caches
        searcher.search(q, k=k)
        searcher.search(q, k=k, filters=filters)
    encoder_ms = encoder.seconds * 1000 / max(len(questions), 1)
    plain_cpu: list[float] = []  # on a loaded machine wall time includes waiting for a core; CPU time does not
    plain = _times(questions, lambda q: searcher.search(q, k=k), plain_cpu)
    filtered = _times(questions, lambda q: searcher.search(q, k=k, filters=filters))

    understood = [searcher.understand(q) for q in questions]
    lexical = []
    for q in understood:  # bm25s alone, the question's own-language channel, same saved index
        channel = searcher.zh if q.lang == "zh" else searcher.en
        tokens = [t for t, _ in (q.zh_terms if q.lang == "zh" else q.en_terms) if t in channel.vocab]
        if tokens:
            lexical.append((channel.model, tokens))
    for model, tokens in lexical[:3]:
        model.retrieve([tokens], k=10, show_progress=False, n_threads=1)
    bm25 = _times(lexical, lambda mt: mt[0].retrieve([mt[1]], k=10, show_progress=False, n_threads=1))
    store = searcher.dense.store
    qvecs = [encoder.encode_queries([q.text])[0] for q in understood]
    dense = _times(qvecs, lambda v: store.search(v, 10))
    index_ = getattr(store, "_index", None)
    raw = _times(qvecs, lambda v: index_.search(v[None, :], 10)) if index_ is not None else []
    import faiss  # one question at a time gains nothing from OpenMP threads and, on a busy machine, waits for them

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    single = _times(qvecs, lambda v: store.search(v, 10))
    plain_single = _times(questions, lambda q: searcher.search(q, k=k))
    faiss.omp_set_num_threads(threads)

    if profile:
        profile = cProfile.Profile()
        profile.enable()
        for q in questions:
            searcher.search(q, k=k)
            searcher.search(q, k=k, filters=filters)
        profile.disable()
        profile.dump_stats(profile_dir / "query.prof")
    out = {"load_s": round(load_s, 3), "rss_mb": rss,
           "query_ms_p50": _p(plain, 50), "query_ms_p95": _p(plain, 95),
           "filtered_ms_p50": _p(filtered, 50), "filtered_ms_p95": _p(filtered, 95),
           "bm25s_ms_p50": _p(bm25, 50), "faiss_ms_p50": _p(dense, 50)}
    out["details"] = {
        "passages": len(searcher.chunks), "store": store.describe().get("name"), "k": k, "questions": len(questions),
        "filter": {"lang": lang, "mechanism": mechanism, "share_of_passages": round(kept / max(len(searcher.chunks), 1), 4)},
        "load_cpu_s": round(load_cpu_s, 3), "query_cpu_ms_p50": _p(plain_cpu, 50), "query_cpu_ms_p95": _p(plain_cpu, 95),
        "encoder_load_s": round(encoder_load_s, 3), "rss_before_load_mb": rss_before, "encoder_ms_per_question": round(encoder_ms, 2),
        "faiss_raw_index_ms_p50": _p(raw, 50), "faiss_threads": threads, "faiss_1thread_ms_p50": _p(single, 50),
        "query_1thread_ms_p50": _p(plain_single, 50), "query_1thread_ms_p95": _p(plain_single, 95), "bm25s_questions": len(bm25), "load_avg": [round(x, 2) for x in os.getloadavg()],
    }
    return out


# -- orchestration ------------------------------------------------------------------------------


def _child(args: list[str], timeout_s: float) -> dict[str, Any]:
    """Run this module in a fresh interpreter; its last stdout line is the JSON answer."""
    cmd = [sys.executable, "-m", "citeqa.scalebench", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_searcher_scale(sizes: list[int], questions: list[str], workdir: Path, budget_s: float = 300.0, *,
                       sources: list[Path] | None = None, vectors: str = "real", k: int = 5, profile: set[int] = frozenset(),
                       timeout_s: float = 7200.0, say: Callable[[str], None] = lambda _: None) -> list[dict[str, Any]]:
    """Per size n: build through `build_index` (injected vectors), then load and query in a fresh process.

    A build slower than `budget_s` stops the larger sizes (each is skipped with the reason).
    `vectors` is "real" (noisy copies of real source-passage vectors) or "random" (unit vectors).
    """
    if vectors not in ("real", "random"):
        raise ValueError("vectors must be 'real' or 'random'")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    pool = source_pool(sources if sources is not None else default_sources())
    if not pool["sentences"]["zh"] or not pool["sentences"]["en"]:
        raise ValueError("the source folders need both Chinese and English text to recombine")
    pool_path = workdir / "pool.json"
    pool_path.write_text(json.dumps(pool, ensure_ascii=False), encoding="utf-8")
    vec_args = ["--vectors", str(workdir / "pool-vectors.npy")] if vectors == "real" else []
    if vectors == "real":
        np.save(workdir / "pool-vectors.npy", source_vectors(pool, workdir, say))
    (workdir / "questions.json").write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    rows, stop = [], ""
    for n in sizes:
        if stop:
            rows.append({"n": n, "skipped": stop})
            continue
        corpus, index = workdir / f"corpus-{n}", workdir / f"index-{n}"
        say(f"n={n:,}: writing the corpus")
        started = time.perf_counter()
        paragraphs = write_corpus(pool, n, corpus)
        write_s = time.perf_counter() - started
        say(f"n={n:,}: building ({paragraphs:,} paragraphs)")
        try:
            build = _child(["build", str(corpus), str(index), str(pool_path), *vec_args], timeout_s)
        except subprocess.TimeoutExpired:
            rows.append({"n": n, "skipped": f"build ran past {timeout_s:.0f} s"})
            stop = f"the build of n={n:,} ran past {timeout_s:.0f} s"
            continue
        say(f"n={n:,}: measuring in a fresh process")
        prof = ["--profile", str(workdir / f"profile-{n}")] if n in profile else []
        if prof:
            Path(prof[1]).mkdir(exist_ok=True)
        measured = _child(["measure", str(index), str(workdir / "questions.json"), "--k", str(k), *prof], timeout_s)
        details = measured.pop("details")
        rows.append({"n": n, **{key: measured[key] for key in KEYS}, "build_s": build.pop("build_s"),
                     "details": {**details, "vectors": vectors, "paragraphs_written": paragraphs, "corpus_write_s": round(write_s, 2), "build": build}})
        if rows[-1]["build_s"] > budget_s:
            stop = f"the build of n={n:,} took {rows[-1]['build_s']:.0f} s, over the {budget_s:.0f} s budget"
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m citeqa.scalebench", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd")
    b = sub.add_parser("build")
    b.add_argument("corpus", type=Path), b.add_argument("index", type=Path), b.add_argument("pool", type=Path)
    b.add_argument("--vectors", type=Path)
    m = sub.add_parser("measure")
    m.add_argument("index", type=Path), m.add_argument("questions", type=Path), m.add_argument("--k", type=int, default=5)
    m.add_argument("--profile", type=Path)
    r = sub.add_parser("run")
    r.add_argument("--sizes", default="10000,100000"), r.add_argument("--workdir", type=Path, required=True)
    r.add_argument("--gold", type=Path, default=Path("eval/gold_dev.jsonl")), r.add_argument("--budget", type=float, default=300.0)
    r.add_argument("--vectors", choices=("real", "random"), default="real"), r.add_argument("--profile", default="")
    r.add_argument("--k", type=int, default=5)
    args = parser.parse_args(argv)
    if args.cmd == "build":
        print(json.dumps(build_child(args.corpus, args.index, args.pool, args.vectors)))
    elif args.cmd == "measure":
        questions = json.loads(args.questions.read_text(encoding="utf-8"))
        print(json.dumps(measure_child(args.index, questions, args.k, args.profile)))
    elif args.cmd == "run":
        from .evaluate import load_gold

        questions = [g.question for g in load_gold(args.gold)]
        sizes = [int(s) for s in args.sizes.split(",") if s]
        profile = {int(s) for s in args.profile.split(",") if s}
        rows = run_searcher_scale(sizes, questions, args.workdir, args.budget, vectors=args.vectors, k=args.k, profile=profile,
                                  say=lambda s: print(time.strftime("%H:%M:%S"), s, file=sys.stderr, flush=True))
        print(json.dumps({"load_avg_at_end": os.getloadavg(), "rows": rows}, ensure_ascii=False, indent=1))
    else:
        parser.print_help()


if __name__ == "__main__":
    main()
