"""Receipts and pages drawn as images for OCR tests: text lines in DejaVu on white paper."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def draw_lines(lines: list[str], size: tuple[int, int], at: tuple[int, int], step: int, font_px: int,
               font: Path = FONT) -> Image.Image:
    """`lines` in black on a white greyscale image of `size`, the first at `at`, one every `step` pixels."""
    if not font.exists():
        pytest.skip(f"{font.name} needed to draw the text")
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    face = ImageFont.truetype(str(font), font_px)
    for i, line in enumerate(lines):
        draw.text((at[0], at[1] + i * step), line, fill=0, font=face)
    return img


def png(img: Image.Image, dpi: int | None = None) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
    return buf.getvalue()
