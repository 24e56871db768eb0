"""Canonical schemas: YAML files under `schemas/`, loaded with precise errors.

A schema names its fields (type, required, description, aliases, normalisation hints,
constraints), cross-field checks, the key fields that identify a record, and a version.
From it we derive a Pydantic model (validation, and later the LLM's response model) and
an Arrow schema (Parquet). Nothing here knows the shipped schemas by name.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from pipelines.model.yaml_file import read_yaml

SCALAR_TYPES = {
    "string", "text", "integer", "decimal", "amount", "date", "datetime", "boolean",
    "currency", "phone", "email", "postcode", "iban", "months", "enum",
}
FieldType = Literal[
    "string", "text", "integer", "decimal", "amount", "date", "datetime", "boolean",
    "currency", "phone", "email", "postcode", "iban", "months", "enum", "list",
]


class SchemaError(ValueError):
    """A schema file is wrong; the message names the file, the field and the problem."""


# A field's normalisation hints (map/normalize Locale) and the type each must have.
_LOCALE_HINTS: dict[str, type | tuple[type, ...]] = {"dayfirst": bool, "decimal": str, "date_formats": (str, list),
                                                   "default_currency": str, "default_region": str}
_LOCALE_HINT_TEXT = {"dayfirst": "true or false", "decimal": "'.' or ','", "date_formats": "a format or a list",
                     "default_currency": "a currency code", "default_region": "a country code"}


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: FieldType
    required: bool = False
    description: str = ""
    aliases: list[str] = Field(default_factory=list)
    # enum
    values: list[str] = Field(default_factory=list)
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    default: Any = None  # used by enums (e.g. priority "normal") when nothing is found
    # list: `items` is either a scalar type name or a mapping of sub-fields
    items: str | dict[str, FieldSpec] | None = None
    # constraints
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    scale: int = 2  # decimals kept for decimal/amount in Parquet
    locale: dict[str, Any] = Field(default_factory=dict)  # normalisation hints (dayfirst, decimal, ...)
    # a value in a data row (SQL, CSV, JSON) that cannot be read as this type: "review" sends the
    # record to a person; "drop" leaves the field empty so a contact detail cannot hold up the row
    on_invalid: Literal["review", "drop"] = "review"

    @field_validator("locale")
    @classmethod
    def _locale_hints(cls, hints: dict[str, Any]) -> dict[str, Any]:
        """Known hints of the right types, checked on loading: a wrong one used to fail every document
        in the workers (an unhashable list of formats) while `mapper rules check` said OK."""
        unknown = set(hints) - set(_LOCALE_HINTS)
        if unknown:
            raise ValueError(f"unknown locale hint(s) {sorted(unknown)}; known: {sorted(_LOCALE_HINTS)}")
        out = dict(hints)
        for key, value in hints.items():
            if key == "date_formats":
                formats = [value] if isinstance(value, str) else value
                if not isinstance(formats, list) or not all(isinstance(f, str) and f for f in formats):
                    raise ValueError("locale date_formats must be a strptime format or a list of them")
                out[key] = formats
            elif not (value is None or isinstance(value, _LOCALE_HINTS[key])) or (key == "decimal" and value not in (None, ".", ",")):
                raise ValueError(f"locale {key} must be {_LOCALE_HINT_TEXT[key]}, not {value!r}")
        return out

    @model_validator(mode="after")
    def _check(self) -> FieldSpec:
        if self.type == "enum" and not self.values:
            raise ValueError("enum field needs a non-empty 'values' list")
        unknown = set(self.synonyms) - set(self.values)
        if unknown:
            raise ValueError(f"synonyms for unknown enum values: {sorted(unknown)}")
        if self.type == "list":
            if self.items is None:
                raise ValueError("list field needs 'items' (a type name or sub-fields)")
            if isinstance(self.items, str) and self.items not in SCALAR_TYPES:
                raise ValueError(f"list items type {self.items!r} is not one of {sorted(SCALAR_TYPES)}")
        elif self.items is not None:
            raise ValueError("'items' is only allowed on list fields")
        return self


class CheckSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    expr: str  # restricted Python expression over field names, see validate/checks.py
    tolerance: float = 0.0
    message: str = ""


class VariantSpec(BaseModel):
    """A kind of document within a schema that may lack some required fields: a till receipt often
    prints no document number. It applies when the document prints one of its `signals` (words,
    in any case, as a line's label) and the record has none of the `unless` fields; then its `optional`
    fields are not required and the record's identity is its `key` where the schema's key is
    incomplete (values are never invented to complete it). A signal counts as a line's label."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    signals: list[str] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list)
    optional: list[str] = Field(default_factory=list)
    key: list[str] = Field(min_length=1)

    def matches(self, text: str) -> bool:
        return _signals_re(tuple(self.signals)).search(text) is not None


@lru_cache(maxsize=32)
def _signals_re(words: tuple[str, ...]) -> re.Pattern[str]:
    alts = "|".join(r"\s+".join(re.escape(p) for p in w.split()) for w in sorted(words, key=len, reverse=True))
    # a till prints them as a line's label: opening the line, then a colon, an amount (after a
    # currency code or sign) or nothing ("CASH RM 20.00", "Cashier: ...", "CHANGE"); in a sentence
    # ("Change of address", "prices subject to change") they say nothing about the document
    return re.compile(rf"^[^\w\n]*(?:{alts})(?!\w)[^\S\n]*\(?(?:[a-z]{{2,3}}|[$€£¥])?\)?[^\S\n]*(?:[:#.]|$|[$€£¥]?\d)",
                      re.IGNORECASE | re.MULTILINE)


class ClassifierHint(BaseModel):
    """How the generic classifier recognises this schema when no rule set claims a document."""

    model_config = ConfigDict(extra="forbid")

    keywords: list[str] = Field(default_factory=list)
    media_types: list[str] = Field(default_factory=list)
    records: Literal["one", "per_row"] = "one"


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: int
    description: str = ""
    key: list[str] = Field(default_factory=list)
    fields: dict[str, FieldSpec]
    variants: list[VariantSpec] = Field(default_factory=list)
    checks: list[CheckSpec] = Field(default_factory=list)
    classify: list[ClassifierHint] = Field(default_factory=list)
    min_confidence: float = 0.6  # a landed value must be at least this sure
    source_file: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.isidentifier():
            raise ValueError(f"schema name {v!r} must be an identifier (letters, digits, underscores)")
        return v

    @model_validator(mode="after")
    def _key_fields(self) -> Schema:
        missing = [k for k in self.key if k not in self.fields]
        if missing:
            raise ValueError(f"key names unknown fields: {missing}")
        for v in self.variants:
            unknown = [k for k in [*v.key, *v.unless, *v.optional] if k not in self.fields]
            if unknown:
                raise ValueError(f"variant {v.name!r} names unknown fields: {unknown}")
            loose = [k for k in v.optional if not self.fields[k].required]
            if loose:
                raise ValueError(f"variant {v.name!r} makes optional what is not required: {loose}")
            # its identity must be complete whenever it lands: every key field stays required
            weak = [k for k in v.key if not self.fields[k].required or k in v.optional]
            if weak:
                raise ValueError(f"variant {v.name!r} has key fields that are not required: {weak}")
        return self

    # ---- variants and identity ----------------------------------------------------------

    def variant_of(self, values: dict[str, Any], text: str | None = None) -> VariantSpec | None:
        """The variant a record of this document is (None: the schema as it is). Without the
        document's text (a person's decision on a stored record), a variant applies when its own
        key is complete: the person saw the document."""
        for v in self.variants:
            if any(values.get(k) not in (None, "", []) for k in v.unless):
                continue
            if (v.matches(text) if text is not None else all(values.get(k) not in (None, "", []) for k in v.key)):
                return v
        return None

    def required_fields(self, variant: VariantSpec | None = None) -> list[str]:
        """The fields a record must have (a variant's optional fields left out)."""
        skip = set(variant.optional) if variant else set()
        return [n for n, s in self.fields.items() if s.required and n not in skip]

    def identity(self, values: dict[str, Any], variant: VariantSpec | None = None) -> list[str]:
        """The key fields that identify this record: the schema's key when every one is present,
        else the variant's fallback key."""
        if variant is not None and any(values.get(k) in (None, "", []) for k in self.key):
            return list(variant.key)
        return list(self.key)

    # ---- derived models -------------------------------------------------------------

    def pydantic_model(self) -> type[BaseModel]:
        """A Pydantic model of the record: types and required-ness from the schema."""
        return _model_for(self.name, self.fields)


_PY_TYPES: dict[str, Any] = {
    "string": str, "text": str, "integer": int, "decimal": Decimal, "amount": Decimal, "date": date,
    "datetime": datetime, "boolean": bool, "currency": str, "phone": str, "email": str, "postcode": str,
    "iban": str, "months": int,
}


def _py_type(name: str, spec: FieldSpec) -> Any:
    if spec.type == "enum":
        return Literal[tuple(spec.values)]  # type: ignore[misc]
    if spec.type == "list":
        assert spec.items is not None
        if isinstance(spec.items, str):
            return list[_PY_TYPES[spec.items]]  # type: ignore[misc]
        return list[_model_for(name, spec.items)]  # type: ignore[misc]
    return _PY_TYPES[spec.type]


def _model_for(name: str, fields: dict[str, FieldSpec]) -> type[BaseModel]:
    defs: dict[str, Any] = {}
    for fname, spec in fields.items():
        typ = _py_type(f"{name}_{fname}", spec)
        if spec.required:
            defs[fname] = (typ, Field(..., description=spec.description or None))
        else:
            defs[fname] = (Optional[typ], Field(None, description=spec.description or None))
    model_name = "".join(part.capitalize() for part in name.split("_"))
    return create_model(model_name, __config__=ConfigDict(extra="forbid"), **defs)


# ---- loading ------------------------------------------------------------------------------


def _format_error(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid schema"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        lines.append(f"  at {loc or '<top>'}: {err['msg']}")
    return "\n".join(lines)


def load_schema(path: str | Path) -> Schema:
    path = Path(path)
    try:
        raw = read_yaml(path)
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SchemaError(f"{path}: a schema file must hold a mapping with name, version and fields")
    try:
        schema = Schema.model_validate({**raw, "source_file": str(path)})
    except ValidationError as exc:
        raise SchemaError(_format_error(path, exc)) from exc
    if schema.name != path.stem:
        raise SchemaError(f"{path}: schema name {schema.name!r} must match the file name {path.stem!r}")
    return schema


def load_schemas(directory: str | Path) -> dict[str, Schema]:
    """Every `*.yaml` in the directory; errors from all files are reported together."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SchemaError(f"schema directory not found: {directory}")
    schemas: dict[str, Schema] = {}
    errors: list[str] = []
    for path in sorted(directory.glob("*.y*ml")):
        try:
            schema = load_schema(path)
        except SchemaError as exc:
            errors.append(str(exc))
            continue
        schemas[schema.name] = schema
    if errors:
        raise SchemaError("\n".join(errors))
    return schemas
