"""Make an image-only 'scanned' PDF: rasterise a digital PDF, degrade it like a scanner would, embed the image.

Deterministic: pdfium rendering, seeded noise from random.Random, fixed JPEG settings, reportlab invariant mode.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageDraw, ImageFilter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

DPI = 150


def _rasterise(pdf_bytes: bytes) -> Image.Image:
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        page = doc[0]
        img = page.render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
        page.close()
    finally:
        doc.close()
    return img


def _degrade(img: Image.Image, seed: int, angle: float) -> Image.Image:
    rng = random.Random(seed)
    w, h = img.size
    # Paper grain, plus a few hundred toner specks.
    img = img.point(lambda v: 238 if v > 238 else v)            # scanner never quite reaches white
    grain = Image.frombytes("L", (w, h), rng.randbytes(w * h)).point(lambda v: 255 - (v % 12))
    img = ImageChops.multiply(img, grain)
    draw = ImageDraw.Draw(img)
    for _ in range(420):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.choice([0.6, 1.0, 1.0, 1.6])
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.randrange(70, 150))
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=230)
    img = img.filter(ImageFilter.GaussianBlur(0.55))
    # A darker strip at the left edge where the lid did not close fully.
    edge = Image.new("L", (18, h), 150)
    img.paste(edge, (0, 0))
    return img


def scanned_pdf(digital_pdf: bytes, out: Path, seed: int, angle: float = 0.9) -> None:
    img = _degrade(_rasterise(digital_pdf), seed, angle)
    jpg = io.BytesIO()
    img.save(jpg, format="JPEG", quality=72, optimize=False, progressive=False, subsampling=0)
    jpg.seek(0)
    c = canvas.Canvas(str(out), pagesize=A4, invariant=1, pageCompression=1)
    c.setCreator("ScanSnap Manager #iX1600")  # typical of office scanners; content is an image only
    c.setProducer("ScanSnap PDF")
    c.drawImage(ImageReader(jpg), 0, 0, width=A4[0], height=A4[1])
    c.showPage()
    c.save()
