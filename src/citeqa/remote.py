"""`citeqa ask --server URL`: ask a running `citeqa serve` through its /ask (or /ask_filtered) API (no model loaded here).

Speaks Gradio's plain HTTP API with the standard library (POST the call, read the event stream), so the
shell pays for one HTTP round trip instead of loading the index. Credentials, when the
server wants them, come from CITEQA_AUTH (user:password).
"""

from __future__ import annotations

import atexit
import json
import os
from pathlib import Path
from typing import Any


SERVE_FILE = ".citeqa-serve.json"  # in the index folder while `citeqa serve` runs on it


def announce(index_dir: Path, url: str) -> None:
    """Tell `citeqa ask` on this index where the running app answers (removed when the app exits)."""
    path = Path(index_dir) / SERVE_FILE
    tmp = path.with_name(f"{SERVE_FILE}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
    os.replace(tmp, path)

    def withdraw() -> None:
        if announced(index_dir, alive_only=False) == url:
            path.unlink(missing_ok=True)

    atexit.register(withdraw)


def announced(index_dir: Path, alive_only: bool = True) -> str | None:
    """The URL of a `citeqa serve` running on this index, if its process is alive."""
    try:
        info = json.loads((Path(index_dir) / SERVE_FILE).read_text(encoding="utf-8"))
        if alive_only:
            os.kill(int(info["pid"]), 0)
        return str(info["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class RemoteError(RuntimeError):
    """The server could not be asked; the message says why."""


def ask_server(server: str, question: str, k: int, filters: dict[str, str | None], timeout: float = 60.0) -> dict[str, Any]:
    """The same object as `citeqa ask --json`, computed by the server."""
    import http.cookiejar
    import urllib.error
    import urllib.parse
    import urllib.request

    base = server.rstrip("/") + "/"
    values = [filters.get(f) or "" for f in ("mechanism", "measure", "lang", "doc")]
    api, data = ("ask_filtered", [question, k, *values]) if any(values) else ("ask", [question, k])
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), urllib.request.ProxyHandler({}))
    try:
        auth = os.environ.get("CITEQA_AUTH")
        if auth and ":" in auth:
            user, password = auth.split(":", 1)
            form = urllib.parse.urlencode({"username": user, "password": password}).encode()
            try:
                opener.open(base + "login", data=form, timeout=timeout).close()
            except urllib.error.HTTPError:
                pass  # a wrong password shows up as a refused call below
        call = urllib.request.Request(base + f"gradio_api/call/{api}", data=json.dumps({"data": data}).encode(), headers={"Content-Type": "application/json"})
        try:
            with opener.open(call, timeout=timeout) as resp:
                event_id = json.loads(resp.read())["event_id"]
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise RemoteError(f"{server} asks for a login: set CITEQA_AUTH=user:password") from exc
            raise
        with opener.open(base + f"gradio_api/call/{api}/{event_id}", timeout=timeout) as resp:
            event = ""
            for raw in resp:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    if event == "error":
                        raise RemoteError(f"{server} could not answer ({line[5:].strip()})")
                    return json.loads(line[5:])[0]
    except (OSError, urllib.error.URLError) as exc:  # HTTPError and timeouts included
        raise RemoteError(f"cannot reach a citeqa server at {server} ({exc}); start one with: citeqa serve") from exc
    except (KeyError, ValueError, IndexError) as exc:
        raise RemoteError(f"{server} did not answer like citeqa serve ({exc.__class__.__name__})") from exc
    raise RemoteError(f"{server} closed the answer stream early")
