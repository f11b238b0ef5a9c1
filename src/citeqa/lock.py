"""One build at a time per index folder (an OS file lock via `filelock`).

A second build waits for the first and says who holds the lock; the lock is released by the
OS when its holder dies, so a killed build never blocks the next one.
"""

from __future__ import annotations

import json
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

LOCK_NAME = ".citeqa-lock"
OWNER_NAME = ".citeqa-lock.owner"  # who holds the lock (the lock file itself is truncated by waiters)

_locks: dict[tuple[int, str], FileLock] = {}
_guard = threading.Lock()


def _lock_for(index_dir: Path) -> FileLock:
    """One FileLock object per folder and process (a forked child gets its own), re-entrant in one thread."""
    folder = str(Path(index_dir).resolve())
    key = (os.getpid(), folder)
    with _guard:
        if key not in _locks:
            _locks[key] = FileLock(os.path.join(folder, LOCK_NAME))
        return _locks[key]


def holder(index_dir: Path) -> str:
    """A short description of the process holding the build lock, if it said so."""
    try:
        info = json.loads((Path(index_dir) / OWNER_NAME).read_text(encoding="utf-8"))
        return f"pid {info['pid']}, started {info['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "pid unknown"


@contextmanager
def build_lock(index_dir: Path, on_wait: Callable[[str], None] | None = None, timeout: float = -1) -> Iterator[None]:
    """Hold the index folder's build lock; `on_wait` hears once why we wait; timeout<0 waits forever."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = _lock_for(index_dir)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait:
            on_wait(f"another build holds the lock on {index_dir} ({holder(index_dir)}); waiting for it to finish …")
        try:
            lock.acquire(timeout=timeout)
        except Timeout as exc:
            raise TimeoutError(f"another build still holds the lock on {index_dir} ({holder(index_dir)}) after {timeout:.0f} s") from exc
    try:
        if lock.lock_counter == 1:
            owner = index_dir / OWNER_NAME
            tmp = owner.with_name(f"{OWNER_NAME}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%S")}), encoding="utf-8")
            os.replace(tmp, owner)
        yield
    finally:
        lock.release()
