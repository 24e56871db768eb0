"""Scores mapping against golden files: field precision/recall/F1 and straight-through rate.

Golden files sit beside the samples as `<file>.expected.json`:
`{"records": [{"schema": "invoice", "source": ".", "fields": {...}}, ...]}` where `source` is
"." for the document itself or "attachment:<name>" for an email attachment. Files in the
invoice2data format (`<stem>.json`, a list of {issuer, amount, date, invoice_number, currency})
are scored on the five fields both tools share.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pipelines.config import Settings
from pipelines.model.document import Document
from pipelines.ingest.walk import iter_inputs
from pipelines.model.records import Record
from pipelines.map.normalize import NormalizeError, normalize
from pipelines.model.schema import FieldSpec, Schema
from pipelines.parse.run import parse_files
from pipelines.run.outcome import LANDED
from pipelines.run.mapper import Mapper

GOLDEN_SUFFIX = ".expected.json"
PEER_FIELDS = {"invoice_number": "invoice_number", "date": "issue_date", "issuer": "issuer_name",
               "amount": "total_amount", "currency": "currency"}


@dataclass
class FieldScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    fields: dict[tuple[str, str], FieldScore] = field(default_factory=lambda: defaultdict(FieldScore))
    documents: int = 0
    straight_through: int = 0
    mismatches: list[str] = field(default_factory=list)

    def schema_score(self, schema: str | None = None) -> FieldScore:
        total = FieldScore()
        for (s, _), sc in self.fields.items():
            if schema is None or s == schema:
                total.tp += sc.tp
                total.fp += sc.fp
                total.fn += sc.fn
        return total

    @property
    def straight_through_rate(self) -> float:
        return self.straight_through / self.documents if self.documents else 0.0

    def as_dict(self) -> dict[str, Any]:
        schemas = sorted({s for s, _ in self.fields})
        return {
            "documents": self.documents, "straight_through": self.straight_through,
            "straight_through_rate": round(self.straight_through_rate, 4),
            "overall": _fmt(self.schema_score()),
            "schemas": {s: _fmt(self.schema_score(s)) for s in schemas},
            "fields": {f"{s}.{f}": _fmt(sc) for (s, f), sc in sorted(self.fields.items())},
            "mismatches": self.mismatches,
        }


def _fmt(sc: FieldScore) -> dict[str, Any]:
    return {"precision": round(sc.precision, 4), "recall": round(sc.recall, 4), "f1": round(sc.f1, 4),
            "tp": sc.tp, "fp": sc.fp, "fn": sc.fn}


def format_report(report: Report) -> str:
    d = report.as_dict()
    lines = [f"{'schema / field':40} {'P':>6} {'R':>6} {'F1':>6}  tp/fp/fn"]
    for s, sc in d["schemas"].items():
        lines.append(f"{s:40} {sc['precision']:6.3f} {sc['recall']:6.3f} {sc['f1']:6.3f}  {sc['tp']}/{sc['fp']}/{sc['fn']}")
        for name, fs in d["fields"].items():
            if name.startswith(s + "."):
                lines.append(f"  {name[len(s) + 1:]:38} {fs['precision']:6.3f} {fs['recall']:6.3f} {fs['f1']:6.3f}  {fs['tp']}/{fs['fp']}/{fs['fn']}")
    o = d["overall"]
    lines.append(f"{'overall':40} {o['precision']:6.3f} {o['recall']:6.3f} {o['f1']:6.3f}  {o['tp']}/{o['fp']}/{o['fn']}")
    lines.append(f"straight-through: {report.straight_through}/{report.documents} documents = {report.straight_through_rate:.1%}")
    if report.mismatches:
        lines.append("\nmismatches:")
        lines.extend("  " + m for m in report.mismatches[:200])
    return "\n".join(lines)


# ---- value comparison ----------------------------------------------------------------------


def _canon(value: Any, spec: FieldSpec | None) -> Any:
    if value is None:
        return None
    if spec is None:
        return value
    if spec.type == "list":
        if isinstance(spec.items, dict):
            return [{k: _canon(v, spec.items.get(k)) for k, v in item.items() if v is not None} for item in value]
        return [_canon(v, FieldSpec(type=spec.items)) for v in value]  # type: ignore[arg-type]
    if isinstance(value, (Decimal, date, datetime, int, float)) and not isinstance(value, bool):
        if isinstance(value, float):
            value = Decimal(str(value))
        if isinstance(value, Decimal):
            return value.quantize(Decimal("0.0001"))
        return value
    try:
        out = normalize(value, spec.type, enum_values=spec.values, synonyms=spec.synonyms)
    except (NormalizeError, InvalidOperation):
        out = value
    if isinstance(out, Decimal):
        return out.quantize(Decimal("0.0001"))
    if isinstance(out, str):
        return " ".join(out.split()).casefold()
    return out


def equal(predicted: Any, expected: Any, spec: FieldSpec | None) -> bool:
    p, e = _canon(predicted, spec), _canon(expected, spec)
    if isinstance(p, list) and isinstance(e, list):
        return len(p) == len(e) and all(
            all(pi.get(k) == v for k, v in ei.items()) if isinstance(ei, dict) and isinstance(pi, dict) else pi == ei
            for pi, ei in zip(p, e))
    return p == e


def score_record(report: Report, schema: Schema, predicted: Record | None, expected: dict[str, Any], where: str) -> None:
    got = predicted.values() if predicted else {}
    for name, spec in schema.fields.items():
        want = expected.get(name)
        have = got.get(name)
        sc = report.fields[(schema.name, name)]
        if want is None and have is None:
            continue
        if want is None:
            sc.fp += 1
            report.mismatches.append(f"{where} {schema.name}.{name}: extra value {have!r}")
        elif have is None:
            sc.fn += 1
            report.mismatches.append(f"{where} {schema.name}.{name}: missing, expected {want!r}")
        elif equal(have, want, spec):
            sc.tp += 1
        else:
            sc.fp += 1
            sc.fn += 1
            report.mismatches.append(f"{where} {schema.name}.{name}: got {have!r}, expected {want!r}")


def _match_records(records: list[Record], expected: list[dict[str, Any]], schema: Schema) -> list[tuple[Record | None, dict[str, Any]]]:
    """Pair predicted and expected records of one document by key fields, else by order."""
    pairs: list[tuple[Record | None, dict[str, Any]]] = []
    pool = [r for r in records if r.schema == schema.name]
    if len(expected) == 1 and len(pool) == 1:
        return [(pool[0], expected[0])]  # one record each side: no key needed to pair them
    for exp in expected:
        best = None
        for rec in pool:
            vals = rec.values()
            if schema.key and all(equal(vals.get(k), exp.get(k), schema.fields[k]) for k in schema.key if exp.get(k) is not None):
                best = rec
                break
        if best is None and pool and not schema.key:
            best = pool[0]
        if best is not None:
            pool.remove(best)
        pairs.append((best, exp))
    for extra in pool:  # predicted records nobody expected: every value is a false positive
        pairs.append((extra, {}))
    return pairs


def evaluate_paths(paths: tuple[str, ...] | list[str], settings: Settings, mapper: Mapper | None = None) -> Report:
    mapper = mapper or Mapper.from_dirs(settings.schemas_dir, settings.mappings_dir)
    files = [p for p in iter_inputs(paths) if _golden_for(p) is not None]
    report = Report()
    for doc in parse_files(files, workers=settings.workers, limits=settings.limits):
        golden = _golden_for(Path(doc.source_path))
        assert golden is not None
        _score_document(report, mapper, doc, golden)
    return report


def _golden_for(path: Path) -> Path | None:
    golden = path.with_name(path.name + GOLDEN_SUFFIX)
    if golden.is_file():
        return golden
    peer = path.with_suffix(".json")
    if peer != path and peer.is_file() and _is_peer_file(peer):
        return peer
    return None


def _is_peer_file(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return isinstance(data, list) and bool(data) and all(isinstance(d, dict) and "issuer" in d for d in data)


def _load_golden(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and "records" in data:
        return data["records"]
    if isinstance(data, list):  # invoice2data: [{issuer, amount, date, invoice_number, currency, ...}]
        return [{"schema": "invoice", "source": ".", "peer": True,
                 "fields": {ours: item[theirs] for theirs, ours in PEER_FIELDS.items() if theirs in item}} for item in data]
    raise ValueError(f"{path}: unknown golden format")


def _score_document(report: Report, mapper: Mapper, doc: Document, golden_path: Path) -> None:
    golden = _load_golden(golden_path)
    peer = any(g.get("peer") for g in golden)
    outcomes = list(mapper.outcomes(doc))
    by_source: dict[str, list[Record]] = defaultdict(list)
    for oc in outcomes:
        src = "." if oc.document is doc else f"attachment:{oc.document.name}"
        by_source[src].extend(r for r in oc.records if r.schema in mapper.schemas)
    for oc in outcomes:
        report.documents += 1
        report.straight_through += oc.outcome == LANDED
    expected_by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for g in golden:
        expected_by[(g.get("source", "."), g["schema"])].append(g["fields"])
    seen: set[tuple[str, str]] = set()
    for (src, schema_name), exps in expected_by.items():
        schema = mapper.schemas[schema_name]
        if peer:  # only the shared fields count for a peer tool's outputs
            schema = schema.model_copy(update={"fields": {k: v for k, v in schema.fields.items() if k in PEER_FIELDS.values()}})
        seen.add((src, schema_name))
        for rec, exp in _match_records(by_source.get(src, []), exps, schema):
            score_record(report, schema, rec, exp, f"{doc.name}{'' if src == '.' else ' ' + src}")
    if not peer:
        for src, recs in by_source.items():
            for rec in recs:
                if (src, rec.schema) not in seen:
                    score_record(report, mapper.schemas[rec.schema], rec, {}, f"{doc.name} {src} (unexpected record)")
