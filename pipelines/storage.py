"""Where the knowledge base and the raw store live: a local folder or an object-store URL.

`MAPPER_KB` / `MAPPER_RAW` (and `--kb`) take a local path or an `s3://`, `gs://` (`gcs://`) or
`abfs://` (`abfss://`, `az://`) URL. A location is kept as a string: an absolute local path or
the URL as given. Tables go through deltalake (delta-rs speaks these stores natively); other
files (raw bytes, batch hand-offs, review claims) go through fsspec via universal-pathlib.

A scheme we do not support is an error at start, never a local folder named after it — and
so is a URL whose `//` was collapsed to `/` by a path join (`s3:/bucket/kb`), the classic way
an object-store URL silently becomes a local folder.

Object-store settings come from the environment, as the libraries expect: `AWS_ENDPOINT_URL`,
`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ALLOW_HTTP=true` for a plain
HTTP endpoint (a local test server), and the GCS/Azure equivalents.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

# Scheme -> the fsspec protocol that implements it (its package is named in the error).
SCHEMES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs",
           "abfs": "adlfs", "abfss": "adlfs", "az": "adlfs"}
_URL_RE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+):(?P<rest>.*)$")


class UnsupportedStorageError(ValueError):
    """A KB or raw-store location we cannot use; the message says what would work."""


def location(value: str | os.PathLike[str]) -> str:
    """The canonical form of a KB/raw location: an absolute local path or a checked URL."""
    text = os.fspath(value)
    m = _URL_RE.match(text)
    if m and not (len(m["scheme"]) == 1):  # "C:..." is a Windows drive, not a scheme
        scheme, rest = m["scheme"].lower(), m["rest"]
        if scheme == "file":
            return str(Path(rest.removeprefix("//")).absolute())
        if scheme not in SCHEMES:
            raise UnsupportedStorageError(
                f"unsupported storage URL {text!r}: use a local path or one of "
                f"{', '.join(s + '://' for s in SCHEMES)}")
        if not rest.startswith("//") or not rest[2:].strip("/"):
            raise UnsupportedStorageError(
                f"storage URL {text!r} is malformed: expected {scheme}://bucket/prefix "
                "(a '//' collapsed to '/' turns a URL into a local folder name)")
        return f"{scheme}://{rest[2:].rstrip('/')}"
    return str(Path(text).expanduser().absolute())


def is_remote(loc: str) -> bool:
    return "://" in loc


def join(loc: str, *parts: str) -> str:
    """`loc/part/...` for paths and URLs alike (never through pathlib for a URL)."""
    if is_remote(loc):
        return "/".join([loc.rstrip("/"), *(p.strip("/") for p in parts)])
    return str(Path(loc, *parts))


def delta_options(loc: str) -> dict[str, str] | None:
    """deltalake storage options for `loc` (credentials come from the environment).

    S3 has no atomic rename, so delta-rs needs either a DynamoDB lock or conditional puts for
    safe concurrent commits. S3 itself (since 2024), MinIO, R2 and the test server honour
    `If-None-Match`, so conditional puts (`etag`) are the default; set
    `AWS_S3_LOCKING_PROVIDER=dynamodb` to use a DynamoDB lock instead.
    """
    if not loc.startswith(("s3://", "s3a://")):
        return None
    if os.environ.get("AWS_S3_LOCKING_PROVIDER"):
        return {}
    return {"conditional_put": os.environ.get("MAPPER_S3_CONDITIONAL_PUT", "etag")}


def upath(loc: str) -> Any:
    """A pathlib-like object for `loc`: `Path` locally, a `UPath` (fsspec) for a URL."""
    if not is_remote(loc):
        return Path(loc)
    scheme = loc.split("://", 1)[0]
    try:
        from upath import UPath
        return UPath(loc)
    except ImportError as exc:  # the object-store extras are not installed
        raise UnsupportedStorageError(
            f"{loc}: install the object-store support first: pip install 'ai-data-mapper[s3]' "
            f"(needs universal-pathlib and {SCHEMES[scheme]})") from exc


def kb_path(kb_root: str | os.PathLike[str], *parts: str) -> Any:
    """`kb_root/parts...` as a pathlib-like object: a `Path` under a local KB (as given), a
    `UPath` under a KB URL. For the files that live beside the tables (hand-offs, candidates)."""
    loc = location(kb_root)
    if is_remote(loc):
        return upath(join(loc, *parts))
    return Path(os.fspath(kb_root), *parts)


def kb_setting(value: str | os.PathLike[str]) -> Path | str:
    """A KB/raw location as Settings keeps it: a `Path` locally, the checked URL otherwise."""
    loc = location(value)
    return loc if is_remote(loc) else Path(os.fspath(value))


def state_dir(kb_root: str | os.PathLike[str]) -> Path:
    """The local folder for a KB's caches (the parse cache, the LLM cache).

    For a local KB that is the KB folder itself. For a KB on object storage it is
    `$MAPPER_STATE/<scheme>/<bucket>/<prefix>` (default `.mapper_state/`) on each machine: a
    cache, so it need not be shared. Batch hand-offs, rule candidates and review claims are not
    here but beside the tables, on the object store (`kb_path`).
    """
    loc = location(kb_root)
    if not is_remote(loc):
        return Path(os.fspath(kb_root))
    scheme, rest = loc.split("://", 1)
    base = Path(os.environ.get("MAPPER_STATE") or ".mapper_state")
    return base.joinpath(scheme, *[p for p in rest.split("/") if p not in ("", ".", "..")])
