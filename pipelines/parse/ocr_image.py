"""Making a page image readable for OCR: grey, contrast, text size, skew.

Tesseract reads best with dark ink on white paper and letters some 20-30 pixels tall; phone
photos and low-resolution scans of receipts have letters of 8-14 pixels (and a page scanned
around a small receipt is mostly white paper with a few dark specks).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

MAX_PIXELS = 40_000_000  # a larger page image is scaled down before OCR
TEXT_PX = 24  # median height (pixels) of letters that Tesseract reads well; smaller text is scaled up
MAX_SIDE = 30_000  # Tesseract refuses an image side over 32,767 pixels; deskewing may add a little
MAX_UPSCALE = 4.0
MAX_UPSCALED_PIXELS = 25_000_000  # upscaling stops here (OCR time grows with the pixels)
SIZE_SAMPLE_PIXELS = 6_000_000  # the text size is measured on an image at most this large
FLAT = 40  # ink and paper levels closer than this: a blank page's grain (or a blank photo), no text
GOOD_CONTRAST = 128  # ink and paper levels this far apart are read as they are
MAX_INK_SHARE = 0.3  # more "ink" than this is no page of text
MAX_SKEW = 5.0  # degrees searched either way for deskewing


def grey(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        bg = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(bg, image)
    return image.convert("L") if image.mode != "L" else image


def prepare(image: Image.Image) -> tuple[Image.Image, float]:
    """Grey, contrast stretched, at most MAX_PIXELS; returns the image and the scale applied."""
    image = grey(image)
    scale = 1.0
    w, h = image.size
    if w * h > MAX_PIXELS or max(w, h) > MAX_SIDE:
        scale = min(math.sqrt(MAX_PIXELS / (w * h)), MAX_SIDE / max(w, h))
        image = image.resize((max(1, int(w * scale)), max(1, int(h * scale))), Image.Resampling.LANCZOS)
    return stretch(image), scale


def stretch(image: Image.Image) -> Image.Image:
    """Low contrast (grey ink on grey paper): typical ink level -> black, typical paper level ->
    white (levels: the medians either side of Otsu's threshold). A page with good contrast is left
    alone: stretching it only amplifies its grain. A percentile cut-off was wrong both ways: on
    a page that is 99% white paper its 1% darkest pixels are paper noise, which then turned
    black around every letter."""
    _, lo, hi = levels(np.asarray(image))
    if not FLAT <= hi - lo < GOOD_CONTRAST:  # one flat level, or contrast enough
        return image
    return image.point([int(min(255, max(0, round((v - lo) * 255 / (hi - lo))))) for v in range(256)])


def levels(arr: np.ndarray) -> tuple[float, float, float]:
    """Otsu's threshold, and the median levels of the pixels at or below it (ink) and above (paper)."""
    t = otsu(arr)
    ink, paper = arr[arr <= t], arr[arr > t]
    if not len(ink) or not len(paper):
        return t, t, t
    return t, float(np.median(ink)), float(np.median(paper))


def otsu(arr: np.ndarray) -> float:
    hist = np.bincount(arr.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    if not total:
        return 128.0
    bins = np.arange(256)
    w0 = np.cumsum(hist)
    m0 = np.cumsum(hist * bins)
    w1 = total - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (m0[-1] * w0 / total - m0) ** 2 * total / (w0 * w1)
    between[~np.isfinite(between)] = 0
    return float(np.argmax(between))


def text_scale(image: Image.Image) -> float:
    """The factor that brings the page's letters to about TEXT_PX (1.0: leave it as it is)."""
    w, h = image.size
    shrink = min(1.0, math.sqrt(SIZE_SAMPLE_PIXELS / (w * h)))
    sample = image if shrink == 1.0 else image.resize((int(w * shrink), int(h * shrink)), Image.Resampling.BILINEAR)
    size = letter_height(sample)
    if size is None:
        return 1.0
    f = min(MAX_UPSCALE, TEXT_PX * shrink / size, math.sqrt(MAX_UPSCALED_PIXELS / (w * h)), MAX_SIDE / max(w, h))
    return f if f > 1.1 else 1.0


def letter_height(image: Image.Image, max_runs: int = 400_000, max_blobs: int = 6000) -> float | None:
    """Median height in pixels of the ink blobs that have a like-sized neighbour beside them on the
    same baseline (letters of a word), so specks, rules and pictures do not count; None when
    there are too few."""
    arr = np.asarray(image)
    t, lo, hi = levels(arr)
    ink = arr <= t
    if hi - lo < FLAT or ink.mean() > MAX_INK_SHARE:  # grain or a picture split in two, not ink on paper
        return None
    blobs = [b for b in _blobs(ink, max_runs) if 4 <= b[3] - b[1] <= 400 and b[2] - b[0] <= 3 * (b[3] - b[1])]
    if len(blobs) < 10:
        return None
    if len(blobs) > max_blobs:
        step = len(blobs) / max_blobs
        blobs = [blobs[int(i * step)] for i in range(max_blobs)]
    x0, y0, x1, y1 = np.array(blobs, dtype=np.float32).T
    hgt = y1 - y0
    overlap = np.minimum(y1[:, None], y1[None, :]) - np.maximum(y0[:, None], y0[None, :])
    gap = np.maximum(x0[None, :] - x1[:, None], x0[:, None] - x1[None, :])
    hi, lo = np.maximum(hgt[:, None], hgt[None, :]), np.minimum(hgt[:, None], hgt[None, :])
    beside = (overlap >= 0.6 * lo) & (lo >= 0.6 * hi) & (gap <= 0.8 * hi) & (gap >= -0.2 * hi)
    np.fill_diagonal(beside, False)
    letters = hgt[beside.any(axis=1)]
    return float(np.median(letters)) if len(letters) >= 10 else None


def _blobs(ink: np.ndarray, max_runs: int) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of the 8-connected ink blobs, from the runs of ink of each row;
    none when there are more than max_runs runs (a photo, not text)."""
    edges = np.diff(np.pad(ink.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    ys, xs = np.nonzero(edges)
    if len(ys) > 2 * max_runs:
        return []
    kinds = edges[ys, xs]
    starts = {}
    parent: list[int] = []
    boxes: list[list[int]] = []

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for y, x, k in zip(ys.tolist(), xs.tolist(), kinds.tolist()):
        starts.setdefault(y, ([], []))[0 if k == 1 else 1].append(x)
    prev: list[tuple[int, int, int]] = []
    last_y = -2
    for y in sorted(starts):
        if y != last_y + 1:
            prev = []
        cur = []
        j = 0
        for s, e in zip(*starts[y]):
            label = -1
            while j < len(prev) and prev[j][1] < s:  # ends (exclusive) before this run's left neighbour
                j += 1
            k = j
            while k < len(prev) and prev[k][0] <= e:  # 8-connected: touching diagonally counts
                other = find(prev[k][2])
                if label < 0:
                    label = other
                elif other != label:
                    parent[other] = label
                    a, b = boxes[label], boxes[other]
                    a[0], a[1], a[2], a[3] = min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])
                k += 1
            if label < 0:
                label = len(parent)
                parent.append(label)
                boxes.append([s, y, e, y + 1])
            else:
                a = boxes[label]
                a[0], a[2], a[3] = min(a[0], s), max(a[2], e), y + 1
            cur.append((s, e, label))
        prev, last_y = cur, y
    return [(b[0], b[1], b[2], b[3]) for i, b in enumerate(boxes) if parent[i] == i]


def estimate_skew(image: Image.Image) -> float:
    """Degrees (counter-clockwise, as PIL's rotate takes them) that make text lines horizontal:
    the angle whose horizontal projection of the ink is sharpest."""
    small = image.copy()
    small.thumbnail((900, 900))
    arr = np.asarray(small)
    ink = Image.fromarray(np.where(arr < otsu(arr), 255, 0).astype(np.uint8))
    if np.asarray(ink).mean() < 0.2:  # almost no ink: nothing to align
        return 0.0

    def score(angle: float) -> float:
        rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0), dtype=np.float64).sum(axis=1)
        return float(np.sum(np.diff(rows) ** 2))

    coarse = [a / 4 for a in range(int(-MAX_SKEW * 4), int(MAX_SKEW * 4) + 1)]
    best = max(coarse, key=score)
    fine = [best + a / 20 for a in range(-5, 6)]
    return round(max(fine, key=score), 2)
