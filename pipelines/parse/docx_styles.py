"""A Word document's style table (styles.xml), read once per distinct styles part.

Documents made from one template share a styles part that is often hundreds of kilobytes;
parsing and walking it for every document was most of a .docx's parse time. The package is
opened with the styles part kept as bytes (`LeanParts`), and the table is keyed by a digest of
those bytes, so it is parsed once per distinct styles part and only reused for identical ones.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.part import PartFactory
from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml
from docx.styles import BabelFish

from pipelines.parse.docx_xml import VAL, int_attr

VisibilityProps = dict[str, Any]  # vanish/webHidden (bool), color/bg (hex RGB), sz (half-points)
STYLES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
_CACHE_SIZE = 32
_cache: OrderedDict[bytes, StyleTable] = OrderedDict()
_lock = threading.Lock()  # parsers may run in threads (in-process runs)
_RPR, _FILL = qn("w:rPr"), qn("w:fill")
_OFF = {"0", "false", "off", "none"}
_HIGHLIGHT = {"white": "FFFFFF", "black": "000000", "yellow": "FFFF00", "green": "00FF00", "cyan": "00FFFF",
              "magenta": "FF00FF", "blue": "0000FF", "red": "FF0000", "darkBlue": "000080", "darkCyan": "008080",
              "darkGreen": "008000", "darkMagenta": "800080", "darkRed": "800000", "darkYellow": "808000",
              "darkGray": "808080", "lightGray": "C0C0C0"}


def rgb(hex_: str | None) -> tuple[int, int, int] | None:
    if not hex_ or len(hex_) != 6:
        return None
    try:
        return int(hex_[0:2], 16), int(hex_[2:4], 16), int(hex_[4:6], 16)
    except ValueError:
        return None


def visibility_props(rpr: Any) -> VisibilityProps:
    """The visibility-relevant properties set in one w:rPr (absent ones are left out)."""
    out: VisibilityProps = {}
    if rpr is None:
        return out
    for tag in ("vanish", "webHidden", "specVanish"):
        el = rpr.find(qn(f"w:{tag}"))
        if el is not None:
            out["vanish" if tag != "webHidden" else "webHidden"] = (el.get(VAL) or "true").lower() not in _OFF
    color = rpr.find(qn("w:color"))
    if color is not None and color.get(VAL):
        out["color"] = color.get(VAL)
    sz = rpr.find(qn("w:sz"))
    if sz is not None and (sz.get(VAL) or "").isdigit():
        out["sz"] = int(sz.get(VAL))
    shd = rpr.find(qn("w:shd"))
    if shd is not None and rgb(shd.get(_FILL)):
        out["bg"] = shd.get(_FILL)
    hl = rpr.find(qn("w:highlight"))
    if hl is not None and hl.get(VAL) in _HIGHLIGHT:
        out["bg"] = _HIGHLIGHT[hl.get(VAL)]
    return out


@dataclass
class StyleTable:
    paragraph: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> name, based_on, numbered, outline, default
    default_paragraph: str | None = None
    run_defaults: VisibilityProps = field(default_factory=dict)  # document defaults (w:docDefaults)
    run_styles: dict[str, tuple[str | None, VisibilityProps]] = field(default_factory=dict)  # id -> (based_on, own props)
    _resolved: dict[str, VisibilityProps] = field(default_factory=dict)

    def paragraph_chain(self, sid: str | None) -> list[dict[str, Any]]:
        """The paragraph style and the styles it is based on, nearest first."""
        chain = []
        seen = set()
        while sid and sid in self.paragraph and sid not in seen and len(chain) < 10:
            seen.add(sid)
            chain.append(self.paragraph[sid])
            sid = self.paragraph[sid]["based_on"]
        return chain

    def visibility(self, sid: str | None) -> VisibilityProps:
        """Visibility properties a style sets, its based-on chain resolved (nearest wins)."""
        if not sid:
            return {}
        got = self._resolved.get(sid)
        if got is None:
            chain: list[VisibilityProps] = []
            seen: set[str] = set()
            cur: str | None = sid
            while cur and cur in self.run_styles and cur not in seen and len(chain) < 10:
                seen.add(cur)
                cur, props = self.run_styles[cur]
                chain.append(props)
            got = {}
            for props in reversed(chain):
                got.update(props)
            self._resolved[sid] = got
        return got


class LeanParts(PartFactory):
    """python-docx's part types, except that the styles part stays bytes (python-docx would parse
    all of it on opening the package; `style_table` parses it, once per distinct part)."""

    part_type_for = {ct: cls for ct, cls in PartFactory.part_type_for.items() if ct != CT.WML_STYLES}


def style_table(document: Any) -> StyleTable:
    """The style table of `document` (opened with `LeanParts`); empty when it has no styles part."""
    try:
        part = document.part.part_related_by(STYLES_REL)
    except Exception:  # no styles part: Word's defaults apply
        return StyleTable()
    blob = part.blob
    key = hashlib.blake2b(blob, digest_size=20).digest()
    with _lock:
        table = _cache.get(key)
        if table is not None:
            _cache.move_to_end(key)
            return table
    table = _read(parse_xml(blob))
    with _lock:
        _cache[key] = table
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return table


def _read(root: Any) -> StyleTable:
    table = StyleTable()
    dflt = root.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{_RPR}")
    table.run_defaults = visibility_props(dflt)
    for st in root.iter(qn("w:style")):
        sid = st.get(qn("w:styleId"))
        if not sid:
            continue
        based = st.find(qn("w:basedOn"))
        based_on = based.get(VAL) if based is not None else None
        table.run_styles[sid] = (based_on, visibility_props(st.find(_RPR)))
        if st.get(qn("w:type")) not in (None, "paragraph"):
            continue
        name_el = st.find(qn("w:name"))
        ppr = st.find(qn("w:pPr"))
        num = ppr.find(qn("w:numPr")) if ppr is not None else None
        num_id = int_attr(num.find(qn("w:numId"))) if num is not None else None
        outline = int_attr(ppr.find(qn("w:outlineLvl"))) if ppr is not None else None
        raw_name = (name_el.get(VAL) if name_el is not None else sid) or sid
        table.paragraph[sid] = {
            "name": BabelFish.internal2ui(raw_name),  # "heading 1" -> "Heading 1", as Word shows it
            "based_on": based_on,
            "numbered": bool(num_id),
            "outline": outline,
            "default": st.get(qn("w:default")) in ("1", "true", "on"),
        }
    table.default_paragraph = next((sid for sid, s in table.paragraph.items() if s.get("default")), None)
    return table
