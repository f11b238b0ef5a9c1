"""`citeqa ask --server URL`: ask a running `citeqa serve` through its /ask (or /ask_filtered) API (no model loaded here).

Speaks Gradio's plain HTTP API with the standard library (POST the call, read the event stream on the
same connection), so the shell pays for one HTTP round trip instead of loading the index. Credentials, when the
server wants them, come from CITEQA_AUTH (user:password).
"""

from __future__ import annotations

import atexit
import json
import os
from pathlib import Path

from .atomicfile import write_atomic

TYPE_CHECKING = False  # typing is not imported on the way to a running app
if TYPE_CHECKING:
    from typing import Any


SERVE_FILE = ".citeqa-serve.json"  # in the index folder while `citeqa serve` runs on it


def announce(index_dir: Path, url: str) -> None:
    """Tell `citeqa ask` on this index where the running app answers (removed when the app exits)."""
    path = Path(index_dir) / SERVE_FILE
    write_atomic(path, json.dumps({"url": url, "pid": os.getpid()}))

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
    from http.client import HTTPException

    values = [filters.get(f) or "" for f in ("mechanism", "measure", "lang", "doc")]
    api, data = ("ask_filtered", [question, k, *values]) if any(values) else ("ask", [question, k])
    try:
        with _Session(server, timeout) as session:
            auth = os.environ.get("CITEQA_AUTH")
            if auth and ":" in auth:
                user, password = auth.split(":", 1)
                session.login(user, password)  # a wrong password shows up as a refused call below
            status, body = session.request("POST", f"gradio_api/call/{api}", json.dumps({"data": data}).encode(), "application/json")
            if status in (401, 403):
                raise RemoteError(f"{server} asks for a login: set CITEQA_AUTH=user:password")
            if status != 200:
                raise RemoteError(f"{server} refused the question (HTTP {status})")
            event_id = json.loads(body)["event_id"]
            event = ""
            for raw in session.stream(f"gradio_api/call/{api}/{event_id}"):
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    if event == "error":
                        raise RemoteError(f"{server} could not answer ({line[5:].strip()})")
                    return json.loads(line[5:])[0]
    except (OSError, ValueError, HTTPException) as exc:  # refused, timed out, unreadable URL, a reply that is not HTTP
        if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
            raise RemoteError(f"{server} did not answer like citeqa serve ({exc.__class__.__name__})") from exc
        raise RemoteError(f"cannot reach a citeqa server at {server} ({exc}); start one with: citeqa serve") from exc
    except (KeyError, IndexError, TypeError) as exc:
        raise RemoteError(f"{server} did not answer like citeqa serve ({exc.__class__.__name__})") from exc
    raise RemoteError(f"{server} closed the answer stream early")


class _Session:
    """One HTTP connection (http.client: lighter to import than urllib.request) that keeps the login cookie.

    No proxy and no redirects: the app is addressed directly, as `citeqa serve` prints its URL.
    """

    def __init__(self, server: str, timeout: float) -> None:
        import http.client
        from urllib.parse import urlsplit

        url = urlsplit(server if "://" in server else "http://" + server)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) URL: {server!r}")
        kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        self.conn = kind(url.hostname, url.port, timeout=timeout)
        self.base = url.path.rstrip("/") + "/"
        self.cookies: dict[str, str] = {}

    def __enter__(self) -> "_Session":
        return self

    def __exit__(self, *_: object) -> None:
        self.conn.close()

    def _send(self, method: str, path: str, body: bytes | None, kind: str | None):
        headers = {"Accept-Encoding": "identity"}
        if kind:
            headers["Content-Type"] = kind
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, self.base + path, body=body, headers=headers)
        resp = self.conn.getresponse()
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].strip().partition("=")
            if name:
                self.cookies[name] = value
        if 300 <= resp.status < 400:
            resp.read()
            raise ValueError(f"the server redirects to {resp.headers.get('Location')}: pass that URL")
        return resp

    def request(self, method: str, path: str, body: bytes | None = None, kind: str | None = None) -> tuple[int, bytes]:
        resp = self._send(method, path, body, kind)
        return resp.status, resp.read()

    def login(self, user: str, password: str) -> None:
        from urllib.parse import urlencode

        try:
            self.request("POST", "login", urlencode({"username": user, "password": password}).encode(), "application/x-www-form-urlencoded")
        except ValueError:
            pass  # a redirect after the login still carries its cookie

    def stream(self, path: str):
        resp = self._send("GET", path, None, None)
        if resp.status != 200:
            raise RemoteError(f"the answer stream was refused (HTTP {resp.status})")
        yield from resp
