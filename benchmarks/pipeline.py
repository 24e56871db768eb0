"""End-to-end pipeline throughput, CPU and memory on a generated mixed corpus (no scans),
side by side for one process and two workers, with invoice2data as a reference.

    python benchmarks/pipeline.py                       # 1,000 and 10,000 documents, both configurations
    python benchmarks/pipeline.py --sizes 200 --configs 2w
    python benchmarks/pipeline.py --sizes 200 --staged  # the stages Dagster runs, with their hand-off files
    python benchmarks/pipeline.py --no-reference        # skip invoice2data

The corpus is made from the shipped samples (PDF invoices, emails, Word contracts, code,
CSV/JSON/Markdown), each copy altered so its bytes, and so its document id, are unique.
Every run is `mapper run --direct` rules-only in a fresh process on a fresh KB:
`1p` (`--workers 0`) parses, maps, judges and lands in one process, i.e. on one core; `2w`
(`--workers 2`) parses, maps and judges in two worker processes while the main process lands;
`2w-re` is the second of two `2w` runs over the same KB (nothing changed: parse and mapping
results come from the caches, the KB's rows are rewritten).
CPU is the main process's plus its workers'; "map" is the CPU of mapping and judging alone
(measured in the one-process run); memory is the peak RSS of the main process and of a worker.
The load average is printed beside each run: on a shared machine wall-clock numbers move with it.

The reference: the invoices of ../shared/peer_cases/invoice2data/compare through invoice2data
(installed by this script into its own venv, `benchmarks/out/invoice2data-venv`, reading PDFs
with pypdfium2 as we do) and through our parse + map, both warm, in CPU-ms per invoice.
"""

from __future__ import annotations

