"""`citeqa bench --cold N`: what one `citeqa ask` costs from the shell, each run a new process.

N runs of `citeqa ask QUESTION --local --json` (imports, jieba, index load, search), then N of
`citeqa ask QUESTION --server URL --json` against an app on the same index: the one already
announced on it, or one started here on a free loopback port and stopped afterwards (nothing
in the index changes). Questions cycle through the gold file. Each question's hits from the
two paths are compared; the load average is recorded because other work inflates every run.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .remote import RemoteError, announced, ask_server

FALLBACK_QUESTIONS = ["How often is the NNI evaluated?", "英国研究与创新署每年管理多少科研经费？"]
START_TIMEOUT_S = 180.0
SERVE = "import sys; from pathlib import Path; from citeqa.ui import launch; launch(Path(sys.argv[1]), Path(sys.argv[2]), port=int(sys.argv[3]))"


def ask_command() -> list[str]:
    """The `citeqa` a user runs: the script next to this Python, else `python -m citeqa`."""
    script = Path(sys.executable).with_name("citeqa")
    return [str(script)] if script.exists() else [sys.executable, "-m", "citeqa"]


def questions_from(gold: Path) -> list[str]:
    try:
        lines = gold.read_text(encoding="utf-8").splitlines()
        found = [json.loads(line)["question"] for line in lines if line.strip()]
    except (OSError, ValueError, KeyError, TypeError):
        found = []
    return found or FALLBACK_QUESTIONS


def stats_ms(seconds: list[float]) -> dict[str, float]:
    """p50/p95/mean/min/max in ms (p95 by the nearest-rank rule: with 20 runs, the 19th)."""
    ms = sorted(s * 1000 for s in seconds)
    if not ms:
        return {}
    p95 = ms[max(0, -(-95 * len(ms) // 100) - 1)]
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(p95, 1), "mean_ms": round(statistics.fmean(ms), 1),
            "min_ms": round(ms[0], 1), "max_ms": round(ms[-1], 1)}


def _hit_ids(stdout: str) -> list[tuple[str, int]]:
    return [(h["doc_id"], h["start"]) for h in json.loads(stdout).get("hits", [])]


def time_asks(extra: list[str], questions: list[str], runs: int, env: dict[str, str]) -> tuple[dict[str, Any], dict[str, list]]:
    """Run `citeqa ask` `runs` times with `extra` options; timings and the hits each question got."""
    seconds, hits, failures = [], {}, []
    for i in range(runs):
        question = questions[i % len(questions)]
        started = time.perf_counter()
        done = subprocess.run([*ask_command(), "ask", question, "--json", *extra], capture_output=True, text=True, env=env, timeout=300)
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            failures.append(f"{question!r}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
        else:
            hits[question] = _hit_ids(done.stdout)
    return {"runs": runs, **stats_ms(seconds), "failures": failures}, hits


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(index: Path, corpus: Path) -> tuple[subprocess.Popen, str]:
    """An app on `index` on a free loopback port, answering (one question asked) before this returns."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(index), str(corpus), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app stopped before answering: {(proc.stderr.read() if proc.stderr else '')[-500:]}")
        try:
            ask_server(url, FALLBACK_QUESTIONS[0], 1, {}, timeout=60.0)
            return proc, url
        except RemoteError:
            time.sleep(0.5)
    stop_app(proc)
    raise RuntimeError(f"the app did not answer within {START_TIMEOUT_S:.0f} s")


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()  # SIGTERM: the app exits through atexit, withdrawing its announcement
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_cold(index: Path, corpus: Path, gold: Path, runs: int, server: str | None = None, say=lambda _: None) -> dict[str, Any]:
    """Cold `citeqa ask` p50/p95 over `runs` new processes, local and through an app; hits compared."""
    questions = questions_from(gold)
    env = {k: v for k, v in os.environ.items() if k != "CITEQA_SERVER"}
    figures: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                                           "load_avg_1m_at_start": round(os.getloadavg()[0], 2)},
                               "command": " ".join([Path(ask_command()[0]).name, *ask_command()[1:], "ask", "QUESTION", "--json"]),
                               "index": str(index), "questions": min(runs, len(questions))}
    say(f"{runs} × citeqa ask --local")
    time_asks(["--local", "--index", str(index)], questions, 1, env)  # untimed: page cache and jieba table made once
    figures["local"], local_hits = time_asks(["--local", "--index", str(index)], questions, runs, env)
    proc = None
    url = server or announced(index)
    if url is None:
        say("starting an app on the index")
        proc, url = start_app(index, corpus)
    try:
        say(f"{runs} × citeqa ask --server {url}")
        time_asks(["--server", url], questions, 1, env)  # untimed: the app's first question
        figures["server"], server_hits = time_asks(["--server", url], questions, runs, env)
        figures["server"]["started_here"] = proc is not None
    finally:
        if proc is not None:
            stop_app(proc)
    differ = [q for q in local_hits if q in server_hits and local_hits[q] != server_hits[q]]
    figures["same_hits"] = {"questions": len(set(local_hits) & set(server_hits)), "differ": differ}
    figures["machine"]["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    return figures


def render_cold(console: Any, figures: dict[str, Any]) -> None:
    m = figures["machine"]
    console.print(f"cold `{figures['command']}` (local: --local; server: --server URL), each run a new process, "
                  f"on {figures['index']} · {m['cpus']} CPUs · load average {m['load_avg_1m_at_start']} → {m['load_avg_1m_at_end']}")
    for path in ("local", "server"):
        f = figures[path]
        console.print(f"{path:>6}: p50 {f['p50_ms']:.0f} ms · p95 {f['p95_ms']:.0f} ms · mean {f['mean_ms']:.0f} ms · "
                      f"min {f['min_ms']:.0f} ms · {f['runs']} runs" + (f" · {len(f['failures'])} failed" if f["failures"] else ""))
        for failure in f["failures"][:3]:
            console.print(f"        failed: {failure}")
    same = figures["same_hits"]
    console.print(f"same hits local and via the app: {same['questions'] - len(same['differ'])}/{same['questions']} questions")


def bench_command(runs: int, server: str | None, gold: Path, corpus: Path, index: Path, as_json: bool) -> None:
    """`citeqa bench --cold N`: figures as JSON or lines of text; no index is `error: …`, exit 1."""
    from rich.console import Console

    from .client import fail
    from .store import read_manifest

    if read_manifest(index) is None:
        fail(f"no index in {index}: build one with: citeqa build --index {index}")
    try:
        figures = run_cold(index, corpus, gold, runs, server, say=(lambda _: None) if as_json else Console(stderr=True).log)
    except RuntimeError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        render_cold(Console(), figures)
