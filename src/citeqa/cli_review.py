"""Commands that read or measure an index: `info`, `eval` (gold sets, the dev suite, claim sets), `check`, `show`, `bench`.

Registered on the same `app` as the rest of the command line (cli.py imports this module).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from .cli import DEFAULT_ENCODER, CorpusOpt, IndexOpt, ReadCorpusOpt, _fail, _note_corpus, _searcher, app, console, out, run_build


def _load_index(index: Path, verify: bool | str = True):
    from .store import IndexError_, load_index, read_manifest

    if read_manifest(index) is None:
        _fail(f"no index in {index}: build one with: citeqa build --index {index}")
    try:
        return load_index(index, verify=verify)
    except IndexError_ as exc:
        _fail(str(exc))


def _searcher_or_build(index: Path, corpus: Path):
    """The index's searcher; an index that is missing, corrupt or of an older format is built from `corpus` first.

    A local index built before sentence or cross-language vectors is rebuilt from the folder it was
    built from (its passage vectors are reused), so the shipped weights score what they were chosen on.
    """
    from .embed import encoder_spec
    from .search import Searcher
    from .store import IndexError_

    encoder = DEFAULT_ENCODER
    try:
        searcher = Searcher.load(index)
        manifest = searcher.data.manifest
        source = Path(manifest.get("corpus", ""))
        missing = [w for w, gone in (("sentence", searcher.missing_sentences()), ("cross-language", searcher.missing_cross())) if gone]
        if not missing or "vector_store" in manifest or not source.is_dir():
            return searcher
        console.print(f"[yellow]{index} has no {' or '.join(missing)} vectors[/]: adding them from {source} first (passage vectors are reused) …", highlight=False)
        corpus, encoder = source, encoder_spec(manifest["encoder"])
    except IndexError_ as exc:
        console.print(f"[yellow]{exc}[/]\nbuilding the index in {index} from {corpus} first …", highlight=False)
    except ValueError as exc:
        _fail(str(exc))
    run_build(corpus, index, encoder)
    return _searcher(index)


@app.command()
def info(
    index: Path = IndexOpt,
    corpus: Optional[Path] = ReadCorpusOpt,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    verify: bool = typer.Option(False, "--verify", help="Checksum every index file (a load checks big files by size only)."),
) -> None:
    """What is indexed: documents, passages, encoder, store type, sizes, and the values each filter accepts."""
    from rich.table import Table

    from .filtercheck import facet_values

    data = _load_index(index, verify="full" if verify else True)
    manifest = data.manifest
    _note_corpus(corpus, manifest)
    size = sum(p.stat().st_size for p in data.path.rglob("*") if p.is_file())
    summary = {
        "index": str(data.path),
        "encoder": manifest["encoder"],
        "encoder_backend": manifest.get("encoder_backend"),
        "dim": manifest["dim"],
        "store": manifest["store"],
        "chunker": manifest["chunker"],
        "sentences": bool(manifest.get("sentences")),
        "cross_encoder": manifest.get("cross_encoder"),
        "built_at": manifest["built_at"],
        "passages": len(data.chunks),
        "bytes_on_disk": size,
        "filters": facet_values(data.chunks),
        "documents": [
            {"doc_id": d, "title": v["title"], "passages": v["chunks"], "lang": data.documents[d].lang, "kind": data.documents[d].kind}
            for d, v in manifest["documents"].items()
        ],
    }
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    table = Table(title=f"{len(data.chunks)} passages · {manifest['encoder']} ({manifest['dim']}-d) · FAISS {manifest['store']} · {size / 1e6:.1f} MB")
    for col in ("doc_id", "title", "lang", "kind", "passages"):
        table.add_column(col)
    for d in summary["documents"]:
        table.add_row(d["doc_id"], d["title"][:50], d["lang"], d["kind"], str(d["passages"]))
    out.print(table)
    for facet, values in summary["filters"].items():
        if facet != "doc":
            out.print(f"--{facet}: {', '.join(values) or '(none)'}")
    backend = f" · encoded with {manifest['encoder_backend']}" if manifest.get("encoder_backend") else ""
    backend += f" · across languages also {manifest['cross_encoder']}" if manifest.get("cross_encoder") else ""
    out.print(f"built {manifest['built_at']} · chunker {manifest['chunker']}{backend} · {data.path}")


@app.command("eval")
def evaluate_cmd(
    gold: Path = typer.Option(Path("eval/gold_dev.jsonl"), "--gold", help="Gold questions (JSONL; schema in eval/README.md)."),
    suite: Optional[Path] = typer.Option(None, "--suite", help="Score every set of a dev suite (eval/suite.toml) in one table, with leave-one-corpus-out figures."),
    claims: Optional[Path] = typer.Option(None, "--claims", help="Score the claim checker on a labelled claim set (eval/CLAIMS.md)."),
    k: int = typer.Option(10, "-k", help="Passages retrieved per question."),
    as_json: bool = typer.Option(False, "--json", help="Print ONE JSON object with all metrics."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the report here (gold: metrics.json, report.md, recall_at_k.png; suite: results.json, table.md)."),
    compare: bool = typer.Option(False, "--compare", help="Also run the ablations (each method alone and combined)."),
    index: Path = IndexOpt,
    corpus: Optional[Path] = ReadCorpusOpt,
) -> None:
    """Score retrieval on a gold set (recall@k, MRR, nDCG, abstention, latency), a whole dev suite, or the claim checker."""
    if suite is not None:
        return _suite(suite, index, compare, as_json, report)
    if claims is not None:
        return _claims(claims, index, corpus, as_json)
    if not gold.is_file():
        _fail(f"gold file {gold} not found{' (it is a folder)' if gold.is_dir() else ''}: pass --gold FILE, a JSONL file of questions (schema in eval/README.md)")
    from .eval_report import write_report
    from .evaluate import GoldFormatError, evaluate, load_gold
    from .experiments import ABLATIONS

    try:
        items = load_gold(gold)
    except (GoldFormatError, OSError) as exc:
        _fail(str(exc))
    searcher = _searcher_or_build(index, corpus or Path("corpus"))
    _note_corpus(corpus, searcher.data.manifest)
    progress = not as_json and sys.stderr.isatty()
    runs = {"hybrid (default)": evaluate(items, lambda item: searcher.search(item.question, k=k), k=k, progress=progress)}
    if compare:
        for name, changes in ABLATIONS.items():
            variant = searcher.with_weights(**changes)
            runs[name] = evaluate(items, lambda item, s=variant: s.search(item.question, k=k), k=k, progress=progress)
    metrics = runs["hybrid (default)"].metrics()
    if compare:
        metrics["ablations"] = {name: run.metrics() for name, run in runs.items()}
    if report:
        try:
            write_report(runs if compare else runs["hybrid (default)"], report)
        except ValueError as exc:
            _fail(str(exc))
    if as_json:
        print(json.dumps(metrics, ensure_ascii=False))
        return
    from .present import render_metrics

    render_metrics(out, metrics)
    if report:
        out.print(f"report written to {report}/")


def _suite(suite: Path, index: Path, compare: bool, as_json: bool, report: Optional[Path]) -> None:
    """Every set of the suite; indexes live under --index/suite/ (built when missing or stale)."""
    if not suite.is_file():
        _fail(f"suite file {suite} not found: pass --suite eval/suite.toml (format described in that file)")
    from .suite_report import render, render_compact, run

    from .atomicfile import write_atomic
    from .eval_report import report_folder

    try:
        folder = report_folder(report) if report else None
    except ValueError as exc:
        _fail(str(exc))
    results = run(suite, Path(index) / "suite", compare=compare, say=lambda m: print(m, file=sys.stderr))
    if folder:
        write_atomic(folder / "results.json", json.dumps(results, ensure_ascii=False, indent=1) + "\n")
        write_atomic(folder / "table.md", render(results) + "\n")
        write_atomic(folder / "summary.md", render_compact(results) + "\n")
    print(json.dumps(results, ensure_ascii=False) if as_json else render_compact(results))


def _claims(path: Path, index: Path, corpus: Optional[Path], as_json: bool) -> None:
    if not path.is_file():
        _fail(f"claim file {path} not found: pass --claims FILE, a JSONL claim set (schema in eval/CLAIMS.md)")
    from .claim_eval import evaluate_claims, print_claim_eval

    searcher = _searcher(index)
    _note_corpus(corpus, searcher.data.manifest)
    result = evaluate_claims(searcher, path, k=5)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print_claim_eval(result)


@app.command()
def check(
    claim: Optional[str] = typer.Argument(None, help="A claim to check, in Chinese or English (or use --file)."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="A draft (.txt/.md, split into sentences), or claims (.csv with a `claim` column, .jsonl)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write claims.md, .csv, .html and .json here."),
    k: int = typer.Option(5, "-k", min=1, max=50, help="Passages shown per claim."),
    as_json: bool = typer.Option(False, "--json", help='Print ONE JSON object {"claim", "verdict", "confidence", "reasons", "evidence"} (a list for --file).'),
    index: Path = IndexOpt,
    corpus: Optional[Path] = ReadCorpusOpt,
) -> None:
    """Check a claim against the sources: one verdict (supported, contradicted, not_found, mixed), the reasons and the passages."""
    if claim is None and file is None:
        _fail("give a claim to check, or --file with a draft or a list of claims", code=2)
    if file is not None and not file.is_file():
        _fail(f"{file} not found: pass --file with a .txt/.md draft, a .csv with a `claim` column or a .jsonl of claims", code=2)
    from .claim_report import check_cli

    searcher = _searcher(index)
    _note_corpus(corpus, searcher.data.manifest)
    raise typer.Exit(check_cli(searcher, claim, file, report, as_json, k))


@app.command()
def show(
    target: str = typer.Argument(..., help="DOC_ID, or DOC_ID:START-END (a passage's span, as `citeqa ask` prints it)."),
    index: Path = IndexOpt,
) -> None:
    """Print a document's passage in its context (surrounding paragraphs, section, page, source locator)."""
    from .show import ShowError, parse_target, show_passage

    try:
        out.print(show_passage(index, *parse_target(target)), markup=False, highlight=False)
    except ShowError as exc:
        _fail(str(exc))


