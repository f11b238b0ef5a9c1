"""The `citeqa` entry point, and `ask` without the command-line framework.

`citeqa ask` is a new process each time, so what it imports is most of what it costs. This
module reads an `ask` command line itself: a question for a running `citeqa serve` (`--server
URL`, CITEQA_SERVER, or the app announced on --index) is sent with the standard library only;
a local question loads jieba's dictionary on demand (coldstart.py) and the index, never typer,
torch or gradio. Any other command line, `--help`, or an option this reader does not know goes
to the full command line (cli.py), which calls `run_ask` for `ask` too: one behaviour, two doors.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

TYPE_CHECKING = False  # typing and dataclasses are left out: importing them is a third of this path's cost
if TYPE_CHECKING:
    from typing import Any, Callable

K_RANGE = (1, 50)  # cli.ask's -k bounds
VALUE_OPTIONS = {"-k": "k", "--mechanism": "mechanism", "--measure": "measure", "--lang": "lang", "--doc": "doc",
                 "--server": "server", "--index": "index", "--corpus": "corpus"}
FLAG_OPTIONS = {"--json": "as_json", "--local": "local"}


class AskArgs:
    """An `ask` command line, as cli.ask's options define it."""

    FIELDS = ("question", "k", "filters", "as_json", "server", "local", "index", "corpus")

    def __init__(self, question: str, k: int = 5, filters: dict[str, str | None] | None = None, as_json: bool = False,
                 server: str | None = None, local: bool = False, index: Path = Path("index"), corpus: Path | None = None) -> None:
        self.question, self.k, self.as_json, self.server, self.local = question, k, as_json, server, local
        self.filters = filters if filters is not None else dict.fromkeys(("mechanism", "measure", "lang", "doc"))
        self.index, self.corpus = index, corpus

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AskArgs) and all(getattr(self, f) == getattr(other, f) for f in self.FIELDS)

    def __repr__(self) -> str:
        return "AskArgs(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in self.FIELDS) + ")"


def parse_ask(argv: list[str]) -> AskArgs | None:
    """`ask QUESTION [options]` read as typer would; None for anything else (the full command line decides)."""
    if not argv or argv[0] != "ask":
        return None
    values: dict[str, Any] = {}
    positional: list[str] = []
    rest, only_positional = list(argv[1:]), False
    while rest:
        token = rest.pop(0)
        if only_positional or token == "-" or not token.startswith("-"):
            positional.append(token)
        elif token == "--":
            only_positional = True
        elif token in FLAG_OPTIONS:
            values[FLAG_OPTIONS[token]] = True
        else:  # --name value, --name=value, -k value, -k5 (click's forms)
            name, eq, value = token.partition("=") if token.startswith("--") else (token[:2], "=" if token[2:] else "", token[2:])
            if name not in VALUE_OPTIONS or (not eq and not rest):
                return None  # --help, an unknown option, a missing value: typer says what is wrong
            values[VALUE_OPTIONS[name]] = value if eq else rest.pop(0)
    if len(positional) != 1:
        return None
    try:
        k = int(values.pop("k", 5))
    except ValueError:
        return None
    if not K_RANGE[0] <= k <= K_RANGE[1]:
        return None
    filters = {f: values.pop(f, None) for f in ("mechanism", "measure", "lang", "doc")}
    server = values.pop("server", None) or os.environ.get("CITEQA_SERVER") or None
    index, corpus = Path(values.pop("index", "index")), values.pop("corpus", None)
    return AskArgs(positional[0], k, filters, as_json=values.pop("as_json", False), server=server, local=values.pop("local", False),
                   index=index, corpus=Path(corpus) if corpus is not None else None)


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr)


def fail(message: str, code: int = 1) -> None:
    """Print `error: message` as the command line does and exit with `code`."""
    _console(stderr=True).print(f"[bold red]error:[/] {message}")
    raise SystemExit(code)


def ask_error(question: str, message: str, as_json: bool) -> None:
    """A question the index cannot take (unknown filter value, empty question): exit 2."""
    if as_json:
        print(json.dumps({"query": question, "error": message, "abstained": True, "hits": []}, ensure_ascii=False))
        raise SystemExit(2)
    fail(message, code=2)


def note_corpus(corpus: Path | None, manifest: dict) -> None:
    """--corpus on a reading command: say so when the index was built from another folder."""
    if corpus is not None and manifest.get("corpus") and Path(manifest["corpus"]).resolve() != corpus.resolve():
        _console(stderr=True).print(f"[yellow]note:[/] the index was built from {manifest['corpus']}, not {corpus}; "
                                    f"rebuild with: citeqa build --corpus {corpus}")


def load_searcher(index: Path):
    """The index's searcher, or `error: …` and exit 1 (no index, corrupt, built with another encoder)."""
    from .search import Searcher
    from .store import IndexError_

    try:
        return Searcher.load(index)
    except (IndexError_, ValueError) as exc:
        fail(str(exc))


def ask_remote(args: AskArgs) -> dict[str, Any] | None:
    """The answer of the app asked for (an error exits 1) or announced on --index (a failure is None)."""
    if args.local and not args.server:
        return None
    from .remote import RemoteError, announced, ask_server

    try:
        if args.server:
            return ask_server(args.server, args.question, args.k, args.filters)
        running = announced(args.index)
        return ask_server(running, args.question, args.k, args.filters, timeout=30.0) if running else None
    except RemoteError as exc:
        if args.server:
            fail(str(exc))  # asked for explicitly; an announced app that fails is skipped
    return None


def show(answer: dict[str, Any] | None, result: Any, as_json: bool) -> None:
    """Print a server's answer (a dict) or a local SearchResult, as JSON or for people."""
    if as_json:
        print(json.dumps(answer if answer is not None else result.to_dict(), ensure_ascii=False))
        return
    from .present import render_remote, render_result

    render_remote(_console(), answer) if answer is not None else render_result(_console(), result)


def run_ask(args: AskArgs, load: Callable[[Path], Any] = load_searcher) -> None:
    """`citeqa ask`: a running app answers when there is one, else the index is loaded here."""
    answer = ask_remote(args)
    if answer is not None:
        if answer.get("error"):
            ask_error(args.question, answer["error"], args.as_json)
        show(answer, None, args.as_json)
        return
    from . import coldstart

    coldstart.install()  # before anything cuts Chinese text: jieba's tables on demand
    from .filtercheck import FilterError, check_filters
    from .search import QueryError

    searcher = load(args.index)
    note_corpus(args.corpus, searcher.data.manifest)
    try:
        result = searcher.search(args.question, k=args.k, filters=check_filters(searcher.data.chunks, **args.filters))
    except (FilterError, QueryError) as exc:
        ask_error(args.question, str(exc), args.as_json)
    show(None, result, args.as_json)


def main(argv: list[str] | None = None) -> None:
    """`citeqa …`: an `ask` this module can read runs here; everything else in cli.py."""
    args = parse_ask(sys.argv[1:] if argv is None else argv)
    if args is None:
        from .cli import app

        app(args=argv)
        return
    try:
        run_ask(args)
    except BrokenPipeError:  # `citeqa ask … | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(0)
