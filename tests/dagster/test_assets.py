"""Materialise the stage assets over a tiny corpus: counts, caching, one-document re-runs."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.run.batch import register_batch, unlanded_batches
from pipelines.defs.assets import land, extracted_records, parsed_documents, raw_documents, validated_records
from pipelines.defs.inputs import canonical_schemas, llm_policy, mapping_rules

from .conftest import write_corpus

ASSETS = [mapping_rules, canonical_schemas, llm_policy, raw_documents, parsed_documents, extracted_records, validated_records, land]


def new_batch(instance: dg.DagsterInstance, kb, batch_id: str, paths) -> str:
    register_batch(kb, batch_id, paths)
    instance.add_dynamic_partitions("batches", [batch_id])
    return batch_id


def run_batch(instance, mapper, batch_id, **kw) -> dg.ExecuteInProcessResult:
    return dg.materialize(ASSETS, instance=instance, resources={"mapper": mapper}, partition_key=batch_id, **kw)


def meta(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    [mat] = [m for m in result.get_asset_materialization_events() if m.asset_key == dg.AssetKey(asset)]
    return {k: v.value for k, v in mat.materialization.metadata.items()}


def checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {f"{e.asset_check_key.asset_key.to_user_string()}:{e.asset_check_key.name}": e.passed
            for e in result.get_asset_check_evaluations()}


@pytest.fixture
def instance():
    return dg.DagsterInstance.ephemeral()


def test_batch_lands_with_reconciling_counts(instance, workspace, mapper):
    files = write_corpus(workspace["corpus"], invoices=2)
    batch = new_batch(instance, workspace["kb"], "b1", [workspace["corpus"]])
    result = run_batch(instance, mapper, batch)
    assert result.success
    assert meta(result, "raw_documents")["documents_in"] == len(files)
    v = meta(result, "validated_records")
    assert v["documents_in"] == len(files)
    assert v["quarantined"] == 1  # the empty file
    assert v["to_land"] + v["sent_to_review"] + v["quarantined"] == len(files) + v["attachments"]
    kb = meta(result, "knowledge_base")
    assert (kb["documents_in"], kb["attachments"]) == (len(files), v["attachments"])
    assert kb["documents_landed"] + kb["sent_to_review"] + kb["quarantined"] == len(files) + v["attachments"]
    assert "records_in_review" in meta(result, "review_queue")
    assert all(checks(result).values()), checks(result)
    assert len(checks(result)) == 6


def test_rerun_parses_only_changed_bytes(instance, workspace, mapper):
    write_corpus(workspace["corpus"], invoices=2)
    batch = new_batch(instance, workspace["kb"], "b1", [workspace["corpus"]])
    first = meta(run_batch(instance, mapper, batch), "parsed_documents")
    assert first["from_cache"] == 0 and first["parsed"] == 4
    (workspace["corpus"] / "invoice_0.txt").write_text("INVOICE\nInvoice Number: INV-9\nTotal: 1.00\n")
    second = meta(run_batch(instance, mapper, batch), "parsed_documents")
    assert (second["parsed"], second["from_cache"]) == (1, 3)
    fresh = run_batch(instance, mapper, batch, run_config={"ops": {"parsed_documents": {"config": {"ignore_cache": True}}}})
    assert (meta(fresh, "parsed_documents")["parsed"], meta(fresh, "parsed_documents")["from_cache"]) == (4, 0)


def test_reprocess_one_document(instance, workspace, mapper):
    files = write_corpus(workspace["corpus"], invoices=2)
    batch = new_batch(instance, workspace["kb"], "b1", [workspace["corpus"]])
    assert run_batch(instance, mapper, batch).success
    one = run_batch(instance, mapper, batch,
                    run_config={"ops": {"raw_documents": {"config": {"document": str(files[0])}}}})
    assert one.success
    assert meta(one, "raw_documents")["documents_in"] == 1
    assert meta(one, "knowledge_base")["documents_in"] == 1


def test_reprocess_document_by_id(instance, workspace, mapper):
    from pipelines.model.document import content_id

    files = write_corpus(workspace["corpus"], invoices=2)
    batch = new_batch(instance, workspace["kb"], "b1", [workspace["corpus"]])
    assert run_batch(instance, mapper, batch).success
    doc_id = content_id(files[1].read_bytes())
    one = run_batch(instance, mapper, batch, run_config={"ops": {"raw_documents": {"config": {"document": doc_id[:12]}}}})
    assert meta(one, "raw_documents")["documents_in"] == 1
    assert meta(one, "validated_records")["documents_in"] == 1
    assert unlanded_batches(workspace["kb"]) == []  # the batch's own landing record stands


def test_vanished_input_is_reported_without_blocking(instance, workspace, mapper):
    files = write_corpus(workspace["corpus"], invoices=2)
    batch = new_batch(instance, workspace["kb"], "b1", [workspace["corpus"]])
    files[0].unlink()
    result = run_batch(instance, mapper, batch)
    assert result.success
    [ev] = [e for e in result.get_asset_check_evaluations() if e.check_name == "counts_reconcile"]
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.WARN
    assert ev.metadata["missing_files"].value == [str(files[0].resolve())]
    assert meta(result, "knowledge_base")["documents_in"] == len(files) - 1
