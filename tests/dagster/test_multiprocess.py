"""The batch job runs under the multiprocess executor against a persistent instance."""

from __future__ import annotations

import dagster as dg


def process_batch_job() -> dg.JobDefinition:
    from pipelines.definitions import defs

    return defs().resolve_job_def("process_batch")


def test_process_batch_with_multiprocess_executor(workspace):
    from pipelines.run.batch import register_batch
    from tests.dagster.conftest import write_corpus

    files = write_corpus(workspace["corpus"], invoices=1)
    register_batch(workspace["kb"], "mp1", [workspace["corpus"]])
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("batches", ["mp1"])
        result = dg.execute_job(dg.reconstructable(process_batch_job), instance=instance,
                                tags={"dagster/partition": "mp1"})
        assert result.success
        engine = [e.message or "" for e in result.all_events if e.event_type_value == "ENGINE_EVENT"]
        assert any("multiprocess" in m for m in engine), engine[:5]
        mats = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
        assert {"raw_documents", "knowledge_base", "review_queue"} <= set(mats)
        kb = mats["knowledge_base"].materialization.metadata
        assert kb["documents_in"].value >= len(files)
