"""OCR of one page image into the document model: engine choice, clean-up, cache, lines.

A page image is made readable first (ocr_image.py): grayscale, ink and paper levels stretched to
black and white, at most MAX_PIXELS (larger pages are scaled down), small letters scaled up to a
size Tesseract reads well, turned upright (0/90/180/270, from the engine's
orientation detection) and deskewed (a small angle found by a projection-profile search), then
read twice, as it is and with its strokes thickened, each line kept from the surer reading
(ocr_passes.py).
The engine's words become one LINE element per OCR line, each word with its span and its box
in PDF points (top-left origin) in the frame of the upright, deskewed page; every line carries
`attrs["source"] == "ocr"` and `attrs["ocr_confidence"]` (0..1).

Results are cached on disk by (document sha256, page, engine, engine version, settings), under
`MAPPER_OCR_CACHE` (default `.ocr_cache/` in the working directory), so a re-run never repeats OCR.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PIL import Image

from pipelines.model.document import BBox, Document, Kind, Reason
from pipelines.parse.errors import BadInput
from pipelines.parse.ocr_image import MAX_PIXELS, estimate_skew, prepare, text_scale
from pipelines.parse.ocr_engines import ENGINES, OcrEngine, OcrWord
from pipelines.parse.ocr_passes import merge_readings, thickened

if TYPE_CHECKING:
    from pipelines.parse.builder import TextBuilder

DPI = 300  # PDF pages are rendered at this resolution
COL_SEP = "   "  # how a column gap is written in a line's text (as pdf_layout writes it)
MIN_LINE_CONFIDENCE = 0.4  # a row read less surely than this is a logo, stamp or picture read as letters
MIN_SKEW = 0.3  # smaller angles are left alone
GOOD_READING = 0.75  # mean word confidence above which a page is taken as upright without asking OSD
SURE_READING = 0.93  # read this surely, a page is not read again (the receipt photos: at most 0.924)
DEFAULT_TIMEOUT = 120.0
SETTINGS_VERSION = "7"  # part of the cache key: bump when preprocessing or line building changes
INSTALL_HINT = "no OCR engine installed (install tesseract-ocr: apt-get install tesseract-ocr)"


def get_engine() -> OcrEngine | None:
    """The configured engine (`MAPPER_OCR_ENGINE`, default tesseract) if it is installed."""
    engine = ENGINES.get(os.environ.get("MAPPER_OCR_ENGINE") or "tesseract")
    return engine if engine is not None and engine.available() else None


def no_engine(what: str) -> BadInput:
    """`what` says what needs OCR ("... needs OCR"). The refusal when a document needs OCR and no engine is installed: a reason, never empty text."""
    return BadInput(Reason.NEEDS_OCR, f"{what}; {INSTALL_HINT}")


@dataclass(slots=True)
class OcrLine:
    text: str
    conf: float  # mean word confidence, 0..1
    words: list[tuple[str, int, tuple[float, float, float, float]]]  # (text, offset in line, box in points)

    @property
    def bbox(self) -> BBox:
        boxes = [b for _, _, b in self.words]
        return BBox(min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


@dataclass(slots=True)
class OcrPage:
    width: float  # points, upright frame
    height: float
    rotation: int  # degrees the image was turned (clockwise) to make it upright
    skew: float  # degrees of deskew applied
    lines: list[OcrLine] = field(default_factory=list)
    cached: bool = False

    @property
    def n_words(self) -> int:
        return sum(len(ln.words) for ln in self.lines)

    @property
    def mean_confidence(self) -> float:
        n = self.n_words
        return sum(ln.conf * len(ln.words) for ln in self.lines) / n if n else 0.0

    def to_json(self) -> str:
        d = asdict(self)
        d.pop("cached")
        return json.dumps(d)

    @classmethod
    def from_json(cls, raw: str) -> OcrPage:
        d = json.loads(raw)
        lines = [OcrLine(ln["text"], ln["conf"], [(w, off, tuple(b)) for w, off, b in ln["words"]]) for ln in d["lines"]]
        return cls(d["width"], d["height"], d["rotation"], d["skew"], lines, cached=True)  # type: ignore[arg-type]


# --- the OCR of one page image ----------------------------------------------------------------


def recognize(image: Image.Image, engine: OcrEngine, points_per_px: float, timeout: float = DEFAULT_TIMEOUT) -> OcrPage:
    """OCR one page image: clean it up, turn it upright, deskew, read lines with boxes in points."""
    deadline = time.monotonic() + timeout
    image, scale = prepare(image)
    f = text_scale(image)
    if f != 1.0:  # small letters (a low-resolution scan, a receipt photo): Tesseract misreads them
        image = image.resize((round(image.width * f), round(image.height * f)), Image.Resampling.LANCZOS)
        scale *= f
    # Most pages are upright: read first, and ask for the orientation only when the reading is poor.
    rotation, skew, words = 0, *_deskew_and_read(image, engine, deadline)
    if _quality(words) < GOOD_READING:
        rotation = engine.orientation(image, max(deadline - time.monotonic(), 1.0))
        if rotation:
            turned = image.rotate(-rotation, expand=True)  # PIL turns counter-clockwise
            skew2, words2 = _deskew_and_read(turned, engine, deadline)
            if _quality(words2) > _quality(words):
                image, skew, words = turned, skew2, words2
            else:
                rotation = 0
    k = points_per_px / scale
    w, h = image.size
    return OcrPage(round(w * k, 2), round(h * k, 2), rotation, skew, build_lines(words, k))


def _deskew_and_read(image: Image.Image, engine: OcrEngine, deadline: float) -> tuple[float, list[OcrWord]]:
    """The page deskewed and read, and unless it read surely, read again with its strokes
    thickened (ocr_passes.py)."""
    skew = estimate_skew(image)
    if abs(skew) < MIN_SKEW:
        skew = 0.0
    else:
        image = image.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    words = engine.recognize(image, max(deadline - time.monotonic(), 1.0))
    if _quality(words) >= SURE_READING:
        return skew, words  # a clean scan: a second reading would cost its time for nothing
    second = engine.recognize(thickened(image), max(deadline - time.monotonic(), 1.0))
    return skew, merge_readings(words, second)


def _quality(words: list[OcrWord]) -> float:
    """Mean confidence of the words that look like words; 0 for fewer than five, and 0 when most
    words are taller than wide (Tesseract reads a page turned by 90 degrees as vertical lines)."""
    real = [w for w in words if sum(ch.isalnum() for ch in w.text) >= 2]
    if len(real) < 5:
        return 0.0
    long = [w for w in real if len(w.text) >= 3]
    if long and sum(w.height > w.width for w in long) * 2 > len(long):
        return 0.0
    return sum(w.conf for w in real) / len(real)


def _noise(word: OcrWord) -> bool:
    # Specks of dust read as "." or "'" with little confidence; real punctuation keeps its word.
    return word.conf < 0.5 and not any(ch.isalnum() for ch in word.text)


def build_lines(words: list[OcrWord], k: float) -> list[OcrLine]:
    """The engine's lines (words sharing a (block, paragraph, line)) joined into visual rows, top to
    bottom: Tesseract often reads a receipt's labels and its amounts as two blocks, which put
    "TOTAL" and its "12.30" on lines far apart. Where a row joins two engine lines it has a
    column gap, written as COL_SEP as the PDF text layer writes it."""
    grouped: dict[tuple[int, int, int], list[OcrWord]] = {}
    for word in words:
        if not _noise(word):
            grouped.setdefault(word.line, []).append(word)
    lines: list[OcrLine] = []
    for row in _rows(list(grouped.values())):
        row = _join_split_decimals(sorted(row, key=lambda wd: wd.left))
        parts: list[tuple[str, int, tuple[float, float, float, float]]] = []
        text = ""
        for i, wd in enumerate(row):
            if i:
                text += " " if wd.line == row[i - 1].line else COL_SEP
            box = (round(wd.left * k, 2), round(wd.top * k, 2), round((wd.left + wd.width) * k, 2), round((wd.top + wd.height) * k, 2))
            parts.append((wd.text, len(text), box))
            text += wd.text
        conf = sum(wd.conf for wd in row) / len(row)
        if conf >= MIN_LINE_CONFIDENCE:
            lines.append(OcrLine(text, round(conf, 4), parts))
    return lines


def _rows(groups: list[list[OcrWord]]) -> list[list[OcrWord]]:
    """Engine lines side by side on one baseline (centres within half a line height of each
    other, no horizontal overlap) become one row; rows ordered top to bottom."""
    def extent(g: list[OcrWord]) -> tuple[float, float, float, float]:
        top, bottom = min(w.top for w in g), max(w.top + w.height for w in g)
        return (top + bottom) / 2, bottom - top, min(w.left for w in g), max(w.left + w.width for w in g)

    rows: list[tuple[list[OcrWord], float, float, list[tuple[float, float]]]] = []  # words, centre, height, x-spans
    for g in sorted(groups, key=lambda g: extent(g)[0]):
        cy, h, x0, x1 = extent(g)
        for i in range(len(rows) - 1, max(-1, len(rows) - 4), -1):  # the last few rows: near in y
            words, rcy, rh, spans = rows[i]
            if abs(cy - rcy) <= 0.5 * min(h, rh) and all(x1 <= a or x0 >= b for a, b in spans):
                rows[i] = (words + g, rcy, rh, spans + [(x0, x1)])
                break
        else:
            rows.append((list(g), cy, h, [(x0, x1)]))
    return [r[0] for r in rows]


# A number ending in its decimal mark, and the two decimals as a word of their own: receipt printers
# space their characters evenly, and Tesseract cuts "39.80" after the point ("39. 80").
_INT_AND_MARK = re.compile(r"[-+(]?\D{0,2}\d[\d,.]*[.,]")
_DECIMALS = re.compile(r"\d\d")


def _join_split_decimals(group: list[OcrWord]) -> list[OcrWord]:
    """Join "39." and "80" into "39.80" when the gap between them is narrower than a letter is
    tall (a space between two numbers is wider, and a third digit is no decimals)."""
    out: list[OcrWord] = []
    for wd in group:
        prev = out[-1] if out else None
        if (prev is not None and _DECIMALS.fullmatch(wd.text) and _INT_AND_MARK.fullmatch(prev.text)
                and wd.left - (prev.left + prev.width) < max(prev.height, wd.height)):
            right = max(prev.left + prev.width, wd.left + wd.width)
            top, bottom = min(prev.top, wd.top), max(prev.top + prev.height, wd.top + wd.height)
            out[-1] = OcrWord(prev.text + wd.text, min(prev.conf, wd.conf), prev.left, top, right - prev.left,
                              bottom - top, prev.line)
        else:
            out.append(wd)
    return out


# --- cache ------------------------------------------------------------------------------------


def cache_dir() -> Path:
    return Path(os.environ.get("MAPPER_OCR_CACHE") or ".ocr_cache")


def cached_page(
    engine: OcrEngine, doc_id: str, page: int, render: Callable[[], tuple[Image.Image, float]], timeout: float,
) -> OcrPage:
    """The OCR of page `page` of document `doc_id`, from the cache or by rendering and reading it.
    `render` returns the page image and points per pixel; it is only called on a cache miss."""
    key = hashlib.sha256("\0".join((doc_id, str(page), engine.name, engine.version(), SETTINGS_VERSION, str(DPI))).encode()).hexdigest()
    path = cache_dir() / key[:2] / f"{key}.json"
    try:
        return OcrPage.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    image, points_per_px = render()
    try:
        result = recognize(image, engine, points_per_px, timeout)
    except RuntimeError as exc:  # pytesseract's way of saying the engine ran out of time
        if "timeout" in str(exc).lower():
            raise BadInput(Reason.TIMEOUT, f"OCR of page {page} took longer than the time left ({timeout:.0f} s)") from exc
        raise
    finally:
        image.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(result.to_json(), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only or full disk costs a re-run its time, never the result
    return result


# --- into the document model ------------------------------------------------------------------


# Tesseract's English model reads a receipt font's 5 (or S) as '§', a sign no receipt or invoice
# prints: before a digit it is a 5 ("§2100 KEPONG BARU", "Total : §8.20"), before a letter an S.
_SECTION_DIGIT = re.compile(r"§(?=\d)")
_SECTION_LETTER = re.compile(r"§(?=[^\W\d_])")


def read_glyphs(text: str) -> str:
    """`text` with OCR's stand-in glyphs read as what was printed (one character for one)."""
    return _SECTION_LETTER.sub("S", _SECTION_DIGIT.sub("5", text)) if "§" in text else text


def emit_page(builder: TextBuilder, number: int, page: OcrPage) -> None:
    for line in page.lines:
        words = [(read_glyphs(w), off, BBox(*box)) for w, off, box in line.words]
        builder.add(Kind.LINE, read_glyphs(line.text), page=number, bbox=line.bbox,
                    attrs={"source": "ocr", "ocr_confidence": line.conf}, words=words)


def record(doc: Document, engine: OcrEngine, number: int, page: OcrPage) -> None:
    """Add one page's OCR facts to `doc.metadata["ocr"]`."""
    meta: dict[str, Any] = doc.metadata.setdefault("ocr", {"engine": engine.name, "engine_version": engine.version(), "pages": []})
    meta["pages"].append({"page": number, "rotation": page.rotation, "skew": page.skew, "words": page.n_words,
                          "mean_confidence": round(page.mean_confidence, 4), "cached": page.cached})
    n = sum(p["words"] for p in meta["pages"])
    meta["mean_confidence"] = round(sum(p["mean_confidence"] * p["words"] for p in meta["pages"]) / n, 4) if n else 0.0


def remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    return DEFAULT_TIMEOUT if math.isinf(left) else max(left, 1.0)
