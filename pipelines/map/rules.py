"""Mapping rules: declarative YAML under `mappings/` that reviewers write and coach.

A rule set says when it applies (`match`: target schema plus source selectors) and how each
field is found (a list of rules, tried in priority order). Each rule has one finder (label
anchor, regex, table column, email header, record key, keyword lookup, constant), optional
transforms and inline examples that `mapper rules test` checks. Loading validates all of it
and reports the file, the rule id and what is wrong.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.model.schema import Schema
from pipelines.model.yaml_file import read_yaml


class RuleError(ValueError):
    """A rules file is wrong; the message names the file, the rule and the problem."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Anchor(Strict):
    labels: list[str]
    direction: Literal["right", "below", "any"] = "any"

    @model_validator(mode="before")
    @classmethod
    def _one_label(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"labels": [data]}
        if isinstance(data, dict) and "label" in data:
            data = dict(data)
            data["labels"] = [data.pop("label")] + list(data.get("labels", []))
        return data


class TableFinder(Strict):
    """For list fields: sub-field -> header aliases. For scalars: `column` (+ which row)."""

    columns: dict[str, list[str]] = Field(default_factory=dict)
    column: list[str] = Field(default_factory=list)
    row: Literal["first", "last"] = "first"
    skip: list[str] = Field(default_factory=list)  # rows with a cell containing one of these are not items


class Example(Strict):
    text: str
    expected: Any


class Selector(Strict):
    """When a rule set applies. Every selector given must hold."""

    keywords: list[str] = Field(default_factory=list)  # all must appear
    any_keywords: list[str] = Field(default_factory=list)  # at least one must appear
    not_keywords: list[str] = Field(default_factory=list)  # none may appear
    sender_domains: list[str] = Field(default_factory=list)
    filename: str | None = None  # glob on the file name
    media_types: list[str] = Field(default_factory=list)
    layout: str | None = None  # layout fingerprint (see map/fingerprint.py)
    row_keys: list[str] = Field(default_factory=list)  # data rows must carry these keys
    xml_roots: list[str] = Field(default_factory=list)  # XML root element, Clark notation "{namespace}Name"


class XPathRows(Strict):
    """A list field from XML: one item per `each` node; sub-field -> XPath relative to it."""

    each: str
    fields: dict[str, str | list[str]]
    negate: list[str] = Field(default_factory=list)  # sub-fields negated when the rule's negate_when holds


FINDERS = ("anchor", "regex", "table", "email_header", "key", "keywords", "constant", "address", "element", "xpath")
Transform = str | dict[str, Any]
TRANSFORM_NAMES = {"upper", "lower", "title", "strip", "collapse_spaces", "date_format", "dayfirst", "monthfirst",
                   "decimal", "lookup", "replace", "remove", "prefix", "suffix", "negate", "split",
                   "last_line_if_block"}


