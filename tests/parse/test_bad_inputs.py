"""A corpus of deliberately bad files: each ends quarantined with the right reason, none crash
the batch, none is silently dropped, and the batch counts reconcile."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from pipelines.model.document import Reason, Status
from pipelines.parse.dispatch import parse_bytes
from pipelines.parse.limits import Limits
from pipelines.parse.run import parse_files


def _pdf(text: str = "Invoice No: 42", **kw) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1, **kw)
    c.drawString(72, 720, text)
    c.save()
    return buf.getvalue()


def _zip_bomb() -> bytes:
    # 60 MB of zeros packs into ~60 KB: a 1000:1 ratio no real Word file has.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(60):
                member.write(chunk)
    return buf.getvalue()


def _corpus() -> dict[str, tuple[bytes, Reason]]:
    pdf = _pdf()
    return {
        "empty.pdf": (b"", Reason.EMPTY),
        "blank.txt": (b"   \n\t\n", Reason.EMPTY),
        "truncated.pdf": (pdf[: len(pdf) // 3], Reason.CORRUPT),
        "garbage.pdf": (b"%PDF-1.7\n" + bytes(range(256)) * 40, Reason.CORRUPT),
        "locked.pdf": (_pdf(encrypt="s3cret"), Reason.ENCRYPTED),
        "bomb.docx": (_zip_bomb(), Reason.ZIP_BOMB),
        "broken.docx": (b"PK\x03\x04" + b"\x00" * 200, Reason.CORRUPT),
        "photo.pdf": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, Reason.CORRUPT),  # images are OCR'd; this one cannot be decoded
        "random.bin": (bytes((i * 7919) % 251 for i in range(5000)), Reason.UNSUPPORTED),
        "latin.txt": (b"\xff\xfe\x00\xd8" * 500, Reason.UNDECODABLE),
    }


@pytest.mark.parametrize("name", sorted(_corpus()))
def test_bad_file_is_quarantined_with_reason(name):
    data, reason = _corpus()[name]
    doc = parse_bytes(data, name=name)
    assert doc.status is Status.QUARANTINED, (name, doc.media_type, doc.text[:100])
    assert doc.reason is reason, (name, doc.reason, doc.reason_text)
    assert doc.reason_text and len(doc.reason_text) > 10  # a sentence a person can act on
    assert doc.elements == [] and doc.text == ""


def test_wrong_extension_is_parsed_by_content_with_a_warning():
    doc = parse_bytes(b"Invoice No: 42\nTotal: 10.00\n", name="scan.pdf")
    assert doc.status is Status.PARSED and doc.media_type == "text/plain"
    assert any("does not match content" in w for w in doc.warnings)


def test_size_limit_refuses_large_files_before_reading(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"a line of text\n" * 1000)
    [doc] = parse_files([big], workers=0, limits=Limits(max_bytes=1000))
    assert doc.reason is Reason.TOO_LARGE and "not read" in doc.reason_text


def test_timeout_is_enforced_per_document(tmp_path):
    slow = tmp_path / "many.txt"
    slow.write_text("".join(f"Field {i}: value {i}\n" for i in range(20000)))
    [doc] = parse_files([slow], workers=1, limits=Limits(timeout_s=0.0))
    assert doc.status is Status.QUARANTINED and doc.reason is Reason.TIMEOUT


def test_batch_of_good_and_bad_files_reconciles(tmp_path):
    for name, (data, _) in _corpus().items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "good.pdf").write_bytes(_pdf("Invoice No: 7"))
    (tmp_path / "note.txt").write_text("Account: SVW-1\nPlease call me.\n")
    paths = sorted(tmp_path.iterdir())
    docs = list(parse_files(paths, workers=2))
    assert [d.source_path for d in docs] == [str(p) for p in paths]  # one outcome each, in order
    parsed = [d for d in docs if d.status is Status.PARSED]
    quarantined = [d for d in docs if d.status is Status.QUARANTINED]
    assert len(parsed) + len(quarantined) == len(paths)
    assert {Path(d.source_path).name for d in parsed} == {"good.pdf", "note.txt"}
    assert all(d.reason_text for d in quarantined)


def _crashing(path: str, limits, store_root):  # stands in for a parser that segfaults
    import os

    from pipelines.parse.run import parse_file

    if Path(path).name == "crash.txt":
        os._exit(3)
    return parse_file(path, limits)


def test_a_worker_that_dies_costs_only_its_own_document(tmp_path):
    for name in ("a.txt", "crash.txt", "b.txt"):
        (tmp_path / name).write_text(f"Account: {name}\n")
    docs = list(parse_files(sorted(tmp_path.iterdir()), workers=1, task=_crashing))
    assert [Path(d.source_path).name for d in docs] == ["a.txt", "b.txt", "crash.txt"]
    crashed = docs[2]
    assert crashed.status is Status.QUARANTINED and crashed.reason is Reason.INTERNAL
    assert "worker died" in crashed.reason_text
    assert all(d.status is Status.PARSED for d in docs[:2])


def test_a_dead_worker_names_the_step_it_was_doing(tmp_path):
    # the mapping workers parse and map: a document that stopped one is not said to have failed parsing
    (tmp_path / "crash.txt").write_text("Account: 1\n")
    [doc] = parse_files([tmp_path / "crash.txt"], workers=1, task=_crashing, step="parsing and mapping")
    assert doc.reason is Reason.INTERNAL and "worker died (exit code 3) parsing and mapping this document" in doc.reason_text
