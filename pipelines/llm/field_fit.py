"""Is an LLM's quote evidence for *that* field? A real quote is not enough ("Subject: RE: Meter"
is in the document, and is no account number).

The evidence must sit where the field's label, zone or type puts it, judged with the generic
extractor's own candidate logic (`candidate_context`):
  1. among the field's candidates: the span overlaps a candidate the finders proposed for it
     (label right/below, header, type pattern, company/title zone); a candidate with the same
     value corroborates the answer (its score counts towards the confidence);
  2. next to one of the field's labels: right after it on its line, or on the line below;
  3. of the field's type: a typed field (date, amount, IBAN, e-mail ...) whose value is the
     typed reading of the quote (grounding.ground_value checked that); an identifier field
     whose value is shaped like one (a digit, no plain words); an address field whose span
     holds a recognisable address (postcode and lines).
Anything else is refused. A value that is not corroborated by a candidate gets a confidence
below the schema's straight-through threshold: the LLM alone never lands a record.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.model.document import Document
from pipelines.llm.grounding import TYPED
from pipelines.map.address import find_addresses
from pipelines.map.extract.context import Ctx, id_span, is_id_field, norm_value
from pipelines.map.extract.engine import candidate_context
from pipelines.map.extract.labels import fold_label
from pipelines.model.records import FieldValue, Issue, Record
from pipelines.map.normalize import NormalizeError
from pipelines.model.schema import FieldSpec, Schema

NEAR_LABEL = 80  # characters between a label's end and the evidence, at most


@dataclass
class Fit:
    ok: bool
    corroboration: float | None  # best score of a finder candidate with the same value
    how: str  # candidate | label | type | "" (refused)
    reason: str | None = None


def same_value(a: object, b: object) -> bool:
    try:
        return bool(a == b) or str(a).casefold() == str(b).casefold()
    except TypeError:
        return False


class FieldEvidence:
    """Where each field of one schema may take its evidence from in one document."""

    def __init__(self, doc: Document, schema: Schema) -> None:
        self.doc = doc
        self.schema = schema
        self.ctx: Ctx | None = candidate_context(doc, schema)
        self.labels: dict[str, list[tuple[int, int]]] = {}
        if self.ctx is not None:
            for m in self.ctx.matches:
                for name in self.ctx.field_of.get(m.label, []):
                    self.labels.setdefault(name, []).append((m.start, m.end))

    def fit(self, name: str, value: object, start: int, end: int) -> Fit:
        spec = self.schema.fields[name]
        cands = self.ctx.cands.get(name, []) if self.ctx is not None else []
        here = [c for c in cands if c.start < end and start < c.end]
        same = [c.score for c in cands if same_value(c.value, value)]  # the finders read the same value
        if here:
            return Fit(True, max(same) if same else None, "candidate")
        if self._after_label(name, start):
            return Fit(True, max(same) if same else None, "label")
        why = self._type_fit(spec, value, start, end)
        if why is None:
            return Fit(True, max(same) if same else None, "type")
        return Fit(False, None, "", why)

    def _after_label(self, name: str, start: int) -> bool:
        text = self.doc.text
        for a, b in self.labels.get(name, []):
            if b <= start <= b + NEAR_LABEL and text.count("\n", b, start) <= 1:
                between = text[b:start]
                # the value right after the label, or the first thing on the next line
                if "\n" not in between or not text[between.index("\n") + b + 1:start].strip():
                    return True
        return False

    def _type_fit(self, spec: FieldSpec, value: object, start: int, end: int) -> str | None:
        """None when the value's own shape says it belongs to this field; else why not."""
        if spec.type in TYPED or spec.type == "enum":
            return None  # ground_value read it with the field's type from the quote
        raw = str(value)
        if is_id_field(spec):
            span = id_span(raw)
            if span and span[1] - span[0] >= len(raw.strip()) - 1:
                return None
            return "it is not shaped like an identifier and sits by none of the field's labels"
        if any("address" in fold_label(a).split() for a in spec.aliases):
            line_start = self.doc.text.rfind("\n", 0, start) + 1
            line_end = self.doc.text.find("\n", end)
            window = self.doc.text[max(0, line_start - 200):(len(self.doc.text) if line_end < 0 else line_end)]
            if find_addresses(window) and any(ch.isdigit() for ch in raw):
                return None
            return "it is not an address and sits by none of the field's labels"
        if self.ctx is not None and spec.type == "string":
            try:
                norm_value(self.ctx, spec, raw)
            except (NormalizeError, ValueError, TypeError):
                return "it is not a valid value of the field"
        return "it sits by none of the field's labels, zones or candidates"


def llm_confidence(llm: float, corroboration: float | None, schema: Schema) -> float:
    """A value the finders also read: both are evidence (noisy-OR). The LLM alone: below the
    straight-through threshold, so a person confirms it (its provenance says it is the LLM's)."""
    if corroboration is not None:
        return round(1 - (1 - llm) * (1 - corroboration), 3)
    return round(min(llm, schema.min_confidence - 0.01), 3)


SETTLED = {"rule", "reviewer"}  # values a person coached or gave; the LLM never replaces them


def settle(record: Record, name: str, proposed: FieldValue) -> None:
    """Put an LLM value into the record: into an empty field; over a different value never
    (a conflict for review); an equal value is confirmed (the higher confidence stays)."""
    current = record.fields.get(name)
    if current is None or current.value in (None, "", []):
        record.fields[name] = proposed
        # The rules' own complaints about this field are answered now (missing, invalid).
        record.issues = [i for i in record.issues if i.field != name]
        return
    if same_value(current.value, proposed.value):
        if current.method not in SETTLED and proposed.confidence > current.confidence:
            record.fields[name] = proposed
            record.issues = [i for i in record.issues if not (i.field == name and i.code == "low_confidence")]
        return
    record.issues.append(Issue("conflict", name, f"{current.method} read {str(current.value)[:60]!r}, the LLM "
                               f"{str(proposed.value)[:60]!r} ({proposed.evidence.text[:60] if proposed.evidence else ''!r})"))