class FieldRule(Strict):
    id: str
    priority: int = 0  # higher first; ties keep file order
    anchor: Anchor | None = None
    regex: str | None = None
    table: TableFinder | None = None
    email_header: str | None = None  # from_name, from_address, to, cc, date, subject, message_id
    key: str | None = None  # key of a data record (code, SQL, CSV, JSON)
    keywords: dict[str, list[str]] | None = None  # value -> phrases; first value whose phrase occurs
    constant: Any = None
    address: Literal["lines", "postcode"] | None = None
    element: list[str] | None = None  # text of the first element of these kinds (e.g. [title, heading])  # a postal address found by its postcode
    # XML documents (e-invoices): an XPath to an element or attribute, several whose texts are
    # joined with ", ", or rows for a list field; prefixes are the rule set's `namespaces`.
    xpath: str | list[str] | XPathRows | None = None
    negate_when: str | None = None  # XPath condition (e.g. a credit note's type code): the value is negated
    skip_quoted: bool = True  # ignore quoted replies and forwarded text in emails
    pattern: str | None = None  # the found text must contain this; the match becomes the value
    transforms: list[Transform] = Field(default_factory=list)
    confidence: float = Field(0.95, ge=0.0, le=1.0)
    examples: list[Example] = Field(default_factory=list)
    provenance: dict[str, Any] = Field(default_factory=dict)  # who wrote it, from which correction, when

    @model_validator(mode="after")
    def _one_finder(self) -> FieldRule:
        finders = [n for n in FINDERS if getattr(self, n) is not None]
        if len(finders) != 1:
            raise ValueError(f"rule must have exactly one finder ({', '.join(FINDERS)}); has {finders or 'none'}")
        for pat in (self.regex, self.pattern):
            if pat is not None:
                try:
                    re.compile(pat)
                except re.error as exc:
                    raise ValueError(f"bad regular expression {pat!r}: {exc}") from exc
        for t in self.transforms:
            name = t if isinstance(t, str) else (next(iter(t)) if len(t) == 1 else None)
            if name not in TRANSFORM_NAMES:
                raise ValueError(f"unknown transform {t!r}; known: {sorted(TRANSFORM_NAMES)}")
        return self

    @property
    def finder(self) -> str:
        return next(n for n in FINDERS if getattr(self, n) is not None)


