"""A one-question `citeqa ask`: jieba's tables on demand give the same words, the client to a running
app imports nothing heavy, and every path (typer, fast entry, app, new process) gives the same hits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citeqa import cli, client
from citeqa.client import AskArgs, parse_ask
from citeqa.remote import SERVE_FILE
from conftest import CORPUS, ROOT

HEAVY = ("numpy", "torch", "faiss", "gradio", "jieba", "typer", "click", "bm25s", "scipy", "numba", "pydantic", "citeqa.search")
QUESTIONS = ["How much research funding does UKRI manage each year?", "英国研究与创新署每年管理多少科研经费？", "日本综合科学技术创新会议如何统筹资源？"]
TEXTS = [line for line in (CORPUS / "st-coordination-article.txt").read_text(encoding="utf-8").splitlines() if line.strip()][:60] + [
    "ＮＮＩ２０２０年的预算是多少？", "UKRI 每年统筹管理多少科研经费？", "欧洲研究基础设施战略论坛(ESFRI)路线图", "中华人民共和国科学技术部",
]
CUTS = """
import json, sys
from citeqa import coldstart
used = coldstart.install() if sys.argv[1] == "table" else False
import jieba, jieba.posseg
if len(sys.argv) > 2:
    jieba.add_word(sys.argv[2], 5, "nt")
texts = json.load(sys.stdin)
print(json.dumps({"table": used, "cuts": [[jieba.lcut_for_search(t), jieba.lcut(t, HMM=False), jieba.lcut(t),
                  [(p.word, p.flag) for p in jieba.posseg.lcut(t)]] for t in texts]}, ensure_ascii=False))
