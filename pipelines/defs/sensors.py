"""Watch an inbox folder; each tick's new or changed files become one batch partition and a run."""

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from pipelines.run.batch import register_batch
from pipelines.defs.jobs import process_batch
from pipelines.defs.partitions import batches
from pipelines.defs.resources import MapperResource
from pipelines.ingest.settle import is_temp_name, missing_end_marker
from pipelines.ingest.walk import iter_inputs


def inbox_dir() -> Path:
    return Path(os.environ.get("MAPPER_INBOX") or "inbox")


def _settle_seconds() -> float:
    return float(os.environ.get("MAPPER_INBOX_SETTLE_S") or 5)


def _incomplete_grace_seconds() -> float:
    """How long a file without its format's end marker waits before it is taken (and quarantined)."""
    return float(os.environ.get("MAPPER_INBOX_INCOMPLETE_S") or 900)


def _cursor(raw: str | None) -> tuple[dict[str, str], dict[str, list]]:
    data = json.loads(raw) if raw else {}
    if "batched" not in data:  # the cursor before pending files were remembered: {path: stamp}
        return data, {}
    return data["batched"], data["pending"]


@dg.sensor(job=process_batch, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.STOPPED)
def inbox_sensor(context: dg.SensorEvaluationContext, mapper: MapperResource) -> dg.SensorResult | dg.SkipReason:
    """New or changed files in the inbox (MAPPER_INBOX, default inbox/) become a batch.

    Temporary, partial and lock files (`pipelines.ingest.settle`) are never taken. A file is taken
    once its size and mtime are the same at two looks MAPPER_INBOX_SETTLE_S apart (default 5; 0
    takes it at the first look) and its format's end marker is there (PDF, ZIP/OOXML). Cursor:
    `batched` {path: "mtime_ns:size"} of files already batched (again only when they change) and
    `pending` {path: [stamp, first seen]} of files waiting to settle.
    """
    inbox = inbox_dir()
    if not inbox.is_dir():
        return dg.SkipReason(f"inbox {inbox} does not exist")
    settings = mapper.settings()
    seen, pending = _cursor(context.cursor)
    now, settle, grace = time.time(), _settle_seconds(), _incomplete_grace_seconds()
    new: dict[str, str] = {}
    waiting: dict[str, list] = {}
    present: set[str] = set()
    for path in iter_inputs([inbox], follow_links=settings.follow_links):
        if any(is_temp_name(part) for part in path.relative_to(inbox).parts):
            continue
        try:
            st = path.stat()
        except OSError:  # removed while we looked
            continue
        key, stamp = str(path.resolve()), f"{st.st_mtime_ns}:{st.st_size}"
        present.add(key)
        if seen.get(key) == stamp:
            continue
        first = pending.get(key)
        if first is None or first[0] != stamp:  # new or still changing: look again later
            first = [stamp, now]
        settled = settle <= 0 or (now - first[1] >= settle and now - st.st_mtime >= settle)
        cut = missing_end_marker(path) if settled else None
        if not settled or (cut and now - st.st_mtime < grace):
            waiting[key] = first
            if cut:
                context.log.info("waiting for %s to be complete: %s", path, cut)
            continue
        new[key] = stamp
    # Forget files that left the inbox, so the cursor stays as small as the inbox.
    kept = {k: v for k, v in seen.items() if k in present}
    cursor = json.dumps({"batched": kept | new, "pending": waiting}, sort_keys=True)
    if not new:
        context.update_cursor(cursor)
        return dg.SkipReason(f"no new files ready in the inbox ({len(waiting)} still being written)" if waiting
                             else "no new files in the inbox")
    batch_id = "inbox-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    register_batch(settings.kb_root, batch_id, sorted(new), follow_links=settings.follow_links)
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=batch_id, partition_key=batch_id)],
        dynamic_partitions_requests=[batches.build_add_request([batch_id])],
        cursor=cursor,
    )
