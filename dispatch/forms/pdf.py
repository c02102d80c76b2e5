"""The page every printed form shares: A4, a CJK font, a title, field tables and signatures.

The font: WenQuanYi Zen Hei (Debian ``fonts-wqy-zenhei``, TrueType, so ReportLab can embed
it) when it is installed or ``DAIBAN_FORMS_FONT`` names a TrueType file; otherwise Adobe's
STSong-Light, a CID font every PDF reader knows, which needs no file on the server (the
reader supplies the glyphs; poppler takes them from fontconfig). Noto CJK is CFF-based,
which ReportLab cannot embed, so it is not tried.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    Image,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

TRUETYPE_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
CID_FONT = "STSong-Light"
WIDTH = A4[0] - 36 * mm


@cache
def font_name() -> str:
    """Register the form font once and return its name."""
    chosen = os.environ.get("DAIBAN_FORMS_FONT", "")
    for path in (chosen, *TRUETYPE_CANDIDATES):
        if path and Path(path).is_file():
            pdfmetrics.registerFont(TTFont("DaibanCJK", path, subfontIndex=0))
            return "DaibanCJK"
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


def _style(size: float, leading: float, **extra: object) -> ParagraphStyle:
    return ParagraphStyle(f"s{size}", fontName=font_name(), fontSize=size, leading=leading, **extra)


def title(zh: str, en: str) -> list[Flowable]:
    return [
        Paragraph(escape(zh), _style(18, 24, alignment=1)),
        Paragraph(escape(en), _style(9, 12, alignment=1, textColor=colors.grey)),
        Spacer(1, 6 * mm),
    ]


def para(text: str, size: float = 10.5) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), _style(size, size * 1.5))


def fields(rows: Iterable[tuple[str, str]], widths: Sequence[float] = (0.3, 0.7)) -> Table:
    """A two-column table of label and value, labels bilingual."""
    data = [[para(label, 9), para(value)] for label, value in rows]
    return grid(data, [WIDTH * w for w in widths], header=False)


def grid(data: list[list[object]], widths: Sequence[float], header: bool = True) -> Table:
    table = Table(data, colWidths=list(widths), repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTNAME", (0, 0), (-1, -1), font_name()),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke))
    table.setStyle(TableStyle(style))
    return table


def signatures(boxes: Sequence[tuple[str, str | None]]) -> Table:
    """Signature boxes side by side: a label and the captured image, or a line to sign on."""
    cells = []
    for label, image in boxes:
        picture = decode_image(image) if image else None
        cells.append([para(label, 9), picture or Spacer(1, 18 * mm), para("日期 Date：", 8)])
    width = WIDTH / max(1, len(boxes))
    table = Table([cells], colWidths=[width] * len(boxes))
    table.setStyle(
        TableStyle(
            [("BOX", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        )
    )
    # Each cell holds a list of flowables stacked top to bottom.
    return table


def decode_image(value: str) -> Image | None:
    """A picture from a data URL or bare base64 (PNG or JPEG); None if it is not one."""
    raw = value.split(",", 1)[1] if value.startswith("data:") else value
    try:
        blob = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        picture = Image(io.BytesIO(blob))
    except Exception:  # ReportLab raises several types for an unreadable image
        return None
    scale = min(
        1.0, (50 * mm) / max(1, picture.imageWidth), (18 * mm) / max(1, picture.imageHeight)
    )
    picture.drawWidth = picture.imageWidth * scale
    picture.drawHeight = picture.imageHeight * scale
    return picture


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(story: list[Flowable], subject: str) -> bytes:
    """The PDF bytes of ``story`` on A4, with ``subject`` in its metadata."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=subject,
        author="Daiban 代办",
    )
    doc.build(story)
    return out.getvalue()


def gap(height_mm: float = 4) -> Spacer:
    return Spacer(1, height_mm * mm)
