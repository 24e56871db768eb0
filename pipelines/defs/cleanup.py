"""Runs launched from the UI or a sensor: remove each batch's work files once no run of it is in
progress (they hold documents' full text and PII). Dagster's run monitoring (dagster.yaml) marks
dead or overlong runs failed and frees their pool slots; this sensor removes what they left."""

import dagster as dg

from pipelines import run_guard
from pipelines.defs.resources import MapperResource


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def work_files_cleanup(context: dg.SensorEvaluationContext, mapper: MapperResource) -> dg.SkipReason:
    """Delete the stage hand-off files of batches whose runs have ended (successfully or not)."""
    removed = run_guard.remove_stale_work(mapper.settings().kb_root, context.instance, context.log.info)
    return dg.SkipReason(f"removed the work files of {len(removed)} ended batch run(s)" if removed
                         else "no work files of ended runs")
