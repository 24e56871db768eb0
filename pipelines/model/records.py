"""What mapping produces: records of field values, each with its provenance and confidence."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Evidence:
    """Where a value was read: `document.text[start:end] == text` of the document it came from."""

    document_id: str
    start: int
    end: int
    text: str
    page: int | None = None
    path: str | None = None  # XML documents: the element's path (e.g. /rsm:CrossIndustryInvoice/.../ram:ID)


@dataclass(slots=True)
class FieldValue:
    value: Any  # normalised (Decimal, date, str, list of dicts ...)
    method: str  # "rule", "generic", "default", "llm", "reviewer"
    confidence: float
    rule_id: str | None = None
    evidence: Evidence | None = None
    raw: str | None = None  # the text before normalisation


@dataclass(slots=True)
class Issue:
    """A machine-readable reason a record needs a person: code, field, human message."""

    code: str  # missing_required, invalid_value, failed_check, low_confidence, conflict, unsupported_document
    field: str | None
    message: str


@dataclass(slots=True)
class Record:
    schema: str
    document_id: str
    source_path: str
    index: int = 0  # position of the record within its document (one SQL file holds many)
    fields: dict[str, FieldValue] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    rule_set: str | None = None  # id of the rule set that claimed the document, if any
    classifier: str | None = None  # what decided the schema

    @property
    def record_id(self) -> str:
        """Deterministic, so re-runs upsert; per occurrence: the same bytes at two paths (one
        attachment in 20 emails) are separate records, and replacing one copy never removes another's."""
        key = f"{self.schema}\x00{self.document_id}\x00{self.source_path}\x00{self.index}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def values(self) -> dict[str, Any]:
        return {name: fv.value for name, fv in self.fields.items()}

    def set(self, name: str, fv: FieldValue) -> None:
        """Keep the more confident value; a disagreement between confident sources is recorded."""
        old = self.fields.get(name)
        if old is None or fv.confidence > old.confidence:
            self.fields[name] = fv
