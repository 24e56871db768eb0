"""Which schema field a data row's key (a column name, a dict key) stands for.

Keys map to fields by normalised name ("cust_no", "CustNo", "Cust No" and "cust-no" all read as
"cust no") against each field's name and aliases, with common abbreviations expanded, or by an
explicit `key_map` {source key: field name}, which wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pipelines.model.schema import Schema

CONF_KEY_MAP = 0.97  # the key was mapped by someone
CONF_NAME = 0.95  # the key is the field's name
CONF_ALIAS = 0.9  # the key is one of the field's aliases
CONF_ROW_KEY = 0.7  # a dict-of-dicts key taken as the record's key field
CONF_PREFIX = 0.8  # the key starts with a field's name or alias ("standing_charge_gbp_per_day")

# Abbreviations common in column names, expanded before matching ("post_cd" -> "post code").
ABBREVIATIONS = {
    "cd": "code", "no": "number", "num": "number", "nbr": "number", "nr": "number", "addr": "address",
    "dt": "date", "tel": "telephone", "ph": "phone", "nm": "name", "acct": "account", "acc": "account",
    "cust": "customer", "desc": "description", "qty": "quantity", "amt": "amount", "ccy": "currency",
    "curr": "currency", "ref": "reference", "id": "id", "mob": "mobile",
}
# Keys that continue an address split over columns (addr_1, addr_2, town -> one line).
ADDRESS_PART_KEYS = frozenset({"town", "city", "locality", "county", "district"})


def norm_key(key: str) -> str:
    """"cust_no", "CustNo", "Cust No.", "cust-no" -> "cust no"."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(key))
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", s)
    return " ".join(re.findall(r"[a-z0-9]+", s.lower()))


def _compact(key: str) -> str:
    return norm_key(key).replace(" ", "")


def _expanded(key: str) -> str:
    return " ".join(ABBREVIATIONS.get(t, t) for t in norm_key(key).split())


def build_key_index(schema: Schema) -> dict[str, tuple[str, float]]:
    """Normalised key -> (field, confidence) from field names and aliases; ambiguous keys
    (an alias shared by two fields) are left out."""
    seen: dict[str, set[tuple[str, float]]] = {}
    for name, spec in schema.fields.items():
        if spec.type == "list" and isinstance(spec.items, dict):
            continue
        for form in {norm_key(name), _compact(name)}:
            seen.setdefault(form, set()).add((name, CONF_NAME))
        for alias in spec.aliases:
            for form in {norm_key(alias), _compact(alias)}:
                if form:
                    seen.setdefault(form, set()).add((name, CONF_ALIAS))
    out: dict[str, tuple[str, float]] = {}
    for form, owners in seen.items():
        fields = {f for f, _ in owners}
        if len(fields) == 1:
            out[form] = max(owners, key=lambda o: o[1])
        else:  # shared alias: the field whose own name it is wins, else nobody
            named = [o for o in owners if o[1] == CONF_NAME]
            if len(named) == 1:
                out[form] = named[0]
    return out


def map_keys(keys: list[str], schema: Schema, key_map: Mapping[str, str] | None,
             index: dict[str, tuple[str, float]]) -> dict[str, tuple[str, float]]:
    """Source key -> (field, confidence); each field taken by at most one key (best first)."""
    cands: list[tuple[float, int, str, str]] = []
    explicit = {norm_key(k): v for k, v in (key_map or {}).items()}
    for i, k in enumerate(keys):
        if k == "_key":
            continue
        if key_map and k in key_map and key_map[k] in schema.fields:
            cands.append((CONF_KEY_MAP + 1, i, k, key_map[k]))
            continue
        if norm_key(k) in explicit and explicit[norm_key(k)] in schema.fields:
            cands.append((CONF_KEY_MAP + 0.5, i, k, explicit[norm_key(k)]))
            continue
        hit = index.get(norm_key(k)) or index.get(_compact(k)) or index.get(_expanded(k))
        if hit:
            cands.append((hit[1], i, k, hit[0]))
            continue
        if "." in k:  # "site.address" -> "address", ranked below keys matched whole
            parts = k.split(".")
            for n in range(1, len(parts)):
                tail = ".".join(parts[n:])
                hit = index.get(norm_key(tail)) or index.get(_compact(tail)) or index.get(_expanded(tail))
                if hit:
                    cands.append((CONF_PREFIX - 0.02 * n, i, k, hit[0]))
                    break
            else:
                continue
            continue
        # "standing_charge_gbp_per_day", "email_addr", "addr_1": a field's name or alias followed
        # by a unit or qualifier
        toks = _expanded(k).split()
        for n in range(len(toks) - 1, 0, -1):
            head = " ".join(toks[:n])
            hit = index.get(head)
            if hit and (n >= 2 or len(head) >= 4):
                cands.append((CONF_PREFIX - 0.01 * (len(toks) - n), i, k, hit[0]))
                break
    cands.sort(key=lambda c: (-c[0], c[1]))
    out: dict[str, tuple[str, float]] = {}
    taken: set[str] = set()
    for conf, _, k, f in cands:
        if k in out:
            continue
        if f in taken:
            # numbered parts of one field ("addr_1", "addr_2") are all kept and joined later
            if not (re.search(r"\d$", norm_key(k)) and schema.fields[f].type == "string"):
                continue
        out[k] = (f, min(conf, CONF_KEY_MAP))
        taken.add(f)
    # "town"/"city" after numbered address parts belong to the same line
    multi = {f for f in taken if sum(1 for ff, _ in out.values() if ff == f) > 1}
    for k in keys:
        if k not in out and norm_key(k) in ADDRESS_PART_KEYS:
            for f in multi:
                out[k] = (f, CONF_PREFIX)
    if "_key" in keys and schema.key and schema.key[0] not in taken:
        target = (key_map or {}).get("_key", schema.key[0])
        if target in schema.fields and target not in taken:
            out["_key"] = (target, CONF_KEY_MAP if key_map and "_key" in key_map else CONF_ROW_KEY)
    return out
