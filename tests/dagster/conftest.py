"""A tiny corpus and a mapper resource pointed at temporary folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.support.shipped import MAPPINGS

REPO = Path(__file__).resolve().parents[2]

# The issuer's letterhead (name with its legal form, address under it) and a card payment that backs
# the total: finder families the calibration measured, so the record can land by itself (a name
# only a "Supplier:" label gives, or a total only subtotal + tax back, were never measured).
INVOICE = """Acme Water Ltd
1 Mill Road, Leeds LS1 1AA
INVOICE
Invoice Number: {number}
Invoice Date: 2026-01-05
Bill To: Jane Doe
Subtotal: 100.00
VAT: 20.00
Total: 120.00 GBP
Paid by card: 120.00 GBP
"""

EMAIL = """From: Bob Smith <bob@example.com>
To: help@water.example
Subject: Leak at my house
Date: Mon, 5 Jan 2026 10:00:00 +0000
Message-ID: <abc@example.com>

Hello, there is a leak outside 5 High Street. My account number is 12345.
Bob
"""


def write_corpus(folder: Path, *, invoices: int = 2, junk: int = 0) -> list[Path]:
    """`invoices` small text invoices, one support email, one empty file and `junk` unmappable notes."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(invoices):
        p = folder / f"invoice_{i}.txt"
        p.write_text(INVOICE.format(number=f"INV-{1000 + i}"))
        files.append(p)
    (folder / "leak.eml").write_text(EMAIL)
    (folder / "empty.txt").write_bytes(b"")
    files += [folder / "leak.eml", folder / "empty.txt"]
    for i in range(junk):
        p = folder / f"note_{i}.txt"
        p.write_text(f"zq{i} xv wq bz\n")
        files.append(p)
    return files


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """KB, inbox and copies of the schemas and rules in tmp; env points the defaults at them."""
    ws = {name: tmp_path / name for name in ("kb", "inbox", "corpus")}
    ws["schemas"] = Path(shutil.copytree(REPO / "schemas", tmp_path / "schemas"))
    ws["mappings"] = Path(shutil.copytree(MAPPINGS, tmp_path / "mappings"))
    for key, env in (("kb", "MAPPER_KB"), ("schemas", "MAPPER_SCHEMAS"), ("mappings", "MAPPER_MAPPINGS"),
                     ("inbox", "MAPPER_INBOX")):
        monkeypatch.setenv(env, str(ws[key]))
    monkeypatch.setenv("MAPPER_WORKERS", "0")
    monkeypatch.setenv("MAPPER_INBOX_SETTLE_S", "0")
    return ws


@pytest.fixture
def mapper(workspace: dict[str, Path]):
    from pipelines.defs.resources import MapperResource

    return MapperResource(kb_root=str(workspace["kb"]), schemas_dir=str(workspace["schemas"]),
                          mappings_dir=str(workspace["mappings"]), workers=0,
                          hold_min_history=1, hold_min_documents=1, hold_ratio=1.5, hold_jump=0.2)
