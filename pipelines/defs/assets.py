"""One asset per pipeline stage of an ingestion batch; each calls one `pipelines.run.stages` function."""

import dagster as dg

from pipelines.run import stages
from pipelines.run.checks import check_conformance, check_reconciles, check_required_fields, check_unique_record_ids
from pipelines.run.hold import BatchHeldError, hold_status
from pipelines.defs.partitions import batches
from pipelines.defs.resources import MapperResource

GROUP = "mapper"
HELD_CHECK = "batch_not_held"


class DocumentScope(dg.Config):
    """Re-process one document of the batch: its path, or its document id (SHA-256 or a prefix)."""

    document: str = ""


class ParseOptions(dg.Config):
    """Set `ignore_cache` to re-parse every document (after a parser fix); the cache is refreshed."""

    ignore_cache: bool = False


def _num(value: float | None) -> float:
    return -1.0 if value is None else float(value)


def _per_schema(prefix: str, counts: dict[str, int]) -> dict[str, int]:
    return {f"{prefix}/{name}": n for name, n in sorted(counts.items())}


@dg.asset(partitions_def=batches, group_name=GROUP, kinds={"python", "filesystem"})
def raw_documents(context: dg.AssetExecutionContext, config: DocumentScope, mapper: MapperResource) -> dg.MaterializeResult:
    """The batch's input files, stored by content hash in the raw store."""
    out = stages.ingest(mapper.settings(), context.partition_key, only=config.document or None)
    if out["missing"]:
        context.log.warning("input files vanished before ingest: %s", out["missing"])
    return dg.MaterializeResult(metadata={"documents_in": out["documents"], "bytes": out["bytes"],
                                          "missing": len(out["missing"]), "scope": out["scope"]})


@dg.asset(partitions_def=batches, group_name=GROUP, kinds={"python"}, deps=[raw_documents])
def parsed_documents(context: dg.AssetExecutionContext, config: ParseOptions, mapper: MapperResource) -> dg.MaterializeResult:
    """Grounded document models; unchanged bytes come from the parse cache."""
    out = stages.parse(mapper.settings(), context.partition_key, use_cache=not config.ignore_cache)
    return dg.MaterializeResult(metadata={"documents_in": out["documents"], "parsed": out["parsed"],
                                          "from_cache": out["cached"], "attachments": out["attachments"],
                                          "quarantined": out["quarantined"]})


@dg.asset(partitions_def=batches, group_name=GROUP, kinds={"python"}, pool="llm",
          deps=[parsed_documents, "mapping_rules", "canonical_schemas", "llm_policy"])
def extracted_records(context: dg.AssetExecutionContext, mapper: MapperResource) -> dg.MaterializeResult:
    """Records mapped from each document: rules first, then the generic extractor, then the
    LLM (pool `llm` bounds concurrent calls across runs) for what they left open."""
    out = stages.extract(mapper.settings(), context.partition_key, mapper.mapper())
    llm = {f"llm_{k}": v for k, v in (out["llm"] or {}).items()} or {"llm": "off (no endpoint configured)"}
    return dg.MaterializeResult(metadata={"documents_in": out["documents"], "attachments": out["attachments"],
                                          "records": out["records"],
                                          "unclassified": out["unclassified"],
                                          **_per_schema("records", out["per_schema"]), **llm})


@dg.asset(partitions_def=batches, group_name=GROUP, kinds={"python"}, deps=[extracted_records, "canonical_schemas"],
          check_specs=[dg.AssetCheckSpec("counts_reconcile", asset="validated_records", blocking=True,
                                         description="Every input document has exactly one outcome."),
                       dg.AssetCheckSpec(HELD_CHECK, asset="validated_records", blocking=True,
                                         description="Stopgap: the batch's review/quarantine share is near its "
                                                     "recent level, or a person released it.")])
