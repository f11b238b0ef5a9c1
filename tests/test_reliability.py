"""Reliability of the served app: load, a full queue, auth, path traversal, binding, corrupt indexes, escaping.

Everything runs against a real index and real servers on loopback ports: the module's app from
test_app's `app_url` fixture (reused, not copied) and a real `citeqa serve --auth` process.
The only stand-ins are a gate in front of `Searcher.search` (to fill the queue deterministically)
and a recording `citeqa.ui.launch` (to read the CLI's arguments without serving).
"""

from __future__ import annotations

import html.parser
import http.client
import inspect
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import httpx
import numpy as np
import psutil
import pytest
from typer.testing import CliRunner

from citeqa import ui
from citeqa.cli import app as cli_app
from citeqa.models import Chunk, Hit, SearchResult
from citeqa.search import Searcher
from citeqa.store import IndexError_, current_build
from conftest import CORPUS, free_port
from test_app import CSTI_QUESTION

ROOT = Path(__file__).resolve().parents[1]
GOLD = [json.loads(line) for line in (ROOT / "eval" / "gold_dev.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
USER, PASSWORD = "staff", "s3cret"
EVIL = "<img src=x onerror=alert(1)>"
PASSWD_MARK = "root:x:0:0"


# ---- helpers -------------------------------------------------------------------------------------

def hit_keys(result: dict) -> list[tuple]:
    """What identifies a ranked passage in an /ask answer (the score is compared separately)."""
    return [(h["doc_id"], h["start"], h["end"], h["label"]) for h in result["hits"]]


def base_of(url: str) -> str:
    return url.rstrip("/")


def raw_get(base: str, target: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, bytes]:
    """Send the request target byte-for-byte (httpx would normalise `../` away before sending)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def login_cookies(base: str) -> dict[str, str]:
    r = httpx.post(base + "/login", data={"username": USER, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200 and r.json().get("success"), r.text
    return dict(r.cookies)


def cookie_header(cookies: dict[str, str] | None) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


def fn_index(h: httpx.Client, api_name: str) -> int:
    deps = h.get("/config").json()["dependencies"]
    return next(d["id"] for d in deps if d.get("api_name") == api_name)


def join(h: httpx.Client, fn: int, session: str, data: list) -> httpx.Response:
    return h.post("/gradio_api/queue/join", json={"data": data, "fn_index": fn, "session_hash": session, "event_data": None, "trigger_id": None})


def completed_events(h: httpx.Client, session: str) -> dict[str, dict]:
    """Read the session's event stream until the server closes it; the process_completed message of each event."""
    done: dict[str, dict] = {}
    with h.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}, timeout=httpx.Timeout(30, read=180)) as stream:
        assert stream.status_code == 200
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            msg = json.loads(line[5:])
            if msg["msg"] == "process_completed":
                done[msg["event_id"]] = msg
            elif msg["msg"] in ("close_stream", "unexpected_error"):
                break
    return done


class TagCollector(html.parser.HTMLParser):
    """Every element and attribute a browser would build from an HTML string."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]


def assert_inert(page: str) -> None:
    """No element or event handler came from passage or user text: only the view's own markup."""
    parsed = TagCollector()
    parsed.feed(page)
    assert not {"img", "script"} & set(parsed.tags), parsed.tags
    assert not [a for a in parsed.attrs if a.startswith("on")], parsed.attrs
    assert "<img" not in page and "<script" not in page


# ---- 1. load -------------------------------------------------------------------------------------

LOAD_ITEMS = [item for item in GOLD if item["evidence"]][:50]  # 50 different zh / en questions with known evidence
MUST_FIND = {"dev-002", "dev-003", "dev-016", "dev-025", "dev-030", "dev-053"}  # checked by hand: evidence in the top 5


