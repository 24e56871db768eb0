"""Layout fingerprints: documents from the same template share most of their label words.

The fingerprint is a MinHash of the alphabetic words on the first page, so two documents of
one layout compare as similar (estimated Jaccard) even though their values differ.
"""

from __future__ import annotations

import hashlib
import re

from pipelines.document import Document

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_N = 32
PREFIX = "lf1:"


def layout_words(doc: Document, max_chars: int = 6000) -> set[str]:
    first_page = doc.text.split("\f", 1)[0][:max_chars]
    return {w.lower() for w in _WORD.findall(first_page)}


def _minhash(words: set[str]) -> list[int]:
    if not words:
        return [0] * _N
    sigs = []
    for seed in range(_N):
        salt = seed.to_bytes(2, "big")
        sigs.append(min(int.from_bytes(hashlib.blake2b(salt + w.encode(), digest_size=4).digest(), "big") for w in words))
    return sigs


def fingerprint(doc: Document) -> str:
    return PREFIX + "".join(f"{v:08x}" for v in _minhash(layout_words(doc)))


def similarity(a: str, b: str) -> float:
    """Estimated Jaccard similarity of two fingerprints (0..1)."""
    if not (a.startswith(PREFIX) and b.startswith(PREFIX)):
        return 0.0
    ha, hb = a[len(PREFIX):], b[len(PREFIX):]
    if len(ha) != len(hb) or not ha:
        return 0.0
    pairs = [(ha[i:i + 8], hb[i:i + 8]) for i in range(0, len(ha), 8)]
    return sum(x == y for x, y in pairs) / len(pairs)


SAME_LAYOUT = 0.5
