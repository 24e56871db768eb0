"""The mapper's settings: one typed object, from CLI options, then `MAPPER_*` environment
variables, then defaults (pydantic-settings). It is passed explicitly: to the stages, to the
Dagster code location through the `mapper` resource's run config, never through `os.environ`.
The README's "Settings" table lists every MAPPER_* variable (tests/test_settings.py checks it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SkipValidation, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipelines.parse.limits import DEFAULT_LIMITS, Limits
from pipelines.storage import is_remote, join, kb_setting, location

# No telemetry from any library we use, whatever the user's environment says.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SCARF_NO_ANALYTICS", "true")


def _default_workers() -> int:
    return min(2, os.cpu_count() or 1)


class Settings(BaseSettings):
    """Where things live, how many parse workers, the stopgap's thresholds, the run's limits."""

    model_config = SettingsConfigDict(env_ignore_empty=True, validate_by_name=True, validate_by_alias=True,
                                      extra="ignore", validate_assignment=False)

    # A local folder or an s3:// / gs:// / abfs:// URL (see storage.py); a bad scheme fails here, at start.
    kb_root: Path | str = Field(Path("kb"), validation_alias="MAPPER_KB")
    schemas_dir: Path = Field(Path("schemas"), validation_alias="MAPPER_SCHEMAS")
    mappings_dir: Path = Field(Path("mappings"), validation_alias="MAPPER_MAPPINGS")
    raw_dir: Path | str | None = Field(None, validation_alias="MAPPER_RAW")
    workers: int = Field(default_factory=_default_workers, ge=0, validation_alias="MAPPER_WORKERS")
    # Follow symbolic links in input folders when they stay inside the folder (never outside it).
    follow_links: bool = Field(False, validation_alias="MAPPER_FOLLOW_LINKS")
    limits: Annotated[Limits, SkipValidation] = DEFAULT_LIMITS
    # The stopgap (run/hold.py): hold a batch whose review/quarantine share jumps.
    hold_ratio: float = Field(1.5, gt=0, validation_alias="MAPPER_HOLD_RATIO")
    hold_jump: float = Field(0.25, ge=0, validation_alias="MAPPER_HOLD_JUMP")
    hold_window: int = Field(10, ge=1, validation_alias="MAPPER_HOLD_WINDOW")
    hold_min_history: int = Field(3, ge=0, validation_alias="MAPPER_HOLD_MIN_HISTORY")
    hold_min_documents: int = Field(5, ge=0, validation_alias="MAPPER_HOLD_MIN_DOCUMENTS")
    # Dagster's own console log level during `mapper run` (its events are recorded either way).
    dagster_log: str = Field("WARNING", validation_alias="MAPPER_DAGSTER_LOG")
    # A run's deadline in seconds (None: dagster.yaml's run_monitoring.max_runtime_seconds, else 6 h).
    run_max_seconds: float | None = Field(None, gt=0, validation_alias="MAPPER_RUN_MAX_SECONDS")

    @field_validator("kb_root", "raw_dir", mode="before")
    @classmethod
    def _location(cls, value: Any) -> Any:
        return None if value is None or value == "" else kb_setting(value)

    @property
    def raw_root(self) -> Path | str:
        """Content-addressed originals; inside the KB by default so one folder holds everything."""
        if self.raw_dir:
            return self.raw_dir
        return kb_setting(join(location(self.kb_root), "_raw")) if is_remote(location(self.kb_root)) else Path(self.kb_root) / "_raw"

    def for_dagster(self) -> dict[str, Any]:
        """These settings as the `mapper` resource's run config (absolute paths: the code
        location may run in another working directory)."""
        return {"kb_root": location(self.kb_root), "schemas_dir": str(Path(self.schemas_dir).resolve()),
                "mappings_dir": str(Path(self.mappings_dir).resolve()), "workers": self.workers,
                "raw_dir": location(self.raw_dir) if self.raw_dir else None, "follow_links": self.follow_links,
                **{f"hold_{k}": getattr(self, f"hold_{k}") for k in ("ratio", "jump", "window", "min_history",
                                                                     "min_documents")}}
