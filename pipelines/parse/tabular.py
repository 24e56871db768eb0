"""CSV/TSV: rows come out as records (JSON is read by pipelines/parse/json_data.py).

The delimiter and the header row are detected from the content; rows become `Kind.TABLE`
elements of at most `CSV_CHUNK_ROWS` rows each (the header is the first table row of the first
chunk and is repeated in every chunk's attrs), each with `attrs["records"]`: one dict per data row
keyed by the header. `attrs["records_start"]` is the table row of the first record (1 when the
header row is in this table, else 0) and `attrs["row_offset"]` the index of the chunk's first
record in the whole file.

"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from typing import Any

from pipelines.model.document import Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput, decoded

CSV_CHUNK_ROWS = 500
# The csv module refuses fields over 128 KiB by default; real exports carry long notes/blobs.
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
CSV_DELIMITERS = (",", ";", "\t", "|")
_NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d+)*|\d*[.,]\d+)([eE][-+]?\d+)?\s*%?\s*$")
_DATE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


def parse(data: bytes, builder: TextBuilder, ctx) -> None:  # type: ignore[no-untyped-def]
    text = decoded(data)
    text = text.removeprefix("\ufeff")
    name = (builder.doc.name or "").lower()
    add_csv(text, builder, ctx, delimiter="\t" if name.endswith((".tsv", ".tab")) else None)


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def detect_delimiter(sample: str) -> str:
    """The delimiter that splits the sample's lines into the most consistent number of fields (>1)."""
    lines = sample.split("\n")
    if len(lines) > 1 and len(sample) >= 60_000:
        lines = lines[:-1]  # probably cut mid-line
    best, best_score = ",", 0.0
    for delim in CSV_DELIMITERS:
        try:
            rows = [r for r in csv.reader(lines[:100], delimiter=delim) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not rows:
            continue
        counts = Counter(len(r) for r in rows)
        width, freq = counts.most_common(1)[0]
        if width < 2:
            continue
        score = freq / len(rows) * (1 + min(width, 20) / 20)
        if score > best_score:
            best, best_score = delim, score
    return best


def _looks_typed(cell: str) -> bool:
    return bool(_NUMBER.match(cell) or _DATE.match(cell))


def detect_header(rows: list[list[str]], *, strict: bool = False) -> bool:
    """A header row is all non-empty, unique, mostly non-numeric labels, unlike the rows under it.

    `strict` (tables in documents, where a first row is less often a header than in a CSV)
    asks for a column of numbers/dates under a text label."""
    if not rows:
        return False
    first = [c.strip() for c in rows[0]]
    if not first or any(not c for c in first) or len(set(first)) != len(first):
        return False
    if any(_looks_typed(c) for c in first):
        return False
    body = rows[1:51]
    if not body:
        return True
    # a column whose values are numbers/dates under a text label is the strongest sign ...
    for col in range(len(first)):
        values = [r[col].strip() for r in body if col < len(r) and r[col].strip()]
        if values and sum(_looks_typed(v) for v in values) / len(values) > 0.5:
            return True
    if strict:
        return False
    # ... otherwise: labels that do not reappear in the data and are shortish
    seen = {c.strip() for r in body for c in r}
    return not (set(first) & seen) and all(len(c) <= 60 for c in first)


def header_names(first: list[str], width: int) -> list[str]:
    names: list[str] = []
    used: set[str] = set()
    for i in range(width):
        base = first[i].strip() if i < len(first) and first[i].strip() else f"column_{i + 1}"
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        names.append(name)
    return names


def add_csv(text: str, builder: TextBuilder, ctx: Any = None, *, delimiter: str | None = None) -> None:
    sample = text[:65536]
    delim = delimiter or detect_delimiter(sample)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, quotechar='"', doublequote=True, skipinitialspace=False, strict=False)
    try:
        rows = [row for row in reader if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise BadInput(Reason.CORRUPT, f"CSV could not be read (line {reader.line_num}): {exc}") from exc
    if not rows:
        raise BadInput(Reason.EMPTY, "CSV has no rows")
    has_header = detect_header(rows)
    width = max(len(r) for r in rows)
    header = header_names(rows[0] if has_header else [], width)
    data_rows = rows[1:] if has_header else rows
    doc = builder.doc
    doc.metadata["csv"] = {"delimiter": delim, "header": header, "header_detected": has_header,
                           "rows": len(data_rows), "columns": width}
    widths = Counter(len(r) for r in data_rows)
    if len(widths) > 1:
        doc.warnings.append(f"CSV rows have differing numbers of fields: {dict(sorted(widths.items()))}")
    chunks = max(1, -(-len(data_rows) // CSV_CHUNK_ROWS))
    for c in range(chunks):
        if ctx is not None:
            ctx.check_time()
        part = data_rows[c * CSV_CHUNK_ROWS : (c + 1) * CSV_CHUNK_ROWS]
        records = [{header[i]: (row[i] if i < len(row) else None) for i in range(width)} for row in part]
        table_rows: list[list[str | None]] = [list(r) for r in part]
        header_here = has_header and c == 0
        if header_here:
            table_rows.insert(0, list(rows[0]))
        attrs = {
            "header": header,
            "records": records,
            "records_start": 1 if header_here else 0,
            "row_offset": c * CSV_CHUNK_ROWS,
            "chunk": c,
            "chunks": chunks,
            "delimiter": delim,
        }
        if not part and not header_here:
            continue
        builder.add_table(table_rows, attrs=attrs)


def blank_row(row: list[Any]) -> bool:
    """A row TextBuilder.add_table would drop (all cells blank once cleaned)."""
    return not any(str(c if c is not None else "").strip() for c in row)
