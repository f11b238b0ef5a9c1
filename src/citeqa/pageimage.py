"""A PDF page rendered as an image with a passage highlighted, for the source viewer.

Uses pypdfium2 when it is installed (optional; without it the viewer shows the page text).
pdfium extracts a page's text slightly differently from pypdf, so the passage is aligned
onto pdfium's characters (`locate.align`) and their boxes are painted.
"""

from __future__ import annotations

import io
from pathlib import Path

from .locate import align

Box = tuple[float, float, float, float]  # left, bottom, right, top in PDF points


def available() -> bool:
    try:
        import pypdfium2  # noqa: F401
    except ImportError:
        return False
    return True


def passage_boxes(path: Path | str, page_no: int, passage: str) -> tuple[list[Box], str]:
    """Line boxes covering `passage` on page `page_no` (1-based), and the page characters they cover."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        textpage = pdf[page_no - 1].get_textpage()
        text = textpage.get_text_range()
        lines: dict[int, list[float]] = {}
        covered = []
        for run in align(text, passage):
            for i in range(run[1], run[1] + run[2]):
                if text[i].isspace():
                    continue
                left, bottom, right, top = textpage.get_charbox(i)
                covered.append(text[i])
                key = round(bottom)
                box = lines.setdefault(key, [left, bottom, right, top])
                box[:] = [min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top)]
        return [tuple(b) for b in lines.values()], "".join(covered)
    finally:
        pdf.close()


def page_png(path: Path | str, page_no: int, passage: str, scale: float = 1.5) -> bytes | None:
    """PNG of the page with the passage's lines highlighted; None without pypdfium2 or on failure."""
    if not available():
        return None
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    try:
        boxes, _ = passage_boxes(path, page_no, passage)
        pdf = pdfium.PdfDocument(str(path))
        try:
            page = pdf[page_no - 1]
            height = page.get_size()[1]
            image = page.render(scale=scale).to_pil().convert("RGBA")
        finally:
            pdf.close()
    except Exception:  # a page pdfium cannot render: the viewer falls back to the page text
        return None
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for left, bottom, right, top in boxes:
        draw.rectangle([left * scale - 2, (height - top) * scale - 2, right * scale + 2, (height - bottom) * scale + 2], fill=(255, 214, 0, 110))
    out = io.BytesIO()
    Image.alpha_composite(image, overlay).convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()
