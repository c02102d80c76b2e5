"""The form font: an embedded TrueType CJK font when installed, else the built-in CID font."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from dispatch.forms import pdf


@pytest.fixture()
def no_font_files(monkeypatch):
    """A machine without fonts-wqy-zenhei: no candidate file exists."""
    monkeypatch.setattr(pdf, "TRUETYPE_CANDIDATES", ("/nonexistent/font.ttc",))
    monkeypatch.delenv("DAIBAN_FORMS_FONT", raising=False)
    pdf.font_name.cache_clear()
    yield
    pdf.font_name.cache_clear()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_without_a_font_file_the_cid_font_still_gives_chinese_text(no_font_files, tmp_path):
    """STSong-Light needs no file: the PDF's text is the Chinese that was written."""
    assert pdf.font_name() == pdf.CID_FONT
    out = tmp_path / "cid.pdf"
    out.write_bytes(pdf.render([*pdf.title("受理回执", "Receipt"), pdf.para("编号 DB1")], "t"))
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "受理回执" in text and "DB1" in text


def test_an_installed_truetype_font_is_embedded(tmp_path):
    """With WenQuanYi installed the font travels inside the PDF."""
    pdf.font_name.cache_clear()
    if not any(os.path.isfile(p) for p in pdf.TRUETYPE_CANDIDATES):
        pytest.skip("fonts-wqy-zenhei not installed")
    assert pdf.font_name() == "DaibanCJK"
    body = pdf.render([pdf.para("办结单")], "t")
    assert b"FontFile2" in body
