"""Runs of a Word document a reader cannot see: `w:vanish`/`w:webHidden`, text coloured like its
background (white on the page, or the run's/paragraph's/cell's shading), or smaller than ~2 pt.

Such runs are taken out of the XML before the text is read (so they are never evidence) and
recorded on the document with their reason (`Document.mark_hidden`). Formatting is resolved the
way Word does for these properties: document defaults, then the paragraph style chain, then the
character style chain, then the run's own properties.
"""

from __future__ import annotations

from typing import Any

from docx.oxml.ns import qn

from pipelines.model.document import Document
from pipelines.parse.docx_styles import StyleTable, rgb, visibility_props
from pipelines.parse.docx_xml import VAL

_R, _RPR, _PPR = qn("w:r"), qn("w:rPr"), qn("w:pPr")
_T, _P, _TC = qn("w:t"), qn("w:p"), qn("w:tc")
_FILL, _COLOR = qn("w:fill"), qn("w:color")
MIN_HALF_POINTS = 4  # w:sz is in half-points: 2 pt and below is not readable
MIN_CONTRAST = 60  # summed RGB distance below which text and background look the same


class HiddenRuns:
    def __init__(self, document: Any, styles: StyleTable) -> None:
        self.styles = styles
        bg = document.element.find(qn("w:background"))
        self.page = (bg.get(_COLOR) if bg is not None else None) or "FFFFFF"
        if not rgb(self.page):
            self.page = "FFFFFF"

    def reason(self, run: Any) -> str | None:
        """Why this run cannot be seen, or None."""
        props = dict(self.styles.run_defaults)
        p = run.getparent()
        while p is not None and p.tag != _P:
            p = p.getparent()
        ppr = p.find(_PPR) if p is not None else None
        pstyle = ppr.find(qn("w:pStyle")) if ppr is not None else None
        # a paragraph naming no style, or one that is not a paragraph style of the document, has the
        # default paragraph style, as Word shows it
        sid = pstyle.get(VAL) if pstyle is not None else None
        props.update(self.styles.visibility(sid if sid in self.styles.paragraph else self.styles.default_paragraph))
        rpr = run.find(_RPR)
        rstyle = rpr.find(qn("w:rStyle")) if rpr is not None else None
        props.update(self.styles.visibility(rstyle.get(VAL) if rstyle is not None else None))
        props.update(visibility_props(rpr))
        if props.get("vanish"):
            return "vanish"
        if props.get("webHidden"):
            return "web_hidden"
        if "sz" in props and props["sz"] <= MIN_HALF_POINTS:
            return "tiny_font"
        color = rgb(props.get("color")) if props.get("color") != "auto" else None
        background = rgb(props.get("bg") or self._shading(p) or self.page)
        if color and background and sum(abs(a - b) for a, b in zip(color, background)) < MIN_CONTRAST:
            return "same_colour_as_background"
        return None

    @staticmethod
    def _shading(p: Any) -> str | None:
        """The fill behind a paragraph: its own shading, else its table cell's."""
        if p is None:
            return None
        ppr = p.find(_PPR)
        shd = ppr.find(qn("w:shd")) if ppr is not None else None
        if shd is not None and rgb(shd.get(_FILL)):
            return shd.get(_FILL)
        tc = p.getparent()
        while tc is not None and tc.tag != _TC:
            tc = tc.getparent()
        tcpr = tc.find(qn("w:tcPr")) if tc is not None else None
        shd = tcpr.find(qn("w:shd")) if tcpr is not None else None
        return shd.get(_FILL) if shd is not None and rgb(shd.get(_FILL)) else None

    def strip(self, root: Any, doc: Document) -> int:
        """Remove hidden runs under `root` and record their text on `doc`; returns how many."""
        hidden = [(r, why) for r in root.iter(_R) if (why := self.reason(r))]
        pieces: dict[Any, tuple[list[str], str]] = {}  # per paragraph, so a split word stays whole
        for run, why in hidden:
            parent = run.getparent()
            text = "".join(t.text or "" for t in run.iter(_T))
            pieces.setdefault(parent, ([], why))[0].append(text)
            if parent is not None:
                parent.remove(run)
        for texts, why in pieces.values():
            doc.mark_hidden("".join(texts), f"docx:{why}")
        return len(hidden)
