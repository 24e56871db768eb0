"""Decoding bytes of unknown encoding into text, refusing what is not text."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes) -> str:
    """Decode text bytes: BOM, then strict UTF-8, then charset detection.

    Raises UnicodeError when the bytes do not look like text in any encoding, so callers can
    quarantine the document with a clear reason instead of storing mojibake.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[: 1 << 20]).best()
    if best is None or best.encoding is None:
        raise UnicodeError("bytes are not text in any detectable encoding")
    text = data.decode(best.encoding, errors="strict")
    # Control characters (other than whitespace) in bulk mean binary that happened to decode.
    bad = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if bad > max(5, len(text[:20000]) // 100):
        raise UnicodeError(f"decoded as {best.encoding} but full of control characters")
    return text
