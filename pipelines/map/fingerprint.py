"""Layout fingerprints: documents from the same template share most of their label words.

A fingerprint is a MinHash of a set of words, so two documents of one layout compare as
similar (estimated Jaccard) even though their values differ.

- `lf1:` (kept for rule files that carry one) hashes every word of the first page, line
  descriptions included, so the same supplier's invoice with other items can fall below
  the threshold.
- `lf2:` hashes the label vocabulary: the words of the first and the last page (header
  labels, totals, payment terms) outside rows that carry two or more numbers (line items,
  whose descriptions change from one document to the next). Page count and item list do not
  move it. New learned selectors use `lf2`.
"""

from __future__ import annotations

import hashlib
import re

from pipelines.model.document import Document

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w.,])\d[\d.,' ]*\d(?![\w])|(?<![\w.,])\d(?![\w.,])")
_N = 32
PREFIX = "lf1:"
PREFIX2 = "lf2:"
SAME_LAYOUT = 0.5


def layout_words(doc: Document, max_chars: int = 6000) -> set[str]:
    first_page = doc.text.split("\f", 1)[0][:max_chars]
    return {w.lower() for w in _WORD.findall(first_page)}


def label_words(doc: Document, max_chars: int = 6000) -> set[str]:
    """Words of the first and last page outside item-like rows (two or more numbers on the line)."""
    pages = doc.text.split("\f")
    text = pages[0][:max_chars] + "\n" + (pages[-1][:max_chars] if len(pages) > 1 else "")
    words: set[str] = set()
    for line in text.splitlines():
        if len(_NUMBER.findall(line)) >= 2:
            continue
        words.update(w.lower() for w in _WORD.findall(line))
    return words


def _minhash(words: set[str]) -> list[int]:
    if not words:
        return [0] * _N
    sigs = []
    for seed in range(_N):
        salt = seed.to_bytes(2, "big")
        sigs.append(min(int.from_bytes(hashlib.blake2b(salt + w.encode(), digest_size=4).digest(), "big") for w in words))
    return sigs


def _encode(prefix: str, words: set[str]) -> str:
    return prefix + "".join(f"{v:08x}" for v in _minhash(words))


def fingerprint(doc: Document) -> str:
    """The `lf1` fingerprint (every word of page 1)."""
    return _encode(PREFIX, layout_words(doc))


def label_fingerprint(doc: Document) -> str:
    """The `lf2` fingerprint (the label vocabulary)."""
    return _encode(PREFIX2, label_words(doc))


def of_kind(doc: Document, like: str) -> str:
    """The document's fingerprint of the same version as `like`."""
    return label_fingerprint(doc) if like.startswith(PREFIX2) else fingerprint(doc)


def similarity(a: str, b: str) -> float:
    """Estimated Jaccard similarity of two fingerprints of the same version (0..1)."""
    pa, pb = a[:4], b[:4]
    if pa != pb or pa not in (PREFIX, PREFIX2):
        return 0.0
    ha, hb = a[4:], b[4:]
    if len(ha) != len(hb) or not ha:
        return 0.0
    pairs = [(ha[i:i + 8], hb[i:i + 8]) for i in range(0, len(ha), 8)]
    return sum(x == y for x, y in pairs) / len(pairs)
