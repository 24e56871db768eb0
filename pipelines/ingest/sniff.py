"""Media type detection from content (magic bytes and text signatures), never from the extension.

The extension is only a tie-breaker between text formats that content cannot tell apart
(e.g. Markdown vs plain text); a mismatch is reported as a warning by the caller.
"""

from __future__ import annotations

import ast
import io
import json
import re
import zipfile

import filetype

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
EPUB = "application/epub+zip"
ZIP = "application/zip"
MSG = "application/vnd.ms-outlook"
OLE = "application/x-ole-storage"
EML = "message/rfc822"
RTF = "application/rtf"
HTML = "text/html"
JSON = "application/json"
CSV = "text/csv"
MARKDOWN = "text/markdown"
PYTHON = "text/x-python"
SQL = "application/sql"
TEXT = "text/plain"
BINARY = "application/octet-stream"

EXTENSIONS = {
    PDF: ".pdf", DOCX: ".docx", PPTX: ".pptx", XLSX: ".xlsx", ODT: ".odt", EPUB: ".epub",
    MSG: ".msg", EML: ".eml", RTF: ".rtf", HTML: ".html", JSON: ".json", CSV: ".csv",
    MARKDOWN: ".md", PYTHON: ".py", SQL: ".sql", TEXT: ".txt",
}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EMAIL_HEADER = re.compile(
    rb"^(From|To|Cc|Subject|Date|Message-ID|MIME-Version|Received|Return-Path|Content-Type|Delivered-To|Reply-To|X-[\w-]+):[ \t]",
    re.IGNORECASE | re.MULTILINE,
)
_SQL = re.compile(r"^\s*(CREATE\s+(TABLE|VIEW|INDEX)|INSERT\s+INTO|SELECT\s.+\sFROM\s|ALTER\s+TABLE|DROP\s+TABLE)", re.I | re.M)
_MD = re.compile(r"^(#{1,6} \S|```|\s*[-*] \[[ x]\] )|\[[^\]]+\]\([^)]+\)", re.M)
_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.I | re.S)


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                mt = zf.read("mimetype")[:100].decode("ascii", "replace").strip()
                if mt in (ODT, EPUB):
                    return mt
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return DOCX
                if any(n.startswith("ppt/") for n in names):
                    return PPTX
                if any(n.startswith("xl/") for n in names):
                    return XLSX
    except (zipfile.BadZipFile, OSError, ValueError):
        pass  # a broken container is still "a zip"; the parser reports the damage
    return ZIP


def _ole_kind(data: bytes) -> str:
    # Outlook messages store their properties in streams named "__substg1.0_<tag>".
    if "__substg1.0_".encode("utf-16-le") in data[:1 << 20] or b"__substg1.0_" in data:
        return MSG
    return OLE


def _looks_like_email(head: bytes) -> bool:
    first = head.lstrip()[:2000]
    if not _EMAIL_HEADER.match(first):
        return False
    return len(_EMAIL_HEADER.findall(first)) >= 2


def _text_kind(text: str, ext: str) -> str:
    stripped = text.lstrip()
    if stripped[:1] in "{[":
        try:
            json.loads(text)
            return JSON
        except ValueError:
            pass
    if _SQL.search(text[:20000]) and ext not in (".py", ".md", ".txt"):
        return SQL
    if ext == ".py" or re.search(r"^(def |class |import |from \S+ import )", text, re.M):
        try:
            ast.parse(text)
            return PYTHON
        except (SyntaxError, ValueError):
            pass
    if _SQL.search(text[:20000]):
        return SQL
    if ext in (".csv", ".tsv") or _looks_like_csv(text):
        return CSV
    if ext in (".md", ".markdown") or len(_MD.findall(text[:20000])) >= 2:
        return MARKDOWN
    return TEXT


def _looks_like_csv(text: str) -> bool:
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if len(lines) < 2:
        return False
    for sep in (",", ";", "\t", "|"):
        counts = {ln.count(sep) for ln in lines}
        if len(counts) == 1 and counts.pop() >= 1:
            return True
    return False


def sniff(data: bytes, name: str = "") -> str:
    """Return the media type of `data`; `name` only breaks ties between text formats."""
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    head = data[:8192]
    if b"%PDF-" in data[:1024]:
        return PDF
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(data)
    if head.startswith(_OLE_MAGIC):
        return _ole_kind(data)
    if head.lstrip().startswith(b"{\\rtf"):
        return RTF
    kind = filetype.guess(head)
    if kind is not None and not kind.mime.startswith("text/"):
        return kind.mime
    if _HTML.match(head):
        return HTML
    if _looks_like_email(head):
        return EML
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return BINARY
    from pipelines.parse.text_decode import decode_text  # local: avoids an import cycle

    try:
        text = decode_text(data)
    except UnicodeError:
        return BINARY
    if re.match(r"\s*<(!doctype\s+html|html[\s>])", text[:2000], re.I):
        return HTML
    if _looks_like_email(text[:4000].encode("utf-8", "replace")):
        return EML
    return _text_kind(text, ext)
