"""Type-aware value shapes: the pattern a learned rule cuts a value out of running text with.

"Please pay by 22 January 2026. Questions..." -> the words before the value anchor it ("pay by")
and the value's shape says where it ends: `\\d{1,2} [^\\W\\d_]+ \\d{4}` for a spelled-out
date, `\\d{1,2}\\.\\d{1,2}\\.\\d{4}` for 15.02.2026, a grouped number for an amount. The
shape comes from the printed value, generalised by character class, so the next document's
date or amount of the same form matches.

A printed identifier whose fixed prefix or suffix is not printed ("806 7189 25" for
GB806718925) is learned as a transform that adds it back.
"""

from __future__ import annotations

import re
from typing import Any

from pipelines.model.schema import FieldSpec

NUMERIC = {"amount", "number", "integer", "decimal"}
# an amount as printed: sign, currency-free digits with optional grouping and decimals
AMOUNT_SHAPE = r"-?\(?\d{1,3}(?:[ .,'\u00a0]?\d{3})*(?:[.,]\d{1,2})?\)?"


def _generalise(raw: str) -> str:
    out = []
    for m in re.finditer(r"\d+|[^\W\d_]+|\s+|.", raw):
        tok = m.group(0)
        if tok.isdigit():
            out.append(r"\d{1,2}" if len(tok) <= 2 else rf"\d{{{len(tok)}}}")
        elif tok.isspace():
            out.append(r"\s+")
        elif tok.isalpha():
            out.append(r"[^\W\d_]+")
        else:
            out.append(re.escape(tok))
    return "".join(out)


def typed_shape(raw: str, spec: FieldSpec) -> str | None:
    """The shape of a date or amount as printed, or None for other types."""
    raw = raw.strip()
    if not raw:
        return None
    if spec.type in ("date", "datetime"):
        return r"(?<![\w.])" + _generalise(raw.rstrip(".")) + r"(?!\d)"
    if spec.type in NUMERIC:
        return r"(?<![\w.,])" + AMOUNT_SHAPE + r"(?![\d])"
    return None


def affix_transforms(printed: str, target: Any) -> list[list[Any]]:
    """Transforms that turn the printed form into the target when the target adds a fixed
    prefix or suffix (and the printed form has spaces inside the number)."""
    if not isinstance(target, str):
        return []
    bare = re.sub(r"[\s\u00a0]", "", printed)
    if not bare or bare.upper() == target.upper():
        return []
    t = target.upper()
    out: list[list[Any]] = []
    remove = [{"remove": r"[\s\u00a0]"}] if bare != printed.strip() else []
    i = t.find(bare.upper())
    if i > 0 and t.endswith(bare.upper()):
        out.append([*remove, {"prefix": target[:i]}])
    elif i == 0 and len(t) > len(bare):
        out.append([*remove, {"suffix": target[len(bare):]}])
    return out


__all__ = ["AMOUNT_SHAPE", "affix_transforms", "typed_shape"]
