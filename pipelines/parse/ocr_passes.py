"""A second reading of a page with its strokes thickened, kept line by line where it reads surer.

Till receipts are printed in thin, faded or dotted strokes: Tesseract reads a dotted zero as 6, 8
or 9 ("141.58" for 141.50) and drops faint letters. Thickening the ink (a 3x3 minimum filter:
dark ink on light paper grows by a pixel) joins the dots, but it also merges small letters, so
neither reading is better everywhere. The page is read both ways; wherever engine lines of the
two readings overlap, the group of lines whose characters the engine is surer of is kept.
"""

from __future__ import annotations

from PIL import Image, ImageFilter

from pipelines.parse.ocr_engines import OcrWord

SECOND_LINES = 100_000  # offset of the second reading's block numbers: its lines stay apart

Box = tuple[int, int, int, int]


def thickened(image: Image.Image) -> Image.Image:
    return image.filter(ImageFilter.MinFilter(3))


def merge_readings(first: list[OcrWord], second: list[OcrWord]) -> list[OcrWord]:
    """The words of both readings, each group of overlapping lines taken from the surer one
    (ties: the first). A line only one reading found is kept."""
    a, b = _lines(first), _lines(second)
    nodes = [("a", k) for k in a] + [("b", k) for k in b]
    parent = {n: n for n in nodes}

    def find(n: tuple[str, tuple[int, int, int]]) -> tuple[str, tuple[int, int, int]]:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    boxes = {("a", k): _box(ws) for k, ws in a.items()} | {("b", k): _box(ws) for k, ws in b.items()}
    for ka in a:
        for kb in b:
            if _overlap(boxes[("a", ka)], boxes[("b", kb)]):
                parent[find(("a", ka))] = find(("b", kb))
    groups: dict[tuple[str, tuple[int, int, int]], list[tuple[str, tuple[int, int, int]]]] = {}
    for n in nodes:
        groups.setdefault(find(n), []).append(n)
    out: list[OcrWord] = []
    for members in groups.values():
        wa = [w for side, k in members if side == "a" for w in a[k]]
        wb = [w for side, k in members if side == "b" for w in b[k]]
        if wb and (not wa or _sureness(wb) > _sureness(wa)):
            out += [OcrWord(w.text, w.conf, w.left, w.top, w.width, w.height,
                            (w.line[0] + SECOND_LINES, w.line[1], w.line[2])) for w in wb]
        else:
            out += wa
    return out


def _lines(words: list[OcrWord]) -> dict[tuple[int, int, int], list[OcrWord]]:
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    return lines


def _box(words: list[OcrWord]) -> Box:
    return (min(w.left for w in words), min(w.top for w in words),
            max(w.left + w.width for w in words), max(w.top + w.height for w in words))


def _overlap(p: Box, q: Box) -> bool:
    """On one baseline (sharing over half the lower line's height) and overlapping sideways."""
    dy = min(p[3], q[3]) - max(p[1], q[1])
    return dy > 0.5 * min(p[3] - p[1], q[3] - q[1]) and min(p[2], q[2]) > max(p[0], q[0])


def _sureness(words: list[OcrWord]) -> float:
    """Mean confidence per character: a long word read surely outweighs a speck read as 'i'."""
    n = sum(len(w.text) for w in words)
    return sum(w.conf * len(w.text) for w in words) / n if n else 0.0
