"""Watch an inbox folder; each tick's new or changed files become one batch partition and a run."""

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from pipelines import stages
from pipelines.defs.jobs import process_batch
from pipelines.defs.partitions import batches
from pipelines.defs.resources import MapperResource
from pipelines.ingest.walk import iter_inputs


def inbox_dir() -> Path:
    return Path(os.environ.get("MAPPER_INBOX") or "inbox")


def _settle_seconds() -> float:
    return float(os.environ.get("MAPPER_INBOX_SETTLE_S") or 5)


@dg.sensor(job=process_batch, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.STOPPED)
def inbox_sensor(context: dg.SensorEvaluationContext, mapper: MapperResource) -> dg.SensorResult | dg.SkipReason:
    """New or changed files in the inbox (MAPPER_INBOX, default inbox/) become a batch.

    Cursor: {path: "mtime_ns:size"} of every file in the inbox already batched, so a file is
    batched once, again only when it changes, and files still being written (changed in the
    last MAPPER_INBOX_SETTLE_S seconds, default 5) wait for the next tick.
    """
    inbox = inbox_dir()
    if not inbox.is_dir():
        return dg.SkipReason(f"inbox {inbox} does not exist")
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    now, settle = time.time(), _settle_seconds()
    new: dict[str, str] = {}
    present: set[str] = set()
    for path in iter_inputs([inbox]):
        try:
            st = path.stat()
        except OSError:  # removed while we looked
            continue
        key, stamp = str(path.resolve()), f"{st.st_mtime_ns}:{st.st_size}"
        present.add(key)
        if seen.get(key) != stamp and now - st.st_mtime >= settle:
            new[key] = stamp
    if not new:
        return dg.SkipReason("no new files in the inbox")
    # Forget files that left the inbox, so the cursor stays as small as the inbox.
    kept = {k: v for k, v in seen.items() if k in present}
    batch_id = "inbox-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    stages.register_batch(mapper.settings().kb_root, batch_id, sorted(new))
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=batch_id, partition_key=batch_id)],
        dynamic_partitions_requests=[batches.build_add_request([batch_id])],
        cursor=json.dumps(kept | new, sort_keys=True),
    )
