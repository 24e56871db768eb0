"""EPUB: the XHTML chapters in spine order (from the package document), each through the HTML parser.

Paths inside the archive come from the file itself, so each is resolved against the package
folder and refused if it leaves the archive's root.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from typing import Any

from lxml import etree

from pipelines.model.document import Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput
from pipelines.parse.html import add_html, decode_html
from pipelines.parse.xml_safe import parse_xml

_CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container"
_OPF = "http://www.idpf.org/2007/opf"
_XHTML = {"application/xhtml+xml", "text/html"}


def _inside(base: str, href: str) -> str:
    path = posixpath.normpath(posixpath.join(base, href.split("#", 1)[0]))
    if path.startswith(("../", "/")) or path == "..":
        raise BadInput(Reason.CORRUPT, f"EPUB refers to a path outside the archive: {href[:200]!r}")
    return path


def chapters(zf: zipfile.ZipFile) -> list[str]:
    """Archive paths of the spine's XHTML documents, in reading order."""
    container = parse_xml(zf.read("META-INF/container.xml"))
    rootfile = container.find(f".//{{{_CONTAINER}}}rootfile")
    if rootfile is None or not rootfile.get("full-path"):
        raise BadInput(Reason.CORRUPT, "EPUB container names no package document")
    opf_path = _inside("", rootfile.get("full-path", ""))
    opf = parse_xml(zf.read(opf_path))
    base = posixpath.dirname(opf_path)
    manifest = {item.get("id"): item for item in opf.iter(f"{{{_OPF}}}item")}
    paths: list[str] = []
    for ref in opf.iter(f"{{{_OPF}}}itemref"):
        item = manifest.get(ref.get("idref"))
        if item is not None and item.get("media-type") in _XHTML and item.get("href"):
            paths.append(_inside(base, item.get("href", "")))
    return paths


def parse(data: bytes, builder: TextBuilder, ctx: Any) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            texts = [decode_html(zf.read(path)) for path in chapters(zf)]
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise BadInput(Reason.CORRUPT, f"EPUB could not be read ({type(exc).__name__}): {exc}"[:500]) from exc
    if not texts:
        raise BadInput(Reason.EMPTY, "EPUB has no readable chapters")
    for html_text in texts:
        add_html(html_text, builder, ctx)
