"""Create-if-absent claims on a local folder or an object store: a lock that works across machines.

A claim is a small JSON object written only if no object of that name exists yet: `O_EXCL` on
a local path, a conditional put (`If-None-Match: *`) on S3 (AWS since 2024, MinIO, R2 and the
test server honour it; s3fs sends it for `mode="create"`). Exactly one of several writers on
any number of machines creates a given name; the others learn who holds it. That is the same
primitive delta-rs commits with, so a claim needs nothing a KB on that store does not already
need. A `flock` would not do: it is per machine, and unreliable on NFS.

Other stores (gs://, abfs://) go through fsspec's `mode="create"`, which is atomic only where
the implementation sends the store's own precondition; only local folders and S3 are tested.

Claims are never deleted (a used name stays used). `take` claims `<name>-0`, `<name>-1`, ...:
the newest attempt is the holder, and a holder older than `stale_s` (it died) is passed over
by creating the next attempt.
"""

from __future__ import annotations

import errno
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines import storage

_NAME_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class ClaimError(OSError):
    """A claim could be neither created nor found (the store refused the write)."""


def _check(part: str) -> str:
    if not part or part in (".", "..") or not set(part) <= _NAME_OK:
        raise ValueError(f"claim name part {part!r} must be letters, digits, '.', '_' or '-'")
    return part


def _location(root: str, parts: tuple[str, ...]) -> str:
    return storage.join(storage.location(root), *(_check(p) for p in parts))


def create(root: str | Path, *parts: str, body: dict[str, Any]) -> bool:
    """Write `body` (JSON, plus the UTC time `at`) at `root/parts...` if nothing is there yet.

    True when this call created it; False when it already existed (someone else holds it).
    """
    loc = _location(os.fspath(root), parts)
    data = json.dumps({**body, "at": datetime.now(UTC).isoformat()}, sort_keys=True).encode()
    if not storage.is_remote(loc):
        path = Path(loc)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return True
    up = storage.upath(loc)
    try:
        up.fs.pipe_file(up.path, data, mode="create")
    except FileExistsError:
        return False
    except OSError as exc:  # some servers answer a failed precondition with a bare 412
        if exc.errno == errno.EINVAL and "precondition" in str(exc).lower():
            return False
        raise ClaimError(f"cannot create the claim {loc}: {exc}") from exc
    return True


def read(root: str | Path, *parts: str) -> dict[str, Any] | None:
    """The claim's body (with `at` as a datetime), or None when there is none.

    A claim that is not a JSON object (an interrupted local write) reads as a claim of unknown
    holder made at the file's modification time, so it still counts and still goes stale.
    """
    loc = _location(os.fspath(root), parts)
    up = storage.upath(loc)
    try:
        raw = up.read_bytes()
    except FileNotFoundError:
        return None
    try:
        body = json.loads(raw)
        body["at"] = datetime.fromisoformat(body["at"])
    except (ValueError, TypeError, KeyError):
        body = {"at": datetime.fromtimestamp(up.stat().st_mtime, UTC)}
    return body


def age_seconds(body: dict[str, Any]) -> float:
    at = body.get("at")
    if not isinstance(at, datetime):
        return float("inf")
    return (datetime.now(UTC) - (at if at.tzinfo else at.replace(tzinfo=UTC))).total_seconds()


def take(root: str | Path, *parts: str, name: str, body: dict[str, Any], stale_s: float) -> dict[str, Any] | None:
    """Claim `root/parts.../<name>-<attempt>`: None when this call holds it now, else the body
    of the live holder (whose claim is younger than `stale_s`)."""
    attempt = 0
    while True:
        if create(root, *parts, f"{name}-{attempt}", body=body):
            return None
        holder = read(root, *parts, f"{name}-{attempt}") or {}
        if age_seconds(holder) < stale_s:
            return holder
        attempt += 1  # a dead holder's: try the next name (read in turn if someone took it first)