class RuleSet(Strict):
    id: str
    schema_name: str = Field(alias="schema")
    description: str = ""
    priority: int = 0
    records: Literal["one", "per_row"] = "one"
    match: Selector = Field(default_factory=Selector)
    namespaces: dict[str, str] = Field(default_factory=dict)  # prefix -> namespace URI for xpath rules
    fields: dict[str, list[FieldRule]] = Field(default_factory=dict)
    use_generic: bool = True  # fill fields the rules leave empty with the generic extractor
    # fields a person had to correct on this source that no rule here reads: a value for them
    # from anywhere but a rule goes to a person (the generic extractor got it wrong here before)
    review_fields: list[str] = Field(default_factory=list)
    provenance: dict[str, Any] = Field(default_factory=dict)
    source_file: str = ""

    @model_validator(mode="after")
    def _has_selector(self) -> RuleSet:
        if self.match == Selector():
            raise ValueError("rule set needs at least one 'match' selector, or it would claim every document")
        for rules in self.fields.values():
            for rule in rules:
                for expr in _xpaths(rule):
                    try:
                        etree.XPath(expr, namespaces=self.namespaces)
                    except etree.XPathSyntaxError as exc:
                        raise ValueError(f"rule {rule.id!r}: bad XPath {expr!r}: {exc}") from exc
        return self

    @field_validator("fields", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        # A single rule may be written without the list around it.
        if isinstance(v, dict):
            return {k: (r if isinstance(r, list) else [r]) for k, r in v.items()}
        return v


def _xpaths(rule: FieldRule) -> list[str]:
    x = rule.xpath
    out = [rule.negate_when] if rule.negate_when else []
    if isinstance(x, str):
        out.append(x)
    elif isinstance(x, list):
        out.extend(x)
    elif isinstance(x, XPathRows):
        out.append(x.each)
        for sub in x.fields.values():
            out.extend([sub] if isinstance(sub, str) else sub)
    return out


class Classifier(Strict):
    """Decides a document's schema (and how many records) before field rules run."""

    id: str
    schema_name: str = Field(alias="schema")
    records: Literal["one", "per_row"] = "one"
    priority: int = 0
    when: Selector = Field(default_factory=Selector)


class RuleBook(BaseModel):
    """All rule sets and classifiers from a mappings directory."""

    rule_sets: list[RuleSet] = Field(default_factory=list)
    classifiers: list[Classifier] = Field(default_factory=list)

    def fingerprint(self) -> str:
        import hashlib

        h = hashlib.sha256()
        for rs in sorted(self.rule_sets, key=lambda r: r.id):
            h.update(rs.model_dump_json(by_alias=True).encode())
        for c in sorted(self.classifiers, key=lambda c: c.id):
            h.update(c.model_dump_json(by_alias=True).encode())
        return h.hexdigest()[:16]


def _errors(path: Path, exc: ValidationError, data: dict[str, Any]) -> list[str]:
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        rule_id = _rule_id_at(data, loc)
        out.append(f"{path}: {f'rule {rule_id!r} ' if rule_id else ''}at {where or '<top>'}: {err['msg']}")
    return out


def _rule_id_at(data: Any, loc: list[Any]) -> str | None:
    """The id of the innermost rule on the error's path, so messages name the rule."""
    found = data.get("id") if isinstance(data, dict) else None
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "id" in node:
            found = node["id"]
    return found


def load_rules(directory: str | Path, schemas: dict[str, Schema]) -> RuleBook:
    """Load every YAML file under `directory` (recursively). All errors are reported together."""
    directory = Path(directory)
    book = RuleBook()
    errors: list[str] = []
    seen: dict[str, str] = {}
    if not directory.is_dir():
        raise RuleError(f"mappings directory not found: {directory}")
    for path in sorted(directory.rglob("*.y*ml")):
        try:
            data = read_yaml(path) or {}
        except yaml.YAMLError as exc:
            errors.append(f"{path}: not valid YAML: {exc}")
            continue
        if not isinstance(data, dict):
            errors.append(f"{path}: a rules file must hold a mapping")
            continue
        for c in data.get("classifiers", []) or []:
            try:
                book.classifiers.append(Classifier.model_validate(c))
            except ValidationError as exc:
                errors.extend(_errors(path, exc, c if isinstance(c, dict) else {}))
        if "classifiers" in data and set(data) <= {"classifiers"}:
            continue
        if set(data) == {"aliases"}:
            continue  # learned label aliases (map/learned_aliases.py), not a rule set
        body = {k: v for k, v in data.items() if k != "classifiers"}
        try:
            rs = RuleSet.model_validate({**body, "source_file": str(path)})
        except ValidationError as exc:
            errors.extend(_errors(path, exc, body))
            continue
        errors.extend(_check_against_schema(path, rs, schemas))
        for rule_id in [rs.id] + [r.id for rules in rs.fields.values() for r in rules]:
            if rule_id in seen and seen[rule_id] != str(path):
                errors.append(f"{path}: rule id {rule_id!r} is already used in {seen[rule_id]}")
            seen.setdefault(rule_id, str(path))
        book.rule_sets.append(rs)
    for c in book.classifiers:
        if c.schema_name not in schemas:
            errors.append(f"classifier {c.id!r}: unknown schema {c.schema_name!r}")
    if errors:
        raise RuleError("\n".join(errors))
    book.rule_sets.sort(key=lambda r: -r.priority)
    book.classifiers.sort(key=lambda c: -c.priority)
    return book


def _check_against_schema(path: Path, rs: RuleSet, schemas: dict[str, Schema]) -> list[str]:
    schema = schemas.get(rs.schema_name)
    if schema is None:
        return [f"{path}: rule set {rs.id!r}: unknown schema {rs.schema_name!r} (known: {sorted(schemas)})"]
    errors = []
    for name, rules in rs.fields.items():
        spec = schema.fields.get(name)
        if spec is None:
            errors.append(f"{path}: rule set {rs.id!r}: field {name!r} is not in schema {schema.name!r}")
            continue
        for rule in rules:
            if rule.table is not None and rule.table.columns:
                sub = spec.items if isinstance(spec.items, dict) else {}
                unknown = set(rule.table.columns) - set(sub)
                if unknown:
                    errors.append(f"{path}: rule {rule.id!r}: table columns {sorted(unknown)} are not sub-fields of {name!r}")
            if isinstance(rule.xpath, XPathRows):
                sub = spec.items if isinstance(spec.items, dict) else {}
                unknown = (set(rule.xpath.fields) | set(rule.xpath.negate)) - set(sub)
                if unknown:
                    errors.append(f"{path}: rule {rule.id!r}: xpath fields {sorted(unknown)} are not sub-fields of {name!r}")
    return errors
