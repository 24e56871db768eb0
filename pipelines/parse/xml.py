"""XML documents: structured e-invoices (CII, UBL) are kept as the XML text they are; any other
XML is read as plain text, as before there was an XML parser.

For an e-invoice the document's text is the XML text itself, as one CODE element, so a value's
evidence is the exact character span of its XML element; `metadata["einvoice"]` records the
syntax, profile (specification identifier), version, type code and the XSD verdict.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree

from pipelines.model.document import Kind, Reason
from pipelines.parse import einvoice
from pipelines.parse import text as plain_text
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput
from pipelines.ingest.text_decode import decode_text
from pipelines.parse.xml_safe import UnsafeXML, parse_text

if TYPE_CHECKING:
    from pipelines.parse.dispatch import ParseContext


_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _decode(data: bytes) -> str:
    """The encoding the XML declares, when it declares one that decodes the bytes; else detected."""
    m = _DECLARED.match(data[:200].lstrip(b"\xef\xbb\xbf"))
    if m:
        try:
            return data.decode(m.group(1).decode("ascii"))
        except (LookupError, UnicodeError):
            pass
    return decode_text(data)


def parse(data: bytes, builder: TextBuilder, ctx: ParseContext) -> None:
    try:
        text = _decode(data).lstrip("\ufeff").replace("\r\n", "\n")
    except UnicodeError as exc:
        raise BadInput(Reason.UNDECODABLE, f"XML could not be decoded: {exc}") from exc
    try:
        view = parse_text(text)
    except UnsafeXML as exc:
        builder.doc.warnings.append(f"{exc}; read as plain text")
        return plain_text.parse(data, builder, ctx)
    except etree.XMLSyntaxError as exc:
        builder.doc.warnings.append(f"not well-formed XML ({exc}); read as plain text")
        return plain_text.parse(data, builder, ctx)
    ctx.check_time()
    builder.doc.metadata["xml_root"] = view.root.tag  # what rule sets select XML documents by
    info = einvoice.detect(view.root)
    if info is None:
        return plain_text.parse(data, builder, ctx)
    builder.doc.metadata["einvoice"] = info
    builder.add(Kind.CODE, text, attrs={"language": "xml"})
