"""Where a document ends (landed, review, quarantined) and the batch's one `Summary`.

The outcome of a document is decided once, by `Mapper.outcome_of` in the judge stage; every
count of a batch (the CLI's table, `--json`, the Dagster metadata, `summary.json`) is
`Summary.add` over those outcomes, never re-counted from the KB.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from pipelines.model.document import Document
from pipelines.model.records import Issue, Record

LANDED, REVIEW, QUARANTINED = "landed", "review", "quarantined"


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

    def lands(self, record: Record, schemas: dict[str, Any]) -> bool:
        """The record goes to the KB (not to review): no issue and a known schema."""
        return not self.issues.get(record.record_id) and record.schema in schemas


_COUNTERS = ("outcomes", "attachment_outcomes", "landed_records", "review_records", "review_reasons",
             "quarantine_reasons", "kept_decisions")


@dataclass
class Summary:
    """One batch: how many documents ended where, records per schema, reasons; with the
    Dagster run that produced it when there was one (`run_id`, `success`, `held`)."""

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
    landed: bool = True  # False: judged but not (yet) landed, e.g. held by the stopgap or a failed run
    run_id: str = ""  # the Dagster run, when the batch ran through Dagster
    success: bool = True
    held: dict[str, Any] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return (sum(self.outcomes.values()) == self.inputs
                and sum(self.attachment_outcomes.values()) == self.attachments)

    def add(self, oc: DocOutcome, top: bool) -> None:
        """Count one document's outcome (`top`: an input file, else an attachment)."""
        if top:
            self.inputs += 1
            self.outcomes[oc.outcome] += 1
        else:
            self.attachments += 1
            self.attachment_outcomes[oc.outcome] += 1
        self.llm_off_fields += oc.llm_gaps
        self.kept_decisions.update(oc.kept.values())
        if oc.outcome == QUARANTINED:
            self.quarantine_reasons[str(oc.document.reason)] += 1
        for rec in oc.records:
            issues = oc.issues.get(rec.record_id, [])
            if issues:
                self.review_records[rec.schema] += 1
                for i in issues:
                    self.review_reasons[i.code] += 1
            else:
                self.landed_records[rec.schema] += 1

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: (dict(v) if isinstance(v := getattr(self, f.name), Counter) else v) for f in fields(self)}
        return out | {"reconciles": self.reconciles}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        """A summary written by `as_dict` (the judge stage's summary.json); extra keys are ignored."""
        known = {f.name for f in fields(cls)}
        kw = {k: (Counter(v or {}) if k in _COUNTERS else v) for k, v in data.items() if k in known}
        return cls(**kw)
