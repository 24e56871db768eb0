"""Nothing under the KB is trusted as code: a pickle planted in the parse cache or a work folder
never runs, a cache entry is used only for the document and key it was written for."""

from __future__ import annotations

import json
import pathlib
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.run import handoff
from pipelines.run import stages
from pipelines.run.batch import register_batch
from pipelines.run.files import PARSED, work_dir
from pipelines.parse import cache as parse_cache
from pipelines.review.store import ReviewStore
from tests.review.conftest import ROOT, item_id, run_stages


class _Touch:
    """What an attacker plants: unpickling it creates `path` (standing in for any command)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # noqa: ANN204
        return pathlib.Path.touch, (self.path,)


def _payload(marker: Path) -> bytes:
    data = pickle.dumps(_Touch(marker))
    pickle.loads(data)  # the attack works wherever the bytes are unpickled ...
    assert marker.exists()
    marker.unlink()
    return data


def test_planted_pickle_in_the_parse_cache_does_not_run_in_mapper_review_show(review_kb, tmp_path):
    marker = tmp_path / "pwned"
    payload = _payload(marker)
    item = ReviewStore(review_kb.kb_root).get(item_id(review_kb, "lines_off_invoice"))
    sha = item.document_id
    kb = Path(review_kb.kb_root)
    old = kb / "_cache/parsed/v1" / sha[:2] / f"{sha}.pdf.pkl"  # where earlier versions read pickles
    new = parse_cache.cache_path(kb, parse_cache.cache_key(sha, item.source_path, review_kb.limits))
    for path in (old, new, new.with_name(f"{sha}.pdf.0000000000000000.json")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
    proc = subprocess.run([str(Path(sys.executable).parent / "mapper"), "review", "show", item.review_id, "--kb", str(kb)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert item.review_id in proc.stdout or "invoice" in proc.stdout
    assert not marker.exists()  # ... but not here: the entry is data, and not valid data
    assert parse_cache.read(new) is not None  # replaced by a good parse of the raw original


def test_a_cache_entry_is_only_used_for_its_own_document_and_key(review_kb, tmp_path):
    kb = Path(review_kb.kb_root)
    store = ReviewStore(review_kb.kb_root)
    invoice = store.get(item_id(review_kb, "lines_off_invoice"))
    csv = store.get(item_id(review_kb, "meter_csv"))
    run_stages(review_kb, [Path(invoice.source_path)], "cache")
    key = parse_cache.cache_key(invoice.document_id, invoice.source_path, review_kb.limits)
    entry = parse_cache.cache_path(kb, key)
    assert parse_cache.read(entry, key).id == invoice.document_id

    # Another document's entry copied under this document's name (same key otherwise): ignored.
    other_key = key | {"sha256": csv.document_id}
    planted = parse_cache.cache_path(kb, other_key)
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_bytes(entry.read_bytes())
    assert parse_cache.read(planted) is None and parse_cache.read(planted, other_key) is None
    # The same entry under a key it was not written for (e.g. another parser version): ignored.
    assert parse_cache.read(entry, key | {"parser": "0" * 16}) is None
    # A well-formed entry whose document is not what its key names: ignored.
    body = json.loads(entry.read_text())
    body["document"]["id"] = csv.document_id
    entry.write_text(json.dumps(body))
    assert parse_cache.read(entry, key) is None
    # A field of the wrong type: ignored, not half-built.
    body["document"]["id"] = invoice.document_id
    body["document"]["elements"][0]["start"] = "0"
    entry.write_text(json.dumps(body))
    assert parse_cache.read(entry, key) is None


def test_planted_pickle_as_a_stage_file_is_refused(review_kb, tmp_path):
    from pipelines.run.mapper import Mapper

    marker = tmp_path / "pwned"
    payload = _payload(marker)
    mapper = Mapper.from_dirs(review_kb.schemas_dir, review_kb.mappings_dir)
    register_batch(review_kb.kb_root, "b", [ROOT / "data_samples" / "misc"])
    stages.ingest(review_kb, "b")
    (work_dir(review_kb.kb_root, "b") / PARSED).write_bytes(payload)
    with pytest.raises(handoff.HandoffError):
        stages.extract(review_kb, "b", mapper)
    assert not marker.exists()
    # A JSON line naming a class the hand-off does not know is refused too.
    (work_dir(review_kb.kb_root, "b") / PARSED).write_text(
        json.dumps({"kind": "document", "v": {"$dc": "Popen", "v": {"args": ["touch", str(marker)]}}}) + "\n")
    with pytest.raises(handoff.HandoffError):
        stages.extract(review_kb, "b", mapper)
    assert not marker.exists()


def test_no_module_of_the_pipeline_unpickles():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "pipelines").rglob("*.py")
                 if any(w in p.read_text(encoding="utf-8") for w in ("import pickle", "pickle.load", "import dill",
                                                                       "import joblib", "import shelve", "marshal.load"))]
    assert offenders == []


def test_raw_store_ids_from_files_never_name_a_path_outside_it(tmp_path):
    from pipelines.ingest.raw_store import RawStore

    secret = tmp_path / "secret"
    secret.write_text("not a document")
    store = RawStore(tmp_path / "kb" / "_raw")
    for bad in ("../../secret", "..", "/etc/passwd", "ab/../../../secret", "A" * 64, 42):
        assert bad not in store
        with pytest.raises(KeyError):
            store.get(bad)  # type: ignore[arg-type]
    sha = store.put(b"original bytes")
    assert sha in store and store.get(sha) == b"original bytes"
