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


def _copy_shipped_mappings() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="mapper-test-mappings-"))
    atexit.register(shutil.rmtree, tmp, True)
    target = tmp / "mappings"
    shutil.copytree(REPO / "mappings", target, ignore=lambda d, names: [LEARNED] if Path(d) == REPO / "mappings" else [])
    return target


MAPPINGS = _copy_shipped_mappings()
