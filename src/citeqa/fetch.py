"""Fetch a web source for `citeqa add URL` (httpx; size- and type-limited)."""

from __future__ import annotations

from urllib.parse import urlparse

import httpx

from .corpus import slug

MAX_BYTES = 20 * 1024 * 1024
TYPES = {"text/html": ".html", "application/xhtml+xml": ".html", "application/pdf": ".pdf", "text/plain": ".txt", "text/markdown": ".md"}


class FetchError(RuntimeError):
    """The URL could not be fetched as a document; the message says why."""


def fetch_url(url: str, timeout: float = 30.0) -> tuple[str, bytes]:
    """Download a page or file; returns (file name to store it under, bytes)."""
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=timeout, headers={"User-Agent": "citeqa/0.1"}) as resp:
            resp.raise_for_status()
            ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype not in TYPES:
                raise FetchError(f"{url}: content type {ctype or 'unknown'} is not a document citeqa reads (HTML, PDF, text)")
            data = bytearray()
            for block in resp.iter_bytes():
                data += block
                if len(data) > MAX_BYTES:
                    raise FetchError(f"{url}: larger than {MAX_BYTES // 2**20} MB — download it and add the file instead")
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: could not fetch ({exc.__class__.__name__}: {exc}) — check the address or download it and add the file") from exc
    parsed = urlparse(url)
    stem = slug((parsed.netloc + parsed.path).rstrip("/").rsplit(".", 1)[0] or "page")[:80]
    return stem + TYPES[ctype], bytes(data)
