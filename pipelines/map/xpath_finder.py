"""The `xpath` finder: values of XML documents (e-invoices) by XPath, with the element's span.

The document's text is the XML text (pipelines/parse/xml.py), re-parsed here safely once per
document and kept for the next rules. A hit is the element's (or attribute's) decoded value,
the character span of its text in the XML, and the element's path, which is what provenance
shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lxml import etree

from pipelines.model.document import Document
from pipelines.map.rules import XPathRows
from pipelines.parse.xml_safe import UnsafeXML, XmlView, parse_text


@dataclass(slots=True)
class XHit:
    start: int
    end: int
    value: str  # the decoded text (entities resolved), not the raw slice
    path: str  # e.g. /rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID


@lru_cache(maxsize=8)
def _view(doc_id: str, text: str) -> XmlView | None:
    try:
        return parse_text(text)
    except (UnsafeXML, etree.XMLSyntaxError):
        return None


def xml_view(doc: Document) -> XmlView | None:
    """The document's XML, or None when it is not an XML document."""
    if not doc.metadata.get("xml_root"):
        return None
    return _view(doc.id, doc.text)


def _hit(view: XmlView, node: Any) -> XHit | None:
    if isinstance(node, etree._ElementUnicodeResult) and node.is_attribute:  # an @attribute
        owner = node.getparent()
        span = view.attr_span(owner, str(node.attrname))
        return XHit(*span, str(node), view.path(owner) + "/@" + str(node.attrname)) if span else None
    if isinstance(node, etree._Element):
        value = " ".join("".join(node.itertext()).split())
        if not value:
            return None
        span = view.text_span(node) if len(node) == 0 else view.span(node)
        return XHit(*span, value, view.path(node)) if span else None
    return None  # a computed string or number has no element to point at


def _select(view: XmlView, context: Any, expr: str, namespaces: dict[str, str]) -> list[XHit]:
    found = context.xpath(expr, namespaces=namespaces)
    nodes = found if isinstance(found, list) else []
    return [h for h in (_hit(view, n) for n in nodes) if h is not None]


def _joined(view: XmlView, context: Any, exprs: list[str], namespaces: dict[str, str]) -> XHit | None:
    """The first hit of each expression, joined with ", " (an address from its parts)."""
    parts = [hits[0] for hits in (_select(view, context, e, namespaces) for e in exprs) if hits]
    if not parts:
        return None
    start, end = min(p.start for p in parts), max(p.end for p in parts)
    return XHit(start, end, ", ".join(p.value for p in parts), parts[0].path.rsplit("/", 1)[0])


def find(doc: Document, xpath: str | list[str], namespaces: dict[str, str]) -> list[XHit]:
    """Hits of a scalar rule, in document order."""
    view = xml_view(doc)
    if view is None:
        return []
    if isinstance(xpath, list):
        hit = _joined(view, view.root, xpath, namespaces)
        return [hit] if hit else []
    return _select(view, view.root, xpath, namespaces)


def find_rows(doc: Document, rows: XPathRows, namespaces: dict[str, str]) -> list[dict[str, XHit]]:
    """One dict (sub-field -> hit) per `each` node."""
    view = xml_view(doc)
    if view is None:
        return []
    out = []
    for node in view.root.xpath(rows.each, namespaces=namespaces):
        if not isinstance(node, etree._Element):
            continue
        item: dict[str, XHit] = {}
        for name, expr in rows.fields.items():
            if isinstance(expr, list):
                hit = _joined(view, node, expr, namespaces)
            else:
                hits = _select(view, node, expr, namespaces)
                hit = hits[0] if hits else None
            if hit is not None:
                item[name] = hit
        if item:
            out.append(item)
    return out


def holds(doc: Document, condition: str, namespaces: dict[str, str]) -> bool:
    """Whether an XPath condition is true for the document (False for non-XML documents)."""
    view = xml_view(doc)
    return bool(view is not None and view.root.xpath(condition, namespaces=namespaces))


def common_path(paths: list[str]) -> str:
    """The deepest element path all `paths` lie under (the evidence of a list of rows)."""
    if not paths:
        return ""
    parts = [p.split("/") for p in paths]
    out = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        out.append(level[0])
    return "/".join(out)
