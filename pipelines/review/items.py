"""Editing one cell of a line table instead of retyping the whole list as JSON.

`line_items.2.amount=41.50` sets the amount of the second item (numbered from 1 as shown),
`line_items.3=` (empty) removes the third item. The edits of one field become one ordinary
correction of the whole list, starting from the record's current items, so the decision log
keeps the complete before and after.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pipelines.model.records import Record
from pipelines.model.schema import Schema
from pipelines.review.corrections import Correction, InvalidCorrection

_EDIT = re.compile(r"^(?P<field>[A-Za-z_]\w*)(?:\.|\[)(?P<row>\d+)\]?(?:\.(?P<col>[A-Za-z_]\w*))?$")


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)  # Decimal, date: their exact text form


def expand_item_edits(record: Record, schema: Schema, corrections: Sequence[Any]) -> list[Any]:
    """Corrections with cell edits of list fields folded into one whole-list correction each.
    Raises ValueError-derived InvalidCorrection (via the caller's checks) for bad rows/columns."""
    out: list[Any] = []
    edits: dict[str, list[dict[str, Any]]] = {}
    for c in corrections:
        m = _EDIT.match(c.field) if isinstance(getattr(c, "field", None), str) else None
        spec = schema.fields.get(m.group("field")) if m else None
        if m is None or spec is None or spec.type != "list" or not isinstance(spec.items, dict):
            out.append(c)
            continue
        name = m.group("field")
        if name not in edits:
            fv = record.fields.get(name)
            edits[name] = [{k: _plain(v) for k, v in it.items()} for it in (fv.value if fv and isinstance(fv.value, list) else [])]
        rows = edits[name]
        row, col = int(m.group("row")), m.group("col")
        problem = {"code": "invalid_value", "field": name}
        if not 1 <= row <= len(rows) + (1 if col else 0):
            raise InvalidCorrection(f"{c.field}: {name} has {len(rows)} item(s); number them from 1",
                                    [problem | {"message": "no such item"}])
        if col is not None and col not in spec.items:
            raise InvalidCorrection(f"{c.field}: items have no {col!r}; they have {', '.join(spec.items)}",
                                    [problem | {"message": "no such column"}])
        if row == len(rows) + 1:
            rows.append({})
        if col is None:
            if str(c.value).strip():
                raise InvalidCorrection(f"{c.field}: give a column ({name}.{row}.COLUMN=VALUE) or an empty value to remove the item",
                                        [problem | {"message": "whole item edits only remove"}])
            rows[row - 1] = None  # type: ignore[call-overload]  # removed after all edits, so numbers stay as shown
        elif rows[row - 1] is not None:
            rows[row - 1][col] = str(c.value).strip() or None
    for name, rows in edits.items():
        out.append(Correction(name, json.dumps([r for r in rows if r is not None], ensure_ascii=False)))
    return out


__all__ = ["expand_item_edits"]
