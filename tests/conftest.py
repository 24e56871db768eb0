"""Session guard: the tests never change the repository's working state.

`mappings/` (a person's promoted rules), `kb/` and `.dagster_home/` belong to whoever uses this
checkout. Tests use temporary copies (tests/support/shipped.py, tmp_path); if a test creates,
changes or deletes anything under those folders the run fails and names what changed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GUARDED = ("mappings", "kb", ".dagster_home")


def _snapshot() -> dict[str, tuple[int, int] | None]:
    """path -> (size, mtime_ns) of every file below the guarded folders (None: the folder itself)."""
    out: dict[str, tuple[int, int] | None] = {}
    for name in GUARDED:
        root = REPO / name
        if not root.exists():
            continue
        out[name] = None
        for dirpath, dirs, files in os.walk(root):
            for f in files:
                p = Path(dirpath) / f
                try:
                    st = p.lstat()
                except OSError:
                    continue
                out[p.relative_to(REPO).as_posix()] = (st.st_size, st.st_mtime_ns)
            for d in dirs:
                out[(Path(dirpath) / d).relative_to(REPO).as_posix()] = None
    return out


# A developer's shell may point these at the checkout's own KB, rules or Dagster instance.
_USER_ENV = ("MAPPER_KB", "MAPPER_MAPPINGS", "MAPPER_SCHEMAS", "MAPPER_RAW", "MAPPER_INBOX")


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_KEY] = _snapshot()
    for name in _USER_ENV:
        os.environ.pop(name, None)
    if Path(os.environ.get("DAGSTER_HOME") or REPO / ".dagster_home").resolve().is_relative_to(REPO):
        os.environ["DAGSTER_HOME"] = tempfile.mkdtemp(prefix="mapper-test-dagster-home-")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_KEY, None)
    if before is None:
        return
    after = _snapshot()
    changed = sorted({k for k in before.keys() | after.keys() if before.get(k, 0) != after.get(k, 0)})
    if changed:
        shown = ", ".join(changed[:10]) + (f" and {len(changed) - 10} more" if len(changed) > 10 else "")
        session.config.stash[_CHANGED] = shown
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001
    shown = config.stash.get(_CHANGED, None)
    if shown:
        terminalreporter.write_line(
            f"FAILED: the tests changed the repository's working state ({', '.join(GUARDED)}): {shown}. "
            "Tests must use tmp_path and tests/support/shipped.py.", red=True)


_KEY = pytest.StashKey[dict]()
_CHANGED = pytest.StashKey[str]()
