"""Runs the inline examples of every rule: the rule must find the expected value in the text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.map.normalize import NormalizeError, normalize
from pipelines.map.rule_engine import run_rule
from pipelines.map.rules import RuleBook
from pipelines.model.schema import FieldSpec, Schema
from pipelines.parse.dispatch import parse_bytes


@dataclass
class ExampleResult:
    rule_id: str
    ok: bool
    message: str = ""


def _expected(value: Any, spec: FieldSpec) -> Any:
    if spec.type == "list":
        return value
    try:
        return normalize(value, spec.type, enum_values=spec.values, synonyms=spec.synonyms)
    except NormalizeError:
        return value


def run_examples(book: RuleBook, schemas: dict[str, Schema]) -> list[ExampleResult]:
    results = []
    for rs in book.rule_sets:
        schema = schemas[rs.schema_name]
        for name, rules in rs.fields.items():
            spec = schema.fields[name]
            for rule in rules:
                for ex in rule.examples:
                    doc = parse_bytes(ex.text.encode("utf-8"), name="example.txt")
                    try:
                        fv = run_rule(rule, spec, doc)
                    except NormalizeError as exc:
                        results.append(ExampleResult(rule.id, False, f"{ex.text!r}: {exc}"))
                        continue
                    got = None if fv is None else fv.value
                    want = _expected(ex.expected, spec)
                    ok = got == want
                    results.append(ExampleResult(rule.id, ok, "" if ok else f"{ex.text!r}: expected {want!r}, got {got!r}"))
    return results
