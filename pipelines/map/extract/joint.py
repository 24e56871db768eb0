"""Joint choice: readings of several fields that must hold together, beyond the sum checks
(`choice.arithmetic`).

* Date order: for a schema check "A >= B" on two date fields (due date on or after the issue
  date), when both values are numeric dates whose day and month could be swapped and the
  document gives no day/month order, the reading that satisfies the check is taken.
* Distinct parties: the issuer and the customer are not the same party. When both role fields
  got the same value, the less sure one takes its best other candidate.
* Issuer zone: fields of the issuer's side (same field-name prefix as the issuer-role field,
  such as its tax id) are not read from inside the customer's block ("Bill to ..."); a label's
  reading there is the customer's own (the customer-side field of the same name, if any).
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipelines.map.extract.choice import choose
from pipelines.map.extract.context import Ctx, fold_text
from pipelines.map.extract.vocab import CUSTOMER_CUES
from pipelines.map.extract.zones import customer_regions, region_at, role_fields
from pipelines.model.records import Record
from pipelines.map.normalize import NormalizeError, normalize

_GE = re.compile(r"^\s*(\w+)\s*>=\s*(\w+)\s*$")
_AMBIGUOUS = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\s*$")


def date_order(ctx: Ctx, record: Record) -> None:
    if ctx.locale.dayfirst is not None:
        return
    for chk in ctx.schema.checks:
        m = _GE.match(chk.expr)
        if not m:
            continue
        late, early = m.groups()
        a, b = record.fields.get(late), record.fields.get(early)
        if a is None or b is None or ctx.schema.fields.get(late) is None or ctx.schema.fields[late].type != "date":
            continue
        if a.value >= b.value or not (_swappable(a.raw) and _swappable(b.raw)):
            continue
        flipped = replace(ctx.locale, dayfirst=False)
        try:
            a2, b2 = (normalize(fv.raw, "date", locale=flipped) for fv in (a, b))
        except NormalizeError:
            continue
        if a2 >= b2:
            record.fields[late] = replace(a, value=a2)
            record.fields[early] = replace(b, value=b2)


def _swappable(raw: str | None) -> bool:
    m = _AMBIGUOUS.match(raw or "")
    return bool(m) and int(m.group(1)) <= 12 and int(m.group(2)) <= 12 and m.group(1) != m.group(2)


def _party_key(value: object) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", fold_text(str(value))).split())


def distinct_parties(ctx: Ctx, record: Record, issuer: list[str], customer: list[str]) -> None:
    for i_name in issuer:
        for c_name in customer:
            a, b = record.fields.get(i_name), record.fields.get(c_name)
            if a is None or b is None or _party_key(str(a.value)) != _party_key(str(b.value)):
                continue
            loser, keep = (c_name, a) if a.confidence >= b.confidence else (i_name, b)
            same = _party_key(str(keep.value))
            ctx.cands[loser] = [c for c in ctx.cands.get(loser, []) if _party_key(str(c.value)) != same]
            fv, _ = choose(ctx, loser, ctx.schema.fields[loser])
            if fv is None:
                del record.fields[loser]
            else:
                record.fields[loser] = fv


def issuer_zone(ctx: Ctx, issuer_field: str) -> None:
    """Lower candidates of the issuer's own fields that sit in a customer block."""
    prefix = issuer_field.split("_", 1)[0] + "_" if "_" in issuer_field else None
    if prefix is None:
        return
    regions = customer_regions(ctx)
    if not regions:
        return
    customer = role_fields(ctx.schema, CUSTOMER_CUES)
    other = customer[0].split("_", 1)[0] + "_" if customer and "_" in customer[0] else None
    for name, spec in ctx.schema.fields.items():
        if name == issuer_field or not name.startswith(prefix) or spec.type == "list":
            continue
        sibling = other + name[len(prefix):] if other else None
        for c in list(ctx.cands.get(name, [])):
            r = region_at(ctx, regions, c.start, c.end)
            if r is None:
                continue
            if r.customer and sibling in ctx.schema.fields and ctx.wants(sibling) and c.source.startswith("label"):
                # "VAT No: ..." inside the "Bill to" block: the customer's own id, so not the issuer's
                ctx.cands[sibling].append(replace(c, score=c.score * 0.8))
                c.score *= 0.1
                continue
            c.score *= 0.3

