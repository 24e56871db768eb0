"""Per-app state of the review web app: settings, auth and small caches, plus the request helpers
the blueprints share (filters, the current item, rendering the item page)."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from pipelines.config import Settings
from pipelines.model.schema import load_schemas
from pipelines.review.documents import load_document
from pipelines.review.store import ConflictError, ReviewStore
from pipelines.review.web import pages, view
from pipelines.review.web.auth import AuthConfig, Reviewer

STATUSES = ("open", "accepted", "corrected", "rejected", "all")
FILTERS = ("schema", "reason", "source", "status")
EXTENSION = "mapper_review"  # the app.extensions key of the AppState


class AppState:
    """Settings, auth, and small caches (documents are immutable by content id)."""

    def __init__(self, settings: Settings, auth: AuthConfig) -> None:
        self.settings = settings
        self.auth = auth
        self._docs: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._schemas: dict | None = None

    def store(self) -> ReviewStore:
        return ReviewStore(self.settings.kb_root)

    def schemas(self) -> dict:
        if self._schemas is None:
            self._schemas = load_schemas(self.settings.schemas_dir)
        return self._schemas

    def document(self, document_id: str):
        with self._lock:
            if document_id in self._docs:
                self._docs.move_to_end(document_id)
                return self._docs[document_id]
        doc = load_document(self.settings, document_id)
        with self._lock:
            self._docs[document_id] = doc
            while len(self._docs) > 16:
                self._docs.popitem(last=False)
        return doc


def state() -> AppState:
    return current_app.extensions[EXTENSION]


# ---- request helpers ------------------------------------------------------------------------------

def filters_of(source: Any = None) -> dict[str, str]:
    """Queue filters: from the query string, or on a form POST from its hidden `q` field (form
    fields such as the rejection `reason` must not be mistaken for filters)."""
    if source is None:
        source = MultiDict(parse_qsl(request.form.get("q", "")[:1000])) if request.method == "POST" else request.args
    out = {}
    for k in FILTERS:
        v = (source.get(k) or "").strip()[:200]
        if v:
            out[k] = v
    return out


def status_arg(filters: dict[str, str]) -> str | None:
    status = filters.get("status", "open")
    if status not in STATUSES:
        abort(400, f"unknown status {status!r}")
    return None if status == "all" else status


def qs(filters: dict[str, str]) -> str:
    return ("?" + urlencode(filters)) if filters else ""


def visible(reviewer: Reviewer, items: list) -> list:
    return [i for i in items if reviewer.may_see(i.schema)]


def int_arg(value: str | None, what: str, *, required: bool = False) -> int | None:
    if value is None or value == "":
        if required:
            abort(400, f"{what} is missing")
        return None
    if not re.fullmatch(r"\d{1,12}", value):
        abort(400, f"{what} must be a whole number")
    return int(value)


def decision_view(d: Any) -> dict | None:
    if d is None:
        return None
    return {"reviewer": d.reviewer, "action": d.action, "past": d.past_tense, "version": d.version,
            "decided_at": d.decided_at.strftime("%Y-%m-%d %H:%M:%S UTC") if d.decided_at else "",
            "reason": d.reason, "corrections": d.corrections or []}


def relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve().parent))
    except ValueError:
        return str(path)


# ---- the current item -----------------------------------------------------------------------------

def get_item(review_id: str):
    if len(review_id) > 100:
        abort(404)
    try:
        item = state().store().get(review_id)
    except KeyError:
        abort(404, "no such review item")
    if not g.reviewer.may_see(item.schema):
        abort(404, "no such review item")  # the same answer as unknown: do not confirm it exists
    return item


def next_open(current_id: str, filters: dict[str, str]) -> str | None:
    f = {k: v for k, v in filters.items() if k != "status"}
    ordered = visible(g.reviewer, state().store().items(status=None, schema=f.get("schema"),
                                                        reason=f.get("reason"), source=f.get("source")))
    ids = [i.review_id for i in ordered]
    start = ids.index(current_id) + 1 if current_id in ids else 0
    for item in ordered[start:] + ordered[:start]:
        if item.status == "open" and item.review_id != current_id:
            return item.review_id
    return None


def stale(item, version: int) -> ConflictError | None:
    """A conflict when the item moved on since the form was loaded (checked again under the
    store's lock when saving; this early check reports the conflict before anything else)."""
    if item.version == version:
        return None
    history = state().store().decisions(item.review_id)
    return ConflictError(item.review_id, history[-1] if history else None, version, item.version)


def go_next(current_id: str, filters: dict[str, str]):
    nxt = next_open(current_id, filters)
    if nxt is None:
        flash("The queue is empty for these filters.", "info")
        return redirect(url_for("review.queue") + qs(filters))
    return redirect(url_for("review.item", review_id=nxt) + qs(filters))


def render_item(item, *, status: int = 200, error: str | None = None, conflict: Any = None,
                kept: dict | None = None, reject_reason: str = ""):
    st = state()
    filters = filters_of()
    schema = st.schemas().get(item.schema)
    doc, doc_error = None, None
    try:
        doc = st.document(item.document_id)
    except Exception as exc:  # the page stays useful without the document: say why it is missing
        doc_error = f"{type(exc).__name__}: {exc}"
    spans = view.evidence_spans(item.proposed, len(doc.text) if doc else 0)
    blocks, truncated = view.blocks(doc, spans) if doc else ([], False)
    page_numbers: list[int] = []
    overlays: dict = {}
    if doc is not None and pages.is_pdf(doc.media_type) and pages.has_original(st.settings.raw_root, doc.id):
        page_numbers = [p.number for p in doc.pages][:pages.MAX_PAGES_SHOWN] or [1]
        overlays = view.page_overlays(doc, spans)
    decisions = st.store().decisions(item.review_id)
    latest = decisions[-1] if decisions else None
    can_propose = bool(latest and latest.action == "correct" and latest.corrections)
    return render_template(
        "item.html", item=item, rows=view.field_rows(schema, item.proposed, item.reasons, doc.text if doc else None), schema=schema,
        doc=doc, doc_error=doc_error, blocks=blocks, truncated=truncated, page_numbers=page_numbers,
        overlays=overlays, decisions=[decision_view(d) for d in reversed(decisions)],
        version=conflict.version if conflict is not None else item.version,
        conflict=decision_view(conflict), error=error, kept=kept or {}, reject_reason=reject_reason,
        can_propose=can_propose, filters=filters, qs=qs(filters),
        general_reasons=[r for r in item.reasons if not r.get("field")],
    ), status
