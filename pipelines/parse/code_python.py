"""Python source: analysed with the stdlib `ast` module, never imported, executed or evaluated.

The source is cut, in order, into pieces whose text is the exact source they come from:

- `Kind.CODE_SYMBOL` for the module (its docstring), each class and each function/method: the
  text is the header (decorators + `def`/`class` line(s)) plus the docstring, not the body; attrs
  `symbol_kind`, `name`, `qualname`, `line`, `end_line`, `signature`, `docstring`, ...
- `Kind.CODE_DATA` for each module- or class-level assignment of a literal dict/list/tuple/set:
  text is `ast.get_source_segment` of the assignment; attrs `name`, `value` (JSON-compatible data),
  `records` (for a list of dicts, or a dict of dicts with the key under `_key`), `line`.
  Values are read with a literal-only evaluator (`ast.literal_eval` semantics, plus `Decimal("1.5")`,
  `date(2024, 1, 2)` and the like read as strings); any other expression is kept as its source text
  and its path listed in attrs `expressions`.
- `Kind.PARAGRAPH` for runs of comment lines, `Kind.CODE` for everything else (blank-line blocks).

A file that does not parse (Python 2, a fragment, a syntax error) is kept as `Kind.CODE` blocks with
a document warning, `metadata["python"]["syntax_error"]` and `attrs["unparsed"] = True`; `def` and
`class` lines found by pattern become approximate `CODE_SYMBOL`s (`attrs["approximate"] = True`).
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from pipelines.model.document import Kind
from pipelines.parse.builder import TextBuilder
from pipelines.parse.code_literals import CONTAINERS, LiteralReader, dotted, records_of
from pipelines.parse.errors import decoded

_COMPOUND_SCOPES = (ast.If, ast.Try, ast.With, ast.For, ast.While, ast.AsyncWith, ast.AsyncFor)
_TRY_STAR = getattr(ast, "TryStar", None)


@dataclass(slots=True)
class Piece:
    start: int
    end: int
    kind: Kind
    attrs: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# source positions
# ---------------------------------------------------------------------------------------------


class Source:
    """Maps ast (line, utf-8 byte column) positions to character offsets in the source string."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0]
        i = text.find("\n")
        while i != -1:
            self.line_starts.append(i + 1)
            i = text.find("\n", i + 1)
        self._ascii = text.isascii()

    def line_text(self, lineno: int) -> str:
        start = self.line_starts[lineno - 1]
        end = self.line_starts[lineno] - 1 if lineno < len(self.line_starts) else len(self.text)
        return self.text[start:end]

    def offset(self, lineno: int, col_bytes: int) -> int:
        start = self.line_starts[lineno - 1]
        if self._ascii:
            return start + col_bytes
        line = self.line_text(lineno)
        return start + len(line.encode("utf-8")[:col_bytes].decode("utf-8", errors="ignore"))

    def start_of(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end_of(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)


# ---------------------------------------------------------------------------------------------
# analysis
# ---------------------------------------------------------------------------------------------


def _docstring_node(body: list[ast.stmt]) -> ast.Expr | None:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        return body[0]
    return None


class Analyzer:
    def __init__(self, src: Source, module: str, ctx: Any) -> None:
        self.src = src
        self.module = module
        self.ctx = ctx
        self.pieces: list[Piece] = []
        self.symbols: list[dict[str, Any]] = []
        self._count = 0

    def _tick(self) -> None:
        self._count += 1
        if self.ctx is not None and self._count % 500 == 0:
            self.ctx.check_time()

    def run(self, tree: ast.Module) -> None:
        doc = _docstring_node(tree.body)
        if doc is not None:
            docstring = ast.get_docstring(tree) or ""
            attrs = {"symbol_kind": "module", "name": self.module, "qualname": self.module, "line": doc.lineno,
                     "end_line": doc.end_lineno, "docstring": docstring}
            self.pieces.append(Piece(self.src.start_of(doc), self.src.end_of(doc), Kind.CODE_SYMBOL, attrs))
            self.symbols.append({"symbol_kind": "module", "qualname": self.module, "line": doc.lineno})
        self._scope(tree.body[1:] if doc is not None else tree.body, prefix="", data_scope="module")

    def _scope(self, body: list[ast.stmt], *, prefix: str, data_scope: str | None) -> None:
        """Walk statements of a module/class (data_scope set) or function body (data_scope None)."""
        for stmt in body:
            self._tick()
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._symbol(stmt, prefix, in_class=data_scope == "class")
            elif data_scope and isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                self._data(stmt, prefix, data_scope)
            elif isinstance(stmt, _COMPOUND_SCOPES) or (_TRY_STAR and isinstance(stmt, _TRY_STAR)):
                for name in ("body", "orelse", "finalbody"):
                    self._scope(getattr(stmt, name, []) or [], prefix=prefix, data_scope=data_scope)
                for handler in getattr(stmt, "handlers", []) or []:
                    self._scope(handler.body, prefix=prefix, data_scope=data_scope)
            elif isinstance(stmt, ast.Match):
                for case in stmt.cases:
                    self._scope(case.body, prefix=prefix, data_scope=data_scope)

    def _symbol(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, prefix: str, *, in_class: bool) -> None:
        src = self.src
        first = node.decorator_list[0] if node.decorator_list else node
        start = src.start_of(first)
        if node.decorator_list:
            # decorators start after "@": include it
            at = src.text.rfind("@", src.line_starts[first.lineno - 1], start + 1)
            start = at if at >= 0 else start
        doc = _docstring_node(node.body)
        header_end = self._header_end(node)
        end = src.end_of(doc) if doc is not None else header_end
        qualname = f"{prefix}{node.name}"
        if isinstance(node, ast.ClassDef):
            kind = "class"
        elif in_class:
            kind = "async method" if isinstance(node, ast.AsyncFunctionDef) else "method"
        else:
            kind = "async function" if isinstance(node, ast.AsyncFunctionDef) else "function"
        header = src.text[src.start_of(node) : header_end].rstrip()
        signature = " ".join(header.rstrip(":").split()) if header.endswith(":") else " ".join(header.split())
        attrs: dict[str, Any] = {
            "symbol_kind": kind,
            "name": node.name,
            "qualname": qualname,
            "module": self.module,
            "line": node.lineno,
            "end_line": node.end_lineno,
            "signature": signature,
            "docstring": ast.get_docstring(node),
            "decorators": [ast.get_source_segment(src.text, d) or ast.unparse(d) for d in node.decorator_list],
        }
        if isinstance(node, ast.ClassDef):
            attrs["bases"] = [ast.get_source_segment(src.text, b) or ast.unparse(b) for b in node.bases]
        else:
            attrs["args"] = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
            if node.returns is not None:
                attrs["returns"] = ast.get_source_segment(src.text, node.returns) or ast.unparse(node.returns)
        self.pieces.append(Piece(start, end, Kind.CODE_SYMBOL, attrs))
        self.symbols.append({"symbol_kind": kind, "qualname": qualname, "line": node.lineno})
        body = node.body[1:] if doc is not None else node.body
        if isinstance(node, ast.ClassDef):
            self._scope(body, prefix=f"{qualname}.", data_scope="class")
        else:
            self._scope(body, prefix=f"{qualname}.<locals>.", data_scope=None)

    def _header_end(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
        """Offset just past the ':' that ends the def/class header."""
        src = self.src
        body_start = src.start_of(node.body[0])
        # the header ends at the last ':' before the body that is outside brackets/strings: the
        # body's first token follows it, possibly after a comment and newline.
        head_start = src.start_of(node)
        segment = src.text[head_start:body_start]
        colon = _last_header_colon(segment)
        return head_start + colon + 1 if colon >= 0 else body_start

    def _data(self, stmt: ast.Assign | ast.AnnAssign, prefix: str, scope: str) -> None:
        value_node = stmt.value
        if value_node is None or not isinstance(value_node, CONTAINERS):
            return
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        names = [dotted(t) for t in targets]
        if not names or any(n is None for n in names):
            return  # tuple unpacking, subscripts: not a named literal
        reader = LiteralReader(self.src.text)
        try:
            value = reader.read(value_node)
        except RecursionError:
            return
        if reader.literals == 0:
            return  # a container of names/calls: code, not data
        text_start, text_end = self.src.start_of(stmt), self.src.end_of(stmt)
        name = names[0]
        attrs: dict[str, Any] = {
            "name": name,
            "qualname": f"{prefix}{name}",
            "scope": scope,
            "line": stmt.lineno,
            "end_line": stmt.end_lineno,
            "value": value,
        }
        if len(names) > 1:
            attrs["names"] = names
        if isinstance(stmt, ast.AnnAssign):
            attrs["annotation"] = ast.get_source_segment(self.src.text, stmt.annotation) or ast.unparse(stmt.annotation)
        records = records_of(value)
        if records is not None:
            attrs["records"] = records
        if reader.expressions:
            attrs["expressions"] = reader.expressions
        self.pieces.append(Piece(text_start, text_end, Kind.CODE_DATA, attrs))


def _last_header_colon(segment: str) -> int:
    """Index of the ':' closing a def/class header in `segment` (header + maybe a comment)."""
    depth = 0
    last = -1
    i = 0
    n = len(segment)
    while i < n:
        ch = segment[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "#":
            nl = segment.find("\n", i)
            i = n if nl < 0 else nl
            continue
        elif ch in "'\"":
            quote = segment[i : i + 3] if segment[i : i + 3] in ("'''", '"""') else ch
            close = segment.find(quote, i + len(quote))
            while close > 0 and segment[close - 1] == "\\" and len(quote) == 1:
                close = segment.find(quote, close + 1)
            i = n if close < 0 else close + len(quote)
            continue
        elif ch == ":" and depth == 0:
            last = i
        i += 1
    return last


# ---------------------------------------------------------------------------------------------
# emitting
# ---------------------------------------------------------------------------------------------

_COMMENT_LINE = re.compile(r"^\s*#")


def _gap_blocks(text: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """Blank-line separated blocks in text[start:end], split where comment runs begin/end.

    Returns (start, end, is_comment) with the spans trimmed of surrounding blank space.
    """
    blocks: list[tuple[int, int, bool]] = []
    cur_start = -1
    cur_end = -1
    cur_comment = False
    pos = start
    for line in text[start:end].split("\n"):
        line_start, line_end = pos, pos + len(line)
        pos = line_end + 1
        if not line.strip():
            if cur_start >= 0:
                blocks.append((cur_start, cur_end, cur_comment))
                cur_start = -1
            continue
        is_comment = bool(_COMMENT_LINE.match(line))
        if cur_start >= 0 and is_comment != cur_comment:
            blocks.append((cur_start, cur_end, cur_comment))
            cur_start = -1
        if cur_start < 0:
            # comments lose their indentation (they become prose); code keeps it
            mid_line = line_start == start and start > 0 and text[start - 1] != "\n"
            cur_start = line_start + (len(line) - len(line.lstrip()) if is_comment or mid_line else 0)
            cur_comment = is_comment
        cur_end = line_start + len(line.rstrip())
    if cur_start >= 0:
        blocks.append((cur_start, cur_end, cur_comment))
    return blocks


def _comment_text(raw: str) -> str:
    return "\n".join(re.sub(r"^\s*#+\s?", "", ln) for ln in raw.split("\n")).strip()


def _emit(text: str, pieces: list[Piece], builder: TextBuilder, src: Source | None, ctx: Any, extra: dict[str, Any] | None = None) -> None:
    pieces = sorted(pieces, key=lambda p: p.start)
    pos = 0
    for i, piece in enumerate(pieces + [Piece(len(text), len(text), Kind.CODE)]):
        if ctx is not None and i % 500 == 499:
            ctx.check_time()
        if piece.start < pos:  # overlapping (should not happen): keep the earlier piece
            continue
        for b_start, b_end, is_comment in _gap_blocks(text, pos, piece.start):
            attrs: dict[str, Any] = dict(extra or {})
            if src is not None:
                attrs["line"] = src.line_of(b_start)
            if is_comment:
                attrs["comment"] = _comment_text(text[b_start:b_end])
                builder.add(Kind.PARAGRAPH, text[b_start:b_end], attrs=attrs)
            else:
                builder.add(Kind.CODE, text[b_start:b_end], attrs=attrs)
        if piece.end > piece.start:
            builder.add(piece.kind, text[piece.start : piece.end], attrs=piece.attrs)
        pos = max(pos, piece.end)


_APPROX_SYMBOL = re.compile(r"^([ \t]*)(async[ \t]+def|def|class)[ \t]+([A-Za-z_]\w*)[^\n]*", re.M)


def _emit_unparsed(text: str, builder: TextBuilder, error: str, ctx: Any) -> None:
    pieces: list[Piece] = []
    src = Source(text)
    for m in _APPROX_SYMBOL.finditer(text):
        kind = "class" if m.group(2) == "class" else "function"
        start = m.start() + len(m.group(1))
        pieces.append(Piece(start, m.end(), Kind.CODE_SYMBOL, {
            "symbol_kind": kind, "name": m.group(3), "line": src.line_of(start), "approximate": True, "unparsed": True,
        }))
    _emit(text, pieces, builder, src, ctx, extra={"unparsed": True, "syntax_error": error})


# ---------------------------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------------------------


def parse(data: bytes, builder: TextBuilder, ctx) -> None:  # type: ignore[no-untyped-def]
    text = decoded(data, "Python source")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    module = PurePath(builder.doc.name or "module").stem or "module"
    add_python(text, builder, module=module, ctx=ctx)


def add_python(text: str, builder: TextBuilder, *, module: str = "module", ctx: Any = None) -> None:
    doc = builder.doc
    meta: dict[str, Any] = {"module": module}
    doc.metadata["python"] = meta
    try:
        tree = ast.parse(text, type_comments=False)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        if isinstance(exc, SyntaxError):
            error = f"{exc.msg} (line {exc.lineno}, column {exc.offset})"
        else:
            error = f"{type(exc).__name__}: {exc}"
        meta["syntax_error"] = error
        doc.warnings.append(f"Python source does not parse ({error}); kept as plain code, symbols and data not analysed")
        _emit_unparsed(text, builder, error, ctx)
        return
    src = Source(text)
    analyzer = Analyzer(src, module, ctx)
    try:
        analyzer.run(tree)
    except RecursionError:
        doc.warnings.append("Python source nested too deeply to analyse fully; some symbols may be missing")
    meta["symbols"] = len(analyzer.symbols)
    meta["data"] = sum(1 for p in analyzer.pieces if p.kind is Kind.CODE_DATA)
    _emit(text, analyzer.pieces, builder, src, ctx)
