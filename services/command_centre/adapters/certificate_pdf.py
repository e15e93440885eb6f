"""The certificate as a PDF (A4, zh-CN), drawn with fpdf2 in fonts the machine has (Debian's
fonts-noto-cjk by default; settings `SPS_CERTIFICATE_FONTS`). A character none of the fonts has
refuses the print: a name must never come out with a character missing (生僻字 need a font
that has them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

from services.command_centre.domain.certificate import Certificate, text_of

DEFAULT_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc#2",  # Noto Serif CJK SC
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc#2",  # Noto Sans CJK SC
)


class FontMissing(Exception):
    """The fonts cannot print the certificate: none installed, or a character none of them has."""


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int

    @classmethod
    def parse(cls, spec: str) -> FontFile:
        path, _, index = spec.partition("#")
        return cls(Path(path), int(index or 0))


@cache
def _cmap(font: FontFile) -> frozenset[int]:
    with TTFont(font.path, fontNumber=font.index, lazy=True) as loaded:
        return frozenset(loaded.getBestCmap())


def usable(specs: tuple[str, ...]) -> list[FontFile]:
    fonts = [FontFile.parse(s) for s in specs]
    present = [f for f in fonts if f.path.is_file()]
    if not present:
        raise FontMissing(f"no certificate font is installed ({', '.join(specs)}); install fonts-noto-cjk")
    return present


def missing_characters(text: str, fonts: list[FontFile]) -> list[str]:
    covered = frozenset().union(*(_cmap(f) for f in fonts))
    return sorted({c for c in text if not c.isspace() and ord(c) not in covered})


# Chinese line breaking (禁则): these never begin a line, so they hang at the end of the one before.
NO_LINE_START = set("，。、；：？！）》」』”’%")
UNIT = re.compile(r"[A-Za-z0-9()（）]+|.", re.S)  # a run of Latin letters and digits never splits


def lines_of(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Break a paragraph between characters, as Chinese is set; a number or an order's number
    stays whole, and closing punctuation hangs rather than begin a line."""
    lines: list[str] = []
    line = ""
    for unit in UNIT.findall(text):
        if line and measure(line + unit) > width and unit not in NO_LINE_START:
            lines.append(line)
            line = unit
        else:
            line += unit
    return [*lines, line] if line else lines


def render(certificate: Certificate, specs: tuple[str, ...] = DEFAULT_FONTS) -> bytes:
    from fpdf import FPDF

    fonts = usable(specs)
    if missing := missing_characters(text_of(certificate), fonts):
        shown = ", ".join(f"{c} (U+{ord(c):04X})" for c in missing)
        raise FontMissing(f"the certificate fonts have no glyph for {shown}; add a font that has them")
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(25, 30, 25)
    pdf.set_auto_page_break(True, margin=25)
    names = []
    for i, font in enumerate(fonts):
        pdf.add_font(f"cjk{i}", fname=str(font.path), collection_font_number=font.index)
        names.append(f"cjk{i}")
    pdf.set_fallback_fonts(names[1:])
    pdf.set_title(certificate.title)
    pdf.set_creator("SPS")
    pdf.add_page()
    pdf.set_font(names[0], size=24)
    pdf.cell(0, 16, certificate.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(names[0], size=12)
    pdf.cell(0, 10, certificate.number, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font(names[0], size=15)
    for paragraph in certificate.paragraphs:
        for line in lines_of(paragraph, pdf.epw, pdf.get_string_width):
            pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(18)
    pdf.set_font(names[0], size=14)
    for line in certificate.signature:
        pdf.cell(0, 10, line, align="R", new_x="LMARGIN", new_y="NEXT")
    if certificate.footer:
        pdf.set_y(-40)
        pdf.set_font(names[0], size=10)
        pdf.multi_cell(0, 6, certificate.footer, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
