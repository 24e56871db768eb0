"""HTML a reader cannot see: `hidden` attributes and CSS that hides (display:none,
visibility:hidden, font-size 0 or ~1px, opacity 0, text coloured like its background, off-screen
positioning, text-indent far out), in style attributes and in `<style>` rules for tag, class and
id selectors (also combined: `p.note`, `div#x`, lists of them; descendant and other complex
selectors are not evaluated).

Hidden elements are removed from the tree before the text is read (so they are never evidence)
and recorded on the document with their reason (`Document.mark_hidden`).
"""

from __future__ import annotations

import re
from typing import Any

from pipelines.model.document import Document

_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_SIMPLE_SELECTOR = re.compile(r"^([a-zA-Z][\w-]*)?((?:[.#][\w-]+)*)$")
_NAMED = {"white": (255, 255, 255), "black": (0, 0, 0), "red": (255, 0, 0), "green": (0, 128, 0), "blue": (0, 0, 255),
          "yellow": (255, 255, 0), "gray": (128, 128, 128), "grey": (128, 128, 128), "silver": (192, 192, 192),
          "navy": (0, 0, 128), "whitesmoke": (245, 245, 245), "snow": (255, 250, 250), "ivory": (255, 255, 240)}
MIN_CONTRAST = 60  # summed RGB distance below which text and background look the same
OFF_SCREEN = -500.0  # px: positioned or indented this far left/up is outside any window


def _declarations(text: str) -> dict[str, str]:
    out = {}
    for part in text.split(";"):
        if ":" in part:
            k, v = part.split(":", 1)
            out[k.strip().lower()] = v.strip().lower().replace("!important", "").strip()
    return out


def _colour(value: str | None) -> tuple[int, int, int] | None:
    if not value:
        return None
    v = value.strip().split()[0] if value.strip() else ""
    if v in _NAMED:
        return _NAMED[v]
    m = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", v)
    if m:
        h = m.group(1)
        h = "".join(c * 2 for c in h) if len(h) == 3 else h
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    m = re.match(r"rgba?\(\s*(\d+)[,\s]+(\d+)[,\s]+(\d+)(?:[,\s/]+([\d.]+))?", value)
    if m:
        if m.group(4) is not None and float(m.group(4)) == 0:
            return None  # transparent: shows what is behind
        return int(m.group(1)), int(m.group(2)), int(m.group(3))
    return None


def _px(value: str | None) -> float | None:
    if not value:
        return None
    m = re.match(r"(-?[\d.]+)\s*(px|pt|em|rem|%)?", value)
    if not m:
        return None
    n = float(m.group(1))
    return n * {"pt": 1.33, "em": 16, "rem": 16, "%": 0.16}.get(m.group(2) or "px", 1.0)


def _hiding(d: dict[str, str]) -> str | None:
    """The reason these declarations alone hide an element's text, or None."""
    if d.get("display") == "none":
        return "display_none"
    if d.get("visibility") in ("hidden", "collapse"):
        return "visibility_hidden"
    size = _px(d.get("font-size"))
    if size is not None and size <= 1.5:
        return "font_size_zero"
    try:
        if "opacity" in d and float(d["opacity"]) <= 0.05:
            return "opacity_zero"
    except ValueError:
        pass
    if d.get("position") in ("absolute", "fixed"):
        for side in ("left", "top"):
            p = _px(d.get(side))
            if p is not None and p <= OFF_SCREEN:
                return "off_screen"
    indent = _px(d.get("text-indent"))
    if indent is not None and indent <= OFF_SCREEN:
        return "off_screen"
    if (_px(d.get("max-height")) == 0 or _px(d.get("height")) == 0) and d.get("overflow") == "hidden":
        return "zero_height"
    return None


class _Sheet:
    """Simple `<style>` rules: (tag, classes, id) -> declarations, in document order."""

    def __init__(self, root: Any) -> None:
        self.rules: list[tuple[str | None, set[str], str | None, dict[str, str]]] = []
        for style in root.iter("style"):
            css = _COMMENT.sub("", style.text or "")
            for m in _RULE.finditer(css):
                decls = _declarations(m.group(2))
                for sel in m.group(1).split(","):
                    sm = _SIMPLE_SELECTOR.match(sel.strip())
                    if not sm or not (sm.group(1) or sm.group(2)):
                        continue
                    parts = re.findall(r"([.#])([\w-]+)", sm.group(2))
                    ident = next((n for k, n in parts if k == "#"), None)
                    self.rules.append(((sm.group(1) or "").lower() or None, {n for k, n in parts if k == "."}, ident, decls))

    def style(self, el: Any) -> dict[str, str]:
        """Declarations from matching rules, then the style attribute (which wins)."""
        out: dict[str, str] = {}
        if self.rules:
            classes = set((el.get("class") or "").split())
            ident = el.get("id")
            tag = el.tag.lower() if isinstance(el.tag, str) else ""
            for rtag, rclasses, rid, decls in self.rules:
                if (rtag is None or rtag == tag) and rclasses <= classes and (rid is None or rid == ident):
                    out.update(decls)
        out.update(_declarations(el.get("style") or ""))
        return out


def strip_hidden(root: Any, doc: Document) -> int:
    """Remove hidden elements under `root` (an lxml.html tree) and record their text on `doc`."""
    sheet = _Sheet(root)
    backgrounds: dict[Any, tuple[int, int, int]] = {}
    found: list[tuple[Any, str]] = []
    hidden: set[Any] = set()
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("style", "script", "head", "title", "meta"):
            continue
        if _inside(el, hidden):
            continue  # inside an element already found hidden
        d = sheet.style(el)
        parent = el.getparent()
        bg = _colour(d.get("background-color") or d.get("background"))
        backgrounds[el] = bg or (backgrounds.get(parent) if parent is not None else None) or (255, 255, 255)
        why = "hidden_attribute" if el.get("hidden") is not None else _hiding(d)
        colour = _colour(d.get("color"))
        if why is None and colour is not None:
            if sum(abs(a - b) for a, b in zip(colour, backgrounds[el])) < MIN_CONTRAST:
                why = "same_colour_as_background"
        if why:
            found.append((el, why))
            hidden.add(el)
    for el, why in found:
        doc.mark_hidden(el.text_content() if hasattr(el, "text_content") else "".join(el.itertext()), f"html:{why}")
        if el.getparent() is not None:
            el.drop_tree() if hasattr(el, "drop_tree") else el.getparent().remove(el)
    return len(found)


def _inside(el: Any, hidden: set[Any]) -> bool:
    p = el.getparent()
    while p is not None:
        if p in hidden:
            return True
        p = p.getparent()
    return False
