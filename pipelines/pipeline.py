"""The rules-only pipeline end to end: ingest -> parse -> map -> validate -> land.

Every input document (and every attachment) ends in exactly one outcome: `landed`,
`review` or `quarantined`; the summary's counts reconcile. Records are buffered and
flushed in chunks so memory stays flat however many documents a batch holds.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.config import Settings
from pipelines.model.document import Document, Status
from pipelines.ingest.raw_store import RawStore
from pipelines.ingest.walk import iter_inputs
from pipelines.land import rows as land_rows
from pipelines.land.catalog import Catalog, document_row, review_id_for
from pipelines.land.kb import KnowledgeBase
from pipelines.model.records import Issue, Record
from pipelines.llm.extractor import LLMExtractor, from_policy, off_gaps
from pipelines.llm.policy import Policy, PolicyError, check_against_schemas, load_policy
from pipelines.map.mapper import MapResult, map_document
from pipelines.map.rules import RuleBook, load_rules
from pipelines.model.schema import Schema, load_schemas
from pipelines.parse.run import parse_files
from pipelines.validate.validator import validate

LANDED, REVIEW, QUARANTINED = "landed", "review", "quarantined"
FLUSH_EVERY = 2000  # records buffered before a write


@dataclass
class DocOutcome:
    document: Document
    outcome: str
    records: list[Record] = field(default_factory=list)
    issues: dict[str, list[Issue]] = field(default_factory=dict)  # record_id -> issues
    schema: str | None = None
    llm_gaps: int = 0  # with the LLM off: fields of its review records an LLM could have tried
    kept: dict[str, str] = field(default_factory=dict)  # record_id -> status a person's decision gave it

    @property
    def reason(self) -> str | None:
        if self.outcome == QUARANTINED:
            return self.document.reason_text
        msgs = [f"{i.code}:{i.field or '-'}" for iss in self.issues.values() for i in iss]
        return "; ".join(sorted(set(msgs)))[:1000] or None


@dataclass
class Summary:
    batch_id: str
    inputs: int = 0  # top-level files
    attachments: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # top-level documents
    attachment_outcomes: Counter[str] = field(default_factory=Counter)
    landed_records: Counter[str] = field(default_factory=Counter)  # per schema
    review_records: Counter[str] = field(default_factory=Counter)
    review_reasons: Counter[str] = field(default_factory=Counter)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    kb_root: str = ""
    llm: dict[str, Any] | None = None  # LLMStats when an endpoint is configured
    llm_off_fields: int = 0
    kept_decisions: Counter[str] = field(default_factory=Counter)  # records closed by a person's earlier decision

    @property
    def reconciles(self) -> bool:
        return (sum(self.outcomes.values()) == self.inputs
                and sum(self.attachment_outcomes.values()) == self.attachments)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id, "inputs": self.inputs, "attachments": self.attachments,
            "outcomes": dict(self.outcomes), "attachment_outcomes": dict(self.attachment_outcomes),
            "landed_records": dict(self.landed_records), "review_records": dict(self.review_records),
            "review_reasons": dict(self.review_reasons), "quarantine_reasons": dict(self.quarantine_reasons),
            "reconciles": self.reconciles, "kb_root": self.kb_root,
            "llm": self.llm, "llm_off_fields": self.llm_off_fields, "kept_decisions": dict(self.kept_decisions),
        }


class Mapper:
    """Loaded schemas, rules and LLM policy: what turns a parsed document into outcomes.
    `llm` is set per run (`with_llm`) when the policy leads to a configured endpoint."""

    def __init__(self, schemas: dict[str, Schema], book: RuleBook, policy: Policy | None = None) -> None:
        self.schemas = schemas
        self.book = book
        self.policy = policy or load_policy()
        problems = check_against_schemas(self.policy, schemas)
        if problems:
            raise PolicyError("; ".join(problems))
        self.llm: LLMExtractor | None = None
        self.decisions: dict[str, Any] = {}  # review_id -> a person's final decision (review/sticky.py)
        self.ramp: dict[str, tuple[int, int]] = {}  # rule set id -> (to confirm, confirmed): review/trust.py

    @classmethod
    def from_dirs(cls, schemas_dir: str | Path, mappings_dir: str | Path) -> Mapper:
        from pipelines.map.learned_aliases import with_learned_aliases

        schemas = with_learned_aliases(load_schemas(schemas_dir), mappings_dir)
        return cls(schemas, load_rules(mappings_dir, schemas))

    def remember_decisions(self, kb_root: str | Path) -> None:
        """Load reviewers' final decisions so a re-run does not re-open what a person closed."""
        from pipelines.review.sticky import final_decisions

        from pipelines.review.trust import ramp_state

        self.decisions = final_decisions(kb_root)
        self.ramp = ramp_state(kb_root, self.book)

    def with_llm(self, kb_root: str | Path, batch_id: str) -> LLMExtractor | None:
        """Start this run's LLM step (its own budget and audit log); None when the LLM is off."""
        self.llm = from_policy(self.policy, self.schemas, self.book, kb_root, batch_id)
        return self.llm

    def map(self, doc: Document, parent: Document | None = None) -> MapResult:
        """Rules, then the generic extractor, then the LLM for what they left open."""
        result = map_document(doc, self.schemas, self.book, parent)
        if self.llm is None:
            return result
        if result.classification is None and self._decided(Record("unclassified", doc.id, doc.source_path)):
            return result  # a person already said what this document is (or is not)
        # Records a person already decided need no LLM: their decision is applied again.
        return self.llm.complete(doc, result, skip={r.record_id for r in result.records if self._decided(r)})

    def _decided(self, record: Record) -> Any:
        return self.decisions.get(review_id_for(record.schema, record.record_id))

    def outcomes(self, doc: Document) -> Iterator[DocOutcome]:
        """The outcome of a document and each of its attachments (depth first)."""
        yield from self._outcomes(doc, None)

    def _outcomes(self, doc: Document, parent: Document | None) -> Iterator[DocOutcome]:
        yield self.decide(doc, parent)
        for child in doc.children:
            yield from self._outcomes(child, doc)

    def decide(self, doc: Document, parent: Document | None = None) -> DocOutcome:
        if doc.status is Status.QUARANTINED:
            return DocOutcome(doc, QUARANTINED)
        return self.outcome_of(doc, self.map(doc, parent))

    def outcome_of(self, doc: Document, result: MapResult | None) -> DocOutcome:
        """Validate a document's mapped records and decide where it ends (None: quarantined)."""
        if result is None:
            return DocOutcome(doc, QUARANTINED)
        if result.classification is None:
            rec = Record("unclassified", doc.id, doc.source_path)
            issue = Issue("unsupported_document", None, "no rule set, classifier or schema matches this document")
            decided = self._decided(rec)
            if decided is not None and decided.action == "reject":
                from pipelines.review.sticky import rejected_issue

                return DocOutcome(doc, REVIEW, [rec], {rec.record_id: [rejected_issue(decided)]}, kept={rec.record_id: "rejected"})
            return DocOutcome(doc, REVIEW, [rec], {rec.record_id: [issue]})
        issues = {r.record_id: validate(r, self.schemas[r.schema], doc)
                  for r in result.records}
        kept: dict[str, str] = {}
        for r in result.records:
            # a person's decision holds even when the rules now land the record by themselves:
            # a landed value never contradicts what a reviewer corrected or confirmed
            decided = self._decided(r)
            if decided is not None:
                from pipelines.review.sticky import reapply, status_of

                issues[r.record_id] = reapply(r, self.schemas[r.schema], decided)
                kept[r.record_id] = status_of(decided)
        guarded = {rs.id: rs.review_fields for rs in self.book.rule_sets if rs.review_fields}
        for r in result.records:
            for f in guarded.get(r.rule_set or "", []) if r.record_id not in kept else []:
                fv = r.fields.get(f)
                if fv is None or fv.method != "rule":
                    how = "no value" if fv is None else f"the {fv.method} value"
                    issues[r.record_id].append(Issue("unlearned_field", f, f"a person corrected {f} on this source and "
                                                     f"no rule of {r.rule_set} reads it: {how} needs a check"))
            if r.record_id not in kept and r.rule_set in self.ramp:
                need, done = self.ramp[r.rule_set]
                issues[r.record_id].append(Issue("trust_ramp", None, f"rule set {r.rule_set} is new: {done} of the "
                                                 f"first {need} documents it maps are confirmed by a person"))
        outcome = REVIEW if any(issues.values()) else LANDED
        gaps = 0
        if self.llm is None and outcome == REVIEW:
            gaps = off_gaps([r for r in result.records if issues[r.record_id]], self.schemas, doc, self.policy)
        return DocOutcome(doc, outcome, result.records, issues, result.classification.schema, gaps, kept)


