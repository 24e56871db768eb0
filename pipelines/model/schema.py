"""Canonical schemas: YAML files under `schemas/`, loaded with precise errors.

A schema names its fields (type, required, description, aliases, normalisation hints,
constraints), cross-field checks, the key fields that identify a record, and a version.
From it we derive a Pydantic model (validation, and later the LLM's response model) and
an Arrow schema (Parquet). Nothing here knows the shipped schemas by name.
"""

from __future__ import annotations

from datetime import date, datetime
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
        return self

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