"""


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "CITEQA_CACHE": str(cache), "PYTHONPATH": str(ROOT / "src")}


def _cuts(mode: str, cache: Path, *extra: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CUTS, mode, *extra], input=json.dumps(TEXTS), capture_output=True, text=True, env=_env(cache), check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def table_cache(tmp_path_factory) -> Path:
    """A cache folder holding the table, made the way the first `ask` makes it."""
    cache = tmp_path_factory.mktemp("cache")
    first = _cuts("table", cache)
    assert first["table"] is False and len(list(cache.glob("jieba-*.table"))) == 1
    return cache


def test_on_demand_tables_cut_every_way_as_a_fully_loaded_jieba(table_cache):
    lazy, full = _cuts("table", table_cache), _cuts("full", table_cache)
    assert lazy["table"] is True and full["table"] is False
    assert lazy["cuts"] == full["cuts"]


def test_words_added_at_run_time_still_count(table_cache):
    lazy, full = _cuts("table", table_cache, "统筹协调举措"), _cuts("full", table_cache, "统筹协调举措")
    assert lazy["table"] is True and lazy["cuts"] == full["cuts"]
    assert any("统筹协调举措" in cuts[1] for cuts in lazy["cuts"])


def test_an_unreadable_table_is_remade(tmp_path, monkeypatch):
    from citeqa import coldstart

    monkeypatch.setenv("CITEQA_CACHE", str(tmp_path))
    path = coldstart.table_path()
    path.write_bytes(b"not a table")
    first = _cuts("table", tmp_path)
    assert first["table"] is False and first["cuts"] == _cuts("full", tmp_path)["cuts"]
    assert path.read_bytes().startswith(coldstart.FORMAT) and _cuts("table", tmp_path)["table"] is True


def test_cached_values_are_remade_when_their_source_or_code_changes(tmp_path, monkeypatch):
    from citeqa import coldstart

    monkeypatch.setenv("CITEQA_CACHE", str(tmp_path / "cache"))
    source, calls = tmp_path / "source.txt", []
    source.write_text("a b", encoding="utf-8")

    def words():
        calls.append(1)
        return frozenset(source.read_text(encoding="utf-8").split())

    assert coldstart.cached("words", [source], words) == {"a", "b"}
    assert coldstart.cached("words", [source], words) == {"a", "b"} and len(calls) == 1
    source.write_text("a b c", encoding="utf-8")
    assert coldstart.cached("words", [source], words) == {"a", "b", "c"} and len(calls) == 2

    def other_words():
        return frozenset(["other"])

    assert coldstart.cached("words", [source], other_words) == {"other"}
    for stored in (tmp_path / "cache").glob("words-*.marshal"):
        stored.write_bytes(b"broken")
    assert coldstart.cached("words", [source], words) == {"a", "b", "c"} and len(calls) == 3
    assert coldstart.cached("objects", [source], lambda: object) is object  # marshal cannot hold it: computed each time


# ---- the command line read without typer -----------------------------------------------------------

ARGVS = [
    ["ask", "q"], ["ask", "q", "-k", "3", "--json"], ["ask", "-k7", "q", "--local"], ["ask", "q", "--mechanism=ukri", "--lang", "zh"],
    ["ask", "--index", "/tmp/i", "q", "--corpus", "c", "--doc", "d", "--measure", "m"], ["ask", "--", "-q"], ["ask", "q", "-k", "2", "-k", "4"],
    ["ask", "q", "--server", "http://127.0.0.1:1/"],
]


@pytest.mark.parametrize("argv", ARGVS, ids=lambda a: " ".join(a))
def test_ask_is_read_as_typer_reads_it(argv, monkeypatch):
    seen = []
    monkeypatch.setattr(cli, "run_ask", lambda args, load: seen.append(args))
    monkeypatch.delenv("CITEQA_SERVER", raising=False)
    result = CliRunner().invoke(cli.app, argv)
    assert result.exit_code == 0, result.output
    assert parse_ask(argv) == seen[0]


@pytest.mark.parametrize("argv", [["ask"], ["ask", "--help"], ["ask", "q", "-k", "0"], ["ask", "q", "-k=3"], ["ask", "q", "--nope"],
                                  ["ask", "q", "r"], ["ask", "q", "--json=1"], ["ask", "q", "--lang"], ["info"], []])
def test_anything_else_goes_to_the_full_command_line(argv):
    assert parse_ask(argv) is None


# ---- the client to a running app ---------------------------------------------------------------------

ANSWER = {"query": "q", "lang": "en", "abstained": False, "confidence": 0.9, "understood": {"support": "strong"}, "notices": [], "latency_ms": 3.0,
          "hits": [{"text": "UKRI manages 9 billion.", "score": 1.5, "doc_id": "d", "title": "T", "section": "S", "page": None, "start": 0, "end": 23,
                    "highlight": [0, 4], "citations": [], "rank": 1, "source": {"path": "p.txt", "start": 0, "end": 23, "link": "file:///p.txt"}}]}


class FakeApp(BaseHTTPRequestHandler):
    """Gradio's call API as `citeqa serve` speaks it, answering every question with ANSWER.

    Under /locked/ it wants the cookie its login (staff:s3cret, answered with a redirect) sets.
    """

    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/locked/login":
            ok = b"password=s3cret" in body
            self.send_response(303)
            self.send_header("Location", "/locked/")
            if ok:
                self.send_header("Set-Cookie", "access-token=t0k; Path=/; HttpOnly")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(b'{"event_id": "e1"}', "application/json")

    def do_GET(self):  # noqa: N802
        self._send(b"event: complete\ndata: " + json.dumps([ANSWER]).encode() + b"\n\n", "text/event-stream")

    def _send(self, body: bytes, kind: str) -> None:
        if self.path.startswith("/locked/") and "access-token=t0k" not in (self.headers.get("Cookie") or ""):
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def fake_app():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


PROBE = """
import json, sys
from citeqa.client import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def _probe(tmp_path: Path, *argv: str) -> tuple[dict, str]:
    report = tmp_path / "probe.json"
    env = {k: v for k, v in os.environ.items() if k != "CITEQA_SERVER"} | {"PYTHONPATH": str(ROOT / "src"), "COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-c", PROBE, str(report), *argv], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text()), done.stdout


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY]


