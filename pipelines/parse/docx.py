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
from typing import Any, Iterator

from docx.oxml.ns import qn
from docx.styles import BabelFish

from pipelines.document import Kind, Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.docx_hidden import HiddenRuns
from pipelines.parse.errors import BadInput
from pipelines.parse.text import KEY_VALUE

_P, _TBL, _TR, _TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_SDT, _SDT_CONTENT, _CUSTOM_XML = qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")
_T, _TAB, _BR, _CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_NB_HYPHEN, _PTAB = qn("w:noBreakHyphen"), qn("w:ptab")
_TXBX = qn("w:txbxContent")
_VAL = qn("w:val")
_MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_MC_FALLBACK = f"{{{_MC_NS}}}Fallback"
# Subtrees whose text is not part of the paragraph's visible text (or is read separately).
_SKIP_IN_PARAGRAPH = frozenset({
    qn("w:pPr"), qn("w:rPr"), qn("w:del"), qn("w:moveFrom"), qn("w:instrText"), qn("w:delText"),
    _TXBX, _MC_FALLBACK, qn("w:footnoteReference"), qn("w:endnoteReference"), qn("w:commentReference"),
})
# Containers that hold block content (paragraphs/tables) without being content themselves.
_BLOCK_WRAPPERS = frozenset({_SDT, _SDT_CONTENT, _CUSTOM_XML, qn("w:ins"), qn("w:moveTo")})
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
    from docx.opc.package import OpcPackage

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
        part = OpcPackage.open(io.BytesIO(data)).main_document_part
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


def _block_items(parent: Any) -> Iterator[Any]:
    """`w:p` and `w:tbl` children of a body/cell/header, in order, looking through content controls."""
    return _block_items_of(parent, _P, _TBL)


def _rows(tbl: Any) -> Iterator[Any]:
    return _block_items_of(tbl, _TR)


def _cells(tr: Any) -> Iterator[Any]:
    return _block_items_of(tr, _TC)


def _block_items_of(parent: Any, *wanted: str) -> Iterator[Any]:
    """Children with one of the `wanted` tags, in order, descending into content-control wrappers."""
    stack = [iter(parent)]
    while stack:
        el = next(stack[-1], None)
        if el is None:
            stack.pop()
            continue
        if el.tag in wanted:
            yield el
        elif el.tag in _BLOCK_WRAPPERS:
            stack.append(iter(el))


def paragraph_text(p: Any) -> str:
    """Visible text of a paragraph: runs, hyperlinks, inserted text, field results; no deletions."""
    out: list[str] = []
    stack = [iter(p)]
    while stack:
        el = next(stack[-1], None)
        if el is None:
            stack.pop()
            continue
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP_IN_PARAGRAPH:
            continue
        if tag == _T:
            out.append(el.text or "")
        elif tag == _TAB or tag == _PTAB:
            out.append("\t")
        elif tag == _BR or tag == _CR:
            out.append("\n")
        elif tag == _NB_HYPHEN:
            out.append("-")
        elif len(el):
            stack.append(iter(el))
    return "".join(out).replace("\xa0", " ")


def _textboxes(p: Any) -> list[Any]:
    """Top-level text box contents anchored in this paragraph (the modern copy, not the VML fallback)."""
    found = []
    for tx in p.iter(_TXBX):
        anc = tx.getparent()
        nested = False
        while anc is not None and anc is not p:
            if anc.tag in (_MC_FALLBACK, _TXBX):
                nested = True
                break
            anc = anc.getparent()
        if not nested:
            found.append(tx)
    return found


def _flatten_table(tbl: Any, depth: int = 0) -> str:
    """A nested table as one line of text: cells joined by ' | ', rows by ' / '."""
    if depth > 20:
        return " ".join(t.text or "" for t in tbl.iter(_T))
    rows = []
    for tr in _rows(tbl):
        cells = [_cell_text(tc, depth + 1) for tc in _cells(tr)]
        cells = [c for c in cells if c]
        if cells:
            rows.append(" | ".join(cells))
    return " / ".join(rows)


def _cell_text(tc: Any, depth: int = 0) -> str:
    parts = []
    for el in _block_items(tc):
        text = paragraph_text(el) if el.tag == _P else _flatten_table(el, depth)
        text = " ".join(text.split())
        if text:
            parts.append(text)
    return " ".join(parts)


def _int_attr(el: Any, default: int | None = None) -> int | None:
    if el is None:
        return default
    try:
        return int(el.get(_VAL))
    except (TypeError, ValueError):
        return default


