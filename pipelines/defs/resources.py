"""The mapper's settings as a resource; unset fields fall back to `Settings` (env, then defaults)."""

from pathlib import Path

import dagster as dg

from pipelines.config import Settings
from pipelines.run.mapper import Mapper
from pipelines.run.hold import HoldPolicy
from pipelines.storage import kb_setting


class MapperResource(dg.ConfigurableResource):
    """Where the KB, schemas and rules live, parse workers, and the stopgap thresholds."""

    kb_root: str | None = None
    schemas_dir: str | None = None
    mappings_dir: str | None = None
    workers: int | None = None
    hold_ratio: float | None = None
    hold_jump: float | None = None
    hold_min_history: int | None = None
    hold_min_documents: int | None = None

    def settings(self) -> Settings:
        s = Settings()
        if self.kb_root:
            s.kb_root = kb_setting(self.kb_root)
        if self.schemas_dir:
            s.schemas_dir = Path(self.schemas_dir)
        if self.mappings_dir:
            s.mappings_dir = Path(self.mappings_dir)
        if self.workers is not None:
            s.workers = self.workers
        return s

    def mapper(self) -> Mapper:
        s = self.settings()
        return Mapper.from_dirs(s.schemas_dir, s.mappings_dir)

    def hold_policy(self) -> HoldPolicy:
        p = HoldPolicy.from_env()
        for name in ("ratio", "jump", "min_history", "min_documents"):
            value = getattr(self, f"hold_{name}")
            if value is not None:
                setattr(p, name, value)
        return p


def executor() -> dg.ExecutorDefinition:
    """Where steps run: separate processes here (the default), or Celery workers anywhere.

    `MAPPER_EXECUTOR=celery` (needs the `[celery]` extra) sends each step to the Celery broker at
    `MAPPER_CELERY_BROKER` (e.g. redis://host:6379/0; results to `MAPPER_CELERY_BACKEND`, default
    the broker); start workers with `dagster-celery worker start -y <file>` (see README, "Scale out").
    """
    import os

    choice = os.environ.get("MAPPER_EXECUTOR", "multiprocess")
    if choice == "multiprocess":
        return dg.multiprocess_executor
    if choice == "celery":
        from dagster_celery import celery_executor

        broker = {"env": "MAPPER_CELERY_BROKER"}
        backend = {"env": "MAPPER_CELERY_BACKEND"} if os.environ.get("MAPPER_CELERY_BACKEND") else broker
        return celery_executor.configured({"broker": broker, "backend": backend})
    if choice == "k8s":  # one pod per step (dagster-k8s; deploy/k8s/values.yaml; untested here)
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    raise ValueError(f"MAPPER_EXECUTOR={choice!r}: use multiprocess, celery or k8s")


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"mapper": MapperResource()}, executor=executor())
