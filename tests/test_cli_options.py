"""One vocabulary of options, input checked against the index, clear errors, asking a running server."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from citeqa.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.mark.parametrize("command", ["build", "add", "info", "ask", "eval", "bench", "serve"])
def test_every_command_takes_corpus_and_index(command):
    text = run(command, "--help").output
    assert "--corpus" in text and "--index" in text


def test_unknown_filters_are_an_error_listing_the_valid_values(built_index):
    bad = run("ask", "How much funding?", "--mechanism", "NASA", "--lang", "fr", "--index", str(built_index))
    assert bad.exit_code == 2
    assert "NASA" in bad.output and "UKRI" in bad.output and "ESFRI" in bad.output
    assert "'fr'" in bad.output and "en, zh" in bad.output
    as_json = run("ask", "How much funding?", "--measure", "Nonsense", "--json", "--index", str(built_index))
    assert as_json.exit_code == 2 and "valid values" in json.loads(as_json.stdout)["error"]


def test_filter_values_ignore_case(built_index):
    got = run("ask", "How much research funding does UKRI manage each year?", "--mechanism", "ukri", "--json", "-k", "3", "--index", str(built_index))
    assert got.exit_code == 0, got.output
    hits = json.loads(got.stdout)["hits"]
    assert hits and all(h["mechanism"] == "UKRI" for h in hits)


def test_info_lists_each_filter_and_its_values(built_index):
    summary = json.loads(run("info", "--json", "--index", str(built_index)).stdout)
    assert {"UKRI", "NNI"} <= set(summary["filters"]["mechanism"]) and summary["filters"]["lang"] == ["en", "zh"]
    text = run("info", "--index", str(built_index)).output
    assert "--mechanism:" in text and "--measure:" in text


def test_info_verify_checksums_every_file(built_index, tmp_path):
    import shutil

    copy = tmp_path / "index"
    shutil.copytree(built_index, copy)
    assert run("info", "--verify", "--json", "--index", str(copy)).exit_code == 0
    vectors = next(copy.glob("build-*/search/dense/vectors.npy"))
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2] ^= 1
    vectors.write_bytes(bytes(data))
    bad = run("info", "--verify", "--index", str(copy))
    assert bad.exit_code != 0 and "citeqa build" in " ".join(bad.output.split())


def test_missing_gold_file_is_a_clear_error(built_index, tmp_path):
    got = run("eval", "--gold", str(tmp_path / "missing.jsonl"), "--index", str(built_index))
    said = " ".join(got.output.split())
    assert got.exit_code == 1 and "missing.jsonl not found" in said and "--gold FILE" in said and "Errno" not in said


def test_ask_through_a_running_server_gives_the_local_answer(app_url, built_index):
    question = "How much research funding does UKRI manage each year?"
    remote = run("ask", question, "--server", app_url, "--json", "-k", "3")
    local = run("ask", question, "--json", "-k", "3", "--index", str(built_index))
    assert remote.exit_code == 0, remote.output
    ids = lambda r: [(h["doc_id"], h["start"]) for h in json.loads(r.stdout)["hits"]]  # noqa: E731
    assert ids(remote) == ids(local)
    bad = run("ask", question, "--server", app_url, "--mechanism", "NASA")
    assert bad.exit_code == 2 and "UKRI" in bad.output
    text = run("ask", question, "--server", app_url, "-k", "1")
    assert text.exit_code == 0 and "#1" in text.output


def test_credentials_come_from_a_file(tmp_path):
    from citeqa.cli import _credentials

    secret = tmp_path / "auth"
    secret.write_text("staff:s3cret:with:colons\n", encoding="utf-8")
    assert _credentials(None, secret) == ("staff", "s3cret:with:colons")
    secret.write_text("no-colon\n", encoding="utf-8")
    with pytest.raises(Exception):
        _credentials(None, secret)


def test_eval_without_an_index_builds_it_from_the_corpus_first(corpus_dir, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "q1", "lang": "en", "question": "How much research funding does UKRI manage each year?",
                                "evidence": ["每年90亿英镑的科研经费"], "mechanism": "UKRI", "measure": "budget", "kind": "fact"}, ensure_ascii=False) + "\n", encoding="utf-8")
    got = run("eval", "--gold", str(gold), "--index", str(tmp_path / "index"), "--corpus", str(corpus_dir), "--json")
    assert got.exit_code == 0, got.output
    metrics = json.loads(got.stdout.strip().splitlines()[-1])
    assert metrics["n"] == 1 and metrics["recall@10"] == 1.0
    assert (tmp_path / "index" / "CURRENT").is_file()