def table_rows(tbl: Any) -> tuple[list[list[str]], list[dict[str, int]], int]:
    """Grid-aligned rows, merged regions (row/col/rowspan/colspan in kept-row indices), nested-table count."""
    raw: list[list[str]] = []
    merges: list[dict[str, int]] = []
    open_vmerge: dict[int, dict[str, int]] = {}
    nested = 0
    for r, tr in enumerate(_rows(tbl)):
        row: list[str] = []
        tr_pr = tr.find(qn("w:trPr"))
        before = _int_attr(tr_pr.find(qn("w:gridBefore")), 0) if tr_pr is not None else 0
        row.extend([""] * (before or 0))
        col = len(row)
        for tc in _cells(tr):
            tc_pr = tc.find(qn("w:tcPr"))
            span = max(1, _int_attr(tc_pr.find(qn("w:gridSpan")), 1) or 1) if tc_pr is not None else 1
            vmerge_el = tc_pr.find(qn("w:vMerge")) if tc_pr is not None else None
            vmerge = None if vmerge_el is None else (vmerge_el.get(_VAL) or "continue")
            if vmerge == "continue" and col in open_vmerge:
                open_vmerge[col]["rowspan"] += 1
                text = ""
            else:
                nested += sum(1 for el in tc.iter(_TBL))
                text = _cell_text(tc)
                region = {"row": r, "col": col, "rowspan": 1, "colspan": span}
                for c in range(col, col + span):
                    if vmerge == "restart":
                        open_vmerge[c] = region
                    else:
                        open_vmerge.pop(c, None)
                if span > 1 or vmerge == "restart":
                    merges.append(region)
            row.append(text)
            row.extend([""] * (span - 1))
            col += span
        # Grid columns this row does not cover end any vertical merge running through them.
        for c in list(open_vmerge):
            if c >= col:
                open_vmerge.pop(c)
        raw.append(row)
    width = max((len(r) for r in raw), default=0)
    raw = [r + [""] * (width - len(r)) for r in raw]
    # Keep row indices consistent with what TextBuilder.add_table keeps (rows with any text).
    kept = [i for i, row in enumerate(raw) if any(" ".join(c.split()) for c in row)]
    index = {old: new for new, old in enumerate(kept)}
    out_merges = []
    for m in merges:
        if m["rowspan"] == 1 and m["colspan"] == 1:
            continue
        if m["row"] not in index:
            continue
        rowspan = sum(1 for i in range(m["row"], m["row"] + m["rowspan"]) if i in index)
        out_merges.append({"row": index[m["row"]], "col": m["col"], "rowspan": rowspan, "colspan": m["colspan"]})
    return raw, out_merges, nested


class _Reader:
    def __init__(self, document: Any, builder: TextBuilder, ctx: Any) -> None:
        self.document = document
        self.builder = builder
        self.ctx = ctx
        self.styles = self._load_styles()
        self.default_style = next((sid for sid, s in self.styles.items() if s.get("default")), None)
        self._count = 0

    # -- styles -----------------------------------------------------------------------------

    def _load_styles(self) -> dict[str, dict[str, Any]]:
        styles: dict[str, dict[str, Any]] = {}
        try:
            part = self.document.part.part_related_by(
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles")
            root = part.element
        except (KeyError, Exception):
            return styles
        for st in root.iter(qn("w:style")):
            if st.get(qn("w:type")) not in (None, "paragraph"):
                continue
            sid = st.get(qn("w:styleId"))
            if not sid:
                continue
            name_el = st.find(qn("w:name"))
            based = st.find(qn("w:basedOn"))
            ppr = st.find(qn("w:pPr"))
            num = ppr.find(qn("w:numPr")) if ppr is not None else None
            num_id = _int_attr(num.find(qn("w:numId"))) if num is not None else None
            outline = _int_attr(ppr.find(qn("w:outlineLvl"))) if ppr is not None else None
            raw_name = (name_el.get(_VAL) if name_el is not None else sid) or sid
            styles[sid] = {
                "name": BabelFish.internal2ui(raw_name),  # "heading 1" -> "Heading 1", as Word shows it
                "based_on": based.get(_VAL) if based is not None else None,
                "numbered": bool(num_id),
                "outline": outline,
                "default": st.get(qn("w:default")) in ("1", "true", "on"),
            }
        return styles

    def _style_chain(self, sid: str | None) -> list[dict[str, Any]]:
        chain = []
        seen = set()
        while sid and sid in self.styles and sid not in seen and len(chain) < 10:
            seen.add(sid)
            chain.append(self.styles[sid])
            sid = self.styles[sid]["based_on"]
        return chain

    def classify(self, p: Any, text: str) -> tuple[Kind, dict[str, Any]]:
        ppr = p.find(qn("w:pPr"))
        style_el = ppr.find(qn("w:pStyle")) if ppr is not None else None
        sid = style_el.get(_VAL) if style_el is not None else self.default_style
        chain = self._style_chain(sid)
        style_name = chain[0]["name"] if chain else (sid or "")
        attrs: dict[str, Any] = {"style": style_name} if style_name else {}

        for st in chain:
            name = st["name"].strip()
            if name.lower() == "title":
                return Kind.TITLE, {**attrs, "level": 0}
            m = _HEADING_NAME.match(name)
            if m:
                return Kind.HEADING, {**attrs, "level": int(m.group(1))}
        outline = _int_attr(ppr.find(qn("w:outlineLvl"))) if ppr is not None else None
        if outline is None:
            outline = next((st["outline"] for st in chain if st["outline"] is not None), None)
        if outline is not None and 0 <= outline < 9 and "\n" not in text.strip() and len(text) < 300:
            return Kind.HEADING, {**attrs, "level": outline + 1}

        num = ppr.find(qn("w:numPr")) if ppr is not None else None
        if num is not None:
            num_id = _int_attr(num.find(qn("w:numId")))
            if num_id:  # numId 0 switches numbering off
                ilvl = _int_attr(num.find(qn("w:ilvl")), 0)
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
        for el in _block_items(body):
            self._tick()
            if el.tag == _P:
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
        for tx in _textboxes(p):
            for el in _block_items(tx):
                if el.tag == _P:
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
        for el in _block_items(root):
            if el.tag == _P:
                text = paragraph_text(el).strip()
                for tx in _textboxes(el):
                    inner = " ".join(paragraph_text(q).strip() for q in _block_items(tx) if q.tag == _P)
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
        hidden = HiddenRuns(self.document)
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
