"""Benchmark PDF parsing: our parser against pdfplumber and unstructured, on the same files.

    python benchmarks/parse.py [--engines ours,plumber-text,...] [--corpora invoices-50,...]

Corpora (generated with reportlab into benchmarks/out/, which git ignores):
  invoices-50   50 invoice-like pages, a line-item table on 4 pages of 5 (ruled, rules-only,
                borderless), the fifth a page of running text
  invoices-1000 the same layout over 1,000 pages (the memory target: < 500 MB peak)
  peer-cases    the invoice2data PDFs in ../shared/peer_cases (real invoices from many producers),
                parsed 10 times over so the timed window is not a few milliseconds

Engines, each run in a fresh subprocess per corpus (so imports and memory do not leak between
measurements); a tiny warm-up PDF is parsed first and not timed:
  ours            pipelines.parse.dispatch.parse_bytes (lines with word boxes + tables)
  plumber-text    pdfplumber, page.extract_text()
  plumber-tables  pdfplumber, page.extract_text() + page.extract_tables()
  unstructured    unstructured partition_pdf(strategy="fast"); needs unstructured[pdf] (torch),
                  so it runs under the interpreter named by $UNSTRUCTURED_PYTHON (a separate venv)

Reported: pages/s over the timed parse (wall clock), pages per CPU second (steadier when other
work shares the machine), and the worker's peak RSS (ru_maxrss from wait4, i.e.
the whole process: interpreter, imports and parse); "parse MB" is the part of the peak reached
after imports and warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
PEER_DIR = ROOT.parent / "shared" / "peer_cases" / "invoice2data"
ENGINES = ["ours", "plumber-text", "plumber-tables", "unstructured"]
CORPORA = ["invoices-50", "invoices-1000", "peer-cases"]
TARGET_PPS, TARGET_MB = 200.0, 500.0
REPEAT = {"peer-cases": 10}  # passes over a corpus inside one timed run
# No telemetry from unstructured (it calls home on import otherwise), no notice banner.
QUIET_ENV = {"DO_NOT_TRACK": "1", "SCARF_NO_ANALYTICS": "true", "UNSTRUCTURED_DISABLE_NOTICE": "1"}


# --- worker side: runs in the subprocess, imports only what its engine needs -----------------


def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _engine(name: str):  # type: ignore[no-untyped-def]
    """A function path -> number of tables found (imports happen here, before timing)."""
    if name == "ours":
        from pipelines.model.document import Kind, Status
        from pipelines.parse.dispatch import parse_bytes

        def run(path: str) -> int:
            doc = parse_bytes(Path(path).read_bytes(), name=Path(path).name)
            if doc.status is not Status.PARSED:
                raise RuntimeError(f"{path}: {doc.reason}: {doc.reason_text}")
            return sum(1 for el in doc.elements if el.kind is Kind.TABLE)

        return run
    if name in ("plumber-text", "plumber-tables"):
        import pdfplumber

        def run(path: str) -> int:
            tables = 0
            with pdfplumber.open(path) as pdf:
                for page in pdf.pages:
                    page.extract_text()
                    if name == "plumber-tables":
                        tables += len(page.extract_tables())
                    page.close()  # drop cached layout objects, as a long-document user would
            return tables

        return run
    if name == "unstructured":
        _use_local_spacy_model()
        from unstructured.partition.pdf import partition_pdf

        def run(path: str) -> int:
            elements = partition_pdf(filename=path, strategy="fast", languages=["eng"])
            if not elements:  # it logs and returns nothing when its NLP model is missing
                raise RuntimeError(f"{path}: unstructured returned no elements")
            return sum(1 for el in elements if el.category == "Table")

        return run
    raise SystemExit(f"unknown engine {name}")


def _use_local_spacy_model() -> None:
    """unstructured loads spaCy's en_core_web_sm and downloads it from GitHub when missing,
    which fails offline. Without it, give unstructured a blank English pipeline with a
    sentencizer (as the product's offline shim does), rather than a third-party re-upload
    of the model."""
    import importlib.util

    if importlib.util.find_spec("en_core_web_sm"):
        return
    import spacy
    import unstructured.nlp.tokenize as tokenize

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    tokenize._get_nlp = lambda: nlp  # type: ignore[assignment]


def worker(engine: str, repeat: int, warmup: str, paths: list[str]) -> None:
    run = _engine(engine)
    run(warmup)
    base_mb = _maxrss_mb()
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        tables = sum(run(p) for p in paths)  # the same count every pass
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({"seconds": seconds, "cpu": cpu, "tables": tables, "base_mb": base_mb, "self_peak_mb": _maxrss_mb()}))


# --- parent side -----------------------------------------------------------------------------


def _builders():  # type: ignore[no-untyped-def]
    import importlib.util

    path = ROOT / "tests" / "parse" / "conftest_pdf.py"
    spec = importlib.util.spec_from_file_location("conftest_pdf", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_corpora(names: list[str]) -> dict[str, list[Path]]:
    OUT.mkdir(parents=True, exist_ok=True)
    pdfs = _builders()
    files: dict[str, list[Path]] = {}
    made = {"warmup": lambda: pdfs.invoice_pdf(1, seed=9)}
    for name, pages in (("invoices-50", 50), ("invoices-1000", 1000)):
        made[name] = lambda pages=pages: pdfs.invoice_pdf(pages, seed=pages, text_every=5)
    for name in ["warmup", *names]:
        if name == "peer-cases":
            peers = sorted(PEER_DIR.rglob("*.pdf"))
            if not peers:
                raise SystemExit(f"no peer-case PDFs under {PEER_DIR}")
            files[name] = peers
            continue
        path = OUT / f"{name}.pdf"
        path.write_bytes(made[name]())
        files[name] = [path]
    return files


def count_pages(paths: list[Path]) -> int:
    import pypdfium2 as pdfium

    total = 0
    for p in paths:
        pdf = pdfium.PdfDocument(p)
        total += len(pdf)
        pdf.close()
    return total


def run_worker(python: str, engine: str, repeat: int, warmup: Path, paths: list[Path], timeout: float) -> dict[str, object]:
    """Run one measurement in a fresh process; peak RSS comes from the kernel via wait4."""
    env = {**os.environ, **QUIET_ENV, "PYTHONPATH": str(ROOT)}
    cmd = [python, str(Path(__file__).resolve()), "--worker", engine, str(repeat), str(warmup), *map(str, paths)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return {"error": f"timed out after {timeout:.0f} s"}
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0 or not out.strip():
        tail = (err.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {proc.returncode}: {tail[:200]}"}
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def unstructured_python() -> tuple[str | None, str]:
    python = os.environ.get("UNSTRUCTURED_PYTHON")
    if not python:
        return None, (
            "UNSTRUCTURED_PYTHON is not set. unstructured's PDF path needs the [pdf] extra "
            "(torch, ~1.6 GB), kept out of the project venv: install unstructured[pdf]==0.27.35 "
            "(torch==2.13.0 first) into a separate venv and point UNSTRUCTURED_PYTHON at its python."
        )
    if not Path(python).exists():
        return None, f"UNSTRUCTURED_PYTHON={python} does not exist"
    return python, ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--corpora", default=",".join(CORPORA))
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per measurement")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    corpora = [c for c in args.corpora.split(",") if c]
    os.environ.update(QUIET_ENV)

    files = make_corpora(corpora)
    uns_python, uns_reason = unstructured_python()
    results: list[dict[str, object]] = []
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}", flush=True)
    for corpus in corpora:
        repeat = REPEAT.get(corpus, 1)
        pages = count_pages(files[corpus]) * repeat
        for engine in engines:
            python = sys.executable
            if engine == "unstructured":
                if uns_python is None:
                    results.append({"corpus": corpus, "engine": engine, "pages": pages, "error": "not measured"})
                    continue
                python = uns_python
            print(f"  {corpus:14s} {engine:15s} ...", end="", flush=True)
            r = run_worker(python, engine, repeat, files["warmup"][0], files[corpus], args.timeout)
            r.update(corpus=corpus, engine=engine, pages=pages)
            if "seconds" in r:
                r["pps"] = pages / float(r["seconds"])  # type: ignore[arg-type]
                r["ppcpu"] = pages / max(float(r["cpu"]), 1e-9)  # type: ignore[arg-type]
            print(f" {r.get('pps', 0):8.1f} pages/s" if "pps" in r else f" {r['error']}", flush=True)
            results.append(r)
    print_table(results, corpora, engines)
    if "unstructured" in engines and uns_python is None:
        print(f"\nunstructured was not measured: {uns_reason}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def print_table(results: list[dict[str, object]], corpora: list[str], engines: list[str]) -> None:
    by = {(str(r["corpus"]), str(r["engine"])): r for r in results}
    head = (
        f"{'corpus':14s} {'engine':15s} {'pages':>6s} {'seconds':>8s} {'pages/s':>8s} {'pages/cpu-s':>11s} "
        f"{'peak MB':>8s} {'parse MB':>8s} {'tables':>7s} {'ours is x faster':>16s} {'peak MB / ours':>14s}"
    )
    print("\n" + head + "\n" + "-" * len(head))
    for corpus in corpora:
        ours = by.get((corpus, "ours"), {})
        for engine in engines:
            r = by.get((corpus, engine))
            if r is None:
                continue
            if "pps" not in r:
                print(f"{corpus:14s} {engine:15s} {r['pages']:>6} {'-- ' + str(r.get('error')):>40s}")
                continue
            faster = f"{float(ours['pps']) / float(r['pps']):.1f}" if "pps" in ours else "-"
            mem = f"{float(r['peak_mb']) / float(ours['peak_mb']):.1f}" if "peak_mb" in ours else "-"
            parse_mb = float(r["self_peak_mb"]) - float(r["base_mb"])  # type: ignore[arg-type]
            print(
                f"{corpus:14s} {engine:15s} {r['pages']:>6} {float(r['seconds']):8.2f} {float(r['pps']):8.1f} {float(r['ppcpu']):11.1f} "
                f"{float(r['peak_mb']):8.0f} {parse_mb:8.0f} {r['tables']:>7} {faster:>16s} {mem:>14s}"
            )
    for corpus in corpora:
        r = by.get((corpus, "ours"), {})
        if "pps" in r:
            ok_speed = float(r["pps"]) >= TARGET_PPS
            ok_mem = float(r["peak_mb"]) < TARGET_MB
            print(
                f"target {corpus}: {float(r['pps']):.0f} pages/s, {float(r['ppcpu']):.0f} per CPU-s "
                f"({'ok' if ok_speed else 'BELOW'} >= {TARGET_PPS:.0f} wall), "
                f"peak {float(r['peak_mb']):.0f} MB ({'ok' if ok_mem else 'ABOVE'} < {TARGET_MB:.0f})"
            )
    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.2f} on {os.cpu_count()} cores (other work slows the wall-clock numbers)")


if __name__ == "__main__":
    if len(sys.argv) > 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:])
    else:
        main()
