"""Validates a mapped record against its schema: required fields, types, constraints,
cross-field checks and confidence. What fails becomes machine-readable review reasons."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from pipelines.validate.injection import suspicious_spans
from pipelines.model.records import Issue, Record
from pipelines.model.schema import FieldSpec, Schema
from pipelines.map.extract.calibration import landing_threshold, measured
from pipelines.validate.checks import evaluate

if TYPE_CHECKING:
    from pipelines.model.document import Document

DEFAULT_METHOD = "default"
OCR_MIN_CONFIDENCE = 0.6  # evidence read by OCR less surely than this needs a person's eye


_MODELS: dict[int, tuple[Schema, type[BaseModel]]] = {}


def _model(schema: Schema) -> type[BaseModel]:
    # Keyed by identity (schemas are not hashable); the schema is kept alive beside its model.
    hit = _MODELS.get(id(schema))
    if hit is None or hit[0] is not schema:
        hit = _MODELS[id(schema)] = (schema, schema.pydantic_model())
    return hit[1]


# The KB's columns (land/tables.py): decimal128(18, scale), int64, int32 for months.
_PRECISION = 18
_INT_BITS = {"integer": 63, "months": 31}


def _unstorable(spec: FieldSpec, value: object) -> str | None:
    """Why a value cannot be stored in its column (one such value failed the whole batch's
    landing); None when it fits."""
    if spec.type == "list" and isinstance(spec.items, dict) and isinstance(value, list):
        for item in value:
            for key, sub in spec.items.items() if isinstance(item, dict) else ():
                why = _unstorable(sub, item.get(key)) if item.get(key) is not None else None
                if why:
                    return f"{key}: {why}"
        return None
    if spec.type in ("decimal", "amount") and isinstance(value, Decimal) and value.is_finite():
        digits = _PRECISION - spec.scale
        if abs(value) >= Decimal(10) ** digits:
            return f"{value} has more than {digits} digits before the decimal point"
    bits = _INT_BITS.get(spec.type)
    if bits is not None and isinstance(value, int) and not -(2 ** bits) <= value < 2 ** bits:
        return f"{value} is beyond a {bits + 1}-bit whole number"
    return None


def _constraint_issues(name: str, spec: FieldSpec, value: object) -> list[Issue]:
    issues: list[Issue] = []
    why = _unstorable(spec, value)
    if why:
        issues.append(Issue("invalid_value", name, f"cannot be stored: {why}"))
    if isinstance(value, str):
        if spec.pattern and not re.search(spec.pattern, value):
            issues.append(Issue("invalid_value", name, f"{value!r} does not match the expected pattern"))
        if spec.min_length is not None and len(value) < spec.min_length:
            issues.append(Issue("invalid_value", name, f"shorter than {spec.min_length} characters"))
        if spec.max_length is not None and len(value) > spec.max_length:
            issues.append(Issue("invalid_value", name, f"longer than {spec.max_length} characters"))
    elif isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        if spec.min is not None and value < spec.min:  # type: ignore[operator]
            issues.append(Issue("invalid_value", name, f"{value} is below the minimum {spec.min}"))
        if spec.max is not None and value > spec.max:  # type: ignore[operator]
            issues.append(Issue("invalid_value", name, f"{value} is above the maximum {spec.max}"))
    return issues


def ocr_issues(record: Record, doc: Document) -> list[Issue]:
    """low_confidence for each field whose evidence lies in OCR lines (attrs["source"] == "ocr")
    whose mean OCR confidence is below OCR_MIN_CONFIDENCE, and for each generic value read from
    OCR lines at all: the generic extractor's confidence is calibrated on text, and on receipt
    photos its values at or above the landing threshold were right only 87.5% of the time
    (benchmarks/extraction.py --sets sroie_images), so a person confirms them. Values of a
    rule learned from a reviewed document of the layout still land."""
    lines = [(el.start, el.end, float(el.attrs.get("ocr_confidence", 1.0)))
             for el in doc.elements if el.attrs.get("source") == "ocr"]
    if not lines:
        return []
    issues: list[Issue] = []
    for name, fv in record.fields.items():
        ev = fv.evidence
        if ev is None or ev.document_id != doc.id:
            continue
        confs = [c for s, e, c in lines if s < ev.end and ev.start < e]
        if confs and sum(confs) / len(confs) < OCR_MIN_CONFIDENCE:
            mean = sum(confs) / len(confs)
            issues.append(Issue("low_confidence", name, f"read by OCR with confidence {mean:.2f} (below {OCR_MIN_CONFIDENCE:.2f})"))
        elif confs and fv.method == "generic":
            issues.append(Issue("low_confidence", name, "read by OCR from an image by the generic extractor, "
                                "whose confidence is not calibrated on images"))
    return issues


_VALUE_LIKE = re.compile(r"(?=[\w./-]*\d)[\w./-]{4,}")  # an id, amount, date, IBAN: something a field could take
_LONG_HIDDEN = 40  # characters: more than a generator's stamp or a stray label


def matters(hidden_text: str) -> bool:
    """Hidden text worth a person's look: it carries a value, reads as an instruction, or says more
    than a short stamp ("Powered by ...", "Page 1/1", a language tag are left to the record)."""
    return bool(_VALUE_LIKE.search(hidden_text) or len(hidden_text) >= _LONG_HIDDEN or suspicious_spans(hidden_text))


def hidden_text_issues(doc: Document) -> list[Issue]:
    """Text a person cannot see was found (and kept out of the evidence): a person should look,
    because someone made the document say something to machines that it does not say to people."""
    hidden = [h for h in doc.hidden_text if matters(h["text"])]
    if not hidden:
        return []
    reasons = sorted({h["reason"] for h in hidden})
    return [Issue("hidden_text", None, f"{len(hidden)} piece(s) of text nobody can see ({', '.join(reasons)}), "
                  f"e.g. {hidden[0]['text'][:60]!r}; not used as evidence")]


def validate(record: Record, schema: Schema, doc: Document | None = None) -> list[Issue]:
    """All reasons this record cannot land as is (empty list: it lands). With the record's
    document, values read from uncertain OCR lines are flagged too."""
    issues = list(record.issues)
    values = record.values()
    variant = schema.variant_of(values, doc.text if doc is not None else None)
    for name in schema.required_fields(variant):
        if values.get(name) in (None, "", []):
            if not any(i.field == name for i in issues):
                issues.append(Issue("missing_required", name, f"required field {name} was not found"))
    for name, value in values.items():
        if name in schema.fields and value is not None:
            issues.extend(_constraint_issues(name, schema.fields[name], value))
    try:
        _model(schema).model_validate({k: v for k, v in values.items() if k in schema.fields and v is not None})
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else None
            if err["type"] == "missing":
                continue  # reported above with a friendlier message
            issues.append(Issue("invalid_value", field, err["msg"]))
    for check in schema.checks:
        ok = evaluate(check.expr, values, check.tolerance)
        if ok is False:
            issues.append(Issue("failed_check", check.name, check.message or f"check failed: {check.expr}"))
    unsure = {i.field for i in issues if i.code == "low_confidence"}
    for name, fv in record.fields.items():
        if fv.method != DEFAULT_METHOD and fv.confidence < schema.min_confidence and name not in unsure:
            issues.append(Issue("low_confidence", name, f"confidence {fv.confidence:.2f} is below {schema.min_confidence:.2f} ({fv.method})"))
    if doc is not None:
        issues.extend(hidden_text_issues(doc))
        flagged = {i.field for i in issues if i.code == "low_confidence"}
        issues.extend(i for i in ocr_issues(record, doc) if i.field not in flagged)
    return issues


UNSURE = frozenset({"low_confidence", "conflict"})


def unsure_optional(record: Record, schema: Schema, issues: list[Issue], doc: Document | None = None) -> list[str]:
    """The optional fields that alone hold a record back: every issue is doubt (low confidence,
    a close second reading) about an optional value the generic extractor read. Left out, the
    record lands with its sure values; nothing less sure lands (empty list: leave it as it is).
    Only for schemas whose generic extraction is calibrated (a landing threshold holds their
    required values to 99%), and when every required value the calibration measured clears that
    threshold; elsewhere any unsure value still goes to a person."""
    t = landing_threshold(schema.name)
    if not issues or t is None:
        return []
    # a variant's optional field (a receipt's number) is optional here too: an unsure one is left out
    required = set(schema.required_fields(schema.variant_of(record.values(), doc.text if doc is not None else None)))
    for name in measured(schema.name):
        fv = record.fields.get(name)
        spec = schema.fields.get(name)
        if spec is not None and name in required and fv is not None and fv.method == "generic" and fv.confidence < t:
            return []  # a required value of unknown probability (a finder family never measured): a person decides
    fields = {i.field for i in issues if i.code in UNSURE}
    checks = {c.name: c for c in schema.checks}
    for i in issues:
        if i.code == "failed_check" and i.field in checks:
            # a check that fails only through an unsure optional value ("subtotal + tax == total"
            # with the tax read unsurely) holds once that value is left out; validate() again decides
            if not fields & set(re.findall(r"[A-Za-z_]\w*", checks[i.field].expr)):
                return []
        elif i.code not in UNSURE or i.field is None:
            return []
    for name in fields:
        fv = record.fields.get(str(name))
        spec = schema.fields.get(str(name))
        if fv is None or spec is None or name in required or fv.method != "generic":
            return []
    return sorted(str(f) for f in fields)
