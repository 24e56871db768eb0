"""OCR engines behind one small interface: page image in, words with boxes and confidence out.

Tesseract (through the maintained `pytesseract` binding to the `tesseract` program) is the
engine: `image_to_data` gives every word with its box, its block/paragraph/line numbers and a
confidence, and `image_to_osd` the page orientation. An engine that is not installed reports
`available() == False`; callers then refuse the document with a reason instead of guessing.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from dataclasses import dataclass
from typing import Protocol

from PIL import Image


@dataclass(slots=True)
class OcrWord:
    """One recognised word; box in pixels of the image given to the engine."""

    text: str
    conf: float  # 0..1
    left: int
    top: int
    width: int
    height: int
    line: tuple[int, int, int]  # (block, paragraph, line): words sharing it form one line


class OcrEngine(Protocol):
    name: str

    def available(self) -> bool: ...

    def version(self) -> str: ...

    def orientation(self, image: Image.Image, timeout: float) -> int:
        """Clockwise degrees (0, 90, 180, 270) to rotate the image by to make the text upright."""
        ...

    def recognize(self, image: Image.Image, timeout: float) -> list[OcrWord]: ...


def _one_thread() -> None:
    # Tesseract's OpenMP threads make it ~3x slower per page here (2 cores: 0.7 vs 2.2 pages/s),
    # and parse workers already run side by side. The tesseract program inherits our environment.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


class TesseractEngine:
    name = "tesseract"
    lang = "eng"
    min_osd_conf = 2.0  # Tesseract's orientation confidence below this is a guess; keep the page as is
    psm = 3  # page segmentation mode

    def available(self) -> bool:
        return _tesseract_version() is not None

    def version(self) -> str:
        return _tesseract_version() or "missing"

    def orientation(self, image: Image.Image, timeout: float) -> int:
        import pytesseract

        _one_thread()
        try:
            osd = pytesseract.image_to_osd(image, config="--psm 0", output_type=pytesseract.Output.DICT,
                                           timeout=max(timeout, 1.0))
        except pytesseract.TesseractError:
            return 0  # too little text to tell (e.g. "Too few characters"): leave it
        if float(osd.get("orientation_conf", 0.0)) < self.min_osd_conf:
            return 0
        return int(osd.get("rotate", 0)) % 360

    def recognize(self, image: Image.Image, timeout: float) -> list[OcrWord]:
        import pytesseract

        _one_thread()
        data = pytesseract.image_to_data(image, lang=self.lang, config=f"--psm {self.psm}",
                                         output_type=pytesseract.Output.DICT, timeout=max(timeout, 1.0))
        words: list[OcrWord] = []
        for i, text in enumerate(data["text"]):
            text = (text or "").strip()
            conf = float(data["conf"][i])
            if not text or conf < 0:  # conf -1: a block/paragraph/line row, not a word
                continue
            words.append(OcrWord(text, max(0.0, min(conf / 100.0, 1.0)), int(data["left"][i]), int(data["top"][i]),
                                 int(data["width"][i]), int(data["height"][i]),
                                 (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))))
        return words


@functools.lru_cache(maxsize=1)
def _tesseract_version() -> str | None:
    try:
        import pytesseract
    except ImportError:
        return None
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        return None
    try:
        version = str(pytesseract.get_tesseract_version())
    except (pytesseract.TesseractNotFoundError, OSError):
        return None
    m = re.match(r"[\d.]+", version)
    return m.group(0) if m else version


class RapidOcrEngine:
    """Optional: `rapidocr-onnxruntime` (PP-OCR models shipped in its wheel, runs offline). Not a
    project dependency; select it with MAPPER_OCR_ENGINE=rapidocr where it is installed. It reads
    lines, not words: word boxes are split from the line box by character count, and it has no
    page orientation detection (pages are taken as upright)."""

    name = "rapidocr"

    def __init__(self) -> None:
        self._ocr = None

    def available(self) -> bool:
        try:
            import rapidocr_onnxruntime  # noqa: F401
        except ImportError:
            return False
        return True

    def version(self) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("rapidocr-onnxruntime")
        except PackageNotFoundError:
            return "unknown"

    def orientation(self, image: Image.Image, timeout: float) -> int:
        return 0

    def recognize(self, image: Image.Image, timeout: float) -> list[OcrWord]:
        import numpy as np

        if self._ocr is None:
            from rapidocr_onnxruntime import RapidOCR

            self._ocr = RapidOCR()
        result, _ = self._ocr(np.asarray(image.convert("RGB")))
        words: list[OcrWord] = []
        for n, (quad, text, score) in enumerate(result or []):
            xs, ys = [p[0] for p in quad], [p[1] for p in quad]
            x0, x1, top, bottom = min(xs), max(xs), min(ys), max(ys)
            per_char = (x1 - x0) / max(len(text), 1)
            pos = 0
            for part in text.split(" "):
                if part:
                    left = x0 + pos * per_char
                    words.append(OcrWord(part, float(score), int(left), int(top), max(int(len(part) * per_char), 1),
                                         int(bottom - top), (n + 1, 1, 1)))
                pos += len(part) + 1
        return words


ENGINES: dict[str, OcrEngine] = {"tesseract": TesseractEngine(), "rapidocr": RapidOcrEngine()}
