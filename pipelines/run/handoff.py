"""What one stage hands the next, as one line of typed JSON per input file (see stages.py).

Three kinds of line: a parsed `Document` tree, an `Extracted` file (its tree and each
document's map result) and a judged file (its tree and each document's `DocOutcome`). Inside
a line the tree is written once; map results and outcomes point at their document by its
position in `Document.walk()`, so after reading, `result.document is tree.walk()[i]` again
(the judge stage tells the top-level file from attachments by identity). A classification's
rule set is not written: later stages use only its schema and who decided it.

Everything is read back through `Codec`, which builds only the classes listed here and checks
each value against their type hints: a tampered work file is an error, never code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pipelines.model import document as model
from pipelines.codec import Codec, CodecError
from pipelines.model.document import Document
from pipelines.map.classify import Classification
from pipelines.model.records import Evidence, FieldValue, Issue, Record
from pipelines.map.mapper import MapResult
from pipelines.run.outcome import DocOutcome


class HandoffError(ValueError):
    """A stage file that is damaged, from another version, or not written by this program."""


@dataclass
class Extracted:
    """One input file: its document tree and, per document (depth first), the map result."""

    document: Document
    results: list[tuple[Document, Any]]  # (document, MapResult | None when quarantined)


@dataclass
class _Results:  # on disk: Extracted with documents as positions in the tree
    document: Document
    results: list[tuple[int, MapResult | None]]


@dataclass
class _Outcomes:  # on disk: a judged file
    document: Document
    outcomes: list[tuple[int, DocOutcome]]


CODEC = Codec(
    [model.Document, model.Element, model.Word, model.Cell, model.BBox, model.Page, model.Kind, model.Status,
     model.Reason, Evidence, FieldValue, Issue, Record, Classification, MapResult, DocOutcome, _Results, _Outcomes],
    drop={MapResult: {"document"}, DocOutcome: {"document"}, Classification: {"rule_set"}},
)
_KINDS: dict[str, type] = {"document": Document, "extracted": _Results, "judged": _Outcomes}


def dumps(item: Document | Extracted | list[DocOutcome]) -> str:
    """One line of JSON for a stage item."""
    if isinstance(item, Document):
        kind, value = "document", item
    elif isinstance(item, Extracted):
        kind, value = "extracted", _Results(item.document, [(_position(item.document, d), r)
                                                            for d, r in item.results])
    elif isinstance(item, list) and item and all(isinstance(o, DocOutcome) for o in item):
        top = item[0].document
        kind, value = "judged", _Outcomes(top, [(_position(top, o.document), o) for o in item])
    else:
        raise HandoffError(f"not a stage item: {type(item).__name__}")
    return json.dumps({"kind": kind, "v": CODEC.encode(value, _KINDS[kind])}, ensure_ascii=False,
                      separators=(",", ":"))


def loads(line: str) -> Document | Extracted | list[DocOutcome]:
    """The stage item a line of `dumps` describes; HandoffError if it is anything else."""
    try:
        raw = json.loads(line)
        kind = raw.get("kind") if isinstance(raw, dict) else None
        if kind not in _KINDS or set(raw) != {"kind", "v"}:
            raise HandoffError("not a stage item of this program")
        value = CODEC.decode(raw["v"], _KINDS[kind])
    except (ValueError, TypeError, RecursionError) as exc:  # CodecError and JSON errors are ValueErrors
        raise HandoffError(str(exc)) from exc
    if kind == "document":
        return value
    docs = value.document.walk()
    if kind == "extracted":
        results = []
        for i, result in value.results:
            d = _at(docs, i)
            if result is not None:
                result.document = d
            results.append((d, result))
        return Extracted(value.document, results)
    outcomes = []
    for i, outcome in value.outcomes:
        outcome.document = _at(docs, i)
        outcomes.append(outcome)
    return outcomes


def _position(top: Document, doc: Document) -> int:
    for i, d in enumerate(top.walk()):
        if d is doc:
            return i
    raise HandoffError(f"document {doc.id[:12]} is not part of the tree of {top.id[:12]}")


def _at(docs: list[Document], i: int) -> Document:
    if not 0 <= i < len(docs):
        raise HandoffError(f"document position {i} outside a tree of {len(docs)}")
    return docs[i]


__all__ = ["CodecError", "Extracted", "HandoffError", "dumps", "loads"]
