"""Choosing a value per field: candidates grouped by value (noisy-OR), claims between fields,
the schema's sum checks (subtotal + tax = total), and the confidence.
"""

from __future__ import annotations
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any
from pipelines.model.records import Evidence, FieldValue, Issue
from pipelines.map.normalize import NormalizeError, normalize
from pipelines.model.schema import FieldSpec, Schema
from pipelines.map.extract.calibration import CONFLICTS, calibrate, source_of
from pipelines.map.extract.context import Cand, Ctx, amount_tokens, fold_text
from pipelines.map.extract.vocab import LEGAL_FORM


def _key(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(fold_text(value).replace(",", " ").split())
    if isinstance(value, list):
        return repr(value)
    return value


def _noisy_or(scores: Iterable[float]) -> float:
    p = 1.0
    for i, s in enumerate(sorted(scores, reverse=True)):
        p *= 1 - min(max(s, 0.0), 0.99) * (1.0 if i == 0 else 0.5)
    return 1 - p


def apply_claims(ctx: Ctx) -> None:
    """A span read next to a label of one field is not another field's value (the due date is
    not the issue date), unless that field's own label anchored it as strongly."""
    best: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    for name, cands in ctx.cands.items():
        for c in cands:
            if c.source.startswith("label:") or c.source == "row":
                d = best[(c.start, c.end)]
                d[name] = max(d.get(name, 0.0), c.score)
    for name, cands in ctx.cands.items():
        keep = []
        for c in cands:
            d = best.get((c.start, c.end))
            if d:
                top_field, top = max(d.items(), key=lambda kv: kv[1])
                mine = d.get(name, 0.0)
                if top_field != name and mine < 0.8 * top:
                    if c.source.startswith("label:") or c.source == "row" or c.source.startswith("type"):
                        continue
            keep.append(c)
        ctx.cands[name] = keep


_CHECK = re.compile(r"^\s*(\w+)\s*\+\s*(\w+)\s*==?\s*(\w+)\s*$")


_CHECK_REV = re.compile(r"^\s*(\w+)\s*==?\s*(\w+)\s*\+\s*(\w+)\s*$")


def sum_checks(schema: Schema) -> list[tuple[str, str, str, Decimal]]:
    out = []
    for chk in schema.checks:
        m = _CHECK.match(chk.expr)
        if m:
            a, b, c = m.groups()
        else:
            m = _CHECK_REV.match(chk.expr)
            if not m:
                continue
            c, a, b = m.groups()
        if all(n in schema.fields and schema.fields[n].type in ("amount", "decimal") for n in (a, b, c)):
            out.append((a, b, c, Decimal(str(max(chk.tolerance, 0.005)))))
    return out


_MAX_ROW_AMOUNTS = 40  # amounts of one totals row (net, rates, taxes, total: a wide table's row has a dozen)


def arithmetic(ctx: Ctx) -> None:
    for a_name, b_name, c_name, tol in sum_checks(ctx.schema):
        if not (ctx.wants(a_name) and ctx.wants(b_name) and ctx.wants(c_name)):
            continue  # a restricted run wants none of them (engine.scope keeps a check's fields together)
        roles = {a_name: 0, b_name: 1, c_name: 2}
        # within one totals row: amounts x_i + x_j == x_k (i < j < k) on the line of a label
        by_line: dict[int, list[Cand]] = defaultdict(list)
        for name in roles:
            for c in ctx.cands.get(name, []):
                if c.source in ("row",) or c.source.startswith("label:"):
                    line = ctx.idx.line_at(c.start)
                    if line is not None:
                        by_line[line.index].append(c)
        for line_idx, cs in by_line.items():
            line = ctx.idx.lines[line_idx]
            toks = []
            for a, b, raw, strong, _cur in amount_tokens(ctx.doc.text[line.start:line.end], line.start):
                try:
                    toks.append((a, b, amount_value(ctx, raw)))
                except NormalizeError:
                    continue
            toks = [t for t in toks if t[2] is not None]
            if len(toks) > _MAX_ROW_AMOUNTS:
                continue  # no totals row: a file run into one line (every triple of its amounts is hours)
            triple = None
            for i in range(len(toks)):
                for j in range(i + 1, len(toks)):
                    for k in range(j + 1, len(toks)):
                        if toks[k][2] != 0 and abs(toks[i][2] + toks[j][2] - toks[k][2]) <= tol:
                            triple = (toks[i], toks[j], toks[k])
            if triple is None:
                continue
            for c in cs:
                name = next((n for n in roles if c in ctx.cands.get(n, [])), None)
                if name is None:
                    continue
                want = triple[roles[name]]
                if (c.start, c.end) == (want[0], want[1]):
                    c.score = 1 - (1 - c.score) * (1 - 0.5)
                elif any((c.start, c.end) == (t[0], t[1]) for t in triple):
                    c.score *= 0.5
        # across the document: the best-scoring consistent triple
        tops = []
        for name in (a_name, b_name, c_name):
            cs = sorted(ctx.cands.get(name, []), key=lambda c: -c.score)[:8]
            tops.append([c for c in cs if isinstance(c.value, Decimal)])
        best = None
        for ca in tops[0]:
            for cb in tops[1]:
                for cc in tops[2]:
                    if len({(ca.start, ca.end), (cb.start, cb.end), (cc.start, cc.end)}) < 3:
                        continue
                    if abs(ca.value + cb.value - cc.value) <= tol:
                        s = ca.score + cb.score + cc.score
                        if best is None or s > best[0]:
                            best = (s, ca, cb, cc)
        if best is not None:
            # amounts the sum finder completed were found because they satisfy this very check: they
            # back nothing, and are not backed (two line items that add up to a total are no subtotal
            # and tax). The check needs two values read without it.
            read = [c for c in best[1:] if source_of(c.source) != "sum"]
            for c in read if len(read) >= 2 else []:
                c.score = 1 - (1 - c.score) * (1 - 0.3)
                c.source += "+check"


def amount_value(ctx: Ctx, raw: str) -> Decimal | None:
    try:
        v = normalize(raw, "amount", locale=ctx.locale)
    except NormalizeError:
        return None
    return v if isinstance(v, Decimal) else None


def _family(group: list[Cand], best: Cand) -> str:
    """The finder family a value is judged by: a value a label anchored is judged as a label's,
    even when another finder (a heading, a type pattern) agreed more loudly; with the checks
    that back it ("label+check+pay": a sum check and tendered - change agree with it), as
    values that agree with other fields are right more often at the same score."""
    base = "label" if any(source_of(c.source) == "label" for c in group) else source_of(best.source)
    tags = {_FAMILY_TAG.get(t, t) for c in group for t in c.source.split("+")[1:] if t in _AGREEMENT | CONFLICTS}
    if base == "company" and any(c.source.startswith("company:legal") for c in group):
        tags.add("legal")  # a name with its legal form read at the top, not only a top line
    return "+".join([base, *sorted(tags)])


# tags finders add for a cross-field agreement, or a position that backs the reading (a name
# opening the document: letterhead.header_names)
_AGREEMENT = frozenset({"check", "pay", "address", "top", "round", "sum", "incl"})
# the totals box's own arithmetic (corroborate.py: unrounded + rounding, parts that add up) is
# judged with the schema's sum check: each kind alone is too rare on the fit half for a curve
# whose pseudo-counts let it reach the landing threshold (a new family needs ~35 values right)
_FAMILY_TAG = {"round": "check", "sum": "check", "incl": "check"}


def _legal_form_of(group: list[Cand], n: int) -> bool:
    """Whether the last `n` words of the group's value are a legal form alone ("SDN. BHD.", "GmbH")."""
    value = next((c.value for c in group if isinstance(c.value, str)), None)
    words = value.split() if value else []
    return 0 < n < len(words) and bool(LEGAL_FORM.fullmatch(" ".join(words[-n:]).strip(" ,")))


def choose(ctx: Ctx, name: str, spec: FieldSpec) -> tuple[FieldValue | None, Issue | None]:
    cands = [c for c in ctx.cands.get(name, []) if c.score > 0.05]
    if not cands:
        return None, None
    groups: dict[Any, list[Cand]] = defaultdict(list)
    for c in cands:
        groups[_key(c.value)].append(c)
    # names: a value contained in another ("Amazon Web Services" / "... Services, Inc.") agrees
    if spec.type == "string":
        keys = list(groups)
        same: set[Any] = set()
        for k1 in keys:
            for k2 in keys:
                if k1 != k2 and isinstance(k1, str) and isinstance(k2, str) and len(k1) >= 4 and k2.startswith(k1 + " "):
                    groups[k2] = groups[k2] + [replace(c, score=c.score * 0.8) for c in groups[k1]]
                    if _legal_form_of(groups[k2], len(k2.split()) - len(k1.split())):
                        same.add(k1)
        for k1 in same:
            # "ACME TRADING" read at the top, cut from the "SDN BHD" on its next line: the same name, no rival
            del groups[k1]
    scored = []
    for k, cs in groups.items():
        # one vote per distinct span: the same text read by two finders is one observation
        per_span: dict[tuple[int, int], float] = {}
        for c in cs:
            per_span[(c.start, c.end)] = max(per_span.get((c.start, c.end), 0.0), c.score)
        best_c = max(cs, key=lambda c: c.score)
        scored.append((_noisy_or(per_span.values()), best_c, k))
    scored.sort(key=lambda t: (-t[0], t[1].start))
    top, best_c, _ = scored[0]
    runner = scored[1][0] if len(scored) > 1 else 0.0
    conf = top * (1 - 0.35 * (runner / top if top else 0))
    # the calibrated probability (the raw score where no curve was fitted); required values land
    # only at or above the calibrated landing threshold (engine._below_landing)
    raw = min(conf, 0.97)
    # 4 decimals, as the curves and the landing threshold are written (0.9714 is not 0.971)
    conf = round(calibrate(raw, spec.type, ctx.schema.name, source=_family(groups[scored[0][2]], best_c)), 4)
    ev = Evidence(ctx.doc.id, best_c.start, best_c.end, ctx.doc.text[best_c.start:best_c.end], best_c.page)
    fv = FieldValue(best_c.value, "generic", conf, None, ev, best_c.raw)
    ctx.finders[name] = _family(groups[scored[0][2]], best_c)
    ctx.backing[name] = frozenset(source_of(c.source) for c in groups[scored[0][2]])
    issue = None
    if runner and runner >= 0.8 * top and top >= 0.5:
        other = scored[1][1]
        issue = Issue("conflict", name, f"generic: {best_c.raw!r} and {other.raw!r} are about as likely")
    return fv, issue
