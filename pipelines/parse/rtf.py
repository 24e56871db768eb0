"""RTF: its text through `striprtf`, then the plain-text block classifier.

Tables come out as text lines (cells separated by `|`); RTF is rare enough in business mail that
a dependency that renders layout does not earn its place.
"""

from __future__ import annotations

from typing import Any

from pipelines.model.document import Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput
from pipelines.parse.text import add_text_blocks


def parse(data: bytes, builder: TextBuilder, ctx: Any) -> None:
    from striprtf.striprtf import rtf_to_text

    raw = data.decode("latin-1")  # RTF is 7-bit with escapes; latin-1 maps every byte
    if not raw.lstrip().startswith("{\\rtf"):
        raise BadInput(Reason.CORRUPT, "not an RTF file (no {\\rtf header)")
    try:
        text = rtf_to_text(raw, errors="ignore")
    except Exception as exc:  # noqa: BLE001 - striprtf raises plain exceptions on broken groups
        raise BadInput(Reason.CORRUPT, f"RTF could not be read ({type(exc).__name__}): {exc}"[:500]) from exc
    if ctx is not None:
        ctx.check_time()
    if not text.strip():
        raise BadInput(Reason.EMPTY, "RTF has no text")
    add_text_blocks(text.replace("\r\n", "\n"), builder)
