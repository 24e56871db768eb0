"""Staleness without a hidden job: the `inputs_observer` sensor records rule changes by itself,
and a batch is stale only if it ran with older inputs than the current ones.

The sensor's asset events are recorded with `report_runless_asset_event`, what Dagster's sensor
daemon does with a sensor's `asset_events`; staleness is read with the resolver the UI uses."""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest

from pipelines.run.batch import register_batch
from pipelines.defs.inputs import inputs_observer

from .conftest import write_corpus


def _status(instance, d, batch: str) -> StaleStatus:
    resolver = CachingStaleStatusResolver(instance, d.resolve_asset_graph(), LoadingContextForTest(instance))
    return resolver.get_status(dg.AssetKey("extracted_records"), batch)


def _tick(instance, mapper, cursor):
    """One sensor evaluation, its observations recorded as the daemon records them."""
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"mapper": mapper}) as ctx:
        result = inputs_observer(ctx)
    if isinstance(result, dg.SkipReason):
        return result, cursor
    for event in result.asset_events:
        instance.report_runless_asset_event(event)
    return result, result.cursor


def test_rule_change_shows_stale_without_a_job_and_a_rerun_is_fresh(workspace, mapper):
    from pipelines.definitions import defs

    d = defs()
    process = d.resolve_job_def("process_batch")
    with dg.instance_for_test() as instance:
        for batch in ("old", "new"):
            write_corpus(workspace["corpus"] / batch, invoices=1)
            register_batch(workspace["kb"], batch, [workspace["corpus"] / batch])
            instance.add_dynamic_partitions("batches", [batch])
        # No one observes anything by hand: the run observes its inputs itself.
        assert process.execute_in_process(instance=instance, partition_key="old").success
        assert _status(instance, d, "old") == StaleStatus.FRESH
        first, cursor = _tick(instance, mapper, None)  # the sensor's first look: same versions
        assert isinstance(first, dg.SensorResult)
        assert _status(instance, d, "old") == StaleStatus.FRESH
        assert isinstance(_tick(instance, mapper, cursor)[0], dg.SkipReason)  # nothing changed

        # A rule is edited (as `rules promote` writes one): the next tick records a new version.
        rules = sorted(workspace["mappings"].rglob("*.yaml"))[0]
        rules.write_text(rules.read_text() + "\n# edited\n")
        changed, cursor = _tick(instance, mapper, cursor)
        assert [e.asset_key.to_user_string() for e in changed.asset_events] == ["mapping_rules"]
        assert _status(instance, d, "old") == StaleStatus.STALE

        # A batch run with the new rules is not stale; the old one stays stale until re-run.
        assert process.execute_in_process(instance=instance, partition_key="new").success
        assert _status(instance, d, "new") == StaleStatus.FRESH
        assert _status(instance, d, "old") == StaleStatus.STALE
        assert process.execute_in_process(instance=instance, partition_key="old").success
        assert _status(instance, d, "old") == StaleStatus.FRESH


def test_a_run_after_an_unobserved_rule_change_records_the_rules_it_used(workspace, mapper):
    """The second half of the defect: a batch run after a change no one observed was shown stale
    after the next observation, although it had used the new rules."""
    from pipelines.definitions import defs

    d = defs()
    process = d.resolve_job_def("process_batch")
    with dg.instance_for_test() as instance:
        write_corpus(workspace["corpus"], invoices=1)
        register_batch(workspace["kb"], "b", [workspace["corpus"]])
        instance.add_dynamic_partitions("batches", ["b"])
        _, cursor = _tick(instance, mapper, None)
        rules = sorted(workspace["mappings"].rglob("*.yaml"))[0]
        rules.write_text(rules.read_text() + "\n# edited\n")
        assert process.execute_in_process(instance=instance, partition_key="b").success  # before any tick
        _tick(instance, mapper, cursor)
        assert _status(instance, d, "b") == StaleStatus.FRESH
