"""The mapper's settings as a resource; unset fields fall back to `Settings` (env, then defaults)."""

import dagster as dg

from pipelines.config import Settings
from pipelines.run.mapper import Mapper
from pipelines.run.hold import HoldPolicy


class MapperResource(dg.ConfigurableResource):
    """The run's `Settings` (pipelines/config.py) as resource config: `mapper run` passes them as
    run config; a field left unset falls back to the environment (MAPPER_*), then the default."""

    kb_root: str | None = None
    schemas_dir: str | None = None
    mappings_dir: str | None = None
    raw_dir: str | None = None
    workers: int | None = None
    follow_links: bool | None = None
    hold_ratio: float | None = None
    hold_jump: float | None = None
    hold_window: int | None = None
    hold_min_history: int | None = None
    hold_min_documents: int | None = None

    def settings(self) -> Settings:
        given = {k: v for k, v in self.model_dump().items() if v is not None and k in Settings.model_fields}
        return Settings(**given)

    def mapper(self) -> Mapper:
        s = self.settings()
        return Mapper.from_dirs(s.schemas_dir, s.mappings_dir)

    def hold_policy(self) -> HoldPolicy:
        return HoldPolicy.from_settings(self.settings())


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