@pytest.mark.slow
def test_50_concurrent_asks_all_succeed_with_the_right_passages(app_url, searcher, tmp_path):
    from gradio_client import Client

    assert len({i["question"] for i in LOAD_ITEMS}) == 50
    assert min(sum(i["lang"] == lang for i in LOAD_ITEMS) for lang in ("zh", "en")) >= 20
    assert MUST_FIND <= {i["id"] for i in LOAD_ITEMS}
    k = 5
    expected = {i["question"]: searcher.search(i["question"], k=k).to_dict() for i in LOAD_ITEMS}  # in-process, one at a time

    threads = 10
    clients: queue.Queue = queue.Queue()
    for _ in range(threads):  # connected before the clock starts: the figures measure requests, not client set-up
        clients.put(Client(app_url, verbose=False, download_files=False))

    def ask(question: str) -> tuple[str, dict, float]:
        client = clients.get()
        try:
            started = time.perf_counter()
            got = client.predict(question, k, api_name="/ask")
            return question, got, time.perf_counter() - started
        finally:
            clients.put(client)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        answers = list(pool.map(ask, [i["question"] for i in LOAD_ITEMS]))
    wall = time.perf_counter() - started

    latencies_ms = np.array([seconds * 1000 for _, _, seconds in answers])
    figures = {
        "requests": len(answers), "client_threads": threads, "k": k, "wall_s": round(wall, 3),
        "throughput_rps": round(len(answers) / wall, 2),
        "p50_ms": round(float(np.percentile(latencies_ms, 50)), 1), "p95_ms": round(float(np.percentile(latencies_ms, 95)), 1),
        "max_ms": round(float(latencies_ms.max()), 1),
        "cpu_count": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
    }
    (tmp_path / "load_figures.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    print(f"\n/ask load: {json.dumps(figures)}\n(written to {tmp_path / 'load_figures.json'})")

    assert len(answers) == 50
    by_question = {i["question"]: i for i in LOAD_ITEMS}
    for question, got, _ in answers:
        assert isinstance(got, dict) and "error" not in got and isinstance(got.get("hits"), list), got
        want = expected[question]
        assert got["query"] == want["query"]  # each caller got the answer to its own question (as search normalises it)
        assert hit_keys(got) == hit_keys(want) and len(got["hits"]) == k, question
        assert np.allclose([h["score"] for h in got["hits"]], [h["score"] for h in want["hits"]], atol=1e-4)
        item = by_question[question]
        evidence_in = lambda result: any(e in h["text"] for e in item["evidence"] for h in result["hits"])  # noqa: E731
        assert evidence_in(got) == evidence_in(want)
        if item["id"] in MUST_FIND:
            assert evidence_in(got), (item["id"], question)


def test_a_full_queue_is_refused_clearly_and_nothing_accepted_is_lost(app_url, searcher, monkeypatch, tmp_path):
    """Hold the running searches, fill the queue, overflow it, then release: accepted work all completes."""
    from gradio_client import Client
    from gradio_client.utils import QueueError

    probe = ui.build_app(searcher, CORPUS, tmp_path)  # the configuration the served app was built with
    max_size, running = probe._queue.max_size, probe._queue.default_concurrency_limit
    assert max_size and running
    questions = [i["question"] for i in GOLD]
    jobs = [(questions[n % len(questions)], 2 + n // len(questions)) for n in range(running + max_size)]  # all different
    expected = {job: searcher.search(job[0], k=job[1]).to_dict() for job in jobs}

    real_search = searcher.search
    gate, entered = threading.Event(), threading.Semaphore(0)

    def held_search(*args, **kwargs):
        entered.release()
        if not gate.wait(120):
            raise RuntimeError("the test never opened the gate")
        return real_search(*args, **kwargs)

    monkeypatch.setattr(searcher, "search", held_search)
    base = base_of(app_url)
    session = uuid.uuid4().hex
    accepted: dict[str, tuple[str, int]] = {}
    with httpx.Client(base_url=base, timeout=30) as h:
        ask = fn_index(h, "ask")
        try:
            for job in jobs[:running]:
                r = join(h, ask, session, list(job))
                assert r.status_code == 200, r.text
                accepted[r.json()["event_id"]] = job
            for _ in range(running):  # both worker slots now busy: everything further waits in the queue
                assert entered.acquire(timeout=60), "the first requests never started"
            for job in jobs[running:]:
                r = join(h, ask, session, list(job))
                assert r.status_code == 200, (len(accepted), r.text)
                accepted[r.json()["event_id"]] = job

            began = time.monotonic()
            over = join(h, ask, uuid.uuid4().hex, [CSTI_QUESTION, 5])
            assert over.status_code == 503, over.text
            assert "Queue is full" in over.json()["detail"] and f"Max size is {max_size}" in over.json()["detail"]
            job = Client(app_url, verbose=False, download_files=False).submit(CSTI_QUESTION, 5, api_name="/ask")
            with pytest.raises(QueueError, match="Queue is full"):
                job.result(timeout=30)
            assert time.monotonic() - began < 30  # refused promptly, not left hanging
        finally:
            gate.set()
        done = completed_events(h, session)

    assert set(done) == set(accepted)  # every accepted request was answered
    for event_id, (question, k) in accepted.items():
        msg = done[event_id]
        assert msg["success"], msg
        got = msg["output"]["data"][0]
        want = expected[(question, k)]
        assert got["query"] == want["query"] and "error" not in got and hit_keys(got) == hit_keys(want)
    monkeypatch.undo()
    assert Client(app_url, verbose=False, download_files=False).predict(CSTI_QUESTION, 5, api_name="/ask")["hits"]  # still serving


# ---- the real `citeqa serve` process (auth, binding, traversal) ------------------------------------

@pytest.fixture(scope="module")
def served(built_index, tmp_path_factory):
    """`citeqa serve --auth staff:s3cret` with the default --host, as its own process, on a free port."""
    root = tmp_path_factory.mktemp("served")
    index, tmp = root / "index", root / "tmp"
    shutil.copytree(built_index, index)
    tmp.mkdir()  # its TMPDIR: the export folder and Gradio's upload folder land here, where the test can see them
    port = free_port()
    log = root / "serve.log"
    env = dict(os.environ, TMPDIR=str(tmp), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    env.pop("GRADIO_TEMP_DIR", None)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "citeqa.cli", "serve", "--port", str(port), "--auth", f"{USER}:{PASSWORD}",
             "--index", str(index), "--corpus", str(CORPUS)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 300
        while "citeqa is running on" not in log.read_text(encoding="utf-8", errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"citeqa serve did not start (exit {proc.poll()}):\n{log.read_text(encoding='utf-8', errors='replace')}")
            time.sleep(0.2)
        exports = list(tmp.glob("citeqa-export-*"))
        assert len(exports) == 1, exports
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", port=port, pid=proc.pid, tmp=tmp, export_dir=exports[0], index=index, log=log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # what a service manager does: the app closes and removes its export folder
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            assert not list(tmp.glob("citeqa-export-*")), "SIGTERM left the export folder behind"


# ---- 2. auth -------------------------------------------------------------------------------------

CORPUS_MARKS = ["6名内阁成员", "主要国家和地区政府科技资源统筹协调机制", "st-coordination"]


def test_ask_on_a_served_index_asks_the_running_app(served, monkeypatch):
    """`citeqa ask --index I` while `citeqa serve` runs on I: answered by the app (with CITEQA_AUTH), else locally."""
    from citeqa import cli

    monkeypatch.setattr(cli, "_searcher", lambda index: cli._fail("loaded locally"))
    args = ["ask", "How much research funding does UKRI manage each year?", "-k", "2", "--json", "--index", str(served.index)]
    remote = CliRunner().invoke(cli_app, args, env={"CITEQA_AUTH": f"{USER}:{PASSWORD}"})
    assert remote.exit_code == 0, remote.output
    assert len(json.loads(remote.stdout)["hits"]) == 2
    no_login = CliRunner().invoke(cli_app, args, env={"CITEQA_AUTH": ""})
    assert no_login.exit_code == 1 and "loaded locally" in no_login.output  # the app wants a login: fall back to the index
    local = CliRunner().invoke(cli_app, [*args, "--local"], env={"CITEQA_AUTH": f"{USER}:{PASSWORD}"})
    assert "loaded locally" in local.output


def test_served_app_refuses_the_python_client_without_or_with_wrong_credentials(served):
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    with pytest.raises(AuthenticationError):
        Client(served.url, verbose=False)
    with pytest.raises(ValueError, match="login"):
        Client(served.url, verbose=False, auth=(USER, "wrong"))


UNAUTHENTICATED = [
    ("GET", "/config", None),
    ("GET", "/gradio_api/info", None),
    ("GET", "/gradio_api/openapi.json", None),
    ("POST", "/gradio_api/call/ask", {"data": [CSTI_QUESTION, 5]}),
    ("POST", "/gradio_api/call/check", {"data": ["UKRI manages 9 billion pounds a year."]}),
    ("POST", "/gradio_api/run/ask", {"data": [CSTI_QUESTION, 5]}),
    ("POST", "/gradio_api/api/ask", {"data": [CSTI_QUESTION, 5]}),
    ("POST", "/gradio_api/queue/join", {"data": [CSTI_QUESTION, 5], "fn_index": 7, "session_hash": "abc", "event_data": None, "trigger_id": None}),
    ("GET", "/gradio_api/queue/data?session_hash=abc", None),
    ("GET", "/gradio_api/file=/etc/passwd", None),
]


@pytest.mark.parametrize("credentials", ["none", "forged cookie", "basic auth header"])
@pytest.mark.parametrize("method, path, body", UNAUTHENTICATED, ids=[f"{m} {p}" for m, p, _ in UNAUTHENTICATED])
def test_served_app_refuses_unauthenticated_http(served, credentials, method, path, body):
    headers = {
        "none": {},
        "forged cookie": {"Cookie": f"access-token={uuid.uuid4().hex}; access-token-unsecure={uuid.uuid4().hex}"},
        "basic auth header": {"Authorization": "Basic c3RhZmY6czNjcmV0"},  # staff:s3cret, but Gradio's auth is a login cookie
    }[credentials]
    r = httpx.request(method, served.url + path, json=body, headers=headers, timeout=30)
    assert r.status_code == 401, (r.status_code, r.text[:300])
    assert not any(mark in r.text for mark in CORPUS_MARKS + [PASSWD_MARK])


def test_served_login_page_gives_nothing_away(served):
    r = httpx.get(served.url + "/", timeout=30)
    assert r.status_code == 200 and not any(mark in r.text for mark in CORPUS_MARKS)


def test_served_app_answers_the_authenticated_client_and_http(served):
    from gradio_client import Client

    client = Client(served.url, verbose=False, auth=(USER, PASSWORD), download_files=False)
    got = client.predict(CSTI_QUESTION, 5, api_name="/ask")
    assert isinstance(got, dict) and any("6名内阁成员" in h["text"] for h in got["hits"])
    check = client.predict("ESFRI's delegation has representatives from 28 countries", api_name="/check")
    assert any(p["verdict"] == "conflicts" for p in check["passages"])

    with httpx.Client(base_url=served.url, cookies=login_cookies(served.url), timeout=60) as h:
        event = h.post("/gradio_api/call/ask", json={"data": [CSTI_QUESTION, 3]})
        assert event.status_code == 200, event.text
        lines = h.get(f"/gradio_api/call/ask/{event.json()['event_id']}").text.splitlines()
        complete = lines.index("event: complete")
        (answer,) = json.loads(lines[complete + 1].removeprefix("data:"))
        assert any("6名内阁成员" in hit["text"] for hit in answer["hits"])


# ---- 4. binding ----------------------------------------------------------------------------------

def test_launch_and_serve_default_to_loopback():
    assert inspect.signature(ui.launch).parameters["host"].default == "127.0.0.1"
    serve_params = inspect.signature(sys.modules["citeqa.cli"].serve).parameters
    assert serve_params["host"].default.default == "127.0.0.1"


def test_served_process_listens_on_loopback_only(served):
    listening = [c for c in psutil.Process(served.pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert served.port in {c.laddr.port for c in listening}
    assert {c.laddr.ip for c in listening} == {"127.0.0.1"}, listening


@pytest.mark.parametrize(
    "args, host, warned",
    [
        ([], "127.0.0.1", False),
        (["--host", "localhost"], "localhost", False),
        (["--host", "0.0.0.0"], "0.0.0.0", True),
        (["--host", "0.0.0.0", "--auth", "staff:s3cret"], "0.0.0.0", True),
        (["--host", "192.168.1.20"], "192.168.1.20", True),
    ],
)
def test_serve_warns_before_binding_beyond_loopback(monkeypatch, built_index, tmp_path, args, host, warned):
    calls: list[dict] = []
    monkeypatch.setattr(ui, "launch", lambda **kw: calls.append(kw))  # records instead of serving
    index = tmp_path / "index"
    shutil.copytree(built_index, index)
    result = CliRunner().invoke(cli_app, ["serve", *args, "--index", str(index), "--corpus", str(CORPUS)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert (f"warning: binding to {host}" in text) == warned, text
    if warned:
        assert ("(no --auth set" in text) == ("--auth" not in args)
    assert len(calls) == 1 and calls[0]["host"] == host and calls[0]["port"] == 7860
    assert calls[0]["auth"] == (("staff", "s3cret") if "--auth" in args else None)
    assert calls[0]["searcher"] is not None  # the existing index is served while it is checked in the background


# ---- 3. path traversal ---------------------------------------------------------------------------

TRAVERSALS = [
    "/gradio_api/file=/etc/passwd",
    "/file=/etc/passwd",
    "/gradio_api/file=../../../../etc/passwd",
    "/gradio_api/file=%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/gradio_api/file=..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/gradio_api/file=%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/gradio_api/file=%2Fetc%2Fpasswd",
    "/gradio_api/file=//etc/passwd",
    "/gradio_api/file=/etc/passwd%00.png",
    "/gradio_api/file=file:///etc/passwd",
    "/gradio_api/file=/proc/self/environ",
    "/gradio_api/file={upload}/../../../../etc/passwd",
    "/gradio_api/file={upload}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/gradio_api/file/etc/passwd",
    "/gradio_api/file//etc/passwd",
    "/gradio_api/file={manifest}",
    "/gradio_api/file={pyproject}",
    "/gradio_api/file=pyproject.toml",
    "/gradio_api/file={article}",
    "/gradio_api/file={index}/CURRENT",
    "/gradio_api/file=http://127.0.0.1:{port}/config",
    "/gradio_api/proxy=http://127.0.0.1:{port}/config",
    "/static/../../../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/assets/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/gradio_api/custom_component/x/client/..%2f..%2f..%2f..%2fetc/passwd",
]
SERVED_ONLY = [
    "/gradio_api/file={export}/../../../../etc/passwd",
    "/gradio_api/file={export}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/gradio_api/file={export}/link-to-passwd",
    "/gradio_api/file={export}/link-to-manifest",
    "/gradio_api/file={served_manifest}",
]


def secrets(built_index: Path) -> dict[str, str]:
    """What must never come back, by file: a line of each file's own content."""
    manifest = json.loads((current_build(built_index) / "manifest.json").read_text(encoding="utf-8"))
    article = next(line for line in (CORPUS / "st-coordination-article.txt").read_text(encoding="utf-8").splitlines() if len(line) > 20)
    return {"passwd": PASSWD_MARK, "manifest": manifest["files"]["chunks.jsonl"], "pyproject": 'name = "citeqa"',
            "article": article[:40], "environ": "PATH="}  # (the refusal echoes the path asked for, so no marker from a path)


def check_refused(base: str, target: str, headers: dict[str, str], marks: dict[str, str], range_too: bool = True) -> None:
    for extra in ({}, {"Range": "bytes=0-4000"}) if range_too else ({},):
        status, body = raw_get(base, target, {**headers, **extra})
        text = body.decode("utf-8", errors="replace")
        assert 400 <= status < 500, (target, extra, status, text[:300])  # refused, and no server error either
        leaked = [name for name, mark in marks.items() if mark in text]
        assert not leaked, (target, leaked, text[:300])


def paths_for(built_index: Path, port: int, upload: Path, **more: Path) -> dict[str, str]:
    return {"manifest": str(current_build(built_index) / "manifest.json"), "pyproject": str(ROOT / "pyproject.toml"),
            "article": str(CORPUS / "st-coordination-article.txt"), "index": str(built_index), "port": str(port),
            "upload": str(upload), **{k: str(v) for k, v in more.items()}}


def export_url(base: str, headers: dict[str, str]) -> str:
    """Ask through the Ask tab's own event and return the URL of its Markdown export (a file the app must serve)."""
    with httpx.Client(base_url=base, headers=headers, timeout=60) as h:
        session = uuid.uuid4().hex
        r = join(h, fn_index(h, "ask_view"), session, [CSTI_QUESTION, 3, "", "", "", ""])
        assert r.status_code == 200, r.text
        (msg,) = completed_events(h, session).values()
    assert msg["success"], msg
    page, md, *_ = msg["output"]["data"]
    assert "6名内阁成员" in page
    return md["value"]["url"]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_module_app_serves_nothing_outside_its_files(app_url, built_index, target):
    from gradio.utils import get_upload_folder

    base = base_of(app_url)
    filled = target.format(**paths_for(built_index, urlsplit(base).port, Path(get_upload_folder())))
    check_refused(base, filled, {}, secrets(built_index))


def test_module_app_still_serves_its_own_exports(app_url):
    """The control for the refusals above: the file route works, for the files the app made."""
    url = export_url(base_of(app_url), {})
    status, body = raw_get(base_of(app_url), urlsplit(url).path)
    assert status == 200 and "6名内阁成员" in body.decode("utf-8")


@pytest.mark.parametrize("target", TRAVERSALS + SERVED_ONLY)
def test_served_app_serves_nothing_outside_its_files_even_logged_in(served, built_index, target):
    for name, points_to in (("link-to-passwd", Path("/etc/passwd")), ("link-to-manifest", current_build(served.index) / "manifest.json")):
        link = served.export_dir / name
        if not link.is_symlink():
            link.symlink_to(points_to)  # a link planted inside the one allowed folder
    headers = cookie_header(login_cookies(served.url))
    filled = target.format(**paths_for(built_index, served.port, served.tmp / "gradio", export=served.export_dir,
                                       served_manifest=current_build(served.index) / "manifest.json"))
    check_refused(served.url, filled, headers, secrets(built_index))


def test_served_app_still_serves_its_own_exports_when_logged_in(served):
    headers = cookie_header(login_cookies(served.url))
    url = export_url(served.url, headers)
    status, body = raw_get(served.url, urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else ""), headers)
    assert status == 200 and "6名内阁成员" in body.decode("utf-8")
    status, _ = raw_get(served.url, urlsplit(url).path)  # but not to a visitor without the login cookie
    assert status == 401


# ---- 5. corrupt index ----------------------------------------------------------------------------

INDEX_FILES = ["chunks.jsonl", "chunks.offsets.npy", "columns.npz", "documents.jsonl", "documents.offsets.npy", "documents.head.json",
               "manifest.json", "extras.json", "search/dense/vectors.npy", "search/dense/faiss-zh.index", "search/dense/items.npz"]


def corrupt(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated to half":
        path.write_bytes(data[: len(data) // 2])
    elif how == "truncated to empty":
        path.write_bytes(b"")
    elif how == "bytes flipped mid-file":
        mid = len(data) // 2
        path.write_bytes(data[:mid] + bytes(b ^ 0xFF for b in data[mid : mid + 16]) + data[mid + 16 :])
    elif how == "one bit flipped mid-file":
        mid = len(data) // 2
        path.write_bytes(data[:mid] + bytes([data[mid] ^ 0x01]) + data[mid + 1 :])
    else:
        raise ValueError(how)


def break_pointer(index: Path, how: str) -> None:
    pointer = index / "CURRENT"
    if how == "CURRENT names a missing folder":
        pointer.write_text("build-20000101T000000-1", encoding="utf-8")
    elif how == "CURRENT's folder deleted":
        shutil.rmtree(current_build(index))
    elif how == "CURRENT empty":
        pointer.write_text("", encoding="utf-8")
    elif how == "CURRENT missing":
        pointer.unlink()
    else:
        raise ValueError(how)


CORRUPTIONS = [
    pytest.param(name, how, id=f"{name}: {how}")
    for name in INDEX_FILES for how in ("truncated to half", "truncated to empty", "bytes flipped mid-file", "one bit flipped mid-file")
]
POINTERS = ["CURRENT names a missing folder", "CURRENT's folder deleted", "CURRENT empty", "CURRENT missing"]


def assert_refused_with_rebuild_hint(index: Path) -> None:
    with pytest.raises(IndexError_) as caught:
        Searcher.load(index)
    assert "citeqa build" in str(caught.value)
    result = CliRunner().invoke(cli_app, ["ask", "How often is the NNI evaluated?", "--index", str(index)], env={"COLUMNS": "200"})
    text = " ".join(result.output.split())
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), (result.exit_code, result.exception, text)
    assert "citeqa build" in text and "Traceback" not in result.output, text


@pytest.mark.parametrize("name, how", CORRUPTIONS)
def test_corrupt_index_file_is_refused_with_the_rebuild_command(built_index, tmp_path, name, how):
    index = tmp_path / "index"
    shutil.copytree(built_index, index)
    corrupt(current_build(index) / name, how)
    assert_refused_with_rebuild_hint(index)


@pytest.mark.parametrize("how", POINTERS)
def test_broken_current_pointer_is_refused_with_the_rebuild_command(built_index, tmp_path, how):
    index = tmp_path / "index"
    shutil.copytree(built_index, index)
    break_pointer(index, how)
    assert_refused_with_rebuild_hint(index)


# ---- 6. escaping ---------------------------------------------------------------------------------

def evil_hit(text: str, highlight: tuple[int, int]) -> Hit:
    chunk = Chunk(chunk_id="evil", doc_id="st-coordination", text=text, start=0, end=len(text), section=("sec",), page=1)
    return Hit(chunk=chunk, score=0.5, title="t", highlight=highlight, citations=[], rank=1)


@pytest.mark.parametrize("where", ["inside the highlight", "highlight cuts the tag", "outside the highlight"])
def test_ask_html_shows_markup_in_a_passage_as_text(searcher, where):
    text = f'UKRI funding {EVIL} and a "quote" onmouseover="alert(2)" end.'
    a = text.index(EVIL)
    highlight = {"inside the highlight": (0, len(text)), "highlight cuts the tag": (a + 4, a + 15), "outside the highlight": (0, 5)}[where]
    hit = evil_hit(text, highlight)
    for page in (ui.passage_html(hit), ui.result_html(searcher, SearchResult(query=EVIL, lang="en", hits=[hit]))):
        assert_inert(page)
        assert ui.esc(EVIL) in page.replace("<mark>", "").replace("</mark>", "")  # shown as text, wherever the mark falls
        assert ui.esc(text[highlight[0]:highlight[1]]) in page  # the copy-citation attribute and the mark, escaped too


@pytest.fixture(scope="module")
def evil_searcher(tmp_path_factory):
    """A real index of a document whose text contains markup."""
    from citeqa.build import build_index

    corpus, index = tmp_path_factory.mktemp("evil-corpus"), tmp_path_factory.mktemp("evil-index")
    (corpus / "evil.txt").write_text(
        f"UKRI funding note\n\nThe council wrote {EVIL} into its annual funding report about UKRI budgets.\n\n"
        'A second paragraph says "quotes" & ampersands <script>alert(2)</script> matter.\n', encoding="utf-8")
    build_index(corpus, index, progress=False)
    return Searcher.load(index), corpus


def test_ask_and_check_views_render_a_real_passage_with_markup_as_text(evil_searcher, tmp_path):
    searcher, corpus = evil_searcher
    demo = ui.build_app(searcher, corpus, tmp_path)
    view = {fn.name: fn.fn for fn in demo.fns.values()}
    page, md, csv, _ = view["ask_view"]("UKRI annual funding report", 3, "", "", "", "")
    assert "cq-error" not in page and 'class="cq-hit"' in page
    assert_inert(page)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert_inert(view["ask_view"](EVIL + " UKRI funding", 3, "", "", "", "")[0])  # the question itself is echoed, escaped
    checked = view["check_view"](f"UKRI wrote {EVIL} in 2020")
    assert "cq-error" not in checked and 'class="cq-hit"' in checked
    assert_inert(checked)
