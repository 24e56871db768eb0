"""Find input files under the given paths, honouring `.mapperignore` files (gitignore-like globs).

Symbolic links are not followed: a link in an input folder could point anywhere (`/etc/passwd`,
`/etc/ssl`) and its target would be stored, parsed and shown to reviewers. With `follow_links`
a link is followed only when its target resolves inside the folder being walked. Every link
left out is reported (the `skipped` list, and a warning in the log), never silently dropped.
A path named explicitly (a command-line argument) is taken as the person gave it.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

IGNORE_FILE = ".mapperignore"
ALWAYS_IGNORED = (IGNORE_FILE, ".DS_Store", "Thumbs.db", ".git", "__pycache__")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkippedLink:
    """A symbolic link that was not followed, and why."""

    path: str
    target: str
    reason: str  # "symlink" (links are not followed) | "outside_root" | "loop" | "name_not_utf8" | "inside_kb"

    def __str__(self) -> str:
        why = {"symlink": "links are not followed", "outside_root": "points outside the input folder",
               "loop": "loops back to a folder already walked",
               "name_not_utf8": "its name is not valid UTF-8: rename the file to process it",
               "inside_kb": "it is inside the knowledge base, whose own files are never inputs"}.get(self.reason, self.reason)
        return f"{self.path}: {why}" if not self.target else f"{self.path} -> {self.target}: {why}"


def report_skip(skipped: list[SkippedLink], path: str, target: str, reason: str) -> None:
    """Leave an input out, on the list and in the log: never silently dropped."""
    skip = SkippedLink(path, target, reason)
    skipped.append(skip)
    log.warning("input skipped: %s", skip)


def _patterns(directory: Path) -> list[str]:
    f = directory / IGNORE_FILE
    if not f.is_file() or f.is_symlink():
        return []
    return [ln.strip() for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def iter_inputs(paths: Iterable[str | os.PathLike[str]], *, follow_links: bool = False,
                skipped: list[SkippedLink] | None = None) -> Iterator[Path]:
    """Yield files in a stable (sorted) order; a directory's ignore patterns apply below it.

    Links inside a walked folder are skipped (appended to `skipped`), or with `follow_links`
    followed when they resolve inside that folder."""
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            if _named_in_utf8(path, skipped if skipped is not None else []):
                yield path
        elif path.is_dir():
            root = path.resolve()
            walker = _Walker(root, follow_links, skipped if skipped is not None else [])
            yield from walker.walk(path, _inherited(path))
        else:
            raise FileNotFoundError(f"input path does not exist: {path}")


def _named_in_utf8(path: Path, skipped: list[SkippedLink]) -> bool:
    """Whether the file's path is text: a name of bytes that are not UTF-8 (old archives, SMB
    shares) cannot be stored in the KB's string columns, and one such file failed the whole batch.
    It is left out and reported, as a skipped link is."""
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        report_skip(skipped, os.fsencode(path).decode("utf-8", "backslashreplace"), "", "name_not_utf8")
        return False


def _inherited(directory: Path) -> list[str]:
    """Ignore patterns of the folders above, as git applies a parent's .gitignore below it."""
    patterns: list[str] = []
    for parent in reversed(directory.resolve().parents):
        patterns += _patterns(parent)
    return patterns


class _Walker:
    def __init__(self, root: Path, follow_links: bool, skipped: list[SkippedLink]) -> None:
        self.root, self.follow, self.skipped = root, follow_links, skipped
        self.seen_dirs: set[Path] = {root}

    def _skip(self, entry: Path, reason: str) -> None:
        try:
            target = os.readlink(entry)
        except OSError:
            target = "?"
        report_skip(self.skipped, str(entry), str(target), reason)

    def _link_allowed(self, entry: Path) -> Path | None:
        """The resolved target of a link that may be followed, else None (and it is reported)."""
        if not self.follow:
            self._skip(entry, "symlink")
            return None
        target = entry.resolve()
        if not target.is_relative_to(self.root):
            self._skip(entry, "outside_root")
            return None
        if target.is_dir() and target in self.seen_dirs:
            self._skip(entry, "loop")
            return None
        return target

    def walk(self, directory: Path, inherited: list[str]) -> Iterator[Path]:
        patterns = inherited + _patterns(directory)
        for entry in sorted(directory.iterdir(), key=lambda p: p.name):
            if entry.name in ALWAYS_IGNORED or any(fnmatch.fnmatch(entry.name, pat) for pat in patterns):
                continue
            if entry.is_symlink() and self._link_allowed(entry) is None:
                continue
            if entry.is_dir():
                self.seen_dirs.add(entry.resolve())
                yield from self.walk(entry, patterns)
            elif entry.is_file() and _named_in_utf8(entry, self.skipped):
                yield entry
