"""Word (.docx) documents via python-docx: body in document order, headers/footers, core properties.

The body is read from the XML (`w:p` and `w:tbl` children of `w:body`, including those inside
content controls) so paragraphs and tables stay interleaved as the author wrote them. Tables
are laid out on their grid: a merged cell's text appears once, in its first grid position.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone
from typing import Any

from docx.oxml.ns import qn

from pipelines.model.document import Kind, Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.docx_hidden import HiddenRuns
from pipelines.parse.docx_styles import LeanParts, style_table
from pipelines.parse.docx_xml import P, VAL, block_items, int_attr, paragraph_text, table_rows, textboxes
from pipelines.parse.errors import BadInput
from pipelines.parse.text import KEY_VALUE

_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
)
_HEADING_NAME = re.compile(r"^heading\s*([1-9])$", re.I)
_TIME_CHECK_EVERY = 200


def parse(data: bytes, builder: TextBuilder, ctx) -> None:  # type: ignore[no-untyped-def]
    document = _open(data)
    reader = _Reader(document, builder, ctx)
    reader.strip_hidden()
    reader.core_properties()
    headers, footers = reader.headers_footers()
    for text, attrs in headers:
        builder.add(Kind.PAGE_HEADER, text, attrs=attrs)
    reader.body()
    for text, attrs in footers:
        builder.add(Kind.PAGE_FOOTER, text, attrs=attrs)


def _open(data: bytes) -> Any:
    from docx.opc.package import OpcPackage, Unmarshaller
    from docx.opc.pkgreader import PackageReader

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "[Content_Types].xml" not in names:
                raise BadInput(Reason.CORRUPT, "Word file has no [Content_Types].xml (not an Office Open XML package)")
            if "word/document.xml" not in names and not any(
                    n.startswith("word/") and n.endswith(".xml") and "document" in n for n in names):
                raise BadInput(Reason.CORRUPT, "Word file has no word/document.xml (main document part missing)")
    except zipfile.BadZipFile as exc:
        raise BadInput(Reason.CORRUPT, f"broken zip container: {exc}") from exc
    try:
        package = OpcPackage()  # as OpcPackage.open, with the styles part left as bytes
        Unmarshaller.unmarshal(PackageReader.from_file(io.BytesIO(data)), package, LeanParts)
        part = package.main_document_part
        if part.content_type not in _MAIN_TYPES:
            raise BadInput(Reason.CORRUPT, f"main part is not a Word document (content type {part.content_type})")
        return part.document
    except BadInput:
        raise
    except (MemoryError, RecursionError):
        raise
    except KeyError as exc:
        raise BadInput(Reason.CORRUPT, f"Word file is missing a part it references: {exc}") from exc
    except Exception as exc:  # lxml syntax errors, broken relationships, bad zip members ...
        raise BadInput(Reason.CORRUPT, f"Word file could not be read ({type(exc).__name__}): {exc}"[:500]) from exc


class _Reader:
    def __init__(self, document: Any, builder: TextBuilder, ctx: Any) -> None:
        self.document = document
        self.builder = builder
        self.ctx = ctx
        try:
            self.styles = style_table(document)
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:  # a styles part that is not XML: as python-docx refused it on opening
            raise BadInput(Reason.CORRUPT, f"Word file could not be read ({type(exc).__name__}): {exc}"[:500]) from exc
        self._count = 0

    # -- styles -----------------------------------------------------------------------------

    def classify(self, p: Any, text: str) -> tuple[Kind, dict[str, Any]]:
        ppr = p.find(qn("w:pPr"))
        style_el = ppr.find(qn("w:pStyle")) if ppr is not None else None
        sid = style_el.get(VAL) if style_el is not None else self.styles.default_paragraph
        chain = self.styles.paragraph_chain(sid)
        style_name = chain[0]["name"] if chain else (sid or "")
        attrs: dict[str, Any] = {"style": style_name} if style_name else {}

        for st in chain:
            name = st["name"].strip()
            if name.lower() == "title":
                return Kind.TITLE, {**attrs, "level": 0}
            m = _HEADING_NAME.match(name)
            if m:
                return Kind.HEADING, {**attrs, "level": int(m.group(1))}
        outline = int_attr(ppr.find(qn("w:outlineLvl"))) if ppr is not None else None
        if outline is None:
            outline = next((st["outline"] for st in chain if st["outline"] is not None), None)
        if outline is not None and 0 <= outline < 9 and "\n" not in text.strip() and len(text) < 300:
            return Kind.HEADING, {**attrs, "level": outline + 1}

        num = ppr.find(qn("w:numPr")) if ppr is not None else None
        if num is not None:
            num_id = int_attr(num.find(qn("w:numId")))
            if num_id:  # numId 0 switches numbering off
                ilvl = int_attr(num.find(qn("w:ilvl")), 0)
                return Kind.LIST_ITEM, {**attrs, "level": ilvl, "num_id": num_id}
        elif any(st["numbered"] for st in chain) or any(st["name"].lower().startswith("list") for st in chain[:1]):
            return Kind.LIST_ITEM, {**attrs, "level": 0}

        if "\n" not in text.strip() and (m := KEY_VALUE.match(text.strip())):
            return Kind.KEY_VALUE, {**attrs, "key": m.group("key").strip(), "value": m.group("value").strip()}
        return Kind.PARAGRAPH, attrs

    # -- content ----------------------------------------------------------------------------

    def _tick(self) -> None:
        self._count += 1
        if self._count % _TIME_CHECK_EVERY == 0:
            self.ctx.check_time()

    def body(self) -> None:
        body = self.document.element.body
        if body is None:
            raise BadInput(Reason.CORRUPT, "Word document has no body")
        if body.find(qn("w:altChunk")) is not None or next(body.iter(qn("w:altChunk")), None) is not None:
            self.builder.doc.warnings.append("document embeds alternative-format chunks (altChunk) whose text was not read")
        for el in block_items(body):
            self._tick()
            if el.tag == P:
                self.paragraph(el)
            else:
                self.table(el)

    def paragraph(self, p: Any, extra: dict[str, Any] | None = None) -> None:
        text = paragraph_text(p).strip()
        if text:
            kind, attrs = self.classify(p, text)
            if extra:
                attrs.update(extra)
            self.builder.add(kind, text, attrs=attrs)
        for tx in textboxes(p):
            for el in block_items(tx):
                if el.tag == P:
                    self.paragraph(el, {"textbox": True})
                else:
                    self.table(el, {"textbox": True})

    def table(self, tbl: Any, extra: dict[str, Any] | None = None) -> None:
        rows, merges, nested = table_rows(tbl)
        attrs: dict[str, Any] = dict(extra or {})
        if merges:
            attrs["merged_cells"] = merges
        if nested:
            attrs["nested_tables"] = nested
        self.builder.add_table(rows, attrs=attrs)

    def _part_text(self, root: Any) -> str:
        lines = []
        for el in block_items(root):
            if el.tag == P:
                text = paragraph_text(el).strip()
                for tx in textboxes(el):
                    inner = " ".join(paragraph_text(q).strip() for q in block_items(tx) if q.tag == P)
                    text = (text + " " + inner).strip()
            else:
                text = "\n".join("\t".join(r).strip() for r in table_rows(el)[0] if any(r))
            if text:
                lines.append(text)
        return "\n".join(lines)

    def headers_footers(self) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
        out: dict[str, list[tuple[str, dict[str, Any]]]] = {"header": [], "footer": []}
        seen: dict[str, set[str]] = {"header": set(), "footer": set()}
        try:
            sections = list(self.document.sections)
        except Exception as exc:
            self.builder.doc.warnings.append(f"sections could not be read ({type(exc).__name__}); headers/footers skipped")
            return [], []
        related = self.document.part.related_parts
        for i, section in enumerate(sections, 1):
            sect_pr = section._sectPr
            for kind in ("header", "footer"):
                for ref in sect_pr.findall(qn(f"w:{kind}Reference")):
                    r_id = ref.get(qn("r:id"))
                    part = related.get(r_id) if r_id else None
                    if part is None:
                        continue
                    try:
                        text = self._part_text(part.element)
                    except Exception as exc:
                        self.builder.doc.warnings.append(f"{kind} of section {i} could not be read ({type(exc).__name__})")
                        continue
                    if not text.strip() or text in seen[kind]:
                        continue
                    seen[kind].add(text)
                    out[kind].append((text, {"section": i, "type": ref.get(qn("w:type")) or "default"}))
        return out["header"], out["footer"]

    def strip_hidden(self) -> None:
        """Take runs nobody can see out of the body, headers and footers (recorded, never evidence)."""
        hidden = HiddenRuns(self.document, self.styles)
        hidden.strip(self.document.element, self.builder.doc)
        for part in self.document.part.related_parts.values():
            if part.partname.endswith(".xml") and ("/header" in part.partname or "/footer" in part.partname):
                element = getattr(part, "element", None)
                if element is not None:
                    hidden.strip(element, self.builder.doc)

    def core_properties(self) -> None:
        try:
            cp = self.document.core_properties
            meta = {
                "title": cp.title or None,
                "author": cp.author or None,
                "created": _iso(cp.created),
                "modified": _iso(cp.modified),
                "last_modified_by": cp.last_modified_by or None,
                "subject": cp.subject or None,
                "keywords": cp.keywords or None,
            }
        except Exception as exc:
            self.builder.doc.warnings.append(f"core properties could not be read ({type(exc).__name__})")
            return
        for key, value in meta.items():
            if value:
                self.builder.doc.metadata[key] = value


def _iso(value: Any) -> str | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:  # W3CDTF in docProps/core.xml is UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()
