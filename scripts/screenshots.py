"""Regenerate docs/screenshots/: each tab of the app at 1400 px (desktop) and 390 px (phone).

    .venv/bin/python scripts/screenshots.py [--index index] [--corpus corpus] [--out docs/screenshots]

Serves the app on a free loopback port over the given index (built first if missing) and
drives Debian's chromium (apt-get install chromium fonts-noto-cjk) with Playwright.
"""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
WAIT = 60_000
SCREENS = {"": (1400, 900), "-mobile": (390, 844)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shoot(url: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        for suffix, (width, height) in SCREENS.items():
            page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
            page.goto(url)
            page.get_by_role("tab", name="Ask").wait_for(timeout=WAIT)

            def save(name: str, full: bool = True) -> None:
                page.wait_for_timeout(400)
                path = out / f"{name}{suffix}.png"
                page.screenshot(path=str(path), full_page=full)
                written.append(path)

            page.get_by_label("Question (中文 / English)").fill("How much research funding does UKRI manage each year?")
            page.get_by_role("button", name="Ask", exact=True).click()
            page.locator("#answer .cq-hit").first.wait_for(timeout=WAIT)
            save("ask", full=not suffix)  # on a phone: what the screen shows right after Ask
            page.get_by_role("tab", name="Check a claim").click()
            page.get_by_label("Claim (中文 / English)").fill("The National Research Council reviews the NNI every 5 years.")
            page.get_by_role("button", name="Check", exact=True).click()
            page.locator("#verdicts .cq-hit").first.wait_for(timeout=WAIT)
            save("check")
            page.get_by_role("tab", name="Browse").click()
            page.locator("#matrix").get_by_text("国家研究委员会每3～4年", exact=False).first.click()
            page.locator("#cell .cq-hit").first.wait_for(timeout=WAIT)
            save("browse", full=not suffix)
            page.get_by_role("tab", name="Documents").click()
            page.locator("#documents").get_by_text("Bibliography").wait_for(timeout=WAIT)
            save("documents")
            page.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    from citeqa import ui
    from citeqa.cli import DEFAULT_ENCODER, run_build
    from citeqa.search import Searcher
    from citeqa.store import current_build

    if current_build(args.index) is None:
        run_build(args.corpus, args.index, DEFAULT_ENCODER)
    demo = ui.build_app(Searcher.load(args.index), args.corpus)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True, **ui.STYLE)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for path in shoot(url, args.out):
            print(path)
    finally:
        demo.close()


if __name__ == "__main__":
    main()
