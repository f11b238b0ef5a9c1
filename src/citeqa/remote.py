"""`citeqa ask --server URL`: ask a running `citeqa serve` through its /ask (or /ask_filtered) API (no model loaded here).

Speaks Gradio's plain HTTP API with httpx (POST the call, read the event stream), so the
shell pays for one HTTP round trip instead of loading the index. Credentials, when the
server wants them, come from CITEQA_AUTH (user:password).
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx


class RemoteError(RuntimeError):
    """The server could not be asked; the message says why."""


def ask_server(server: str, question: str, k: int, filters: dict[str, str | None], timeout: float = 60.0) -> dict[str, Any]:
    """The same object as `citeqa ask --json`, computed by the server."""
    base = server.rstrip("/") + "/"
    values = [filters.get(f) or "" for f in ("mechanism", "measure", "lang", "doc")]
    api, data = ("ask_filtered", [question, k, *values]) if any(values) else ("ask", [question, k])
    try:
        with httpx.Client(base_url=base, timeout=timeout, trust_env=False) as client:
            auth = os.environ.get("CITEQA_AUTH")
            if auth and ":" in auth:
                user, password = auth.split(":", 1)
                client.post("login", data={"username": user, "password": password})
            started = client.post(f"gradio_api/call/{api}", json={"data": data})
            if started.status_code in (401, 403):
                raise RemoteError(f"{server} asks for a login: set CITEQA_AUTH=user:password")
            started.raise_for_status()
            event_id = started.json()["event_id"]
            with client.stream("GET", f"gradio_api/call/{api}/{event_id}") as resp:
                event = ""
                for line in resp.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event in ("complete", "error"):
                        payload = line[5:].strip()
                        if event == "error":
                            raise RemoteError(f"{server} could not answer ({payload})")
                        return json.loads(payload)[0]
    except httpx.HTTPError as exc:
        raise RemoteError(f"cannot reach a citeqa server at {server} ({exc.__class__.__name__}: {exc}); start one with: citeqa serve") from exc
    except (KeyError, ValueError, IndexError) as exc:
        raise RemoteError(f"{server} did not answer like citeqa serve ({exc.__class__.__name__})") from exc
    raise RemoteError(f"{server} closed the answer stream early")
