"""JSON (and JSON Lines): objects come out as records.

Objects in arrays become `Kind.CODE_DATA` elements (attrs `record`, `path`, `index`, `line`)
whose text is the object's exact source; scalar members of other objects become `Kind.KEY_VALUE`
elements with dotted paths (attrs `key`, `value`, `line`) whose text is the `"key": value` source.
An array of arrays whose first row is all strings is a table (`Kind.TABLE` with records). Spans come
from decoding the document piece by piece with `json.JSONDecoder.raw_decode`, so every element's
text is a slice of the file. Invalid JSON is quarantined as corrupt with the line and column.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

from pipelines.model.document import Kind, Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput, decoded
from pipelines.parse.tabular import blank_row, header_names


def parse(data: bytes, builder: TextBuilder, ctx) -> None:  # type: ignore[no-untyped-def]
    text = decoded(data)
    text = text.removeprefix("\ufeff")
    add_json(text, builder, ctx)


_WS = re.compile(r"[ \t\n\r]*")
_decoder = json.JSONDecoder()


class _Lines:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys (lists keep their index: `a.b[0].c`)."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, (dict, list)) and v:
                out.update(flatten(v, key))
            else:
                out[key] = v
    elif isinstance(value, list):
        for i, v in enumerate(value):
            key = f"{prefix}[{i}]"
            if isinstance(v, (dict, list)) and v:
                out.update(flatten(v, key))
            else:
                out[key] = v
    else:
        out[prefix or "$"] = value
    return out


class JsonWalker:
    def __init__(self, text: str, builder: TextBuilder, ctx: Any) -> None:
        self.text = text
        self.builder = builder
        self.ctx = ctx
        self.lines = _Lines(text)
        self.count = 0
        self.records = 0

    def _tick(self) -> None:
        self.count += 1
        if self.ctx is not None and self.count % 1000 == 0:
            self.ctx.check_time()

    def skip(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def decode(self, pos: int) -> tuple[Any, int]:
        return _decoder.raw_decode(self.text, pos)

    def walk(self, pos: int, path: str, member_start: int | None = None) -> int:
        """Emit elements for the value at `pos` (not whitespace); return the offset after it.

        `member_start` is where the `"key":` of an object member begins, so a value shown as one
        key/value element carries its key in its text.
        """
        self._tick()
        ch = self.text[pos : pos + 1]
        if ch == "{":
            return self._object(pos, path)
        if ch == "[":
            return self._array(pos, path, member_start)
        value, end = self.decode(pos)
        at = pos if member_start is None else member_start
        self.builder.add(Kind.KEY_VALUE, self.text[at:end], attrs={"key": path or "$", "value": value, "line": self.lines.line(at)})
        return end

    def _object(self, pos: int, path: str) -> int:
        text = self.text
        i = self.skip(pos + 1)
        if text[i : i + 1] == "}":
            return i + 1
        while True:
            key_start = i
            key, i = self.decode(i)
            if not isinstance(key, str):
                raise ValueError("object key is not a string")
            i = self.skip(i)
            if text[i : i + 1] != ":":
                raise ValueError("expected ':'")
            i = self.skip(i + 1)
            child = f"{path}.{key}" if path else key
            if text[i : i + 1] in ("{", "["):
                i = self.walk(i, child, key_start)
            else:
                value, end = self.decode(i)
                self._tick()
                self.builder.add(Kind.KEY_VALUE, text[key_start:end], attrs={"key": child, "value": value, "line": self.lines.line(key_start)})
                i = end
            i = self.skip(i)
            sep = text[i : i + 1]
            if sep == ",":
                i = self.skip(i + 1)
                continue
            if sep == "}":
                return i + 1
            raise ValueError("expected ',' or '}'")

    def _array(self, pos: int, path: str, member_start: int | None = None) -> int:
        text = self.text
        # Look at the whole array once (C speed) to choose how to present it.
        value, end = self.decode(pos)
        if not value:
            return end
        if all(isinstance(v, list) for v in value) and value[0] and all(isinstance(c, str) for c in value[0]):
            self._table(value, path, pos)
            return end
        if not any(isinstance(v, dict) for v in value):
            # scalars (or lists of scalars): one key/value element for the whole list
            at = pos if member_start is None else member_start
            self.builder.add(Kind.KEY_VALUE, text[at:end], attrs={"key": path or "$", "value": value, "line": self.lines.line(at)})
            return end
        i = self.skip(pos + 1)
        index = 0
        while True:
            child = f"{path}[{index}]"
            if text[i : i + 1] == "{":
                obj, obj_end = self.decode(i)
                self._tick()
                attrs: dict[str, Any] = {"record": obj, "path": child, "index": index, "line": self.lines.line(i)}
                if any(isinstance(v, (dict, list)) for v in obj.values()):
                    attrs["flat"] = flatten(obj)
                self.builder.add(Kind.CODE_DATA, text[i:obj_end], attrs=attrs)
                self.records += 1
                i = obj_end
            else:
                i = self.walk(i, child)
            i = self.skip(i)
            sep = text[i : i + 1]
            if sep == ",":
                i = self.skip(i + 1)
                index += 1
                continue
            if sep == "]":
                return i + 1
            raise ValueError("expected ',' or ']'")

    def _table(self, value: list[list[Any]], path: str, pos: int) -> None:
        header = header_names([str(c) for c in value[0]], max(len(r) for r in value))
        kept = [value[0], *[r for r in value[1:] if not blank_row(r)]]  # rows add_table would drop
        rows = [["" if c is None else (c if isinstance(c, str) else json.dumps(c, ensure_ascii=False)) for c in r] for r in kept]
        records = [{header[i]: (r[i] if i < len(r) else None) for i in range(len(header))} for r in kept[1:]]
        self.builder.add_table(rows, attrs={"header": header, "records": records, "records_start": 1, "path": path or "$", "line": self.lines.line(pos)})
        self.records += len(records)


def _json_error(text: str) -> BadInput:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return BadInput(Reason.CORRUPT, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except RecursionError:
        return BadInput(Reason.NESTING, "JSON nested too deeply to parse")
    return BadInput(Reason.CORRUPT, "invalid JSON")


# Records are never this deep; a value nested deeper breaks every later step that walks it
# (encoding the parse for the cache, handing the document back from a worker).
MAX_JSON_NESTING = 100


def _check_nesting(value: Any) -> None:
    """BadInput(NESTING) if `value` holds lists or objects nested deeper than MAX_JSON_NESTING."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, (dict, list)):
            if depth > MAX_JSON_NESTING:
                raise BadInput(Reason.NESTING, f"JSON nested more than {MAX_JSON_NESTING} levels deep")
            stack.extend((x, depth + 1) for x in (v.values() if isinstance(v, dict) else v))


