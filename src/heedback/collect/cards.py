"""Printable cards for a unit's survey link: a QR code and a short code to type, as SVG and PDF.

The QR code is drawn from segno's module matrix as plain shapes, so the same card prints
crisply at any size and needs no image library or font on the server beyond the PDF's.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

import segno
from fpdf import FPDF

# A6 portrait, in millimetres: fits a table stand, a counter or a room's desk.
WIDTH, HEIGHT = 105.0, 148.0
QR_SIZE = 62.0
UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@dataclass(frozen=True)
class Card:
    """What a card says: the question, who asks, where to answer and the code to type."""

    heading: str
    organisation: str
    unit: str
    url: str
    short_url: str
    short_code: str
    typing_hint: str


def _modules(url: str) -> list[list[bool]]:
    # Error correction "Q" survives a coffee stain or a scratch on a laminated card.
    return [[bool(cell) for cell in row] for row in segno.make(url, error="q", micro=False).matrix]


def _qr_path(modules: list[list[bool]], x0: float, y0: float, size: float) -> str:
    step = size / len(modules)
    parts = [
        f"M{x0 + column * step:.3f} {y0 + row * step:.3f}h{step:.3f}v{step:.3f}h-{step:.3f}z"
        for row, cells in enumerate(modules)
        for column, dark in enumerate(cells)
        if dark
    ]
    return "".join(parts)


def card_svg(card: Card) -> str:
    """Return the card as an SVG document sized in millimetres."""
    qr_x, qr_y = (WIDTH - QR_SIZE) / 2, 40.0
    lines = [
        (14, 7.0, "bold", card.heading),
        (24, 4.2, "normal", f"{card.organisation} · {card.unit}"),
        (qr_y + QR_SIZE + 10, 3.6, "normal", card.typing_hint),
        (qr_y + QR_SIZE + 17, 4.2, "normal", card.short_url),
        (qr_y + QR_SIZE + 28, 9.0, "bold", format_code(card.short_code)),
    ]
    texts = "".join(
        f'<text x="{WIDTH / 2}" y="{y}" font-size="{size}" font-weight="{weight}" '
        f'text-anchor="middle">{escape(text)}</text>'
        for y, size, weight, text in lines
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}mm" height="{HEIGHT}mm" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="DejaVu Sans, Arial, sans-serif">'
        f"<title>{escape(card.heading)}</title>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>'
        f'<path fill="#000" d="{_qr_path(_modules(card.url), qr_x, qr_y, QR_SIZE)}"/>'
        f'<g fill="#1b2430">{texts}</g></svg>'
    )


def card_pdf(card: Card) -> bytes:
    """Return the card as a one-page PDF (A6)."""
    pdf = FPDF(unit="mm", format=(WIDTH, HEIGHT))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_page()
    family = _font(pdf)
    qr_x, qr_y = (WIDTH - QR_SIZE) / 2, 40.0
    modules = _modules(card.url)
    step = QR_SIZE / len(modules)
    pdf.set_fill_color(0, 0, 0)
    for row, cells in enumerate(modules):
        for column, dark in enumerate(cells):
            if dark:
                pdf.rect(qr_x + column * step, qr_y + row * step, step, step, style="F")
    for y, size, text in [
        (14, 20, card.heading),
        (24, 12, f"{card.organisation} · {card.unit}"),
        (qr_y + QR_SIZE + 10, 10, card.typing_hint),
        (qr_y + QR_SIZE + 17, 12, card.short_url),
        (qr_y + QR_SIZE + 28, 26, format_code(card.short_code)),
    ]:
        pdf.set_font(family, size=size)
        pdf.set_xy(0, y - size * 0.25)
        pdf.cell(WIDTH, size * 0.35, _printable(text, family), align="C")
    return bytes(pdf.output())


def _font(pdf: FPDF) -> str:
    if UNICODE_FONT.exists():
        pdf.add_font("DejaVu", fname=str(UNICODE_FONT))
        return "DejaVu"
    return "Helvetica"


def _printable(text: str, family: str) -> str:
    # The PDF's built-in Helvetica knows Latin-1 only; without DejaVu installed, other
    # letters become "?" rather than failing the whole card.
    if family != "Helvetica":
        return text
    return text.replace("·", "-").encode("latin-1", "replace").decode("latin-1")


def format_code(code: str) -> str:
    """Return a short code in two groups of four, as people read and type it best."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code
