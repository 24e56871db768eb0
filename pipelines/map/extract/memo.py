"""Values computed once per loaded schema (schemas are loaded once and never changed): which
fields play a role, which are address fields. Keyed by the schema object's identity, which is
checked on each hit, since an id can be reused once a schema is gone."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from pipelines.model.schema import Schema

T = TypeVar("T")
_MEMO: dict[tuple[int, Hashable], tuple[Schema, Any]] = {}


def per_schema(schema: Schema, what: Hashable, compute: Callable[[Schema], T]) -> T:
    """`compute(schema)`, computed once per schema object and `what`."""
    hit = _MEMO.get((id(schema), what))
    if hit is not None and hit[0] is schema:
        return hit[1]
    value = compute(schema)
    if len(_MEMO) > 256:
        _MEMO.clear()
    _MEMO[(id(schema), what)] = (schema, value)
    return value