def add_json(text: str, builder: TextBuilder, ctx: Any = None) -> None:
    doc = builder.doc
    start = _WS.match(text).end()  # type: ignore[union-attr]
    try:
        _check_nesting(json.loads(text))
    except json.JSONDecodeError as exc:
        lines_result = _json_lines(text, builder, ctx)
        if lines_result is True:
            return
        if isinstance(lines_result, str):
            raise BadInput(Reason.CORRUPT, lines_result) from exc
        raise BadInput(Reason.CORRUPT, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    walker = JsonWalker(text, builder, ctx)
    try:
        walker.walk(start, "")
    except (ValueError, IndexError) as exc:  # should not happen after a successful json.loads
        raise _json_error(text) from exc
    doc.metadata["json"] = {"records": walker.records, "lines": False}


def _json_lines(text: str, builder: TextBuilder, ctx: Any) -> bool | str:
    """JSON Lines: one JSON value per line. True if the whole text is valid JSON Lines (and its
    elements were added); an error message if it is JSON Lines with a broken line; else False."""
    lines = text.split("\n")
    parsed: list[tuple[int, str, Any]] = []
    for n, line in enumerate(lines, 1):
        s = line.strip()
        if not s:
            continue
        try:
            parsed.append((n, line.rstrip("\r"), json.loads(s)))
            _check_nesting(parsed[-1][2])
        except ValueError as exc:
            if len(parsed) >= 2 and all(isinstance(v, dict) for _, _, v in parsed):
                col = f", column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
                msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                return f"invalid JSON Lines at line {n}{col}: {msg}"
            return False
    if len(parsed) < 2 or not any(isinstance(v, dict) for _, _, v in parsed):
        return False
    records = 0
    for i, (n, line, value) in enumerate(parsed):
        if ctx is not None and i % 1000 == 999:
            ctx.check_time()
        if isinstance(value, dict):
            attrs: dict[str, Any] = {"record": value, "path": f"[{i}]", "index": i, "line": n}
            if any(isinstance(v, (dict, list)) for v in value.values()):
                attrs["flat"] = flatten(value)
            builder.add(Kind.CODE_DATA, line, attrs=attrs)
            records += 1
        else:
            builder.add(Kind.KEY_VALUE, line, attrs={"key": f"[{i}]", "value": value, "line": n})
    builder.doc.metadata["json"] = {"records": records, "lines": True}
    return True
