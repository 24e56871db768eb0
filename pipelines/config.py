"""Where things live, from CLI options, then environment variables, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.parse.limits import DEFAULT_LIMITS, Limits

# No telemetry from any library we use, whatever the user's environment says.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SCARF_NO_ANALYTICS", "true")


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name) or default)


@dataclass
class Settings:
    kb_root: Path = field(default_factory=lambda: _env_path("MAPPER_KB", "kb"))
    schemas_dir: Path = field(default_factory=lambda: _env_path("MAPPER_SCHEMAS", "schemas"))
    mappings_dir: Path = field(default_factory=lambda: _env_path("MAPPER_MAPPINGS", "mappings"))
    raw_dir: Path | None = field(default_factory=lambda: Path(os.environ["MAPPER_RAW"]) if os.environ.get("MAPPER_RAW") else None)
    workers: int = field(default_factory=lambda: int(os.environ.get("MAPPER_WORKERS") or min(2, os.cpu_count() or 1)))
    limits: Limits = DEFAULT_LIMITS
    # Follow symbolic links in input folders when they stay inside the folder (never outside it).
    follow_links: bool = field(default_factory=lambda: os.environ.get("MAPPER_FOLLOW_LINKS", "") in ("1", "true", "yes"))

    @property
    def raw_root(self) -> Path:
        """Content-addressed originals; inside the KB by default so one folder holds everything."""
        return self.raw_dir or self.kb_root / "_raw"
