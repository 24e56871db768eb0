"""The parse cache never outlives its truth: a scan parsed while Tesseract was missing is OCR'd
once it is installed, and a cached result is keyed by the engines and parser that made it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from pipelines.parse import cache as parse_cache
from tests.parse.test_ocr import LINES, encode, page_image

def staged_parse(kb: Path, batch: str, scan: Path, times: int) -> dict:
    """The staged pipeline's parse step, `times` times, as `mapper run` does it (in this process:
    the OCR engine is looked up on PATH afresh)."""
    from pipelines.run import stages
    from pipelines.run.batch import register_batch
    from pipelines.run.files import PARSED, load_stream, work_dir
    from pipelines.config import Settings
    from pipelines.parse.ocr_engines import _tesseract_version

    _tesseract_version.cache_clear()
    s = Settings(kb_root=kb, raw_dir=None, workers=0)
    register_batch(kb, batch, [scan])
    stages.ingest(s, batch)
    runs = [stages.parse(s, batch) for _ in range(times)]
    [doc] = load_stream(work_dir(kb, batch) / PARSED)
    _tesseract_version.cache_clear()
    return {"runs": runs, "status": doc.status.value, "reason": doc.reason_text, "text": doc.text}


def test_a_scan_quarantined_without_tesseract_is_ocrd_once_it_is_there(tmp_path: Path, monkeypatch):
    assert shutil.which("tesseract"), "tesseract-ocr must be installed for this test"
    scan = tmp_path / "in" / "scan.png"
    scan.parent.mkdir()
    scan.write_bytes(encode(page_image(LINES[:3]), "PNG"))
    kb = tmp_path / "kb"
    no_tesseract = tmp_path / "bin"  # a PATH without tesseract
    no_tesseract.mkdir()

    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path / "ocr_cache"))
    monkeypatch.delenv("MAPPER_OCR_ENGINE", raising=False)
    with monkeypatch.context() as m:
        m.setenv("PATH", str(no_tesseract))
        before = staged_parse(kb, "b1", scan, 2)
    assert before["status"] == "quarantined" and "no OCR engine" in before["reason"]
    assert [r["cached"] for r in before["runs"]] == [0, 0]  # the environment's failure is not cached
    assert parse_cache.entries(kb) == []

    after = staged_parse(kb, "b2", scan, 2)
    assert after["status"] == "parsed" and LINES[0].split()[0] in after["text"]
    assert [(r["parsed"], r["cached"]) for r in after["runs"]] == [(1, 0), (0, 1)]  # OCR'd, then cached
    [entry] = parse_cache.entries(kb)
    key = json.loads(entry.read_text())["key"]
    assert key["ocr_engine"] == "tesseract" and key["ocr_version"] and key["parser"] == parse_cache.parser_version()


def test_the_key_holds_the_engine_the_parser_and_the_limits(monkeypatch):
    from pipelines.parse.limits import Limits

    base = parse_cache.cache_key("ab" * 32, "x.PDF")
    assert base["ext"] == "pdf" and base["sha256"] == "ab" * 32
    monkeypatch.setenv("MAPPER_OCR_ENGINE", "rapidocr")
    other_engine = parse_cache.cache_key("ab" * 32, "x.pdf")
    assert other_engine["ocr_engine"] == "rapidocr"
    monkeypatch.delenv("MAPPER_OCR_ENGINE")
    paths = {parse_cache.cache_path("kb", k) for k in
             (base, other_engine, parse_cache.cache_key("ab" * 32, "x.pdf", Limits(max_pages=3)))}
    assert len(paths) == 3  # each its own entry
    assert parse_cache.cache_key("ab" * 32, "evil.p/../df\x1b")["ext"].isalnum()
