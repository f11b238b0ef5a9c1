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
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .scalechild import NOISE, InjectedEncoder, build_child, measure_child  # noqa: F401  (the children's side)

MARKER = ".citeqa-scalebench"  # marks folders this benchmark created (the only ones it deletes)
KEYS = ("load_s", "rss_mb", "query_ms_p50", "query_ms_p95", "filtered_ms_p50", "filtered_ms_p95", "bm25s_ms_p50", "faiss_ms_p50")


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
        rows.append({"n": n, **{key: measured[key] for key in KEYS}, "anchors": measured.get("anchors", {}), "build_s": build.pop("build_s"),
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
