"""The search path imports nothing of the build path: a searcher never re-derives what the build saved."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD_SIDE = {"citeqa.build", "citeqa.lexicon_build", "citeqa.mining", "citeqa.chunk", "citeqa.clean", "citeqa.ingest",
              "citeqa.htmlread", "citeqa.pdfread", "citeqa.workers", "bm25s"}


def test_importing_the_searcher_loads_no_build_module():
    code = "import json, sys, citeqa.searcher; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "citeqa.searcher" in loaded
    assert not loaded & BUILD_SIDE, sorted(loaded & BUILD_SIDE)