def new_batch_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def run(
    paths: Iterable[str | os.PathLike[str]],
    settings: Settings,
    *,
    batch_id: str | None = None,
    mapper: Mapper | None = None,
) -> Summary:
    """Run the pipeline over files/directories and land the results in the KB."""
    mapper = mapper or Mapper.from_dirs(settings.schemas_dir, settings.mappings_dir)
    batch_id = batch_id or new_batch_id()
    kb = KnowledgeBase(settings.kb_root)
    catalog = Catalog(kb)
    store = RawStore(settings.raw_root)
    summary = Summary(batch_id, kb_root=str(settings.kb_root))
    writer = BatchWriter(kb, catalog, mapper.schemas, batch_id)
    files = list(iter_inputs(paths, follow_links=settings.follow_links))
    llm = mapper.with_llm(settings.kb_root, batch_id)
    mapper.remember_decisions(settings.kb_root)
    for doc in parse_files(files, workers=settings.workers, limits=settings.limits, store=store):
        summary.inputs += 1
        for oc in mapper.outcomes(doc):
            top = oc.document is doc
            (summary.outcomes if top else summary.attachment_outcomes)[oc.outcome] += 1
            if not top:
                summary.attachments += 1
            count_outcome(summary, oc)
            writer.add(oc)
    writer.flush()
    if llm is not None:
        llm.flush()
        summary.llm = llm.stats.as_dict()
    return summary


