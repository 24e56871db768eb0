"""E-mail attachments, whichever container they came from: each parsed as a child document,
with a record of it (or of why it was skipped) kept in the message's metadata."""

from __future__ import annotations

from typing import Any

from pipelines.parse.builder import TextBuilder
from pipelines.parse.email_headers import clean_header_value

# ---------------------------------------------------------------------------------------------
# Attachments

_MIN_IMAGE_BYTES = 128


def image_size(data: bytes) -> tuple[int, int] | None:
    """Pixel size of a PNG or GIF (enough to spot 1x1 tracking pixels), else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return None


def is_tracking_pixel(data: bytes, media_type: str | None) -> bool:
    """Tiny images (1x1 pixels, spacers) carry no content; do not parse them as attachments."""
    size = image_size(data)
    if size is not None:
        return size[0] <= 3 and size[1] <= 3
    return bool(media_type and media_type.startswith("image/") and len(data) < _MIN_IMAGE_BYTES)


def add_attachment(ctx: Any, builder: TextBuilder, data: bytes, name: str, *, media_type: str | None = None,
                   inline: bool = False, records: list[dict[str, Any]]) -> None:
    """Parse one attachment as a child document; a record of it goes into `records` either way."""
    ctx.check_time()
    rec: dict[str, Any] = {"name": name, "size": len(data), "media_type": media_type}
    if inline:
        rec["inline"] = True
    if not data:
        rec["skipped"] = "empty"
    elif is_tracking_pixel(data, media_type):
        rec["skipped"] = "tracking pixel"
    elif len(ctx.doc.children) >= ctx.limits.max_children:
        rec["skipped"] = "too many attachments"
        if not any(w.startswith("more than") and "attachments" in w for w in builder.doc.warnings):
            builder.doc.warnings.append(f"more than {ctx.limits.max_children} attachments; the rest were not parsed")
    else:
        child = ctx.add_child(data, name)
        rec["child_id"] = child.id
        rec["status"] = str(child.status)
    records.append(rec)


def safe_name(name: str | None, fallback: str) -> str:
    name = clean_header_value(name).replace("/", "_").replace("\\", "_")
    return name.strip(". ") or fallback