def validated_records(context: dg.AssetExecutionContext, mapper: MapperResource) -> dg.MaterializeResult:
    """Records checked against their schemas; each document's outcome: landed, review or quarantined."""
    settings = mapper.settings()
    s = stages.judge(settings, context.partition_key, mapper.mapper(), mapper.hold_policy())
    hold = hold_status(settings.kb_root, context.partition_key)
    docs = {k: s["outcomes"].get(k, 0) + s["attachment_outcomes"].get(k, 0) for k in ("landed", "review", "quarantined")}
    released = hold["release"] or {}
    return dg.MaterializeResult(
        metadata={"documents_in": s["inputs"], "attachments": s["attachments"], "to_land": docs["landed"],
                  "sent_to_review": docs["review"], "quarantined": docs["quarantined"],
                  "problem_rate": round(s["problem_rate"], 4), **_per_schema("landable", s["landed_records"]),
                  **_per_schema("review", s["review_records"])},
        check_results=[
            # Files that vanished before ingest have no outcome: reported, but they do not block.
            dg.AssetCheckResult(check_name="counts_reconcile", passed=bool(s["reconciles"]) and not s["missing_files"],
                                severity=dg.AssetCheckSeverity.ERROR if not s["reconciles"] else dg.AssetCheckSeverity.WARN,
                                metadata={"inputs": s["inputs"] + s["attachments"], **docs,
                                          "missing_files": dg.MetadataValue.json(s["missing_files"])}),
            dg.AssetCheckResult(
                check_name=HELD_CHECK, passed=not hold["held"] or bool(released),
                metadata={"held": hold["held"], "reason": hold["reason"] or "",
                          "problem_rate": _num(hold["problem_rate"]), "recent_rate": _num(hold["recent_rate"]),
                          "released_by": released.get("released_by", ""), "release_note": released.get("note", "")},
                description=(hold["reason"] if hold["held"] and not released else None)),
        ],
    )


@dg.multi_asset(
    partitions_def=batches, group_name=GROUP, can_subset=False,
    specs=[dg.AssetSpec("knowledge_base", kinds={"parquet"}, deps=[validated_records],
                        description="Landed records: one Parquet table per schema, plus the documents catalog."),
           dg.AssetSpec("review_queue", kinds={"parquet"}, deps=[validated_records],
                        description="Records that need a person, with machine-readable reasons.")],
    check_specs=[dg.AssetCheckSpec("landing_reconciles", asset="knowledge_base",
                                   description="Inputs = landed + review + quarantined in the catalog."),
                 dg.AssetCheckSpec("required_fields_complete", asset="knowledge_base",
                                   description="Landed rows of the batch have every required field."),
                 dg.AssetCheckSpec("unique_record_ids", asset="knowledge_base",
                                   description="No record_id twice in any KB table."),
                 dg.AssetCheckSpec("parquet_matches_schema", asset="knowledge_base",
                                   description="Every Parquet file has its schema's Arrow columns and types.")],
)
def land(context: dg.AssetExecutionContext, mapper: MapperResource):
    """Land the batch: records to the KB, the rest to the review queue, every document to the catalog."""
    settings, m, batch = mapper.settings(), mapper.mapper(), context.partition_key
    try:
        out = stages.land(settings, batch, m)
    except BatchHeldError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    kb = settings.kb_root
    docs = out["documents"]
    yield dg.MaterializeResult(asset_key="knowledge_base", metadata={
        "documents_in": out["inputs"], "attachments": sum(docs.values()) - out["inputs"], "records_landed": sum(out["landed_records"].values()),
        "documents_landed": docs["landed"], "sent_to_review": docs["review"], "quarantined": docs["quarantined"],
        **_per_schema("landed", out["landed_records"]), "kb_root": str(kb)})
    yield dg.MaterializeResult(asset_key="review_queue", metadata={
        "records_in_review": sum(out["review_records"].values()), "documents_in_review": docs["review"],
        **_per_schema("review", out["review_records"])})
    for name, result in (("landing_reconciles", check_reconciles(kb, batch)),
                         ("required_fields_complete", check_required_fields(kb, batch, m)),
                         ("unique_record_ids", check_unique_record_ids(kb, m)),
                         ("parquet_matches_schema", check_conformance(kb, m))):
        yield dg.AssetCheckResult(asset_key="knowledge_base", check_name=name, passed=result.passed,
                                  metadata={k: v if isinstance(v, (int, float, str)) else dg.MetadataValue.json(v)
                                            for k, v in result.metadata.items()})
