"""Write the supplier invoices (digital PDFs, one scanned image-only PDF) with golden records."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .common import record, write_expected
from .invoice_model import (aquaflow_docs, brunel_docs, cotswold_docs, hartwell_docs, pinnacle_docs,
                            rheinhydro_docs)
from .invoice_pdf import render, render_bytes
from .scan import scanned_pdf

SCAN_OF = "HCS/118477"                         # this Hartwell invoice only exists as a scan
SCAN_NAME = "scan_20260217_093112.pdf"


def all_invoices() -> list:
    return (aquaflow_docs() + hartwell_docs() + rheinhydro_docs() + cotswold_docs() + brunel_docs()
            + pinnacle_docs())


def write_all(out_dir: Path) -> list:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for inv in all_invoices():
        if inv.number == SCAN_OF:
            with tempfile.TemporaryDirectory() as tmp:
                digital = render_bytes(inv, Path(tmp))
            path = out_dir / SCAN_NAME
            scanned_pdf(digital, path, seed=118477, angle=0.9)
        else:
            path = out_dir / inv.filename
            render(inv, path)
        write_expected(path, [record("invoice", inv.golden())])
        paths.append(path)
    return paths
