"""Crash-safe file operations for the knowledge base: temp files, a writer lock, a commit journal.

One logical write (an upsert) may touch several Parquet files: it writes a new file and
rewrites or removes older ones that held superseded rows. To make that all-or-nothing:

1. every new or rewritten file is written to `.tmp-*` in its final directory and fsynced
   (a `.tmp-*` name never matches a `*.parquet` glob, so readers never see it);
2. the plan — which temps become which `.parquet` files and which old files go — is written
   to `<kb>/.journal.json`, itself via temp + `os.replace`. That rename is the commit point;
3. the plan is applied (renames, then deletions) and the journal removed.

A crash before (2) leaves only stale temps: the next writer removes them and the KB is
exactly as before. A crash after (2) leaves the journal: the next writer (or `query.connect`)
replays it — replaying is idempotent — so the write completes. Readers that look at the
files between a crash in (3) and that replay can see a half-applied state (e.g. a record
twice); nothing is ever lost, and no reader ever sees a half-written file.

The journal is a file in the KB, and anyone who can write there could plant one: before
anything is renamed or deleted, every path in it must be a `.parquet` file (or a `.tmp-*`
temp) inside a table folder of this KB, never through a link out of it; otherwise the whole
journal is refused (UnsafeJournalError) and nothing is touched.

Writers are serialised by an advisory `flock` on `<kb>/.lock` (POSIX, local file systems;
not reliable on NFS). The design assumes one writer per KB at a time; the lock makes an
accidental second writer wait instead of corrupting the KB.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

try:  # POSIX only; elsewhere the single-writer assumption is not enforced.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

TMP_PREFIX = ".tmp-"
JOURNAL_NAME = ".journal.json"
LOCK_NAME = ".lock"
PARQUET_COMPRESSION = "zstd"


class UnsafeJournalError(ValueError):
    """The KB's journal names a path it may not touch: it was not written by this program."""


@contextlib.contextmanager
def kb_lock(root: Path, *, exclusive: bool = True) -> Iterator[None]:
    """Hold the KB's writer lock (exclusive) or reader lock (shared) for the block.

    A shared lock on a KB we cannot write to (read-only mount) is skipped rather than failing.
    """
    if exclusive:
        root.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if exclusive:
            raise
        yield
        return
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def fsync_dir(directory: Path) -> None:
    """Make a rename/unlink in `directory` durable (best effort; a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def stage_parquet(table: pa.Table, directory: Path) -> tuple[Path, Path]:
    """Write `table` to a fsynced temp file in `directory`; return (temp, final name).

    The final name is `part-<sha256 of the file's bytes, 16 hex>.parquet`, so identical
    content always gets the same name. The caller renames the temp (through the journal).
    """
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=TMP_PREFIX)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        pq.write_table(table, tmp, compression=PARQUET_COMPRESSION)
        digest = hashlib.sha256()
        with open(tmp, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, directory / f"part-{digest.hexdigest()[:16]}.parquet"


def write_journal(root: Path, replaces: Sequence[tuple[Path, Path]], deletes: Sequence[Path]) -> dict:
    """Durably record the plan; returning from here is the commit point."""
    journal = {
        "version": 1,
        "replace": [[_rel(root, tmp), _rel(root, final)] for tmp, final in replaces],
        "delete": [_rel(root, p) for p in deletes],
    }
    fd, tmp_name = tempfile.mkstemp(dir=root, prefix=TMP_PREFIX)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(journal, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, root / JOURNAL_NAME)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_dir(root)
    return journal


def checked_journal(root: Path, journal: Any) -> tuple[list[tuple[Path, Path]], list[Path]]:
    """The journal's renames and deletions as paths, each confined to a table folder of `root`;
    UnsafeJournalError (naming the first bad entry) if the journal is malformed or any path is not."""
    if not isinstance(journal, dict) or journal.get("version") != 1:
        raise UnsafeJournalError(f"{root / JOURNAL_NAME}: not a journal of this program (version 1)")
    replace, delete = journal.get("replace"), journal.get("delete")
    if not isinstance(replace, list) or not isinstance(delete, list) or not all(
            isinstance(pair, list) and len(pair) == 2 for pair in replace):
        raise UnsafeJournalError(f"{root / JOURNAL_NAME}: malformed (replace: [[temp, final]], delete: [path])")
    renames = [(_confined(root, tmp, temp=True), _confined(root, final)) for tmp, final in replace]
    return renames, [_confined(root, rel) for rel in delete]


def _confined(root: Path, rel: Any, *, temp: bool = False) -> Path:
    """`root / rel` if `rel` names a Parquet file (or temp) at least one folder deep inside
    `root`, without `..`, and no link leads it elsewhere."""
    parts = PurePosixPath(rel).parts if isinstance(rel, str) else ()
    name = parts[-1] if parts else ""
    ok = (len(parts) >= 2 and not PurePosixPath(rel).is_absolute() and "\\" not in rel
          and all(p not in ("", ".", "..") for p in parts)
          and (name.startswith(TMP_PREFIX) if temp else name.endswith(".parquet")))
    path = root.joinpath(*parts) if ok else root
    real_root = root.resolve()
    if ok and not path.parent.resolve().is_relative_to(real_root):
        ok = False
    if ok and path.is_symlink():
        ok = False
    if not ok:
        raise UnsafeJournalError(
            f"refusing to replay {root / JOURNAL_NAME}: {rel!r} is not a knowledge-base file; the journal was "
            "not written by this program. Nothing was changed: inspect and remove the journal by hand")
    return path


def apply_journal(root: Path, journal: dict) -> None:
    """Carry out a committed plan. Idempotent: safe to replay after a crash at any point.
    Every path is checked first (checked_journal): a planted journal changes nothing."""
    touched: set[Path] = set()
    renames, deletes = checked_journal(root, journal)
    for tmp, final in renames:
        if tmp.exists():  # absent: this rename already happened before a crash
            os.replace(tmp, final)
            touched.update((final.parent, final.parent.parent))  # the partition may be new
    for path in deletes:
        path.unlink(missing_ok=True)
        touched.add(path.parent)
    for directory in touched:
        fsync_dir(directory)
    for directory in touched:  # drop partitions (batch=...) left empty
        if _is_nested(root, directory):
            with contextlib.suppress(OSError):
                directory.rmdir()  # only succeeds when empty
    (root / JOURNAL_NAME).unlink(missing_ok=True)
    fsync_dir(root)


def recover(root: Path) -> bool:
    """Replay an interrupted commit, if any. Call with the writer lock held."""
    path = root / JOURNAL_NAME
    if not path.exists():
        return False
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnsafeJournalError(f"{path}: unreadable journal ({exc}); inspect and remove it by hand") from exc
    apply_journal(root, journal)
    return True


def clean_stale_temps(root: Path) -> list[Path]:
    """Remove temp files left by an interrupted writer. Call with the lock held, after recover()."""
    removed = []
    for dirpath, _, files in os.walk(root):  # never follows a link out of the KB
        for name in files:
            tmp = Path(dirpath) / name
            if name.startswith(TMP_PREFIX) and not tmp.is_symlink():
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    for directory in {tmp.parent for tmp in removed}:
        if _is_nested(root, directory):  # a partition created only for the lost write
            with contextlib.suppress(OSError):
                directory.rmdir()
    return removed


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _is_nested(root: Path, directory: Path) -> bool:
    """True for a partition directory below a table directory (never the KB root or a table dir)."""
    try:
        return len(directory.relative_to(root).parts) >= 2
    except ValueError:
        return False