import argparse
import compileall
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
PEER = ROOT.parent / "shared" / "peer_cases" / "invoice2data" / "compare"
I2D_VENV = ROOT / "benchmarks" / "out" / "invoice2data-venv"
I2D_VERSION = "1.0.1"
CONFIGS = {"1p": 0, "2w": 2, "2w-re": 2}  # name -> parse workers; "-re": a re-run over the same KB


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


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _child(corpus: str, kb: str, workers: str = "1", staged: str = "") -> None:
    from pipelines.config import Settings
    from pipelines.run.direct import run
    from pipelines.run.mapper import Mapper

    class TimedMapper(Mapper):
        """Adds up the CPU of mapping and judging (in this process: the one-process run)."""

        cpu = 0.0

        def map(self, doc, parent=None):  # noqa: ANN001, ANN202
            t = time.process_time()
            try:
                return super().map(doc, parent)
            finally:
                TimedMapper.cpu += time.process_time() - t

        def outcome_of(self, doc, result):  # noqa: ANN001, ANN202
            t = time.process_time()
            try:
                return super().outcome_of(doc, result)
            finally:
                TimedMapper.cpu += time.process_time() - t

    settings = Settings(kb_root=Path(kb), workers=int(workers))
    load0, t0, cpu0 = os.getloadavg()[0], time.perf_counter(), _cpu(resource.RUSAGE_SELF)
    stage_seconds: dict[str, float] = {}
    if staged:
        out = _run_stages(settings, corpus, stage_seconds)
    else:
        mapper = TimedMapper.from_dirs(settings.schemas_dir, settings.mappings_dir)
        summary = run([corpus], settings, batch_id="bench", mapper=mapper)
        out = {"documents": summary.inputs, "attachments": summary.attachments,
               "outcomes": dict(summary.outcomes), "reconciles": summary.reconciles,
               "map_cpu": TimedMapper.cpu if int(workers) == 0 else None}
    elapsed = time.perf_counter() - t0
    # Workers are children of the forkserver: stopping it (it waits for them) is what adds their
    # CPU and peak memory to this process's RUSAGE_CHILDREN.
    from multiprocessing import forkserver
    forkserver._forkserver._stop()  # noqa: SLF001 (the stdlib has no public way to stop it)
    print(json.dumps(out | {"seconds": elapsed, "stages": stage_seconds,
                            "cpu_main": _cpu(resource.RUSAGE_SELF) - cpu0, "cpu_workers": _cpu(resource.RUSAGE_CHILDREN),
                            "load": [round(load0, 1), round(os.getloadavg()[0], 1)],
                            "main_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                            "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))


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


def measure(corpus: Path, work: Path, workers: int, staged: bool = False, rerun: bool = False) -> dict:
    """One run on a fresh KB; with `rerun`, the second of two runs on the same KB (unchanged
    documents and rules: parse and mapping caches are filled, the KB holds the rows)."""
    kb = work / "kb"
    shutil.rmtree(kb, ignore_errors=True)
    for _ in range(2 if rerun else 1):
        proc = subprocess.run([sys.executable, __file__, "--child", str(corpus), str(kb), str(workers), "1" if staged else ""],
                              capture_output=True, text=True, cwd=ROOT, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"benchmark run failed:\n{proc.stderr[-3000:]}")
    shutil.rmtree(kb, ignore_errors=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- the reference: the same invoices through invoice2data, and through our parse + map ----------

_I2D_SCRIPT = r"""
import json, sys, time
from invoice2data import extract_data
from invoice2data.extract.loader import read_templates
from invoice2data.input import pdfium
templates = read_templates()
files = sys.argv[1:]
for f in files:  # warm-up: imports, template regexes
    extract_data(f, templates=templates, input_module=pdfium)
t = time.process_time()
matched = sum(bool(extract_data(f, templates=templates, input_module=pdfium)) for f in files)
print(json.dumps({"documents": len(files), "cpu": time.process_time() - t, "matched": matched}))
"""


def _ours_on(files: list[Path]) -> dict:
    """Our parse + map (+ judge) on the same invoices, in this process, warm."""
    from pipelines.parse.run import parse_file
    from pipelines.run.mapper import Mapper
    from pipelines.run.stages import with_parents

    mapper = Mapper.from_dirs(ROOT / "schemas", ROOT / "mappings")

    def once() -> tuple[int, float, float]:
        landed, parse_cpu, map_cpu = 0, 0.0, 0.0
        for f in files:
            t = time.process_time()
            doc = parse_file(f)
            parse_cpu += time.process_time() - t
            t = time.process_time()
            for d, parent in with_parents(doc):
                oc = mapper.outcome_of(d, mapper.map(d, parent))
                landed += oc.outcome == "landed" and d is doc
            map_cpu += time.process_time() - t
        return landed, parse_cpu, map_cpu

    once()
    landed, parse_cpu, map_cpu = once()
    return {"documents": len(files), "parse_cpu": parse_cpu, "map_cpu": map_cpu, "landed": landed}


def reference() -> dict | None:
    files = sorted(PEER.glob("*.pdf"))
    if not files:
        print(f"reference skipped: no invoices in {PEER}")
        return None
    py = I2D_VENV / "bin" / "python"
    if not py.exists():
        made = subprocess.run([sys.executable, "-m", "venv", str(I2D_VENV)], capture_output=True, text=True)
        pip = made.returncode == 0 and subprocess.run(
            [str(py), "-m", "pip", "install", "-q", f"invoice2data[pdfium]=={I2D_VERSION}"], capture_output=True, text=True)
        if not pip or pip.returncode != 0:
            shutil.rmtree(I2D_VENV, ignore_errors=True)
            print("reference skipped: invoice2data did not install: "
                  + (made.stderr or (pip.stderr if pip else ""))[-500:])
            return None
    run = subprocess.run([str(py), "-c", _I2D_SCRIPT, *map(str, files)], capture_output=True, text=True, cwd=I2D_VENV)
    if run.returncode != 0:
        print(f"reference skipped: invoice2data failed: {run.stderr[-500:]}")
        return None
    return {"invoice2data": json.loads(run.stdout.strip().splitlines()[-1]), "ours": _ours_on(files),
            "load": round(os.getloadavg()[0], 1)}


def _row(n: int, name: str, r: dict) -> str:
    docs = r["documents"]
    cpu = r["cpu_main"] + r["cpu_workers"]
    mapping = f"{1000 * r['map_cpu'] / docs:6.1f}" if r.get("map_cpu") is not None else "     -"
    return (f"{n:>6}  {name:<5} {docs / r['seconds']:8.1f} {1000 * cpu / docs:9.1f} {mapping:>8} "
            f"{r['main_peak_mb']:8.0f} {r['worker_peak_mb']:8.0f}  {r['load'][0]:>4}/{r['load'][1]:<4}  "
            f"{r['seconds']:6.0f}s  reconciles={r['reconciles']} {r['outcomes']}")


def _warn_shared_cpu() -> None:
    """Linux's autogroup scheduler gives each login session an equal share of the CPUs whatever
    its `nice`: another session's niced job halved a 2-worker run here (both workers runnable at
    ~50% each). The numbers are only comparable on an otherwise idle machine."""
    try:
        autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        autogroup = False
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.1f} before the first run: other work shares the CPUs"
              + ("; with autogroup on, `nice` does not protect these runs from other sessions" if autogroup else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=list(CONFIGS))
    ap.add_argument("--staged", action="store_true", help="run the staged pipeline (Dagster's stage functions)")
    ap.add_argument("--no-reference", action="store_true", help="skip the invoice2data reference")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    os.environ.setdefault("DO_NOT_TRACK", "1")
    _warn_shared_cpu()
    # An installed package runs from bytecode; with PYTHONDONTWRITEBYTECODE set and no .pyc yet,
    # every process (main, forkserver, workers) would compile the sources again on each run.
    compileall.compile_dir(ROOT / "pipelines", quiet=1)
    print(f"{os.cpu_count()} CPUs; rules-only, `mapper run --direct`, fresh KB per run\n")
    print("  docs  run      docs/s  CPU-ms/doc  map-ms  main-MB  work-MB  load avg   wall")
    with tempfile.TemporaryDirectory(prefix="mapper-bench-") as tmp:
        for n in args.sizes:
            corpus = Path(tmp) / f"corpus_{n}"
            make_corpus(n, corpus)
            for name in args.configs:
                result = measure(corpus, Path(tmp), CONFIGS[name], args.staged, rerun=name.endswith("-re"))
                print(_row(n, name, result), flush=True)
            shutil.rmtree(corpus, ignore_errors=True)
    if not args.no_reference:
        ref = reference()
        if ref:
            i2d, ours = ref["invoice2data"], ref["ours"]
            print(f"\nreference, {ours['documents']} peer-case invoices, warm, CPU-ms per invoice (load {ref['load']}):")
            print(f"  invoice2data {I2D_VERSION} (pdfium reader): {1000 * i2d['cpu'] / i2d['documents']:6.1f}  "
                  f"({i2d['matched']} matched a template; it validates and lands nothing)")
            print(f"  ours parse + map + judge:            {1000 * (ours['parse_cpu'] + ours['map_cpu']) / ours['documents']:6.1f}"
                  f"  (parse {1000 * ours['parse_cpu'] / ours['documents']:.1f}, map {1000 * ours['map_cpu'] / ours['documents']:.1f};"
                  f" {ours['landed']} landed straight through)")


if __name__ == "__main__":
    main()
