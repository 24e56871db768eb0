"""Jobs: process a batch, re-process one document, release a held batch, observe the inputs."""

import dagster as dg

from pipelines.run import batch as run_batch
from pipelines.run.hold import release
from pipelines.defs.assets import HELD_CHECK, GROUP
from pipelines.defs.inputs import INPUTS
from pipelines.defs.resources import MapperResource

# The inputs are observed in the same run, before extraction: the batch records the rule,
# schema and policy versions it really used (stale later only if they change after it ran).
_BATCH = dg.AssetSelection.groups(GROUP) | dg.AssetSelection.assets(*INPUTS)

process_batch = dg.define_asset_job(
    "process_batch", selection=_BATCH,
    description="Ingest, parse, extract, validate and land one ingestion batch.",
)

reprocess_document = dg.define_asset_job(
    "reprocess_document", selection=_BATCH,
    description="Re-run one document of a batch: set ops.raw_documents.config.document to its path or id.",
)

observe_inputs = dg.define_asset_job(
    "observe_inputs", selection=dg.AssetSelection.assets(*INPUTS),
    description="Observe rules and schemas now (the inputs_observer sensor does this by itself).",
)


class Release(dg.Config):
    batch_id: str
    released_by: str
    note: str = ""


@dg.op
def record_release(context: dg.OpExecutionContext, config: Release, mapper: MapperResource) -> None:
    """Record who released a held batch; the hold check passes from now on."""
    rel = release(mapper.settings().kb_root, config.batch_id, config.released_by, config.note)
    context.log_event(dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey("validated_records"), check_name=HELD_CHECK, passed=True, partition=config.batch_id,
        metadata={"released_by": rel["released_by"], "release_note": rel["note"], "released_at": rel["released_at"]},
    ))


@dg.job(description="Release a batch the stopgap held back; then run process_batch on it again to land it.")
def release_batch() -> None:
    record_release()


class NewBatch(dg.Config):
    batch_id: str
    paths: list[str]


@dg.op
def register(context: dg.OpExecutionContext, config: NewBatch, mapper: MapperResource) -> None:
    """Record the batch's files and add its partition (what the inbox sensor does, by hand)."""
    files = run_batch.register_batch(mapper.settings().kb_root, config.batch_id, config.paths)
    context.instance.add_dynamic_partitions("batches", [config.batch_id])
    context.log.info("batch %s: %d files", config.batch_id, len(files))


@dg.job(description="Register files or folders as a new batch partition (then run process_batch on it).")
def register_batch() -> None:
    register()
