"""The inbox sensor, the nightly schedule and stale detection of rules and schemas."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from pipelines.run.batch import batch_files, register_batch
from pipelines.defs.inputs import mapping_rules
from pipelines.defs.schedules import nightly_batches
from pipelines.defs.sensors import inbox_sensor

from .conftest import write_corpus


def tick(instance, mapper, cursor):
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"mapper": mapper}) as ctx:
        return inbox_sensor(ctx)


def test_inbox_sensor_batches_each_file_once(workspace, mapper):
    instance = dg.DagsterInstance.ephemeral()
    write_corpus(workspace["inbox"], invoices=1)
    first = tick(instance, mapper, None)
    assert isinstance(first, dg.SensorResult)
    [req] = first.run_requests
    [add] = first.dynamic_partitions_requests
    assert add.partition_keys == [req.partition_key]
    assert len(batch_files(workspace["kb"], req.partition_key)) == 3

    assert isinstance(tick(instance, mapper, first.cursor), dg.SkipReason)  # nothing twice

    (workspace["inbox"] / "late.txt").write_text("INVOICE\nInvoice Number: INV-77\n")
    third = tick(instance, mapper, first.cursor)
    [req3] = third.run_requests
    assert req3.partition_key != req.partition_key
    assert [p.rsplit("/", 1)[-1] for p in batch_files(workspace["kb"], req3.partition_key)] == ["late.txt"]
    assert isinstance(tick(instance, mapper, third.cursor), dg.SkipReason)


def test_nightly_schedule_requests_unlanded_batches(workspace, mapper, tmp_path):
    with dg.instance_for_test() as instance:
        _nightly(workspace, mapper, instance)


def _nightly(workspace, mapper, instance):
    write_corpus(workspace["corpus"], invoices=1)
    register_batch(workspace["kb"], "b-pending", [workspace["corpus"]])
    instance.add_dynamic_partitions("batches", ["b-pending"])
    from pipelines.definitions import defs

    with dg.build_schedule_context(instance=instance, resources={"mapper": mapper},
                                   scheduled_execution_time=datetime(2026, 11, 25, 2, tzinfo=UTC),
                                   repository_def=defs().get_repository_def()) as ctx:
        requests = nightly_batches(ctx)
    assert [r.partition_key for r in requests] == ["b-pending"]


def test_rule_change_changes_data_version(workspace, mapper):
    instance = dg.DagsterInstance.ephemeral()

    def version() -> str:
        return _observe(instance, mapper)

    before = version()
    assert before == version()  # stable while nothing changes
    (workspace["mappings"] / "classifiers.yaml").write_text(
        (workspace["mappings"] / "classifiers.yaml").read_text() + "\n# tweak\n")
    after = version()
    assert after != before


def _observe(instance, mapper) -> str:
    from pipelines.defs.inputs import canonical_schemas, llm_policy
    from pipelines.defs.jobs import observe_inputs

    defs = dg.Definitions(assets=[mapping_rules, canonical_schemas, llm_policy], jobs=[observe_inputs], resources={"mapper": mapper})
    result = defs.resolve_job_def("observe_inputs").execute_in_process(instance=instance)
    [event] = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"
               and e.asset_key == dg.AssetKey("mapping_rules")]
    return event.event_specific_data.asset_observation.tags["dagster/data_version"]
