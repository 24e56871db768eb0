"""The session guard of tests/conftest.py: a test run that writes into the repository's kb/,
mappings/ or .dagster_home/ fails and names the file."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PROBE = '''
from pathlib import Path

def test_writes_into_the_repository():
    target = Path({target!r})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("left behind by a test")
'''


def test_a_run_that_writes_into_the_repository_fails(tmp_path: Path):
    kb_existed = (REPO / "kb").exists()
    target = REPO / "kb" / f"guard-probe-{uuid.uuid4().hex}.txt"
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE.format(target=str(target)))
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
                               "--rootdir", str(tmp_path), str(probe)],
                              cwd=REPO, capture_output=True, text=True, timeout=300)
    finally:
        if kb_existed:
            target.unlink(missing_ok=True)
        else:
            shutil.rmtree(REPO / "kb", ignore_errors=True)
    assert "1 passed" in proc.stdout  # the test itself passed ...
    assert proc.returncode == 1, proc.stdout  # ... but the run failed
    assert "changed the repository's working state" in proc.stdout and target.name in proc.stdout


def test_tests_see_the_shipped_rules_not_a_persons_promoted_ones(tmp_path: Path):
    from tests.support.shipped import MAPPINGS, copy_shipped

    src = tmp_path / "checkout" / "mappings"
    (src / "learned").mkdir(parents=True)
    (src / "suppliers").mkdir()
    (src / "learned" / "learned-invoice-x.yaml").write_text("id: learned-invoice-x\n")  # promoted by a person
    (src / "suppliers" / "a.yaml").write_text("id: supplier-a\n")
    copy = copy_shipped(src, tmp_path / "copy")
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*")) == ["suppliers", "suppliers/a.yaml"]
    assert not (MAPPINGS / "learned").exists() and (MAPPINGS / "classifiers.yaml").is_file()


def test_no_test_reads_the_checkouts_mappings_directly():
    """Only tests/support/shipped.py copies the repository's mappings/; others use MAPPINGS."""
    import re

    direct = re.compile(r'(ROOT|REPO)\s*/\s*"mappings"(?!\s*/\s*"learned")')
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "tests").rglob("*.py")
                 if p.name != "shipped.py" and direct.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
