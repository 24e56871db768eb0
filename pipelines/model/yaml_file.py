"""YAML files read safely (plain data, never objects) and with libyaml's C parser when PyYAML has
it: the rules, schemas and vocabularies are read by every run and every parse worker, and the
pure-Python parser made that about a second of each process's start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """`yaml.safe_load` of the file's text, faster."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 (a safe loader)
