"""The review web application: server-rendered Flask pages over the review backend.

Every page is plain HTML rendered by Jinja (autoescaped; document text is never marked safe),
plus one small script for keyboard use and text selection. Routes:

    GET  /queue                          the review queue (filters: schema, reason, source, status)
    GET  /items/<id>                     one item: document, proposed record, reasons, decisions
    GET  /items/<id>/next                the next open item after this one (same filters)
    GET  /items/<id>/pages/<n>.png       a PDF page image, rendered from the raw original
    POST /items/<id>/accept|reject|correct   decisions (optimistic concurrency: 409 if stale)
    POST /items/<id>/propose             learn a candidate rule from the latest correction
    GET  /candidates/<id>                the candidate rule (YAML) and its backtest impact
    POST /candidates/<id>/promote        write it to <mappings>/learned/
    GET|POST /login, POST /logout        token login (cookie session) when tokens are configured
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import threading
import time
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Flask, Response, abort, flash, g, redirect, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from pipelines.config import Settings
from pipelines.review.web import pages, view
from pipelines.review.web.auth import AuthConfig, Reviewer, is_loopback, load_auth

MAX_BODY = 128 * 1024  # every form here is small; anything bigger is refused with 413
MAX_VALUE = 2000  # one corrected value (the backend enforces the same limits)
MAX_LIST_VALUE = 20_000  # a list of line items, typed as JSON
MAX_REASON = 2000
MAX_QUEUE_ROWS = 500
SESSION_MAX_AGE = 12 * 3600
STATUSES = ("open", "accepted", "corrected", "rejected", "all")
FILTERS = ("schema", "reason", "source", "status")
CANDIDATE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
CSP = ("default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class _Context:
    """Per-app state: settings, auth, and small caches (documents are immutable by content id)."""

    def __init__(self, settings: Settings, auth: AuthConfig) -> None:
        self.settings = settings
        self.auth = auth
        self._docs: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._schemas: dict | None = None

    def store(self):
        from pipelines.review.store import ReviewStore

        return ReviewStore(self.settings.kb_root)

    def schemas(self) -> dict:
        if self._schemas is None:
            from pipelines.model.schema import load_schemas

            self._schemas = load_schemas(self.settings.schemas_dir)
        return self._schemas

    def document(self, document_id: str):
        with self._lock:
            if document_id in self._docs:
                self._docs.move_to_end(document_id)
                return self._docs[document_id]
        from pipelines.review.documents import load_document

        doc = load_document(self.settings, document_id)
        with self._lock:
            self._docs[document_id] = doc
            while len(self._docs) > 16:
                self._docs.popitem(last=False)
        return doc


def create_app(settings: Settings | None = None, auth: AuthConfig | None = None, *,
               secret_key: bytes | str | None = None) -> Flask:
    settings = settings or Settings()
    auth = auth if auth is not None else load_auth()
    app = Flask(__name__)
    app.config.update(
        # A random key per process unless one is given: sessions end when the server restarts.
        SECRET_KEY=secret_key or os.environ.get("MAPPER_REVIEW_SECRET") or secrets.token_bytes(32),
        MAX_CONTENT_LENGTH=MAX_BODY, MAX_FORM_MEMORY_SIZE=MAX_BODY, MAX_FORM_PARTS=400,
        SESSION_COOKIE_NAME="mapper_review", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=os.environ.get("MAPPER_REVIEW_SECURE_COOKIE", "").lower() in ("1", "true", "yes"),
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.autoescape = True
    app.jinja_env.filters["show"] = lambda v: "∅" if v is None else view.display_value(v)
    ctx = _Context(settings, auth)
    app.extensions["mapper_review"] = ctx
    _install_security(app, ctx)
    _install_routes(app, ctx)
    return app


# ---- authentication, CSRF, headers --------------------------------------------------------------

def _session_sig(app: Flask, reviewer: Reviewer) -> str:
    key = app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, f"{reviewer.name}\0{reviewer.token_digest}".encode(), "sha256").hexdigest()


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _install_security(app: Flask, ctx: _Context) -> None:
    auth = ctx.auth
    open_endpoints = {"static", "login"}

    @app.before_request
    def _authenticate():
        g.reviewer = None
        g.bearer = False
        if not auth.requires_token:
            # No tokens: only this machine may use the app (the CLI also refuses to bind wider),
            # and only under a local Host name, so a web page elsewhere cannot rebind DNS to it.
            if not is_loopback(request.remote_addr) or not is_loopback(request.host):
                abort(403, "without reviewer tokens this app only serves localhost")
            g.reviewer = auth.local_reviewer
        else:
            header = request.headers.get("Authorization", "")
            if header:
                scheme, _, token = header.partition(" ")
                reviewer = auth.authenticate(token.strip()) if scheme.lower() == "bearer" else None
                if reviewer is None:
                    return _unauthorized("invalid token")
                g.reviewer, g.bearer = reviewer, True
            else:
                g.reviewer = _session_reviewer(app, auth)
            if g.reviewer is None and request.endpoint not in open_endpoints:
                return _unauthorized(None)
        if request.method == "POST":
            if g.reviewer is not None and not g.reviewer.can_act and request.endpoint not in ("login", "logout"):
                abort(403, f"{g.reviewer.name} has the read-only role")
            # Browsers send cookies by themselves, not Authorization headers: only cookie
            # (and local) sessions need the CSRF token.
            if not g.bearer:
                sent = request.form.get("csrf") or request.headers.get("X-CSRF-Token") or ""
                if not sent or not hmac.compare_digest(sent.encode(), session.get("csrf", "").encode()):
                    abort(400, "missing or stale form token (CSRF); reload the page and try again")

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers.setdefault("Cache-Control", "no-store")  # documents are confidential
        return resp

    @app.context_processor
    def _globals():
        return {"reviewer": getattr(g, "reviewer", None), "csrf_token": csrf_token,
                "needs_login": auth.requires_token}

    @app.errorhandler(HTTPException)
    def _error(exc: HTTPException):
        if exc.code == 401:
            return _unauthorized(exc.description)
        return render_template("error.html", code=exc.code, name=exc.name, message=exc.description), exc.code


def _session_reviewer(app: Flask, auth: AuthConfig) -> Reviewer | None:
    name, sig, at = session.get("who"), session.get("sig"), session.get("at")
    if not name or not sig or not isinstance(at, (int, float)) or time.time() - at > SESSION_MAX_AGE:
        return None
    reviewer = auth.by_name(name)
    # The signature binds the session to the current token: a changed token ends old sessions.
    if reviewer is None or not hmac.compare_digest(sig, _session_sig(app, reviewer)):
        return None
    return reviewer


def _unauthorized(message: str | None):
    resp = Response(render_template("login.html", message=message, next=_safe_next(request.full_path)), 401)
    resp.headers["WWW-Authenticate"] = 'Bearer realm="mapper review"'
    return resp


_SAFE_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9/_.~%?=&+-]*$")


def _safe_next(target: str | None) -> str:
    # Only plain same-site paths: never let ?next= send a reviewer elsewhere.
    if not target or not _SAFE_PATH.match(target):
        return "/queue"
    return target.rstrip("?") or "/queue"


# ---- helpers --------------------------------------------------------------------------------------

def _filters(source: Any = None) -> dict[str, str]:
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


def _status_arg(filters: dict[str, str]) -> str | None:
    status = filters.get("status", "open")
    if status not in STATUSES:
        abort(400, f"unknown status {status!r}")
    return None if status == "all" else status


def _qs(filters: dict[str, str]) -> str:
    return ("?" + urlencode(filters)) if filters else ""


def _visible(reviewer: Reviewer, items: list) -> list:
    return [i for i in items if reviewer.may_see(i.schema)]


def _int(value: str | None, what: str, *, required: bool = False) -> int | None:
    if value is None or value == "":
        if required:
            abort(400, f"{what} is missing")
        return None
    if not re.fullmatch(r"\d{1,12}", value):
        abort(400, f"{what} must be a whole number")
    return int(value)


def _decision_view(d: Any) -> dict | None:
    if d is None:
        return None
    return {"reviewer": d.reviewer, "action": d.action, "past": d.past_tense, "version": d.version,
            "decided_at": d.decided_at.strftime("%Y-%m-%d %H:%M:%S UTC") if d.decided_at else "",
            "reason": d.reason, "corrections": d.corrections or []}


# ---- routes ---------------------------------------------------------------------------------------

def _install_routes(app: Flask, ctx: _Context) -> None:
    settings = ctx.settings

    def get_item(review_id: str):
        if len(review_id) > 100:
            abort(404)
        try:
            item = ctx.store().get(review_id)
        except KeyError:
            abort(404, "no such review item")
        if not g.reviewer.may_see(item.schema):
            abort(404, "no such review item")  # the same answer as unknown: do not confirm it exists
        return item

    def next_open(current_id: str, filters: dict[str, str]) -> str | None:
        f = {k: v for k, v in filters.items() if k != "status"}
        ordered = _visible(g.reviewer, ctx.store().items(status=None, schema=f.get("schema"),
                                                         reason=f.get("reason"), source=f.get("source")))
        ids = [i.review_id for i in ordered]
        start = ids.index(current_id) + 1 if current_id in ids else 0
        for item in ordered[start:] + ordered[:start]:
            if item.status == "open" and item.review_id != current_id:
                return item.review_id
        return None

    def stale(item, version: int):
        """A 409 page when the item moved on since the form was loaded (checked again under the
        store's lock when saving; this early check reports the conflict before anything else)."""
        if item.version == version:
            return None
        from pipelines.review.store import ConflictError

        history = ctx.store().decisions(item.review_id)
        exc = ConflictError(item.review_id, history[-1] if history else None, version, item.version)
        return exc

    def go_next(current_id: str, filters: dict[str, str]):
        nxt = next_open(current_id, filters)
        if nxt is None:
            flash("The queue is empty for these filters.", "info")
            return redirect(url_for("queue") + _qs(filters))
        return redirect(url_for("item", review_id=nxt) + _qs(filters))

    def render_item(item, *, status: int = 200, error: str | None = None, conflict: Any = None,
                    kept: dict | None = None, reject_reason: str = ""):
        filters = _filters()
        schema = ctx.schemas().get(item.schema)
        doc, doc_error = None, None
        try:
            doc = ctx.document(item.document_id)
        except Exception as exc:  # the page stays useful without the document: say why it is missing
            doc_error = f"{type(exc).__name__}: {exc}"
        spans = view.evidence_spans(item.proposed, len(doc.text) if doc else 0)
        blocks, truncated = view.blocks(doc, spans) if doc else ([], False)
        page_numbers: list[int] = []
        overlays: dict = {}
        if doc is not None and pages.is_pdf(doc.media_type) and pages.has_original(settings.raw_root, doc.id):
            page_numbers = [p.number for p in doc.pages][:pages.MAX_PAGES_SHOWN] or [1]
            overlays = view.page_overlays(doc, spans)
        decisions = ctx.store().decisions(item.review_id)
        latest = decisions[-1] if decisions else None
        can_propose = bool(latest and latest.action == "correct" and latest.corrections)
        return render_template(
            "item.html", item=item, rows=view.field_rows(schema, item.proposed, item.reasons), schema=schema,
            doc=doc, doc_error=doc_error, blocks=blocks, truncated=truncated, page_numbers=page_numbers,
            overlays=overlays, decisions=[_decision_view(d) for d in reversed(decisions)],
            version=conflict.version if conflict is not None else item.version,
            conflict=_decision_view(conflict), error=error, kept=kept or {}, reject_reason=reject_reason,
            can_propose=can_propose, filters=filters, qs=_qs(filters),
            general_reasons=[r for r in item.reasons if not r.get("field")],
        ), status

    @app.get("/")
    def index():
        return redirect(url_for("queue"))

    @app.get("/queue")
    def queue():
        filters = _filters()
        status = _status_arg(filters)
        store = ctx.store()
        in_status = _visible(g.reviewer, store.items(status=status))
        by_schema = Counter(i.schema for i in in_status)
        by_reason = Counter(code for i in in_status for code in {r.get("code") for r in i.reasons})
        items = _visible(g.reviewer, store.items(status=status, schema=filters.get("schema"),
                                                 reason=filters.get("reason"), source=filters.get("source")))
        return render_template("queue.html", items=items[:MAX_QUEUE_ROWS], total=len(items), filters=filters,
                               qs=_qs(filters), by_schema=sorted(by_schema.items()), by_reason=sorted(by_reason.items()),
                               statuses=STATUSES, status=filters.get("status", "open"), in_status=len(in_status))

    @app.post("/records/reopen")
    def reopen_record():
        """A landed record back in the queue (reason `reopened`), then its item page."""
        from pipelines.review.reopen import reopen

        record_id = (request.form.get("record_id") or "").strip()
        if not record_id or len(record_id) > 100:
            abort(400, "give the record id of a landed record")
        try:
            item = reopen(settings, record_id, g.reviewer.name)
        except KeyError:
            abort(404, "no landed record with this id")
        if not g.reviewer.may_see(item.schema):
            abort(404, "no landed record with this id")
        return redirect(url_for("item", review_id=item.review_id))

    @app.get("/items/<review_id>")
    def item(review_id: str):
        return render_item(get_item(review_id))

    @app.get("/items/<review_id>/next")
    def next_item(review_id: str):
        item = get_item(review_id)
        return go_next(item.review_id, _filters())

    @app.get("/items/<review_id>/pages/<int:number>.png")
    def page_image(review_id: str, number: int):
        item = get_item(review_id)
        data = pages.render_page(settings.raw_root, item.document_id, number)
        if data is None:
            abort(404, "no page image for this document")
        resp = Response(data, mimetype="image/png")
        resp.headers["Cache-Control"] = "private, max-age=3600"
        return resp

    @app.post("/items/<review_id>/accept")
    def accept(review_id: str):
        from pipelines.review import actions
        from pipelines.review.store import ConflictError

        item = get_item(review_id)
        version = _int(request.form.get("version"), "version", required=True)
        if (moved := stale(item, version)) is not None:
            return render_item(item, status=409, error=str(moved), conflict=moved.latest)
        try:
            actions.accept(settings, item.review_id, g.reviewer.name, expected_version=version)
        except ConflictError as exc:
            return render_item(item, status=409, error=str(exc), conflict=exc.latest)
        except actions.InvalidCorrection as exc:
            return render_item(item, status=400, error=f"Cannot accept: {exc}")
        flash(f"Accepted {item.source_path}.", "ok")
        return go_next(item.review_id, _filters())

    @app.post("/items/<review_id>/reject")
    def reject(review_id: str):
        from pipelines.review import actions
        from pipelines.review.store import ConflictError

        item = get_item(review_id)
        version = _int(request.form.get("version"), "version", required=True)
        reason = (request.form.get("reason") or "").strip()
        if (moved := stale(item, version)) is not None:
            return render_item(item, status=409, error=str(moved), conflict=moved.latest, reject_reason=reason[:MAX_REASON])
        if not reason:
            return render_item(item, status=400, error="A rejection needs a reason.", reject_reason=reason)
        if len(reason) > MAX_REASON:
            return render_item(item, status=400, error=f"The reason is longer than {MAX_REASON} characters.",
                               reject_reason=reason[:MAX_REASON])
        try:
            actions.reject(settings, item.review_id, g.reviewer.name, reason, expected_version=version)
        except ConflictError as exc:
            return render_item(item, status=409, error=str(exc), conflict=exc.latest, reject_reason=reason)
        except actions.InvalidCorrection as exc:  # e.g. control characters in the reason
            return render_item(item, status=400, error=f"Cannot reject: {exc}", reject_reason=reason[:MAX_REASON])
        flash(f"Rejected {item.source_path}.", "ok")
        return go_next(item.review_id, _filters())

    @app.post("/items/<review_id>/correct")
    def correct(review_id: str):
        from pipelines.review import actions
        from pipelines.review.store import ConflictError

        item = get_item(review_id)
        version = _int(request.form.get("version"), "version", required=True)
        rows = view.field_rows(ctx.schemas().get(item.schema), item.proposed, item.reasons)
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
            start = _int(request.form.get(f"start.{name}"), f"start of {name}")
            end = _int(request.form.get(f"end.{name}"), f"end of {name}")
            limit = MAX_LIST_VALUE if name in lists else MAX_VALUE
            kept[name] = {"value": value[:limit], "start": start, "end": end}
            if len(value) > limit:
                return render_item(item, status=400, kept=kept,
                                   error=f"The value for {name} is longer than {limit:,} characters.")
            if (start is None) != (end is None):
                abort(400, f"{name}: give both start and end of the selected text, or neither")
            corrections.append(actions.Correction(field=name, value=value, start=start, end=end))
        if (moved := stale(item, version)) is not None:
            return render_item(item, status=409, error=str(moved), conflict=moved.latest, kept=kept)
        if not corrections:
            return render_item(item, status=400, error="Nothing to save: type or select a value for a field first.")
        try:
            decision = actions.correct(settings, item.review_id, g.reviewer.name, corrections, expected_version=version)
        except ConflictError as exc:
            return render_item(item, status=409, error=str(exc), conflict=exc.latest, kept=kept)
        except actions.InvalidCorrection as exc:
            return render_item(item, status=400, error=f"Not saved: {exc}", kept=kept)
        flash(f"Correction saved (version {decision.version}). Propose a rule from it (p), or go to the next item (n).", "ok")
        return redirect(url_for("item", review_id=item.review_id) + _qs(_filters()))

    @app.post("/items/<review_id>/propose")
    def propose(review_id: str):
        from pipelines.review import learn

        item = get_item(review_id)
        try:
            cand = learn.propose(settings, item.review_id)
            learn.save_candidate(settings, cand)
        except (ValueError, LookupError) as exc:
            return render_item(item, status=400, error=f"No rule proposed: {exc}")
        return redirect(url_for("candidate", cand_id=cand.id) + _qs(_filters()))

    def get_candidate(cand_id: str):
        from pipelines.review import learn

        if not CANDIDATE_ID.match(cand_id):
            abort(404)
        try:
            cand = learn.load_candidate(settings, cand_id)
        except (FileNotFoundError, KeyError, LookupError):
            abort(404, "no such candidate rule")
        if not g.reviewer.may_see(cand.rule_set.schema_name):
            abort(404, "no such candidate rule")
        return cand

    def render_candidate(cand, report, *, status: int = 200, error: str | None = None):
        from pipelines.review import learn

        filters = _filters()
        merged = _relative(Path(cand.merged_into), settings.mappings_dir) if cand.merged_into else None
        return render_template("candidate.html", cand=cand, yaml_text=learn.dump_yaml(learn.rule_set_dict(cand.rule_set)),
                               report=report, error=error, merged_into=merged,
                               review_id=(cand.source or {}).get("review_id"), filters=filters, qs=_qs(filters)), status

    @app.get("/candidates/<cand_id>")
    def candidate(cand_id: str):
        from pipelines.review import backtest

        cand = get_candidate(cand_id)
        return render_candidate(cand, backtest.backtest(settings, cand))

    @app.post("/candidates/<cand_id>/promote")
    def promote(cand_id: str):
        from pipelines.review import backtest, promote as promote_mod

        cand = get_candidate(cand_id)
        force = request.form.get("force") == "1"
        if force and not g.reviewer.is_admin:
            abort(403, "only an admin may promote a rule that breaks confirmed values")
        report = backtest.backtest(settings, cand)  # fresh: the KB may have moved since the page was shown
        if not report.ok and not force:
            return render_candidate(cand, report, status=409,
                                    error="Not promoted: the backtest breaks confirmed values or does not reproduce the correction.")
        try:
            path = promote_mod.promote(settings, cand, g.reviewer.name, report, force=force)
        except promote_mod.PromotionRefused as exc:
            return render_candidate(cand, report, status=409, error=f"Not promoted: {exc}")
        shown = _relative(Path(path), settings.mappings_dir)
        flash(f"Rule {cand.id} promoted to {shown}; it applies from the next run.", "ok")
        review_id = (cand.source or {}).get("review_id")
        target = url_for("item", review_id=review_id) if review_id else url_for("queue")
        return redirect(target + _qs(_filters()))

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if not ctx.auth.requires_token:
            return redirect(url_for("queue"))
        nxt = _safe_next(request.values.get("next"))
        if request.method == "GET":
            if g.reviewer is not None:
                return redirect(nxt)
            return render_template("login.html", message=None, next=nxt)
        reviewer = ctx.auth.authenticate((request.form.get("token") or "").strip()[:1000])
        if reviewer is None:
            time.sleep(0.5)  # slows guessing; tokens are long anyway
            return Response(render_template("login.html", message="That token is not valid.", next=nxt), 401)
        session.clear()  # a fresh session (and CSRF token) on every login
        session.update(who=reviewer.name, sig=_session_sig(app, reviewer), at=time.time())
        return redirect(nxt)

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("login") if ctx.auth.requires_token else url_for("queue"))


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve().parent))
    except ValueError:
        return str(path)
