"""Find input files under the given paths, honouring `.mapperignore` files (gitignore-like globs)."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

IGNORE_FILE = ".mapperignore"
ALWAYS_IGNORED = (IGNORE_FILE, ".DS_Store", "Thumbs.db", ".git", "__pycache__")


def _patterns(directory: Path) -> list[str]:
    f = directory / IGNORE_FILE
    if not f.is_file():
        return []
    return [ln.strip() for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def iter_inputs(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Yield files in a stable (sorted) order; a directory's ignore patterns apply below it."""
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from _walk(path, _inherited(path))
        else:
            raise FileNotFoundError(f"input path does not exist: {path}")


def _inherited(directory: Path) -> list[str]:
    """Ignore patterns of the folders above, as git applies a parent's .gitignore below it."""
    patterns: list[str] = []
    for parent in reversed(directory.resolve().parents):
        patterns += _patterns(parent)
    return patterns


def _walk(directory: Path, inherited: list[str]) -> Iterator[Path]:
    patterns = inherited + _patterns(directory)
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        if entry.name in ALWAYS_IGNORED or any(fnmatch.fnmatch(entry.name, pat) for pat in patterns):
            continue
        if entry.is_dir():
            yield from _walk(entry, patterns)
        elif entry.is_file():
            yield entry
