"""`mapper review`: the review queue from the command line.

    mapper review list [--schema S] [--reason CODE] [--source TEXT] [--status open|accepted|...|all] [--json]
    mapper review show REVIEW_ID [--json]
    mapper review accept REVIEW_ID --reviewer NAME
    mapper review correct REVIEW_ID --reviewer NAME --set field=value [--span field=START:END] ...
    mapper review reject REVIEW_ID --reviewer NAME --reason TEXT

A review id may be shortened to a unique prefix. The reviewer defaults to $MAPPER_REVIEWER.
Decisions are saved against the item's current version, read just before saving (or
`--expected-version`); if someone else decided it meanwhile the command fails and says who.
Text from documents is printed with control characters escaped, so a document cannot
drive the terminal.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import TYPE_CHECKING, Any

import click

from pipelines.cli_options import kb_option, schemas_option, settings_from

_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
EXCERPT_CONTEXT = 80

if TYPE_CHECKING:  # pydantic costs ~1 s to import; `mapper --help` loads this module
    from pipelines.config import Settings


def _settings(kb: str | None, schemas: str | None) -> Settings:
    return settings_from(kb, schemas)


def _kb_options(f: Any) -> Any:
    return kb_option(schemas_option(f))


def _decision_options(f: Any) -> Any:
    f = click.option("--expected-version", type=click.IntRange(min=0), default=None,
                     help="Save only if the item is still at this version (default: its current version).")(f)
    return click.option("--reviewer", envvar="MAPPER_REVIEWER",
                        help="Who decides (letters, digits, . _ @ -; default: env MAPPER_REVIEWER).")(f)


def safe(text: Any, *, multiline: bool = False) -> str:
    """Text for the terminal: control and bidi characters escaped (newlines kept if `multiline`)."""
    out = []
    for ch in "" if text is None else str(text):
        if multiline and ch in "\n\t":
            out.append(ch)
        elif ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs"):
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch, f"\\u{ord(ch):04x}"))
        else:
            out.append(ch)
    return "".join(out)


def _clip(text: Any, n: int) -> str:
    s = safe(text)
    return s if len(s) <= n else s[: n - 3] + "..."


def _table(rows: list[tuple[Any, ...]], headers: tuple[str, ...]) -> str:
    cols = list(zip(headers, *rows)) if rows else [(h,) for h in headers]
    widths = [max(len(str(v)) for v in col) for col in cols]

    def line(r: tuple[Any, ...]) -> str:
        return "  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip()

    return "\n".join([line(headers), line(tuple("-" * w for w in widths))] + [line(r) for r in rows])


def _reasons_text(reasons: list[dict]) -> str:
    return ", ".join(f"{r.get('code')}:{r.get('field')}" if r.get("field") else str(r.get("code")) for r in reasons)


def _value_text(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "-" if value is None else str(value)


def _need_reviewer(reviewer: str | None) -> str:
    if not reviewer:
        raise click.ClickException("no reviewer: pass --reviewer NAME or set MAPPER_REVIEWER")
    from pipelines.review.store import check_reviewer

    try:
        return check_reviewer(reviewer)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def _fail(exc: BaseException) -> click.ClickException:
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    return click.ClickException(safe(message))


@click.group("review", context_settings={"help_option_names": ["-h", "--help"]})
def review() -> None:
    """Records that need a person: list, inspect, accept, correct or reject them."""


@review.command("list")
@_kb_options
@click.option("--schema", help="Only items of this schema (e.g. invoice, unclassified).")
@click.option("--reason", help="Only items with this reason code (e.g. failed_check) or naming this field.")
@click.option("--source", help="Only items whose source path contains this text.")
@click.option("--status", default="open", show_default=True,
              type=click.Choice(["open", "accepted", "corrected", "rejected", "all"]))
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON.")
def list_cmd(kb: str | None, schemas: str | None, schema: str | None, reason: str | None, source: str | None,
             status: str, as_json: bool) -> None:
    """List review items (open ones by default), oldest first."""
    from pipelines.review.store import ReviewStore

    store = ReviewStore(_settings(kb, schemas).kb_root)
    items = store.items(status=None if status == "all" else status, schema=schema, reason=reason, source=source)
    if as_json:
        click.echo(json.dumps([{
            "review_id": i.review_id, "status": i.status, "version": i.version, "schema": i.schema,
            "reasons": i.reasons, "source_path": i.source_path, "record_id": i.record_id,
            "document_id": i.document_id, "batch_id": i.batch_id,
            "created_at": i.created_at.isoformat() if i.created_at else None,
        } for i in items], indent=2, ensure_ascii=False))
        return
    rows = [(i.review_id[:12], i.status, i.version, i.schema, _clip(_reasons_text(i.reasons), 50),
             _clip(i.source_path, 80)) for i in items]
    click.echo(_table(rows, ("review id", "status", "ver", "schema", "reasons", "source")))
    click.echo(f"\n{len(items)} item(s)")


@review.command("show")
@click.argument("review_id")
@_kb_options
@click.option("--json", "as_json", is_flag=True, help="Print the item and its decisions as JSON.")
def show_cmd(review_id: str, kb: str | None, schemas: str | None, as_json: bool) -> None:
    """Show an item: proposed fields with provenance, reasons, document excerpts, history."""
    from pipelines.model.schema import SchemaError, load_schemas
    from pipelines.review.documents import DocumentNotFound, load_document
    from pipelines.review.store import ReviewStore, to_jsonable

    settings = _settings(kb, schemas)
    store = ReviewStore(settings.kb_root)
    try:
        item = store.get(review_id)
    except KeyError as exc:
        raise _fail(exc) from exc
    history = store.decisions(item.review_id)
    if as_json:
        click.echo(json.dumps(to_jsonable({
            "review_id": item.review_id, "status": item.status, "version": item.version, "schema": item.schema,
            "record_id": item.record_id, "document_id": item.document_id, "source_path": item.source_path,
            "reasons": item.reasons, "proposed": item.proposed, "batch_id": item.batch_id,
            "created_at": item.created_at, "decisions": [vars(d) for d in history],
        }), indent=2, ensure_ascii=False))
        return
    try:
        schema = load_schemas(settings.schemas_dir).get(item.schema)
    except SchemaError:
        schema = None
    spec_fields = list(schema.fields) if schema else []
    click.echo(f"review {item.review_id}  [{item.status}, version {item.version}]")
    click.echo(f"schema {item.schema}   record {item.record_id}")
    click.echo(f"source {safe(item.source_path)}   document {item.document_id[:12]}")
    click.echo("\nreasons:")
    for r in item.reasons:
        click.echo(f"  - {safe(r.get('code'))}" + (f" [{safe(r.get('field'))}]" if r.get("field") else "")
                   + f": {safe(r.get('message'))}")
    fields = item.fields
    names = list(fields) + [n for n in spec_fields if n not in fields]
    if names:
        rows = []
        for name in names:
            f = fields.get(name) or {}
            ev = f.get("evidence") or None
            where = ""
            if ev:
                where = (f"p{ev.get('page')} " if ev.get("page") else "") + f"{ev.get('start')}:{ev.get('end')} "
                where += repr(_clip(ev.get("text"), 40))
            conf = f.get("confidence")
            rows.append((safe(name), _clip(_value_text(f.get("value")), 50), safe(f.get("method") or "-"),
                         "-" if conf is None else f"{float(conf):.2f}", safe(f.get("rule_id") or "-"), where or "-"))
        click.echo("\nfields:")
        click.echo(_table(rows, ("field", "value", "method", "conf", "rule", "evidence")))
    try:
        doc = load_document(settings, item.document_id)
    except (DocumentNotFound, OSError) as exc:
        click.echo(f"\n(document text unavailable: {safe(exc)})")
        doc = None
    if doc is not None:
        _excerpts(item, doc.text, _flagged_fields(item, schema))
    if history:
        click.echo("\nhistory:")
        for d in history:
            what = d.reason if d.action == "reject" else ", ".join(
                f"{c['field']}: {_clip(_value_text(c.get('old')), 30)} -> {_clip(_value_text(c.get('new')), 30)}"
                for c in d.corrections)
            click.echo(f"  v{d.version} {d.decided_at:%Y-%m-%d %H:%M:%S} {d.reviewer} {d.action}"
                       + (f": {safe(what)}" if what else ""))


def _flagged_fields(item: Any, schema: Any) -> set[str]:
    """Fields the reasons point at; a failed check points at the fields its expression uses."""
    flagged = {r.get("field") for r in item.reasons if r.get("field")}
    for check in getattr(schema, "checks", None) or []:
        if check.name in flagged:
            flagged |= {n for n in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", check.expr) if n in schema.fields}
    return flagged


def _excerpts(item: Any, text: str, flagged: set[str]) -> None:
    """Document text around the evidence of the fields the reasons name (else the start)."""
    shown = 0
    for name, f in item.fields.items():
        ev = (f or {}).get("evidence")
        if name not in flagged or not ev or ev.get("start") is None:
            continue
        start, end = int(ev["start"]), int(ev["end"])
        a, b = max(0, start - EXCERPT_CONTEXT), min(len(text), end + EXCERPT_CONTEXT)
        click.echo(f"\nexcerpt for {safe(name)} ({start}:{end}):")
        click.echo("  " + safe(text[a:start]) + ">>" + safe(text[start:end]) + "<<" + safe(text[end:b]))
        shown += 1
    if not shown:
        head = text[:2 * EXCERPT_CONTEXT * 3]
        click.echo(f"\ndocument text ({len(text):,} characters){':' if head else ': (empty)'}")
        if head:
            click.echo("  " + safe(head, multiline=True).replace("\n", "\n  ") + ("..." if len(text) > len(head) else ""))


def _decide(kb: str | None, schemas: str | None, review_id: str, expected_version: int | None, action: Any,
            reviewer: str | None = None) -> Any:
    """Run an action against the item's version (given, or read now) with clean errors. An id
    that names a landed record (not a review item) reopens the record for review."""
    from pipelines.review.actions import InvalidCorrection
    from pipelines.review.documents import DocumentNotFound
    from pipelines.review.reopen import item_or_reopen
    from pipelines.review.store import ConflictError, ReviewStore

    settings = _settings(kb, schemas)
    try:
        item = item_or_reopen(settings, review_id, reviewer) if reviewer else ReviewStore(settings.kb_root).get(review_id)
        version = item.version if expected_version is None else expected_version
        return action(settings, item.review_id, version)
    except (KeyError, InvalidCorrection, ConflictError, DocumentNotFound, ValueError) as exc:
        raise _fail(exc) from exc


@review.command("accept")
@click.argument("review_id")
@_kb_options
@_decision_options
def accept_cmd(review_id: str, kb: str | None, schemas: str | None, reviewer: str | None,
               expected_version: int | None) -> None:
    """Land the proposed record as it is."""
    from pipelines.review import actions

    name = _need_reviewer(reviewer)
    d = _decide(kb, schemas, review_id, expected_version,
                lambda s, rid, v: actions.accept(s, rid, name, expected_version=v), name)
    click.echo(f"accepted {d.review_id[:12]} (version {d.version}) by {d.reviewer}: record {d.record_id} landed in {d.schema}")


def _parse_sets(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        name, sep, value = v.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{v!r} is not field=value", param_hint="--set")
        if name.strip() in out:
            raise click.BadParameter(f"{name.strip()} is set twice", param_hint="--set")
        out[name.strip()] = value
    return out


def _parse_spans(values: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for v in values:
        name, sep, span = v.partition("=")
        start, colon, end = span.partition(":")
        try:
            if not sep or not colon or not name.strip():
                raise ValueError
            out[name.strip()] = (int(start), int(end))
        except ValueError:
            raise click.BadParameter(f"{v!r} is not field=START:END (character offsets)", param_hint="--span") from None
    return out


@review.command("correct")
@click.argument("review_id")
@_kb_options
@_decision_options
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
              help="Correct a field by typing its value (repeatable). A list of items is typed as JSON; "
                   "an empty value clears the field.")
@click.option("--span", "spans", multiple=True, metavar="FIELD=START:END",
              help="Correct a field by selecting document text at these character offsets (repeatable, optional); "
                   "with --set too, the typed value must be the selected text or its normalised form.")
@click.option("--keep-open/--no-keep-open", "keep_open", default=True, show_default=True,
              help="When a failed check the corrections do not fix stops the record from landing, save them anyway "
                   "and leave the item open.")
def correct_cmd(review_id: str, kb: str | None, schemas: str | None, reviewer: str | None,
                expected_version: int | None, sets: tuple[str, ...], spans: tuple[str, ...], keep_open: bool) -> None:
    """Correct fields and land the corrected record.

    REVIEW_ID may also be the record id of a landed record: it is reopened for review first.
    A typed value printed once in the document gets that place as its evidence (no offsets
    needed). Line-table cells: --set line_items.2.amount=41.50; remove an item: --set line_items.3=
    """
    from pipelines.review import actions

    name = _need_reviewer(reviewer)
    values, where = _parse_sets(sets), _parse_spans(spans)
    if not values and not where:
        raise click.UsageError("nothing to correct: give --set FIELD=VALUE or --span FIELD=START:END")
    corrections = [
        actions.Correction(f, values.get(f, ""), *(where.get(f) or (None, None)))
        for f in list(values) + [f for f in where if f not in values]
    ]
    blocked: list[str] = []

    def act(s: Any, rid: str, v: int) -> Any:
        try:
            return actions.correct(s, rid, name, corrections, expected_version=v)
        except actions.InvalidCorrection as exc:
            # a check the corrections do not fix (e.g. line items that do not add up) must not
            # throw the other fixes away: they are saved, the item stays open and says why
            if keep_open and exc.issues and all(i.get("code") == "failed_check" for i in exc.issues):
                blocked.append(str(exc))
                return actions.correct(s, rid, name, corrections, expected_version=v, land=False)
            raise

    d = _decide(kb, schemas, review_id, expected_version, act, name)
    if blocked:
        click.echo(f"saved {d.review_id[:12]} (version {d.version}) by {d.reviewer}, NOT landed: {safe(blocked[0])}")
        click.echo(f"  fix the rest, e.g. --set line_items.2.amount=VALUE or --set line_items.3= (remove an item)")
    else:
        click.echo(f"corrected {d.review_id[:12]} (version {d.version}) by {d.reviewer}: record {d.record_id} landed in {d.schema}")
    for c in d.corrections:
        click.echo(f"  {c['field']}: {_clip(_value_text(c.get('old')), 60)} -> {_clip(_value_text(c.get('new')), 60)}")


@review.command("reject")
@click.argument("review_id")
@_kb_options
@_decision_options
@click.option("--reason", "reason", required=True, help="Why the record is rejected (kept with the decision).")
def reject_cmd(review_id: str, kb: str | None, schemas: str | None, reviewer: str | None,
               expected_version: int | None, reason: str) -> None:
    """Reject the item; nothing lands."""
    from pipelines.review import actions

    name = _need_reviewer(reviewer)
    d = _decide(kb, schemas, review_id, expected_version,
                lambda s, rid, v: actions.reject(s, rid, name, reason, expected_version=v), name)
    click.echo(f"rejected {d.review_id[:12]} (version {d.version}) by {d.reviewer}: {safe(d.reason)}")

@review.command("reopen")
@click.argument("record_id")
@_kb_options
@_decision_options
def reopen_cmd(record_id: str, kb: str | None, schemas: str | None, reviewer: str | None,
               expected_version: int | None) -> None:
    """Put a landed record back in the review queue (then accept, correct or reject it)."""
    from pipelines.review.reopen import reopen

    name = _need_reviewer(reviewer)
    try:
        item = reopen(_settings(kb, schemas), record_id, name)
    except (KeyError, ValueError) as exc:
        raise _fail(exc) from exc
    click.echo(f"review {item.review_id[:12]} [{item.status}, version {item.version}] for record {item.record_id}")


from pipelines.review.serve_cli import serve  # noqa: E402  (the web app lives beside the CLI)

review.add_command(serve)
