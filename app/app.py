"""Run the citeqa web app directly (`python app/app.py`); `citeqa serve` does the same with options."""

from pathlib import Path

from citeqa.cli import run_build
from citeqa.embed import DEFAULT_ENCODER
from citeqa.store import current_build
from citeqa.ui import launch

ROOT = Path(__file__).resolve().parents[1]  # so it works from any working directory

if __name__ == "__main__":
    if current_build(ROOT / "index") is None:  # first run: build the index the app reads (under the build lock)
        run_build(ROOT / "corpus", ROOT / "index", DEFAULT_ENCODER)
    launch(ROOT / "index", ROOT / "corpus")
