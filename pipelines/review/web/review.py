"""The `review` blueprint: the queue, an item's page and page images, and the decisions on it
(accept, reject, correct; optimistic concurrency: 409 when stale), reopening a landed record and
proposing a rule from a correction."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from pipelines.review import actions, learn
from pipelines.review.corrections import Correction, InvalidCorrection
from pipelines.review.reopen import reopen
from pipelines.review.store import ConflictError
from pipelines.review.web import pages, view
from pipelines.review.web.state import (
    STATUSES, filters_of, get_item, go_next, int_arg, qs, render_item, stale, state, status_arg, visible,
)

MAX_VALUE = 2000  # one corrected value (the backend enforces the same limits)
MAX_LIST_VALUE = 20_000  # a list of line items, typed as JSON
MAX_REASON = 2000
MAX_QUEUE_ROWS = 500

bp = Blueprint("review", __name__)


@bp.get("/")
def index():
    return redirect(url_for("review.queue"))


@bp.get("/queue")
def queue():
    filters = filters_of()
    status = status_arg(filters)
    store = state().store()
    in_status = visible(g.reviewer, store.items(status=status))
    by_schema = Counter(i.schema for i in in_status)
    by_reason = Counter(code for i in in_status for code in {r.get("code") for r in i.reasons})
    items = visible(g.reviewer, store.items(status=status, schema=filters.get("schema"),
                                            reason=filters.get("reason"), source=filters.get("source")))
    return render_template("queue.html", items=items[:MAX_QUEUE_ROWS], total=len(items), filters=filters,
                           qs=qs(filters), by_schema=sorted(by_schema.items()), by_reason=sorted(by_reason.items()),
                           statuses=STATUSES, status=filters.get("status", "open"), in_status=len(in_status))


@bp.post("/records/reopen")
def reopen_record():
    """A landed record back in the queue (reason `reopened`), then its item page."""
    record_id = (request.form.get("record_id") or "").strip()
    if not record_id or len(record_id) > 100:
        abort(400, "give the record id of a landed record")
    try:
        item = reopen(state().settings, record_id, g.reviewer.name)
    except KeyError:
        abort(404, "no landed record with this id")
    if not g.reviewer.may_see(item.schema):
        abort(404, "no landed record with this id")
    return redirect(url_for("review.item", review_id=item.review_id))


@bp.get("/items/<review_id>")
def item(review_id: str):
    return render_item(get_item(review_id))


@bp.get("/items/<review_id>/next")
def next_item(review_id: str):
    item = get_item(review_id)
    return go_next(item.review_id, filters_of())


@bp.get("/items/<review_id>/pages/<int:number>.png")
def page_image(review_id: str, number: int):
    item = get_item(review_id)
    data = pages.render_page(state().settings.raw_root, item.document_id, number)
    if data is None:
        abort(404, "no page image for this document")
    resp = Response(data, mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


@bp.post("/items/<review_id>/accept")
def accept(review_id: str):
    item = get_item(review_id)
    version = int_arg(request.form.get("version"), "version", required=True)
    if (moved := stale(item, version)) is not None:
        return render_item(item, status=409, error=str(moved), conflict=moved.latest)
    try:
        actions.accept(state().settings, item.review_id, g.reviewer.name, expected_version=version)
    except ConflictError as exc:
        return render_item(item, status=409, error=str(exc), conflict=exc.latest)
    except InvalidCorrection as exc:
        return render_item(item, status=400, error=f"Cannot accept: {exc}")
    flash(f"Accepted {item.source_path}.", "ok")
    return go_next(item.review_id, filters_of())


@bp.post("/items/<review_id>/reject")
def reject(review_id: str):
    item = get_item(review_id)
    version = int_arg(request.form.get("version"), "version", required=True)
    reason = (request.form.get("reason") or "").strip()
    if (moved := stale(item, version)) is not None:
        return render_item(item, status=409, error=str(moved), conflict=moved.latest, reject_reason=reason[:MAX_REASON])
    if not reason:
        return render_item(item, status=400, error="A rejection needs a reason.", reject_reason=reason)
    if len(reason) > MAX_REASON:
        return render_item(item, status=400, error=f"The reason is longer than {MAX_REASON} characters.",
                           reject_reason=reason[:MAX_REASON])
    try:
        actions.reject(state().settings, item.review_id, g.reviewer.name, reason, expected_version=version)
    except ConflictError as exc:
        return render_item(item, status=409, error=str(exc), conflict=exc.latest, reject_reason=reason)
    except InvalidCorrection as exc:  # e.g. control characters in the reason
        return render_item(item, status=400, error=f"Cannot reject: {exc}", reject_reason=reason[:MAX_REASON])
    flash(f"Rejected {item.source_path}.", "ok")
    return go_next(item.review_id, filters_of())


@bp.post("/items/<review_id>/correct")
def correct(review_id: str):
    item = get_item(review_id)
    version = int_arg(request.form.get("version"), "version", required=True)
    rows = view.field_rows(state().schemas().get(item.schema), item.proposed, item.reasons)
    names = {r.name for r in rows if r.correctable}
    lists = {r.name for r in rows if r.type == "list"}
    kept: dict[str, dict] = {}
    corrections = []
    for key in request.form:
        if not key.startswith("value."):
            continue
        name = key[len("value."):]
        value = request.form.get(key, "")
        if name not in names:
            abort(400, "unknown or read-only field in the correction")
        if value == "":
            continue
        start = int_arg(request.form.get(f"start.{name}"), f"start of {name}")
        end = int_arg(request.form.get(f"end.{name}"), f"end of {name}")
        limit = MAX_LIST_VALUE if name in lists else MAX_VALUE
        kept[name] = {"value": value[:limit], "start": start, "end": end}
        if len(value) > limit:
            return render_item(item, status=400, kept=kept,
                               error=f"The value for {name} is longer than {limit:,} characters.")
        if (start is None) != (end is None):
            abort(400, f"{name}: give both start and end of the selected text, or neither")
        corrections.append(Correction(field=name, value=value, start=start, end=end))
    if (moved := stale(item, version)) is not None:
        return render_item(item, status=409, error=str(moved), conflict=moved.latest, kept=kept)
    if not corrections:
        return render_item(item, status=400, error="Nothing to save: type or select a value for a field first.")
    try:
        decision = actions.correct(state().settings, item.review_id, g.reviewer.name, corrections,
                                   expected_version=version)
    except ConflictError as exc:
        return render_item(item, status=409, error=str(exc), conflict=exc.latest, kept=kept)
    except InvalidCorrection as exc:
        return render_item(item, status=400, error=f"Not saved: {exc}", kept=kept)
    flash(f"Correction saved (version {decision.version}). Propose a rule from it (p), or go to the next item (n).", "ok")
    return redirect(url_for("review.item", review_id=item.review_id) + qs(filters_of()))


@bp.post("/items/<review_id>/propose")
def propose(review_id: str):
    item = get_item(review_id)
    settings = state().settings
    try:
        cand = learn.propose(settings, item.review_id)
        learn.save_candidate(settings, cand)
    except (ValueError, LookupError) as exc:
        return render_item(item, status=400, error=f"No rule proposed: {exc}")
    return redirect(url_for("rules.candidate", cand_id=cand.id) + qs(filters_of()))
