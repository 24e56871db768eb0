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

from pipelines.document import Document

_R, _RPR, _PPR, _VAL = qn("w:r"), qn("w:rPr"), qn("w:pPr"), qn("w:val")
_T, _P, _TC = qn("w:t"), qn("w:p"), qn("w:tc")
_FILL, _COLOR = qn("w:fill"), qn("w:color")
_OFF = {"0", "false", "off", "none"}
MIN_HALF_POINTS = 4  # w:sz is in half-points: 2 pt and below is not readable
MIN_CONTRAST = 60  # summed RGB distance below which text and background look the same
_HIGHLIGHT = {"white": "FFFFFF", "black": "000000", "yellow": "FFFF00", "green": "00FF00", "cyan": "00FFFF",
              "magenta": "FF00FF", "blue": "0000FF", "red": "FF0000", "darkBlue": "000080", "darkCyan": "008080",
              "darkGreen": "008000", "darkMagenta": "800080", "darkRed": "800000", "darkYellow": "808000",
              "darkGray": "808080", "lightGray": "C0C0C0"}


def _rgb(hex_: str | None) -> tuple[int, int, int] | None:
    if not hex_ or len(hex_) != 6:
        return None
    try:
        return int(hex_[0:2], 16), int(hex_[2:4], 16), int(hex_[4:6], 16)
    except ValueError:
        return None


def _props(rpr: Any) -> dict[str, Any]:
    """The visibility-relevant properties set in one w:rPr (absent ones are left out)."""
    out: dict[str, Any] = {}
    if rpr is None:
        return out
    for tag in ("vanish", "webHidden", "specVanish"):
        el = rpr.find(qn(f"w:{tag}"))
        if el is not None:
            out["vanish" if tag != "webHidden" else "webHidden"] = (el.get(_VAL) or "true").lower() not in _OFF
    color = rpr.find(qn("w:color"))
    if color is not None and color.get(_VAL):
        out["color"] = color.get(_VAL)
    sz = rpr.find(qn("w:sz"))
    if sz is not None and (sz.get(_VAL) or "").isdigit():
        out["sz"] = int(sz.get(_VAL))
    shd = rpr.find(qn("w:shd"))
    if shd is not None and _rgb(shd.get(_FILL)):
        out["bg"] = shd.get(_FILL)
    hl = rpr.find(qn("w:highlight"))
    if hl is not None and hl.get(_VAL) in _HIGHLIGHT:
        out["bg"] = _HIGHLIGHT[hl.get(_VAL)]
    return out


class HiddenRuns:
    def __init__(self, document: Any) -> None:
        self.styles: dict[str, tuple[str | None, dict[str, Any]]] = {}  # id -> (based_on, props)
        self.defaults: dict[str, Any] = {}
        root = None
        try:
            root = document.part.part_related_by(
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles").element
        except Exception:  # no styles part: Word's defaults apply
            pass
        if root is not None:
            dflt = root.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{_RPR}")
            self.defaults = _props(dflt)
            for st in root.iter(qn("w:style")):
                sid = st.get(qn("w:styleId"))
                if sid:
                    based = st.find(qn("w:basedOn"))
                    self.styles[sid] = (based.get(_VAL) if based is not None else None, _props(st.find(_RPR)))
        bg = document.element.find(qn("w:background"))
        self.page = (bg.get(_COLOR) if bg is not None else None) or "FFFFFF"
        if not _rgb(self.page):
            self.page = "FFFFFF"

    def _chain(self, sid: str | None) -> dict[str, Any]:
        chain: list[dict[str, Any]] = []
        seen: set[str] = set()
        while sid and sid in self.styles and sid not in seen and len(chain) < 10:
            seen.add(sid)
            sid, props = self.styles[sid][0], self.styles[sid][1]
            chain.append(props)
        out: dict[str, Any] = {}
        for props in reversed(chain):
            out.update(props)
        return out

    def reason(self, run: Any) -> str | None:
        """Why this run cannot be seen, or None."""
        props = dict(self.defaults)
        p = run.getparent()
        while p is not None and p.tag != _P:
            p = p.getparent()
        ppr = p.find(_PPR) if p is not None else None
        pstyle = ppr.find(qn("w:pStyle")) if ppr is not None else None
        props.update(self._chain(pstyle.get(_VAL) if pstyle is not None else None))
        rpr = run.find(_RPR)
        rstyle = rpr.find(qn("w:rStyle")) if rpr is not None else None
        props.update(self._chain(rstyle.get(_VAL) if rstyle is not None else None))
        props.update(_props(rpr))
        if props.get("vanish"):
            return "vanish"
        if props.get("webHidden"):
            return "web_hidden"
        if "sz" in props and props["sz"] <= MIN_HALF_POINTS:
            return "tiny_font"
        color = _rgb(props.get("color")) if props.get("color") != "auto" else None
        background = _rgb(props.get("bg") or self._shading(p) or self.page)
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
        if shd is not None and _rgb(shd.get(_FILL)):
            return shd.get(_FILL)
        tc = p.getparent()
        while tc is not None and tc.tag != _TC:
            tc = tc.getparent()
        tcpr = tc.find(qn("w:tcPr")) if tc is not None else None
        shd = tcpr.find(qn("w:shd")) if tcpr is not None else None
        return shd.get(_FILL) if shd is not None and _rgb(shd.get(_FILL)) else None

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
