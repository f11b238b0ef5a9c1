"""Fetch a web source for `citeqa add URL`: public addresses only, bounded in time and size.

Every hop is checked: the host is resolved, each address must be public (not loopback,
private, link-local, reserved or multicast) unless the caller allows private ones, and the
connection goes to the address that was checked (no second DNS lookup to rebind).
Redirects are followed by hand so each target is checked the same way.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlparse, urlunparse

import httpx

from .corpus import slug

MAX_BYTES = 20 * 1024 * 1024
DEADLINE_S = 60.0  # whole download, redirects included
MAX_REDIRECTS = 5
TYPES = {"text/html": ".html", "application/xhtml+xml": ".html", "application/pdf": ".pdf", "text/plain": ".txt", "text/markdown": ".md"}


class FetchError(RuntimeError):
    """The URL could not be fetched as a document; the message says why."""


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified)


def resolve_checked(url: str, allow_private: bool) -> str:
    """The address to connect to for `url`, refusing non-public ones unless allowed."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise FetchError(f"{url}: only http(s) URLs can be added")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parsed.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"{url}: host {parsed.hostname} not found ({exc}) — check the address") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    blocked = [str(a) for a in addresses if not _is_public(a)]
    if blocked and not allow_private:
        raise FetchError(
            f"{url}: {parsed.hostname} resolves to a local or private address ({', '.join(sorted(set(blocked)))}); "
            "citeqa fetches public addresses only. For an intranet source pass --allow-private"
        )
    return str(addresses[0])


def _pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL rewritten to the checked address, with the Host header and TLS name of the original."""
    parsed = urlparse(url)
    host = f"[{address}]" if ":" in address else address
    netloc = host + (f":{parsed.port}" if parsed.port else "")
    headers = {"Host": parsed.netloc.rsplit("@", 1)[-1], "User-Agent": "citeqa/0.1"}
    return urlunparse(parsed._replace(netloc=netloc)), headers, {"sni_hostname": parsed.hostname or ""}


def fetch_url(url: str, timeout: float = 30.0, allow_private: bool = False, deadline: float = DEADLINE_S, max_bytes: int = MAX_BYTES) -> tuple[str, bytes]:
    """Download a page or file; returns (file name to store it under, bytes)."""
    started = time.monotonic()

    def remaining() -> float:
        left = deadline - (time.monotonic() - started)
        if left <= 0:
            raise FetchError(f"{url}: took longer than {deadline:.0f} s — download it and add the file instead")
        return left

    current = url
    try:
        with httpx.Client(follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                target, headers, ext = _pinned(current, resolve_checked(current, allow_private))
                request = client.build_request("GET", target, headers=headers, extensions=ext, timeout=min(timeout, remaining()))
                resp = client.send(request, stream=True)
                try:
                    if resp.is_redirect:
                        current = urljoin(current, resp.headers.get("location", ""))
                        continue
                    resp.raise_for_status()
                    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                    if ctype not in TYPES:
                        raise FetchError(f"{url}: content type {ctype or 'unknown'} is not a document citeqa reads (HTML, PDF, text)")
                    too_big = f"{url}: larger than {max_bytes / 2**20:g} MB — download it and add the file instead"
                    if int(resp.headers.get("content-length") or 0) > max_bytes:
                        raise FetchError(too_big)
                    data = bytearray()
                    for block in resp.iter_bytes():
                        data += block
                        if len(data) > max_bytes:
                            raise FetchError(too_big)
                        remaining()
                    break
                finally:
                    resp.close()
            else:
                raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")
    except httpx.HTTPStatusError as exc:
        raise FetchError(f"{url}: could not fetch (HTTP {exc.response.status_code}) — check the address or download it and add the file") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: could not fetch ({exc.__class__.__name__}: {exc}) — check the address or download it and add the file") from exc
    parsed = urlparse(url)  # named after what the user asked for, not where it redirected
    stem = slug((parsed.netloc + parsed.path).rstrip("/").rsplit(".", 1)[0] or "page")[:80]
    return stem + TYPES[ctype], bytes(data)
