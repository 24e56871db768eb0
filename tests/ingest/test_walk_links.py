"""Symbolic links in an input folder are not followed out of it, and every skipped link is reported."""

import json
import subprocess
import sys
from pathlib import Path

from pipelines.run.batch import register_batch
from pipelines.run.files import manifest_path
from pipelines.ingest.walk import iter_inputs


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    """An input folder with links to a file and a folder outside it, and links that stay inside."""
    outside = tmp_path / "outside"
    (outside / "secrets").mkdir(parents=True)
    (outside / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (outside / "secrets" / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    inbox = tmp_path / "in"
    (inbox / "docs").mkdir(parents=True)
    (inbox / "docs" / "a.txt").write_text("Invoice 1\n")
    (inbox / "to_file").symlink_to(outside / "passwd")
    (inbox / "to_dir").symlink_to(outside / "secrets", target_is_directory=True)
    (inbox / "inside_file").symlink_to(inbox / "docs" / "a.txt")
    (inbox / "docs" / "inside_dir").symlink_to(inbox / "docs", target_is_directory=True)  # a loop
    return inbox, outside


def test_links_are_not_followed_by_default_and_each_is_reported(tmp_path):
    inbox, _ = _tree(tmp_path)
    skipped = []
    files = list(iter_inputs([inbox], skipped=skipped))
    assert files == [inbox / "docs" / "a.txt"]
    assert sorted(Path(s.path).name for s in skipped) == ["inside_dir", "inside_file", "to_dir", "to_file"]
    assert {s.reason for s in skipped} == {"symlink"}


def test_follow_links_stays_inside_the_input_root(tmp_path):
    inbox, outside = _tree(tmp_path)
    skipped = []
    files = [p.resolve() for p in iter_inputs([inbox], follow_links=True, skipped=skipped)]
    assert all(f.is_relative_to(inbox.resolve()) for f in files)
    assert not any(f.is_relative_to(outside.resolve()) for f in files)
    assert (inbox / "docs" / "a.txt").resolve() in files
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons == {"to_file": "outside_root", "to_dir": "outside_root", "inside_dir": "loop"}
    # the batch manifest lists each file once and records what was left out
    got = register_batch(tmp_path / "kb", "b1", [inbox], follow_links=True)
    assert got == [str((inbox / "docs" / "a.txt").resolve())]
    manifest = json.loads(manifest_path(tmp_path / "kb", "b1").read_text())
    assert {Path(s["path"]).name for s in manifest["skipped_links"]} == {"to_file", "to_dir", "inside_dir"}


def test_mapper_run_does_not_ingest_a_link_to_a_file_outside_and_says_so(tmp_path):
    inbox, outside = _tree(tmp_path)
    kb = tmp_path / "kb"
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--direct", "--workers", "0", "--kb", str(kb),
                           "--json", str(inbox)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["inputs"] == 1  # only docs/a.txt; stdout stays JSON
    assert "to_file" in proc.stderr and "to_dir" in proc.stderr
    raw = [p.read_bytes() for p in (kb / "_raw").rglob("*") if p.is_file()]
    assert raw and not any(b"root:x:0:0" in b or b"PRIVATE KEY" in b for b in raw)
