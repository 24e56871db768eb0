"""Which fields a restricted generic run must choose so that the wanted ones come out exactly as in
a full run.

When rules have read most of a document, only the fields they left empty need the generic
extractor. Its choices are not independent, though: a schema sum check boosts the three amounts
together, a date-order check reads two dates together, the issuer and the customer must differ,
and the issuer's address is read under the issuer's name. A wanted field pulls in the fields it
is chosen together with (transitively). Candidates that decide between fields (the label
readings and their claims) are always found for every field; see engine.extract_explained.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipelines.map.extract.choice import sum_checks
from pipelines.map.extract.labels import fold_label
from pipelines.map.extract.memo import per_schema
from pipelines.map.extract.vocab import CUSTOMER_CUES, ISSUER_CUES
from pipelines.map.extract.zones import role_fields
from pipelines.model.schema import Schema

_GE = re.compile(r"^\s*(\w+)\s*>=\s*(\w+)\s*$")  # as joint.date_order reads a check


def address_fields(schema: Schema) -> frozenset[str]:
    """String fields labelled "... address"."""
    return per_schema(schema, "address", lambda sc: frozenset(
        n for n, s in sc.fields.items() if s.type == "string" and any("address" in fold_label(a).split() for a in s.aliases)))


def letterhead_fields(schema: Schema) -> list[str]:
    """Address fields of the issuer's side (read under the issuer's name, letterhead.py)."""
    return list(per_schema(schema, "letterhead", lambda sc: tuple(
        n for n in address_fields(sc) if any(set(fold_label(a).split()) & ISSUER_CUES for a in sc.fields[n].aliases))))


def joint_groups(schema: Schema) -> list[frozenset[str]]:
    """Sets of fields whose values are chosen together."""
    groups = [frozenset((a, b, c)) for a, b, c, _ in sum_checks(schema)]
    for chk in schema.checks:
        m = _GE.match(chk.expr)
        if m and all(n in schema.fields for n in m.groups()):
            groups.append(frozenset(m.groups()))
    issuer, customer = role_fields(schema, ISSUER_CUES), role_fields(schema, CUSTOMER_CUES)
    if issuer and customer:
        groups.append(frozenset(issuer + customer))
    if issuer:
        groups.append(frozenset([issuer[0], *letterhead_fields(schema)]))
    return groups


def scope(schema: Schema, wanted: Iterable[str]) -> frozenset[str]:
    """The wanted fields and every field chosen together with one of them."""
    out = {n for n in wanted if n in schema.fields}
    groups = joint_groups(schema)
    grown = True
    while grown:
        grown = False
        for g in groups:
            if g & out and not g <= out:
                out |= g
                grown = True
    return frozenset(out)
