"""Where things live, from CLI options, then environment variables, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.parse.limits import DEFAULT_LIMITS, Limits
from pipelines.storage import is_remote, join, kb_setting, location

# No telemetry from any library we use, whatever the user's environment says.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SCARF_NO_ANALYTICS", "true")


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name) or default)


def _env_location(name: str, default: str | None) -> Path | str | None:
    """A local path or an object-store URL (checked: a bad scheme is an error here, at start)."""
    value = os.environ.get(name) or default
    return None if value is None else kb_setting(value)


@dataclass
class Settings:
    # A local folder or an s3:// / gs:// / abfs:// URL (see storage.py).
    kb_root: Path | str = field(default_factory=lambda: _env_location("MAPPER_KB", "kb"))
    schemas_dir: Path = field(default_factory=lambda: _env_path("MAPPER_SCHEMAS", "schemas"))
    mappings_dir: Path = field(default_factory=lambda: _env_path("MAPPER_MAPPINGS", "mappings"))
    raw_dir: Path | str | None = field(default_factory=lambda: _env_location("MAPPER_RAW", None))
    workers: int = field(default_factory=lambda: int(os.environ.get("MAPPER_WORKERS") or min(2, os.cpu_count() or 1)))
    limits: Limits = DEFAULT_LIMITS
    # Follow symbolic links in input folders when they stay inside the folder (never outside it).
    follow_links: bool = field(default_factory=lambda: os.environ.get("MAPPER_FOLLOW_LINKS", "") in ("1", "true", "yes"))

    @property
    def raw_root(self) -> Path | str:
        """Content-addressed originals; inside the KB by default so one folder holds everything."""
        if self.raw_dir:
            return self.raw_dir
        return kb_setting(join(location(self.kb_root), "_raw")) if is_remote(location(self.kb_root)) else Path(self.kb_root) / "_raw"
