"""Media type detection from content (magic bytes and text signatures), never from the extension.

The extension is only a tie-breaker between text formats that content cannot tell apart
(e.g. Markdown vs plain text); a mismatch is reported as a warning by the caller.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
import zipfile
from collections import Counter

import filetype

from pipelines.ingest.text_decode import decode_text

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
XML = "application/xml"
BINARY = "application/octet-stream"

EXTENSIONS = {
    PDF: ".pdf", DOCX: ".docx", PPTX: ".pptx", XLSX: ".xlsx", ODT: ".odt", EPUB: ".epub",
    MSG: ".msg", EML: ".eml", RTF: ".rtf", HTML: ".html", JSON: ".json", CSV: ".csv",
    MARKDOWN: ".md", PYTHON: ".py", SQL: ".sql", TEXT: ".txt", XML: ".xml",
}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EMAIL_HEADER = re.compile(
    rb"^(From|To|Cc|Subject|Date|Message-ID|MIME-Version|Received|Return-Path|Content-Type|Delivered-To|Reply-To|X-[\w-]+):[ \t]",
    re.IGNORECASE | re.MULTILINE,
)
_SQL = re.compile(r"^[ \t]*(CREATE\s+(TABLE|VIEW|INDEX)|INSERT\s+INTO|SELECT\s.+\sFROM\s|ALTER\s+TABLE|DROP\s+TABLE)", re.I | re.M)
_MD = re.compile(r"^(#{1,6} \S|```|[ \t]*[-*] \[[ x]\] )|\[[^\]\n]{1,200}\]\([^)\s]{1,500}\)", re.M)
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


_SQL_STRONG = re.compile(r"^[ \t]*(CREATE\s+(OR\s+REPLACE\s+)?(TEMP(ORARY)?\s+)?(TABLE|VIEW|INDEX|UNIQUE\s+INDEX|SCHEMA|DATABASE|SEQUENCE|FUNCTION|PROCEDURE|TRIGGER)|INSERT\s+(IGNORE\s+)?INTO|ALTER\s+TABLE|DROP\s+(TABLE|VIEW|INDEX|SCHEMA|DATABASE)|COPY\s+\S+.*\bFROM\s+stdin)\b", re.I | re.M)
_SQL_WEAK = re.compile(r"^[ \t]*(SELECT\s.+\sFROM\s|UPDATE\s+\S+\s+SET\s|DELETE\s+FROM\s)", re.I | re.M)
_SQL_FIRST_WORDS = {
    "CREATE", "INSERT", "SELECT", "ALTER", "DROP", "UPDATE", "DELETE", "WITH", "BEGIN", "SET", "USE", "GRANT",
    "REVOKE", "COPY", "TRUNCATE", "DECLARE", "PRAGMA", "LOCK", "START", "COMMIT", "EXEC", "EXECUTE", "MERGE",
    "REPLACE", "COMMENT", "IF", "GO", "DELIMITER", "VACUUM", "ANALYZE", "EXPLAIN", "SHOW", "DESCRIBE", "CALL",
}
_SQL_COMMENTS = re.compile(r"\A(?:\s|;|--[^\n]*|/\*.*?\*/|#[^\n]*)*", re.S)  # one space per repetition: no blow-up
_PY_MARKERS = re.compile(
    r"^(def |class |import |from [\w.]+ import |async def |@[\w.]+|if __name__ ==|"
    r"[A-Za-z_]\w*(\s*:\s*[^=\n]+)?\s*=\s*[\[{(])",
    re.M,
)
_HTML_TAGS = re.compile(
    r"<(p|div|span|table|tr|td|th|thead|tbody|ul|ol|li|h[1-6]|br|a|b|i|u|strong|em|img|section|article|header|"
    r"footer|nav|main|form|meta|link|script|style|title|font|center|hr|dl|dt|dd|blockquote|pre)\b[^>]*>",
    re.I,
)
_HTML_CLOSE = re.compile(r"</(p|div|span|table|tr|td|li|h[1-6]|a|b|strong|em|ul|ol|font|title|section|article)>", re.I)
_MD_TABLE_SEP = re.compile(r"^[ \t]*(?:\|[ \t]*)?:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$", re.M)
# Leading space is [ \t]*, never \s*: under re.M, \s* runs across the following blank lines from
# every line start, and a head of blank lines took minutes (quadratic and worse)
_MD_STRONG = re.compile(r"^(#{1,6} \S|```|~~~|[ \t]*[-*] \[[ xX]\] )|\[[^\]\n]{1,200}\]\([^)\s]{1,500}\)|\*\*[^*\n]+\*\*|^[ \t]*(?:\|[ \t]*)?:?-{3,}:?[ \t]*\|", re.M)
# an XML declaration, or a root start tag (with a namespace prefix or attributes, or closed later)
_XML_START = re.compile(r"<\?xml[\s?]|<[A-Za-z_][\w.-]*(:[A-Za-z_][\w.-]*)?[\s/>]")
_JSON_EXTS = (".json", ".jsonl", ".ndjson", ".geojson")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except (ValueError, RecursionError):
        return False


def _is_json_lines(head: str, truncated: bool) -> bool:
    lines = [ln for ln in head.split("\n") if ln.strip()]
    if truncated and lines:
        lines = lines[:-1]
    if len(lines) < 2:
        return False
    for ln in lines[:200]:
        try:
            value = json.loads(ln)
        except (ValueError, RecursionError):
            return False
        if not isinstance(value, (dict, list)):
            return False
    return True


def _looks_like_python(text: str, head: str, ext: str) -> bool:
    first = head.split("\n", 1)[0]
    if ext in (".py", ".pyw", ".pyi"):
        return True  # even Python 2 or broken code is parsed as code (with a warning), not prose
    if not (_PY_MARKERS.search(head) or (first.startswith("#!") and "python" in first)):
        return False
    try:
        ast.parse(text)
        return True
    except Exception:  # noqa: BLE001 - SyntaxError, ValueError (NUL), RecursionError, MemoryError
        return False


def _looks_like_sql(head: str, ext: str) -> bool:
    if ext == ".sql":
        return True
    body = head[_SQL_COMMENTS.match(head).end():]  # type: ignore[union-attr]
    word = re.match(r"[A-Za-z]+", body)
    if not word:
        return False
    if word.group(0).upper() not in _SQL_FIRST_WORDS:
        return False
    if _SQL_STRONG.search(head):
        return True
    # SELECT/UPDATE/DELETE also start English sentences: ask for a statement terminator too
    return bool(_SQL_WEAK.search(head)) and bool(re.search(r";[ \t]*(--[^\n]*)?$", head, re.M))


def _looks_like_html(head: str) -> bool:
    s = head.lstrip("\ufeff \t\r\n")
    if s[:5].lower() == "<?xml":
        return bool(re.search(r"<(!doctype\s+html|html[\s>])", s[:4000], re.I))
    if not s.startswith("<"):
        return False
    return len(_HTML_TAGS.findall(head)) >= 3 and bool(_HTML_CLOSE.search(head))


def _looks_like_markdown(head: str) -> bool:
    if _MD_TABLE_SEP.search(head) and len(re.findall(r"^[ \t]*\|.*\|[ \t]*$", head, re.M)) >= 2:
        return True  # a pipe table with its |---|---| rule
    return len(_MD_STRONG.findall(head)) >= 2 or len(_MD.findall(head)) >= 2


def _text_kind(text: str, ext: str) -> str:
    head = text[:20000]
    truncated = len(text) > len(head)
    stripped = head.lstrip("\ufeff \t\r\n")
    if stripped[:1] in "{[":
        if _is_json(text) or _is_json_lines(head, truncated):
            return JSON
        if ext in _JSON_EXTS:
            return JSON  # broken JSON: the parser says where it breaks
    elif ext in (".jsonl", ".ndjson") and _is_json_lines(head, truncated):
        return JSON
    if _looks_like_python(text, head, ext):
        return PYTHON
    if _looks_like_sql(head, ext):
        return SQL
    if _looks_like_html(head):
        return HTML
    if _XML_START.match(stripped) and (truncated or stripped.rstrip().endswith(">")):
        return XML
    if ext in (".csv", ".tsv", ".tab") or _looks_like_csv(head, truncated):
        return CSV
    if ext in (".md", ".markdown") or _looks_like_markdown(head):
        return MARKDOWN
    return TEXT


def _looks_like_csv(text: str, truncated: bool = False) -> bool:
    """Rows with the same number (>1) of delimited, short, non-sentence cells."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if truncated and len(lines) > 1:
        lines = lines[:-1]
    lines = lines[:30]
    if len(lines) < 2:
        return False
    if sum(ln.rstrip().endswith((".", "!", "?")) for ln in lines) > len(lines) / 2:
        return False  # sentences
    for sep in (",", ";", "\t", "|"):
        if sep not in lines[0]:
            continue
        try:
            rows = list(csv.reader(lines, delimiter=sep))
        except csv.Error:
            continue
        width, freq = Counter(len(r) for r in rows).most_common(1)[0]
        if width < 2 or freq / len(rows) < 0.9:
            continue
        if sep == "|" and _MD_TABLE_SEP.search(text):
            continue  # a Markdown table
        if width == 2 and len(rows) < 3:
            continue  # "Dear Sir, ..." / "Hello, world"
        cells = [c.strip() for r in rows for c in r]
        if sum(len(c) for c in cells) / len(cells) > 40:
            continue
        if sum(len(c.split()) > 5 for c in cells) / len(cells) > 0.25:
            continue  # prose split at commas
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
    try:
        text = decode_text(data)
    except UnicodeError:
        return BINARY
    if re.match(r"\s*<(!doctype\s+html|html[\s>])", text[:2000], re.I):
        return HTML
    if _looks_like_email(text[:4000].encode("utf-8", "replace")):
        return EML
    return _text_kind(text, ext)
