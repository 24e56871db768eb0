"""Nightly catch-up: re-run every registered batch that has not landed (failed or held)."""

import dagster as dg

from pipelines.run.batch import unlanded_batches
from pipelines.defs.jobs import process_batch
from pipelines.defs.resources import MapperResource


@dg.schedule(cron_schedule="0 2 * * *", job=process_batch, default_status=dg.DefaultScheduleStatus.STOPPED)
def nightly_batches(context: dg.ScheduleEvaluationContext, mapper: MapperResource):
    """At 02:00, request a run for each batch partition that has not landed yet."""
    known = set(context.instance.get_dynamic_partitions("batches"))
    pending = [b for b in unlanded_batches(mapper.settings().kb_root) if b in known]
    if not pending:
        return dg.SkipReason("every batch has landed")
    day = context.scheduled_execution_time.strftime("%Y%m%d")
    return [dg.RunRequest(run_key=f"nightly-{day}-{b}", partition_key=b) for b in pending]
