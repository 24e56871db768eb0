"""The rules the repository ships, for tests: never the working tree's state.

A person using the product promotes rules into `mappings/learned/` (the README's coaching loop);
those are theirs, not the product's, and must not change what the tests see. Tests read
`MAPPINGS`: a copy of the repository's `mappings/` made once per test process, without
`learned/`. (tests/conftest.py fails the run if a test writes to the repository's mappings/,
kb/ or .dagster_home/.)
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LEARNED = "learned"


def copy_shipped(src: Path, dest: Path) -> Path:
    """`src` (a mappings folder) copied to `dest` without its top-level `learned/`."""
    shutil.copytree(src, dest, ignore=lambda d, names: [LEARNED] if Path(d) == src and LEARNED in names else [])
    return dest


def _shipped_mappings() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="mapper-test-mappings-"))
    atexit.register(shutil.rmtree, tmp, True)
    return copy_shipped(REPO / "mappings", tmp / "mappings")


MAPPINGS = _shipped_mappings()
