"""Fields a data row spreads over several columns, and the row's own country.

A person's name in first/middle/last-name columns is joined into the schema's name field, and
then an employer column ("Company") is no longer taken as that name. An address in street,
city, region and country columns is joined into one line (the postcode keeps its own field).
A country column (checked by content: its value must name a country) sets the region for
reading that row's phone numbers and postcodes, so a Norwegian number is read as Norwegian.
A bare `id` column becomes the key field when no column names it. The column words are data
(`row_columns.yaml`); the target fields are found through the schema's own aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry

from pipelines.model.schema import Schema
from pipelines.model.yaml_file import read_yaml

COLUMNS_FILE = Path(__file__).with_name("row_columns.yaml")
CONF_ROW_ID = 0.7  # a bare "id" column taken as the record's key field
_COUNTRY_ALIASES = {"UK": "GB", "GREAT BRITAIN": "GB", "ENGLAND": "GB", "SCOTLAND": "GB", "WALES": "GB"}


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, frozenset[str]]:
    raw = read_yaml(COLUMNS_FILE)
    return {role: frozenset(str(w) for w in words) for role, words in raw.items()}


@dataclass
class Plan:
    """How one shape of row (one tuple of keys) maps: key -> (field, confidence), fields joined
    from several keys in order with their separator, and the key holding the row's country."""

    mapping: dict[str, tuple[str, float]]
    joins: dict[str, tuple[list[str], str]] = field(default_factory=dict)
    country_key: str | None = None

    def region(self, record: dict[str, Any]) -> str | None:
        """ISO country code of the row's own country column, if it names a country."""
        if self.country_key is None:
            return None
        value = record.get(self.country_key)
        return country_code(str(value)) if value is not None else None


@lru_cache(maxsize=512)
def country_code(text: str) -> str | None:
    """"Norway", "NO", "NOR", "United Kingdom", "UK" -> ISO 3166 alpha-2; None if not a country."""
    s = " ".join(text.split())
    if not s or len(s) > 60:
        return None
    if s.upper() in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[s.upper()]
    try:
        return str(pycountry.countries.lookup(s).alpha_2)
    except LookupError:
        return None


def _alternatives(key: str) -> list[str]:
    """"Zip/Postal Code", "Country/Region": a header naming its column two ways."""
    parts = [p for p in re.split(r"\s*(?:/|\|)\s*", key.rsplit(".", 1)[-1]) if p]
    return parts if len(parts) > 1 else []


def _role_of(key: str, norm_key: Any) -> str | None:
    tail = key.rsplit(".", 1)[-1]
    # the whole name first, then its alternatives in order ("Country/Region" is a country)
    for forms in [{norm_key(key), norm_key(tail), norm_key(tail).replace(" ", "")}] + [{norm_key(a)} for a in _alternatives(key)]:
        for role, words in _vocabulary().items():
            if forms & words:
                return role
    return None


def plan_row(keys: list[str], schema: Schema, mapping: dict[str, tuple[str, float]],
             index: dict[str, tuple[str, float]], norm_key: Any) -> Plan:
    """Adjust the name-based key mapping for fields spread over columns (see the module doc)."""
    plan = Plan(dict(mapping))
    taken = {f for f, _ in plan.mapping.values()}
    for k in keys:
        for alt in _alternatives(k) if k not in plan.mapping else []:
            hit = index.get(norm_key(alt)) or index.get(norm_key(alt).replace(" ", ""))
            if hit and hit[0] not in taken:
                plan.mapping[k] = (hit[0], min(hit[1], 0.85))
                taken.add(hit[0])
                break
    roles = {k: r for k in keys if (r := _role_of(k, norm_key))}
    name_field = (index.get("name") or (None, 0))[0]
    address_field = (index.get("address") or (None, 0))[0]
    person = {r: [k for k in keys if roles.get(k) == f"person_{r}"] for r in ("first", "middle", "last")}
    if name_field and person["first"] and person["last"]:
        for k, (f, _) in list(plan.mapping.items()):
            if f == name_field:
                del plan.mapping[k]  # an employer or display column: the person's own name wins
        order = person["first"][:1] + person["middle"][:1] + person["last"][:1]
        for k in order:
            plan.mapping[k] = (name_field, 0.9)
        plan.joins[name_field] = (order, " ")
    if address_field:
        street = [k for k in keys if plan.mapping.get(k, ("", 0))[0] == address_field]
        extra = [k for role in ("address_locality", "address_region", "country") for k in keys
                 if roles.get(k) == role and k not in plan.mapping]
        if street and extra:
            for k in extra:
                plan.mapping[k] = (address_field, 0.85)
            plan.joins[address_field] = (street + extra, ", ")
    plan.country_key = next((k for k in keys if roles.get(k) == "country"), None)
    if schema.key and schema.key[0] not in {f for f, _ in plan.mapping.values()}:
        row_id = next((k for k in keys if roles.get(k) == "row_id" and k not in plan.mapping), None)
        if row_id is not None:
            plan.mapping[row_id] = (schema.key[0], CONF_ROW_ID)
    return plan
