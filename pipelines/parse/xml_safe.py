"""One hardened lxml parser for XML read from documents: no DTD loading, no entity expansion,
no network, no huge trees (XXE and billion-laughs files fail instead of expanding)."""

from __future__ import annotations

from lxml import etree


def parse_xml(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    return etree.fromstring(data, parser=parser)
