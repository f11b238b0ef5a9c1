"""Fetching a Debian package's files for an eval corpus: download once, unpack once, write atomically."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def run(cmd: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def download(package: str, cache: Path) -> Path:
    """The package's .deb in the cache, fetched with `apt-get download` when missing."""
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"{package}_*.deb"))
    if found:
        print(f"cached   {found[-1].name}")
        return found[-1]
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise SystemExit("apt-get and dpkg-deb are needed (a Debian or Ubuntu system); "
                         f"or put {package}_*.deb into {cache} by hand and re-run")
    run(["apt-get", "download", package], cwd=cache)
    found = sorted(cache.glob(f"{package}_*.deb"))
    if not found:
        raise SystemExit(f"apt-get download {package} left no .deb in {cache} (run apt-get update?)")
    print(f"fetched  {found[-1].name}")
    return found[-1]


def extract(deb: Path, cache: Path) -> Path:
    """Unpack the .deb once into the cache (dpkg-deb -x)."""
    target = cache / deb.stem
    if not target.is_dir():
        tmp = Path(tempfile.mkdtemp(dir=cache))
        run(["dpkg-deb", "-x", str(deb), str(tmp)])
        os.replace(tmp, target)
        print(f"unpacked {deb.name}")
    return target


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` unless the file already holds it; True when written."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True
