"""End-to-end pipeline throughput and peak memory on a generated mixed corpus (no scans).

    python benchmarks/pipeline.py            # 1,000 and 10,000 documents
    python benchmarks/pipeline.py --sizes 200
    python benchmarks/pipeline.py --sizes 200 --staged   # the stages Dagster runs, with their hand-off files

The corpus is made from the shipped samples (PDF invoices, emails, Word contracts, code,
CSV/JSON/Markdown), each copy altered so its bytes, and so its document id, are unique.
Each size runs in a fresh process. With `--workers 1` (default) one worker parses while the
main process maps and lands (two processes); `--workers 0` does everything in one process,
i.e. on one core. Peak memory is reported for the main process and the worker separately.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data_samples"


def _unique(data: bytes, name: str, i: int) -> bytes:
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        return data + f"\n% copy {i}\n".encode()  # bytes after %%EOF: still the same PDF
    if suffix in (".docx", ".pptx"):
        src = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                dst.writestr(item, src.read(item.filename))
            dst.comment = f"copy {i}".encode()
        return out.getvalue()
    if suffix == ".eml":
        return data.replace(b"Message-ID: <", f"Message-ID: <c{i}.".encode(), 1)
    if suffix == ".json":
        return data  # JSON must stay one value; uniqueness comes from the path-level copy below
    if suffix == ".py":
        return data + f"\n# copy {i}\n".encode()
    if suffix == ".sql":
        return data + f"\n-- copy {i}\n".encode()
    return data + f"\n{i}\n".encode() if suffix in (".txt", ".md", ".csv") else data


def _is_scan(path: Path) -> bool:
    if path.suffix.lower() != ".pdf":
        return False
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return all(not page.get_textpage().get_text_range().strip() for page in pdf)
    finally:
        pdf.close()


def make_corpus(n: int, out: Path) -> int:
    # Scanned documents are left out: OCR costs seconds a page and is measured by benchmarks/ocr.py.
    templates = [p for p in sorted(SAMPLES.rglob("*")) if p.is_file() and not p.name.endswith(".expected.json")
                 and p.suffix.lower() not in (".msg", ".json") and p.name != "README.md" and not p.name.startswith(".")
                 and not _is_scan(p)]
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        t = templates[i % len(templates)]
        (out / f"{i:05d}_{t.name}").write_bytes(_unique(t.read_bytes(), t.name, i))
    return n


def _child(corpus: str, kb: str, workers: str = "1", staged: str = "") -> None:
    from pipelines.config import Settings
    from pipelines.run.direct import run

    settings = Settings(kb_root=Path(kb), workers=int(workers))
    t0 = time.perf_counter()
    stage_seconds: dict[str, float] = {}
    if staged:
        out = _run_stages(settings, corpus, stage_seconds)
    else:
        summary = run([corpus], settings, batch_id="bench")
        out = {"documents": summary.inputs, "attachments": summary.attachments,
               "outcomes": dict(summary.outcomes), "reconciles": summary.reconciles}
    elapsed = time.perf_counter() - t0
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(out | {"seconds": elapsed, "stages": stage_seconds,
                            "main_peak_mb": self_rss, "worker_peak_mb": child_rss}))


def _run_stages(settings, corpus: str, seconds: dict[str, float]) -> dict:  # noqa: ANN001
    """The Dagster assets' stage functions in order; each hands off through its work files."""
    from pipelines.run import stages
    from pipelines.run.batch import register_batch
    from pipelines.run.hold import HoldPolicy
    from pipelines.run.mapper import Mapper

    mapper = Mapper.from_dirs(settings.schemas_dir, settings.mappings_dir)
    register_batch(settings.kb_root, "bench", [corpus])
    steps = [("ingest", lambda: stages.ingest(settings, "bench")), ("parse", lambda: stages.parse(settings, "bench")),
             ("extract", lambda: stages.extract(settings, "bench", mapper)),
             ("judge", lambda: stages.judge(settings, "bench", mapper, HoldPolicy(min_history=10**6))),
             ("land", lambda: stages.land(settings, "bench", mapper))]
    results = {}
    for name, step in steps:
        t = time.perf_counter()
        results[name] = step()
        seconds[name] = round(time.perf_counter() - t, 2)
    s = results["judge"]
    return {"documents": s["inputs"], "attachments": s["attachments"], "outcomes": s["outcomes"],
            "reconciles": s["reconciles"]}


def measure(n: int, work: Path, workers: int = 1, staged: bool = False) -> dict:
    corpus = work / f"corpus_{n}"
    make_corpus(n, corpus)
    kb = work / f"kb_{n}"
    proc = subprocess.run([sys.executable, __file__, "--child", str(corpus), str(kb), str(workers), "1" if staged else ""],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark run failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(kb, ignore_errors=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--workers", type=int, default=1, help="parse worker processes (0: all in one process, one core)")
    ap.add_argument("--staged", action="store_true", help="run the staged pipeline (Dagster's stage functions)")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    os.environ.setdefault("DO_NOT_TRACK", "1")
    with tempfile.TemporaryDirectory(prefix="mapper-bench-") as tmp:
        rows = []
        for n in args.sizes:
            r = measure(n, Path(tmp), args.workers, args.staged)
            rows.append(r)
            print(f"{n:>6} docs: {r['documents'] / r['seconds']:7.1f} docs/s end to end "
                  f"({r['seconds']:.1f} s, +{r['attachments']} attachments), peak RSS main {r['main_peak_mb']:.0f} MB, "
                  f"worker {r['worker_peak_mb']:.0f} MB, outcomes {r['outcomes']}, reconciles={r['reconciles']}"
                  + (f", stage seconds {r['stages']}" if r["stages"] else ""),
                  flush=True)
        if len(rows) > 1:
            a, b = rows[0], rows[-1]
            print(f"memory growth {a['documents']} -> {b['documents']} docs: main {a['main_peak_mb']:.0f} -> {b['main_peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
