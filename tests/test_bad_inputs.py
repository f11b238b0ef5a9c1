"""A corpus full of bad files: every good document is indexed, every bad one reported, nothing lost."""

from __future__ import annotations

import shutil

from typer.testing import CliRunner

from citeqa.build import build_index
from citeqa.cli import app
from citeqa.store import load_index
from conftest import CORPUS, make_pdf


def _encrypted(src, target, password):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(src)))
    writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-128")
    with open(target, "wb") as f:
        writer.write(f)


def _scanned_pdf(path):
    """A PDF whose page is only a drawing: no text layer, as from a scanner."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.rect(50, 50, 400, 600, fill=1)
    c.showPage()
    c.save()


def make_bad_corpus(root):
    root.mkdir(parents=True)
    (root / "article.txt").write_text((CORPUS / "st-coordination-article.txt").read_text(encoding="utf-8")[:1500], encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "zero.pdf").write_bytes(b"")
    good_pdf = make_pdf(root / "good.pdf", ["英国研究与创新署成立于2018年。", "第二页：科研经费统筹。"])
    (root / "truncated.pdf").write_bytes(good_pdf.read_bytes()[:400])
    _encrypted(good_pdf, root / "locked.pdf", "secret")
    _encrypted(make_pdf(root / "tmp.pdf", ["空密码加密的文件内容。"]), root / "open-encrypted.pdf", "")
    (root / "tmp.pdf").unlink()
    _scanned_pdf(root / "scanned.pdf")
    (root / "gbk.txt").write_bytes("欧洲研究基础设施战略论坛成立于2002年，协调各国研究基础设施。".encode("gb18030"))
    (root / "utf16.txt").write_bytes("日本综合科学技术创新会议每月举行一次正式会议。".encode("utf-16"))
    (root / "nul.txt").write_bytes("带有空字节的文本\x00内容。".encode("utf-8"))
    (root / "page.html").write_text(
        "<html><head><style>p{color:red}</style><script>steal()</script></head><body><article>"
        + "<p>Research councils were merged into UKRI in 2018 to fund interdisciplinary research.</p>" * 3
        + "</article></body></html>",
        encoding="utf-8",
    )
    shutil.copy(root / "gbk.txt", root / "gbk-copy.txt")
    (root / "huge.txt").write_bytes(b"A" * (20 * 1024 * 1024))
    (root / "manifest.toml").write_text('[[documents]]\nid = "ghost"\npath = "missing.pdf"\n', encoding="utf-8")
    return root


def test_build_indexes_good_documents_and_reports_each_bad_one(tmp_path):
    corpus = make_bad_corpus(tmp_path / "corpus")
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    report = build_index(corpus, tmp_path / "index", progress=False)
    indexed = {d for d, _ in report.documents}
    reasons = dict(report.errors)
    kept_gbk = "gbk" if "gbk" in indexed else "gbk-copy"  # whichever copy is read first is kept
    assert indexed == {"article", "good", "open-encrypted", kept_gbk, "utf16", "nul", "page"}
    assert "duplicate" in reasons["gbk.txt" if kept_gbk == "gbk-copy" else "gbk-copy.txt"]
    assert "empty" in reasons["empty.txt"] and "empty" in reasons["zero.pdf"]
    assert "broken or truncated" in reasons["truncated.pdf"]
    assert "password" in reasons["locked.pdf"]
    assert "OCR" in reasons["scanned.pdf"]
    assert "limit" in reasons["huge.txt"]
    assert "does not exist" in reasons["missing.pdf"]
    data = load_index(tmp_path / "index")
    texts = {d.replace("gbk-copy", "gbk"): data.documents[d].text for d in indexed}
    assert "steal()" not in texts["page"] and "color:red" not in texts["page"]
    assert "\x00" not in texts["nul"] and "空字节" in texts["nul"]
    assert "2002年" in texts["gbk"] and "每月举行一次" in texts["utf16"]
    # nothing in the corpus folder was changed or removed
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before


def test_cli_exit_codes(tmp_path):
    corpus = make_bad_corpus(tmp_path / "corpus")
    runner = CliRunner()
    ok = runner.invoke(app, ["build", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    assert ok.exit_code == 0, ok.output
    assert "skipped" in ok.output and "locked.pdf" in ok.output
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "empty.txt").write_bytes(b"")
    fail = runner.invoke(app, ["build", "--corpus", str(only_bad), "--index", str(tmp_path / "index2")])
    assert fail.exit_code == 1 and "nothing could be indexed" in fail.output