@app.command()
def bench(
    as_json: bool = typer.Option(False, "--json", help="Print ONE JSON object with all figures."),
    scale: str = typer.Option("", help="Synthetic vector counts for a FAISS-only run on random vectors (comma-separated), e.g. 10000,100000."),
    searcher_scale: str = typer.Option("", "--searcher-scale", help="Passage counts (e.g. 10000,100000) for the real search path on synthetic indexes of recombined real text: load_s, rss_mb, query and filtered p50/p95, bm25s and FAISS anchors."),
    gold: Path = typer.Option(Path("eval/gold_dev.jsonl"), "--gold", help="Questions used for end-to-end latency."),
    cold: int = typer.Option(0, "--cold", min=0, help="Only time N cold `citeqa ask` processes on --index: local (--local) and through a running app (started on a free port if none runs), p50/p95."),
    server: Optional[str] = typer.Option(None, "--server", help="With --cold: the app to ask (default: the one serving --index, else one started for the run)."),
    corpus: Path = CorpusOpt,
    index: Path = IndexOpt,
) -> None:
    """Measure build time, encoder and query latency, memory, index size, and FAISS at scale (--cold N: `citeqa ask` from the shell)."""
    if cold:
        from .coldstart_bench import bench_command

        return bench_command(cold, server, gold, corpus, index, as_json)
    from .bench import render_bench, run_bench

    figures = run_bench(corpus_dir=corpus, index_dir=index, gold=gold, scale=[int(x) for x in scale.split(",") if x.strip()], progress=not as_json)
    sizes = [int(x) for x in searcher_scale.split(",") if x.strip()]
    if sizes:
        import tempfile

        from .evaluate import load_gold
        from .scalebench import run_searcher_scale

        with tempfile.TemporaryDirectory(prefix="citeqa-scale-") as work:
            figures["searcher_scale"] = run_searcher_scale(sizes, [i.question for i in load_gold(gold)], Path(work) / "scale")
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        render_bench(out, figures)
