"""Evaluates rule-set and classifier selectors against a document (and its parent email)."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cached_property

from pipelines.model.document import Document, Kind
from pipelines.map import fingerprint as fp
from pipelines.map.extract.misread import LOOK_ALIKE as _LOOK_ALIKE
from pipelines.map.rules import Selector


@dataclass
class DocView:
    """A document plus what selectors may ask about it, computed once."""

    doc: Document
    parent: Document | None = None

    @cached_property
    def lower_text(self) -> str:
        return self.doc.text.lower()

    @cached_property
    def sender_domain(self) -> str | None:
        for d in (self.doc, self.parent):
            email = (d.metadata.get("email") if d else None) or {}
            addr = email.get("from_address") or ""
            if "@" in addr:
                return addr.rsplit("@", 1)[1].lower()
        return None

    @cached_property
    def layout(self) -> str:
        return fp.fingerprint(self.doc)

    @cached_property
    def label_layout(self) -> str:
        return fp.label_fingerprint(self.doc)

    @cached_property
    def row_keys(self) -> set[str]:
        keys: set[str] = set()
        for el in self.doc.elements:
            if el.kind in (Kind.CODE_DATA, Kind.TABLE):
                rec = el.attrs.get("record")
                recs = el.attrs.get("records") or ([rec] if isinstance(rec, dict) else [])
                for r in recs[:5]:
                    if isinstance(r, dict):
                        keys.update(str(k).lower() for k in r)
        return keys

    def has_phrase(self, phrase: str) -> bool:
        p = phrase.lower()
        if not p:
            return False
        if p not in self.lower_text:
            return False
        # Whole-word check so "bill" does not fire inside "billion".
        return re.search(rf"(?<!\w){re.escape(p)}(?!\w)", self.lower_text) is not None

    @cached_property
    def read_by_ocr(self) -> bool:
        return "ocr" in self.doc.metadata

    @cached_property
    def _look_alike_text(self) -> str:
        return self.lower_text.translate(_LOOK_ALIKE)

    def has_phrase_misread(self, phrase: str) -> bool:
        """has_phrase, and on a page read by OCR also the phrase with one letter read as a
        look-alike ("Tnvoice", "lnvoice"): a receipt photo's one keyword is often misread. Only
        phrases of MIN_MISREAD_LETTERS letters or more: one letter off a short word is another word."""
        if self.has_phrase(phrase):
            return True
        if not self.read_by_ocr or sum(ch.isalpha() for ch in phrase) < MIN_MISREAD_LETTERS:
            return False
        p, text, shapes = phrase.lower(), self.lower_text, self._look_alike_text
        shape = p.translate(_LOOK_ALIKE)
        i = shapes.find(shape)
        while i >= 0:
            end = i + len(p)
            if ((i == 0 or not text[i - 1].isalnum()) and (end == len(text) or not text[end].isalnum())
                    and sum(x != y for x, y in zip(text[i:end], p)) <= 1):
                return True
            i = shapes.find(shape, i + 1)
        return False


MIN_MISREAD_LETTERS = 5


def matches(sel: Selector, view: DocView) -> bool:
    doc = view.doc
    if sel.media_types and doc.media_type not in sel.media_types:
        return False
    if sel.filename and not fnmatch.fnmatch((doc.name or "").lower(), sel.filename.lower()):
        return False
    if sel.sender_domains:
        dom = view.sender_domain
        if not dom or not any(dom == d.lower() or dom.endswith("." + d.lower()) for d in sel.sender_domains):
            return False
    if sel.keywords and not all(view.has_phrase(k) for k in sel.keywords):
        return False
    if sel.any_keywords and not any(view.has_phrase(k) for k in sel.any_keywords):
        return False
    if sel.not_keywords and any(view.has_phrase(k) for k in sel.not_keywords):
        return False
    if sel.row_keys and not {k.lower() for k in sel.row_keys} <= view.row_keys:
        return False
    if sel.xml_roots and doc.metadata.get("xml_root") not in sel.xml_roots:
        return False
    if sel.layout and fp.similarity(sel.layout, view.label_layout if sel.layout.startswith(fp.PREFIX2)
                                    else view.layout) < fp.SAME_LAYOUT:
        return False
    return True
