"""Benchmark OCR engines on the same generated scans: speed, peak memory, character accuracy.

    python benchmarks/ocr.py [--engines tesseract,rapidocr] [--repeat 1]

The scans are the ones tests/parse/test_ocr.py makes (known text rendered with a TTF font,
then degraded), each parsed through pipelines.parse.dispatch.parse_bytes with the engine
selected by MAPPER_OCR_ENGINE and an empty OCR cache, so every page is really OCR'd:
  png-clean, png-noise-blur, png-turned-90, png-skewed-2deg, jpeg-dim-photo  (1 page each)
  pdf-2-pages (a scanner's PDF: two page images, rendered back at 300 dpi), tiff-2-pages

Each engine runs in a fresh subprocess (imports and memory do not leak between engines).
Reported per engine: pages/s (wall clock over all scans), the worker's peak RSS, the peak RSS of
its child processes (Tesseract runs as a separate program per call; a child's figure includes
the forked interpreter before it execs, so it is an upper bound), and character accuracy
(difflib ratio of the whitespace-normalised text, mean over the one-text scans) and word
accuracy (share of expected words read, in order).

rapidocr needs `rapidocr-onnxruntime==1.4.4`, which is not a project dependency (~420 MB with
onnxruntime and OpenCV): point $RAPIDOCR_SITE at a directory it was `pip install --target`ed into.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ["tesseract", "rapidocr"]


def scans() -> list[tuple[str, str, bytes, int]]:
    """(name, file name, bytes, pages)."""
    sys.path.insert(0, str(ROOT))
    from tests.parse import test_ocr as t

    img = t.page_image()
    return [
        ("png-clean", "a.png", t.encode(img, "PNG"), 1),
        ("png-noise-blur", "b.png", t.encode(t.noisy(img), "PNG"), 1),
        ("png-turned-90", "c.png", t.encode(img.rotate(90, expand=True), "PNG"), 1),
        ("png-skewed-2deg", "d.png", t.encode(t.noisy(t.skewed(img, 2.0)), "PNG"), 1),
        ("jpeg-dim-photo", "e.jpg", t.encode(t.dim_photo(img), "JPEG", quality=70), 1),
        ("pdf-2-pages", "f.pdf", t.scanned_pdf([t.noisy(img), img]), 2),
        ("tiff-2-pages", "g.tiff", t.tiff([img, t.noisy(img)]), 2),
    ]


def worker(repeat: int) -> None:
    sys.path.insert(0, str(ROOT))
    from pipelines.parse import ocr
    from pipelines.parse.dispatch import parse_bytes
    from tests.parse import test_ocr as t

    engine = ocr.get_engine()
    if engine is None:
        print(json.dumps({"error": f"engine {os.environ.get('MAPPER_OCR_ENGINE')} is not installed"}))
        return
    items = scans()
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per_scan: dict[str, dict[str, float]] = {}
    pages = 0
    t0 = time.perf_counter()
    for _ in range(repeat):
        for name, fname, data, n in items:
            os.environ["MAPPER_OCR_CACHE"] = tempfile.mkdtemp(prefix="ocr-bench-")  # never a cache hit
            s0 = time.perf_counter()
            doc = parse_bytes(data, name=fname)
            pages += n
            text = t.ocr_text(doc)
            first = text if n == 1 else doc.text.split("\f")[0]
            per_scan[name] = {"seconds": round(time.perf_counter() - s0, 2),
                              "chars": round(t.char_accuracy(t.TEXT, first), 4),
                              "words": round(t.word_accuracy(t.TEXT, first), 4),
                              "status": str(doc.status)}
    wall = time.perf_counter() - t0
    print(json.dumps({
        "engine": f"{engine.name} {engine.version()}", "pages": pages, "seconds": round(wall, 2),
        "pages_per_s": round(pages / wall, 3), "import_mb": round(base_mb, 1), "scans": per_scan,
        "char_accuracy": round(sum(v["chars"] for v in per_scan.values()) / len(per_scan), 4),
        "word_accuracy": round(sum(v["words"] for v in per_scan.values()) / len(per_scan), 4),
    }))


def run(engine: str, repeat: int) -> dict[str, object]:
    env = {**os.environ, "MAPPER_OCR_ENGINE": engine}
    if engine == "rapidocr" and os.environ.get("RAPIDOCR_SITE"):
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.environ["RAPIDOCR_SITE"], env.get("PYTHONPATH")]))
    proc = subprocess.Popen([sys.executable, __file__, "--worker", "--repeat", str(repeat)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    out, err = proc.communicate()
    lines = [ln for ln in out.decode().strip().splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        return {"engine": engine, "error": (err.decode().strip().splitlines() or ["no output"])[-1]}
    result: dict[str, object] = {}
    for ln in lines:
        result.update(json.loads(ln))
    result.setdefault("engine", engine)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--worker", action="store_true")
    args = ap.parse_args()
    if args.worker:
        worker(args.repeat)
        # Peak memory of this process and of the biggest child (the tesseract program).
        me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps({"peak_mb": round(me, 1), "child_peak_mb": round(kids, 1)}))
        return
    rows = []
    for engine in args.engines.split(","):
        rows.append(run(engine, args.repeat))
    print(json.dumps(rows, indent=1))
    print()
    print(f"{'engine':22} {'pages':>5} {'pages/s':>8} {'peak MB':>8} {'child MB':>8} {'chars':>6} {'words':>6}")
    for r in rows:
        if "error" in r:
            print(f"{r['engine']:22} error: {r['error']}")
            continue
        print(f"{r['engine']:22} {r['pages']:>5} {r['pages_per_s']:>8} {r.get('peak_mb', '?'):>8} "
              f"{r.get('child_peak_mb', '?'):>8} {r['char_accuracy']:>6} {r['word_accuracy']:>6}")
    print()
    names = [n for n, *_ in scans()]
    print(f"{'scan':18} " + " ".join(f"{str(r['engine'])[:18]:>22}" for r in rows if "error" not in r))
    for n in names:
        cells = []
        for r in rows:
            if "error" in r:
                continue
            s = r["scans"][n]  # type: ignore[index]
            cells.append(f"{s['seconds']:>6}s c{s['chars']:.3f} w{s['words']:.3f}")
        print(f"{n:18} " + " ".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
