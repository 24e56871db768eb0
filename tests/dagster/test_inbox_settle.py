"""The inbox sensor takes a file only when it is complete, and never temp/partial/lock files.

A real writer process writes half a PDF, stalls, then writes the rest; the sensor ticks around it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from pipelines.run.batch import batch_files
from pipelines.run.files import BATCHES_DIR
from pipelines.defs.sensors import inbox_sensor

REPO = Path(__file__).resolve().parents[2]
PDF = REPO / "data_samples/invoices/aquaflow_0142.pdf"

WRITER = """
import sys, time
data = open(sys.argv[1], 'rb').read()
with open(sys.argv[2], 'wb') as out:
    out.write(data[: len(data) // 2]); out.flush()
    open(sys.argv[3], 'w').close()       # tell the test we are halfway
    time.sleep(float(sys.argv[4]))      # stall, as a slow network copy does
    out.write(data[len(data) // 2:])
"""


def _tick(instance, mapper, cursor):
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"mapper": mapper}) as ctx:
        result = inbox_sensor(ctx)
        return result, (result.cursor if isinstance(result, dg.SensorResult) else ctx.cursor)


def _batched(kb: Path, result) -> list[str]:
    return [Path(f).name for r in result.run_requests for f in batch_files(kb, r.partition_key)]


def test_a_pdf_whose_writer_stalls_halfway_is_taken_only_when_complete(workspace, mapper, monkeypatch):
    monkeypatch.setenv("MAPPER_INBOX_SETTLE_S", "1")
    inbox, instance = workspace["inbox"], dg.DagsterInstance.ephemeral()
    inbox.mkdir()
    target, halfway = inbox / "scan.pdf", workspace["kb"].parent / "halfway"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(PDF), str(target), str(halfway), "6"])
    try:
        while not halfway.exists():
            time.sleep(0.05)
        result, cursor = _tick(instance, mapper, None)  # first look: too new
        assert isinstance(result, dg.SkipReason)
        time.sleep(1.5)
        result, cursor = _tick(instance, mapper, cursor)  # size and mtime stable, but no %%EOF yet
        assert isinstance(result, dg.SkipReason) and "still being written" in str(result.skip_message)
        assert writer.wait(timeout=30) == 0
    finally:
        writer.kill()
    result, cursor = _tick(instance, mapper, cursor)  # changed since the last look: wait again
    assert isinstance(result, dg.SkipReason)
    time.sleep(1.5)
    result, cursor = _tick(instance, mapper, cursor)
    assert _batched(workspace["kb"], result) == ["scan.pdf"]
    assert batch_files(workspace["kb"], result.run_requests[0].partition_key) == [str(target.resolve())]
    assert target.read_bytes() == PDF.read_bytes()
    result, _ = _tick(instance, mapper, cursor)
    assert isinstance(result, dg.SkipReason)  # batched once


def test_temp_partial_and_lock_files_are_never_batched_and_leave_no_trace(workspace, mapper):
    inbox, instance = workspace["inbox"], dg.DagsterInstance.ephemeral()
    inbox.mkdir()
    data = PDF.read_bytes()
    for name in (".scan.pdf.Xy12Ab", "scan2.pdf.part", "scan3.pdf.crdownload", "~$contract.docx",
                 ".~lock.contract.docx#", "upload.tmp"):
        (inbox / name).write_bytes(data)
    result, cursor = _tick(instance, mapper, None)
    assert isinstance(result, dg.SkipReason)
    os.rename(inbox / ".scan.pdf.Xy12Ab", inbox / "scan.pdf")  # rsync's final rename
    result, cursor = _tick(instance, mapper, cursor)
    assert _batched(workspace["kb"], result) == ["scan.pdf"]
    # the cursor keeps only files that are in the inbox; no temp path is remembered anywhere
    assert "Xy12Ab" not in cursor and ".part" not in cursor
    manifests = "".join(p.read_text() for p in (workspace["kb"] / BATCHES_DIR).glob("*.json"))
    assert all(n not in manifests for n in ("Xy12Ab", ".part", "crdownload", "~$", ".~lock", ".tmp"))
    assert json.loads(cursor)["pending"] == {}
