"""Editing a mapping rule shows the records mapped with the old rule as stale; re-materialising fixes both.

Uses the code location's own jobs (`process_batch`, `observe_inputs`) against one instance, and
Dagster's staleness resolver (the same one the UI's `staleStatus` field uses).

Dagster (1.13) marks only the *direct* children of a changed input as stale: `extracted_records`
(which reads `mapping_rules`) turns stale when the rules change; `validated_records` turns stale once
`extracted_records` is re-materialised, and so on down the graph. Staleness is not transitive.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest

from pipelines.run.batch import register_batch
from pipelines.land.query import run_query

REPO = Path(__file__).resolve().parents[2]
INVOICE = REPO / "data_samples/invoices/aquaflow_0142.pdf"
OLD_ADDRESS = "Unit 7, Waterwells Business Park, Gloucester GL2 2AA"
NEW_ADDRESS = "Unit 9, Waterwells Business Park, Gloucester GL2 2AA"

ALL = ["raw_documents", "parsed_documents", "extracted_records", "validated_records", "knowledge_base", "review_queue"]


@pytest.fixture
def code_location():
    from pipelines.definitions import defs

    return defs()


def statuses(instance: dg.DagsterInstance, d: dg.Definitions, batch: str) -> dict[str, StaleStatus]:
    # A fresh resolver per question: it caches what it has read.
    resolver = CachingStaleStatusResolver(instance, d.resolve_asset_graph(), LoadingContextForTest(instance))
    return {name: resolver.get_status(dg.AssetKey(name), batch) for name in ALL}


def causes(instance: dg.DagsterInstance, d: dg.Definitions, name: str, batch: str) -> list[str]:
    resolver = CachingStaleStatusResolver(instance, d.resolve_asset_graph(), LoadingContextForTest(instance))
    return [f"{c.dependency.asset_key.to_user_string() if c.dependency else '-'}: {c.reason}"
            for c in resolver.get_stale_causes(dg.AssetKey(name), batch)]


def issuer_addresses(kb: Path, batch: str) -> list[str]:
    df = run_query(kb, f"SELECT issuer_address FROM invoice WHERE batch_id = '{batch}'")
    return list(df.issuer_address)


def test_rule_change_marks_records_stale_until_rematerialised(workspace, code_location):
    rules = workspace["mappings"] / "suppliers" / "aquaflow.yaml"
    assert OLD_ADDRESS in rules.read_text()
    workspace["corpus"].mkdir()
    shutil.copy(INVOICE, workspace["corpus"])
    batch = "stale1"
    register_batch(workspace["kb"], batch, [str(workspace["corpus"])])

    process = code_location.resolve_job_def("process_batch")
    observe = code_location.resolve_job_def("observe_inputs")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("batches", [batch])
        # Observe the inputs first, so the first run records the rules' data version it used.
        assert observe.execute_in_process(instance=instance).success
        assert process.execute_in_process(instance=instance, partition_key=batch).success
        assert issuer_addresses(workspace["kb"], batch) == [OLD_ADDRESS]
        assert set(statuses(instance, code_location, batch).values()) == {StaleStatus.FRESH}

        # Observing unchanged rules changes nothing.
        assert observe.execute_in_process(instance=instance).success
        assert set(statuses(instance, code_location, batch).values()) == {StaleStatus.FRESH}

        # Edit one rule's constant; the next observation gives `mapping_rules` a new data version.
        rules.write_text(rules.read_text().replace(OLD_ADDRESS, NEW_ADDRESS))
        assert observe.execute_in_process(instance=instance).success
        stale = {n for n, s in statuses(instance, code_location, batch).items() if s == StaleStatus.STALE}
        assert stale == {"extracted_records"}
        assert causes(instance, code_location, "extracted_records", batch) == ["mapping_rules: has a new dependency data version"]

        # Re-mapping alone moves the staleness one step down: the validated records are now out of date.
        assert process.execute_in_process(instance=instance, partition_key=batch,
                                          asset_selection=[dg.AssetKey("extracted_records")]).success
        stale = {n for n, s in statuses(instance, code_location, batch).items() if s == StaleStatus.STALE}
        assert stale == {"validated_records"}
        assert issuer_addresses(workspace["kb"], batch) == [OLD_ADDRESS]  # not landed yet

        # Re-materialise the batch: the KB holds the corrected value, once, and nothing is stale any more.
        assert process.execute_in_process(instance=instance, partition_key=batch).success
        assert issuer_addresses(workspace["kb"], batch) == [NEW_ADDRESS]
        assert set(statuses(instance, code_location, batch).values()) == {StaleStatus.FRESH}