def test_asking_an_app_imports_nothing_heavy(fake_app, tmp_path):
    got, stdout = _probe(tmp_path, "ask", "q", "--server", fake_app, "--json")
    assert got["code"] == 0 and json.loads(stdout) == ANSWER
    assert _heavy(got["modules"]) == [] and "rich" not in got["modules"]
    text, stdout = _probe(tmp_path, "ask", "q", "--server", fake_app)
    assert text["code"] == 0 and "#1 · score 1.500" in stdout and "UKRI manages" in stdout
    assert _heavy(text["modules"]) == []


def test_the_app_announced_on_the_index_is_asked_without_loading_it(fake_app, tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    (index / SERVE_FILE).write_text(json.dumps({"url": fake_app, "pid": os.getpid()}), encoding="utf-8")
    got, stdout = _probe(tmp_path, "ask", "q", "--index", str(index), "--json")
    assert got["code"] == 0 and json.loads(stdout)["hits"] == ANSWER["hits"]
    assert _heavy(got["modules"]) == []


def test_a_local_question_imports_no_framework_and_no_torch(built_index, tmp_path):
    got, stdout = _probe(tmp_path, "ask", QUESTIONS[1], "--local", "--index", str(built_index), "--json")
    assert got["code"] == 0 and json.loads(stdout)["hits"]
    loaded = {m.split(".")[0] for m in got["modules"]}
    assert not loaded & {"torch", "gradio", "typer", "click", "sentence_transformers", "transformers", "pydantic", "matplotlib", "rich"}


def test_a_login_cookie_is_kept_for_the_call(fake_app, monkeypatch):
    from citeqa.remote import RemoteError, ask_server

    locked = fake_app + "locked/"
    monkeypatch.setenv("CITEQA_AUTH", "staff:s3cret")
    assert ask_server(locked, "q", 1, {}) == ANSWER
    monkeypatch.setenv("CITEQA_AUTH", "staff:wrong")
    with pytest.raises(RemoteError, match="asks for a login"):
        ask_server(locked, "q", 1, {})
    with pytest.raises(RemoteError, match="cannot reach"):
        ask_server("ftp://example.org/", "q", 1, {})


def test_an_unreachable_server_is_an_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "citeqa", "ask", "q", "--server", "http://127.0.0.1:9/"], capture_output=True, text=True,
                          env=os.environ | {"PYTHONPATH": str(ROOT / "src")}, timeout=120)
    assert done.returncode == 1 and "cannot reach a citeqa server" in " ".join(done.stderr.split())


# ---- same hits on every path -------------------------------------------------------------------------


def _ids(stdout: str) -> list[tuple[str, int]]:
    return [(h["doc_id"], h["start"]) for h in json.loads(stdout)["hits"]]


@pytest.mark.parametrize("question", QUESTIONS)
def test_fast_entry_app_and_local_give_the_same_hits(question, app_url, built_index, capsys):
    answers = []
    for extra in (["--server", app_url], ["--local", "--index", str(built_index)], ["--index", str(built_index)]):
        with pytest.raises(SystemExit) as done:
            client.main(["ask", question, "-k", "5", "--json", *extra])
        assert done.value.code == 0
        answers.append(_ids(capsys.readouterr().out))
    typer_run = CliRunner().invoke(cli.app, ["ask", question, "-k", "5", "--json", "--index", str(built_index)])
    assert answers[0] and answers[0] == answers[1] == answers[2] == _ids(typer_run.stdout)


def test_a_new_process_with_the_on_demand_tables_gives_the_same_hits(app_url, built_index, tmp_path, monkeypatch):
    from citeqa import coldstart

    monkeypatch.setenv("CITEQA_CACHE", str(tmp_path))
    assert coldstart.make_table() is not None  # jieba is loaded in this process: written from its tables
    for question in QUESTIONS[1:]:
        done = subprocess.run([sys.executable, "-m", "citeqa", "ask", question, "-k", "5", "--json", "--local", "--index", str(built_index)],
                              capture_output=True, text=True, env=_env(tmp_path), timeout=300)
        assert done.returncode == 0, done.stderr
        remote = client.ask_remote(AskArgs(question, 5, server=app_url))
        assert _ids(done.stdout) == [(h["doc_id"], h["start"]) for h in remote["hits"]]
