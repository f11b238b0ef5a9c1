"""citeqa deletes and overwrites only what it created: index folders, add, symlinks, fetch.

Each case hashes the user's files (corpus and anything foreign in the index folder) before and
after, and checks the message tells the user what happened and what to do.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import threading
import time
import tomllib
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from conftest import HashEncoder
from typer.testing import CliRunner

from citeqa import cli
from citeqa.build import BuildReport
from citeqa.corpus import load_corpus
from citeqa.store import BUILD_MARKER, INDEX_MARKER, IndexError_, current_build, load_index, write_index


def tree_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def tiny_corpus(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text("UKRI was created in 2018.\n\nIt brings together nine research councils.", encoding="utf-8")
    (corpus / "zh.txt").write_text("英国研究与创新署成立于2018年。\n\n它统筹管理每年90亿英镑的科研经费。", encoding="utf-8")
    return corpus


def build(corpus: Path, index: Path, **kw) -> BuildReport:
    return cli.run_build(corpus, index, HashEncoder(), **kw)


# ---- case 1: index folders ------------------------------------------------------------------------

def test_build_refuses_a_folder_holding_user_files_and_deletes_nothing(tiny_corpus, tmp_path):
    index = tmp_path / "p"
    (index / "build-scripts").mkdir(parents=True)
    (index / "build-scripts" / "a").write_text("x", encoding="utf-8")
    (index / ".tmp-notes").mkdir()
    (index / ".tmp-notes" / "b.txt").write_text("y", encoding="utf-8")
    before, corpus_before = tree_hashes(index), tree_hashes(tiny_corpus)
    result = CliRunner().invoke(cli.app, ["build", "--corpus", str(tiny_corpus), "--index", str(index)])
    assert result.exit_code == 1
    assert "did not create" in result.output and "build-scripts/" in result.output and ".tmp-notes/" in result.output
    assert "--index" in result.output  # says what to do
    assert tree_hashes(index) == before and tree_hashes(tiny_corpus) == corpus_before


@pytest.mark.parametrize("where", ["same", "inside", "around"])
def test_build_refuses_the_corpus_as_index(tiny_corpus, tmp_path, where):
    (tiny_corpus / "build-2024").mkdir()
    (tiny_corpus / "build-2024" / "doc.txt").write_text("A document the user keeps in a folder named like a build.", encoding="utf-8")
    index = {"same": tiny_corpus, "inside": tiny_corpus / "idx", "around": tmp_path}[where]
    before = tree_hashes(tiny_corpus)
    with pytest.raises(Exception) as err:
        build(tiny_corpus, index)
    assert tree_hashes(tiny_corpus) == before and not (tiny_corpus / "CURRENT").exists()
    with pytest.raises(IndexError_, match="corpus folder"):
        write_index(index, {"corpus": str(tiny_corpus)}, np.zeros((0, 4), np.float32), [], [], {})
    assert err.type.__name__ == "Exit"


def test_cleanup_deletes_only_marked_builds_and_leftover_temp_builds(tiny_corpus, tmp_path):
    index = tmp_path / "index"
    first = build(tiny_corpus, index).index_path
    assert (index / INDEX_MARKER).is_file() and (first / BUILD_MARKER).is_file()
    killed = index / ".tmp-20240101T000000-1-abcdef"  # what a build killed while writing leaves
    killed.mkdir()
    (killed / BUILD_MARKER).write_text("", encoding="utf-8")
    (killed / "vectors.faiss").write_bytes(b"half")
    report = build(tiny_corpus, index)  # nothing changed: a no-op build still removes it
    assert report.up_to_date and not killed.exists() and current_build(index) == first
    build(tiny_corpus, index, force=True)
    build(tiny_corpus, index, force=True)
    builds = sorted(p.name for p in index.iterdir() if p.name.startswith("build-"))
    assert len(builds) == 2 and current_build(index).name in builds  # the live build and the one before it
    assert first.name not in builds


def test_manifest_checksums_extra_files_in_subfolders(tmp_path):
    def extra(folder: Path) -> None:
        (folder / "search").mkdir()
        (folder / "search" / "bm25.bin").write_bytes(b"model")

    index = tmp_path / "index"
    build_dir = write_index(index, {"corpus": str(tmp_path / "c")}, np.zeros((0, 4), np.float32), [], [], {}, extra_files=extra)
    data = load_index(index)
    assert data.manifest["files"]["search/bm25.bin"] == hashlib.sha256(b"model").hexdigest()
    (build_dir / "search" / "bm25.bin").write_bytes(b"tampered")
    with pytest.raises(IndexError_, match="corrupt"):
        load_index(index)


# ---- case 2: add never overwrites -----------------------------------------------------------------

@pytest.fixture()
def no_build(monkeypatch):
    monkeypatch.setattr(cli, "run_build", lambda *a, **k: BuildReport(index_path=None))


def add(corpus: Path, *args: str):
    return CliRunner().invoke(cli.app, ["add", *args, "--corpus", str(corpus), "--index", str(corpus.parent / "index")])


def entries(corpus: Path) -> list[dict]:
    return tomllib.loads((corpus / "manifest.toml").read_text(encoding="utf-8"))["documents"]


class Pages(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.25)
            return
        if self.path == "/hop":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.2:{self.server.server_address[1]}/about-us")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(f"<html><body><p>Page {self.path}: what this page says about research councils.</p></body></html>".encode())

    def log_message(self, *args):
        pass


@pytest.fixture()
def site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_two_pages_of_one_site_become_two_files_with_their_own_references(tiny_corpus, site, no_build):
    first = add(tiny_corpus, f"{site}/about-us", "--cites", "11", "--allow-private")
    second = add(tiny_corpus, f"{site}/news", "--cites", "12", "--allow-private")
    assert first.exit_code == second.exit_code == 0, second.output
    assert "linked to reference(s) [12]" in second.output
    docs = {d["url"]: d for d in entries(tiny_corpus)}
    assert docs[f"{site}/about-us"]["cites"] == [11] and docs[f"{site}/news"]["cites"] == [12]
    assert docs[f"{site}/about-us"]["path"] != docs[f"{site}/news"]["path"]
    assert "/about-us" in (tiny_corpus / docs[f"{site}/about-us"]["path"]).read_text(encoding="utf-8")
    assert "/news" in (tiny_corpus / docs[f"{site}/news"]["path"]).read_text(encoding="utf-8")
    again = add(tiny_corpus, f"{site}/about-us", "--cites", "13", "--allow-private")  # same URL: one entry, refs merged
    assert again.exit_code == 0 and "updated the entry" in again.output and "[13]" in again.output
    assert [d["cites"] for d in entries(tiny_corpus) if d["url"] == f"{site}/about-us"] == [[11, 13]]
    assert len(list((tiny_corpus / "sources").iterdir())) == 2


def test_adding_a_url_never_overwrites_the_users_own_file_for_it(tiny_corpus, tmp_path, site, no_build):
    mine = tiny_corpus / "notes.html"
    mine.write_text("<html><body><p>My own annotated copy of the about-us page.</p></body></html>", encoding="utf-8")
    before = mine.read_bytes()
    assert add(tiny_corpus, str(mine), "--url", f"{site}/about-us", "--cites", "4").exit_code == 0  # registered in place
    again = add(tiny_corpus, f"{site}/about-us", "--cites", "5", "--allow-private")  # the page differs from the file
    assert again.exit_code == 0, again.output
    assert mine.read_bytes() == before
    fetched = add(tiny_corpus, f"{site}/news", "--allow-private")  # a page citeqa fetched itself may be refreshed
    assert fetched.exit_code == 0 and any(d.get("fetched") for d in entries(tiny_corpus) if d["url"] == f"{site}/news")


def test_same_file_name_twice_keeps_both_and_same_content_is_one_entry(tiny_corpus, tmp_path, no_build):
    for sub, text in (("a", "First report on research budgets."), ("b", "Second report on evaluation.")):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "report.txt").write_text(text, encoding="utf-8")
    assert add(tiny_corpus, str(tmp_path / "a" / "report.txt"), "--cites", "1").exit_code == 0
    assert add(tiny_corpus, str(tmp_path / "b" / "report.txt"), "--cites", "2").exit_code == 0
    stored = {p.read_text(encoding="utf-8") for p in (tiny_corpus / "sources").iterdir()}
    assert stored == {"First report on research budgets.", "Second report on evaluation."}
    copy = tmp_path / "copy-of-a.txt"
    shutil.copyfile(tmp_path / "a" / "report.txt", copy)
    same = add(tiny_corpus, str(copy), "--cites", "3", "--url", "https://example.org/a", "--title", "Report A")
    assert same.exit_code == 0 and "same content" in same.output
    docs = entries(tiny_corpus)
    assert len(docs) == 2 and len(list((tiny_corpus / "sources").iterdir())) == 2
    a = next(d for d in docs if d["cites"] == [1, 3])
    assert a["url"] == "https://example.org/a" and a["title"] == "Report A"
    assert {Path(d["path"]).name for d in docs} == {p.name for p in (tiny_corpus / "sources").iterdir()}


def test_adding_a_file_already_in_the_corpus_registers_it_in_place(tiny_corpus, no_build):
    before = tree_hashes(tiny_corpus)
    result = add(tiny_corpus, str(tiny_corpus / "note.txt"), "--cites", "5")
    assert result.exit_code == 0, result.output
    assert "registered in place" in result.output and "Traceback" not in result.output
    assert [(d["path"], d["cites"]) for d in entries(tiny_corpus)] == [("note.txt", [5])]
    after = tree_hashes(tiny_corpus)
    assert after.pop("manifest.toml") and after == before  # no copy, nothing else changed
    again = add(tiny_corpus, str(tiny_corpus / "note.txt"), "--cites", "5", "--json")
    assert json.loads(again.stdout.strip().splitlines()[-1])["action"] == "unchanged" and "already linked" in again.output


# ---- case 3: symlinks -----------------------------------------------------------------------------

def test_links_leaving_the_corpus_are_skipped_with_the_reason(tiny_corpus, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("a private file outside the corpus", encoding="utf-8")
    (tiny_corpus / "x.txt").symlink_to(secret)
    (tiny_corpus / "inside.txt").symlink_to(tiny_corpus / "note.txt")
    corpus = load_corpus(tiny_corpus, follow_symlinks=False)
    assert "x.txt" not in {e.path.name for e in corpus.entries}
    assert [p for p, why in corpus.skipped if "outside the corpus" in why and "--follow-symlinks" in why] == ["x.txt"]
    assert "x.txt" in {e.path.name for e in load_corpus(tiny_corpus, follow_symlinks=True).entries}
    got = CliRunner().invoke(cli.app, ["build", "--json", "--encoder", "minilm", "--corpus", str(tiny_corpus), "--index", str(tmp_path / "i2")])
    summary = json.loads(got.stdout.strip().splitlines()[-1])
    assert any(s["path"] == "x.txt" and "outside the corpus" in s["reason"] for s in summary["skipped"])
    report = build(tiny_corpus, tmp_path / "index")
    assert "x" not in {d for d, _ in report.documents}
    assert any(p == "x.txt" and "outside the corpus" in why for p, why in report.errors)
    assert secret.read_text(encoding="utf-8") == "a private file outside the corpus"


# ---- case 4: fetching ----------------------------------------------------------------------------

def test_fetch_refuses_private_addresses_unless_allowed(tiny_corpus, site, no_build):
    before = tree_hashes(tiny_corpus)
    refused = add(tiny_corpus, f"{site}/about-us")
    assert refused.exit_code == 1 and "--allow-private" in refused.output and "127.0.0.1" in refused.output
    assert tree_hashes(tiny_corpus) == before


def test_every_redirect_is_checked(site, monkeypatch):
    from citeqa import fetch

    monkeypatch.setattr(fetch, "_is_public", lambda ip: str(ip) != "127.0.0.2")  # pretend the first host is public
    with pytest.raises(fetch.FetchError, match="127.0.0.2"):
        fetch.fetch_url(f"{site}/hop")


def test_fetch_has_a_deadline_and_a_size_cap(site):
    from citeqa.fetch import FetchError, fetch_url

    with pytest.raises(FetchError, match="longer than"):
        fetch_url(f"{site}/slow", allow_private=True, deadline=1.0)  # the page takes 10 s
    with pytest.raises(FetchError, match="larger than"):
        fetch_url(f"{site}/big-page", allow_private=True, max_bytes=20)


# ---- case 6: one build at a time ----------------------------------------------------------------

def test_a_second_build_waits_and_says_who_holds_the_lock(tiny_corpus, tmp_path, capsys):
    import subprocess
    import sys

    index = tmp_path / "index"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from citeqa.lock import build_lock\n"
        f"with build_lock(Path({str(index)!r})):\n    print('held', flush=True); time.sleep(3)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        report = build(tiny_corpus, index)
    finally:
        holder.wait(30)
    said = " ".join(capsys.readouterr().err.split())
    assert "another build holds the lock" in said and f"pid {holder.pid}" in said
    assert report.index_path and load_index(index).chunks
