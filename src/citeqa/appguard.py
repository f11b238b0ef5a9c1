"""What keeps a served app safe and current: body size limit, slow failed logins, live index.

Gradio's own routes (queue, API, upload) all pass through the body limit; the upload route
is also capped by gradio's max_file_size.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
from pathlib import Path
from typing import Any, Callable

from .search import MAX_QUERY_CHARS, Searcher

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 100_000  # a request body: questions are read up to MAX_QUERY_CHARS anyway
MAX_UPLOAD = "1mb"  # the app takes no files; gradio's upload route is capped all the same
LOGIN_DELAY_S = 1.0  # a failed login waits this long: guessing passwords gets slow


class BodyLimit:
    """ASGI middleware: refuse a request body over MAX_BODY_BYTES before any work is done."""

    def __init__(self, app: Any, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        size = dict(scope.get("headers", [])).get(b"content-length")
        if size is not None and size.isdigit() and int(size) > self.limit:
            return await self._refuse(send)
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            return {"type": "http.disconnect"} if seen > self.limit else message

        return await self.app(scope, counted, send)

    async def _refuse(self, send: Callable) -> None:
        body = json.dumps({"error": f"request body over {self.limit // 1000} kB: send a shorter question or claim "
                                    f"(only the first {MAX_QUERY_CHARS} characters are read)"}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def safety_options() -> dict[str, Any]:
    from starlette.middleware import Middleware

    return {"max_file_size": MAX_UPLOAD, "app_kwargs": {"middleware": [Middleware(BodyLimit)]}}


def slow_auth(user: str, password: str) -> Callable[[str, str], Any]:
    """Gradio auth that compares in constant time and answers a wrong guess only after a pause."""

    async def check(u: str, p: str) -> bool:
        ok = hmac.compare_digest(u.encode(), user.encode()) & hmac.compare_digest(p.encode(), password.encode())
        if not ok:
            await asyncio.sleep(LOGIN_DELAY_S)
        return bool(ok)

    return check


class LiveSearcher:
    """The searcher of the index's live build: reloaded when a build moves CURRENT."""

    def __init__(self, searcher: Searcher, index_dir: Path | None = None) -> None:
        self.searcher, self.index_dir = searcher, index_dir
        self._pointer = self._read_pointer()
        self._lock = threading.Lock()

    def _read_pointer(self) -> str:
        try:
            return (self.index_dir / "CURRENT").read_text(encoding="utf-8") if self.index_dir else ""
        except OSError:
            return ""

    def get(self) -> Searcher:
        pointer = self._read_pointer()
        if self.index_dir is None or not pointer or pointer == self._pointer:
            return self.searcher
        with self._lock:
            if pointer != self._pointer:
                try:
                    self.searcher = Searcher.load(self.index_dir)
                except Exception:  # keep answering from the build we have
                    log.exception("could not load the new index in %s", self.index_dir)
                self._pointer = pointer
        return self.searcher
