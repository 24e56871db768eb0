"""Text and tables out of WordprocessingML: paragraphs (visible runs only), text boxes and
tables laid out on their grid (a merged cell's text once, in its first grid position)."""

from __future__ import annotations

from typing import Any, Iterator

from docx.oxml.ns import qn

P, TBL, TR, TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
VAL = qn("w:val")
_SDT, _SDT_CONTENT, _CUSTOM_XML = qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")
_T, _TAB, _BR, _CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_NB_HYPHEN, _PTAB = qn("w:noBreakHyphen"), qn("w:ptab")
_TXBX = qn("w:txbxContent")
_MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_MC_FALLBACK = f"{{{_MC_NS}}}Fallback"
# Subtrees whose text is not part of the paragraph's visible text (or is read separately).
_SKIP_IN_PARAGRAPH = frozenset({
    qn("w:pPr"), qn("w:rPr"), qn("w:del"), qn("w:moveFrom"), qn("w:instrText"), qn("w:delText"),
    _TXBX, _MC_FALLBACK, qn("w:footnoteReference"), qn("w:endnoteReference"), qn("w:commentReference"),
})
# Containers that hold block content (paragraphs/tables) without being content themselves.
_BLOCK_WRAPPERS = frozenset({_SDT, _SDT_CONTENT, _CUSTOM_XML, qn("w:ins"), qn("w:moveTo")})


def block_items(parent: Any) -> Iterator[Any]:
    """`w:p` and `w:tbl` children of a body/cell/header, in order, looking through content controls."""
    return _block_items_of(parent, P, TBL)


def _rows(tbl: Any) -> Iterator[Any]:
    return _block_items_of(tbl, TR)


def _cells(tr: Any) -> Iterator[Any]:
    return _block_items_of(tr, TC)


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


def textboxes(p: Any) -> list[Any]:
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
    for el in block_items(tc):
        text = paragraph_text(el) if el.tag == P else _flatten_table(el, depth)
        text = " ".join(text.split())
        if text:
            parts.append(text)
    return " ".join(parts)


def int_attr(el: Any, default: int | None = None) -> int | None:
    if el is None:
        return default
    try:
        return int(el.get(VAL))
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
        before = int_attr(tr_pr.find(qn("w:gridBefore")), 0) if tr_pr is not None else 0
        row.extend([""] * (before or 0))
        col = len(row)
        for tc in _cells(tr):
            tc_pr = tc.find(qn("w:tcPr"))
            span = max(1, int_attr(tc_pr.find(qn("w:gridSpan")), 1) or 1) if tc_pr is not None else 1
            vmerge_el = tc_pr.find(qn("w:vMerge")) if tc_pr is not None else None
            vmerge = None if vmerge_el is None else (vmerge_el.get(VAL) or "continue")
            if vmerge == "continue" and col in open_vmerge:
                open_vmerge[col]["rowspan"] += 1
                text = ""
            else:
                nested += sum(1 for el in tc.iter(TBL))
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