def count_outcome(summary: Summary, oc: DocOutcome) -> None:
    summary.llm_off_fields += oc.llm_gaps
    summary.kept_decisions.update(oc.kept.values())
    if oc.outcome == QUARANTINED:
        summary.quarantine_reasons[str(oc.document.reason)] += 1
    for rec in oc.records:
        issues = oc.issues.get(rec.record_id, [])
        if issues:
            summary.review_records[rec.schema] += 1
            for i in issues:
                summary.review_reasons[i.code] += 1
        else:
            summary.landed_records[rec.schema] += 1


def _review_code(oc: DocOutcome) -> str | None:
    codes = sorted({i.code for iss in oc.issues.values() for i in iss})
    return ",".join(codes) or None


class BatchWriter:
    """Buffers KB, review and catalog rows; a document's previous results are superseded."""

    def __init__(self, kb: KnowledgeBase, catalog: Catalog, schemas: dict[str, Schema], batch_id: str) -> None:
        self.kb, self.catalog, self.schemas, self.batch_id = kb, catalog, schemas, batch_id
        self.now = datetime.now(UTC)
        self.records: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.review: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.doc_ids: set[str] = set()
        self.paths: set[str] = set()
        self.pending = 0

    def add(self, oc: DocOutcome) -> None:
        doc = oc.document
        self.doc_ids.add(doc.id)
        self.paths.add(doc.source_path)
        n_records = 0
        for rec in oc.records:
            issues = oc.issues.get(rec.record_id, [])
            schema = self.schemas.get(rec.schema)
            kept = oc.kept.get(rec.record_id)
            if issues or schema is None or kept:
                # A record a person closed keeps its queue entry (and status) as history.
                self.review.append({
                    "review_id": review_id_for(rec.schema, rec.record_id), "record_id": rec.record_id,
                    "document_id": doc.id, "source_path": doc.source_path, "schema": rec.schema,
                    "reasons": land_rows.reasons(issues), "proposed": land_rows.proposed_json(rec),
                    "status": kept or "open", "batch_id": self.batch_id, "created_at": self.now,
                })
            if not (issues or schema is None):
                self.records[rec.schema].append(land_rows.record_row(rec, schema, self.batch_id, self.now))
                n_records += 1
        self.documents.append(document_row(
            doc, outcome=oc.outcome, schema=oc.schema, n_records=n_records, processed_at=self.now,
            reason_code=str(doc.reason) if oc.outcome == QUARANTINED else _review_code(oc), reason=oc.reason))
        self.pending += max(1, len(oc.records))
        if self.pending >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Land what is buffered in an order that never loses a landed row on a crash.

        Each step is one commit per table. (1) New rows are upserted by key everywhere, without
        deleting anything: a record that moves (landed -> review, or to another schema) exists
        in its new place before it leaves the old one. (2) The catalog gets each path's latest
        outcome; its old rows for these paths go in the same commit. (3) Rows of these paths
        that this run no longer produced are deleted. A crash between commits leaves every table
        readable, with at worst a superseded row still present; a re-run completes the job.
        A path is the identity of an occurrence: the same bytes at two paths are two documents
        in the catalog, and the record ids include the path, so neither copy's rows touch the other's.
        """
        if not self.doc_ids:
            return
        paths = sorted(self.paths)
        for name, rows in self.records.items():
            self.kb.write_records(name, rows, self.schemas[name].arrow_schema(), self.batch_id)
        self.catalog.write_review(self.review, self.batch_id)
        self.catalog.write_documents(self.documents, self.batch_id, supersede_paths=paths)
        kept = {name: [r["record_id"] for r in rows] for name, rows in self.records.items()}
        for name in self.kb.schemas():
            self.kb.delete_where(name, "source_path", paths, keep_column="record_id", keep_values=kept.get(name, ()))
        self.kb.delete_where("review", "source_path", paths, keep_column="review_id",
                             keep_values=[r["review_id"] for r in self.review])
        self.records.clear()
        self.review.clear()
        self.documents.clear()
        self.doc_ids.clear()
        self.paths.clear()
        self.pending = 0
