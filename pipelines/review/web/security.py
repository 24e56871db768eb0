"""Who is asking and what the browser may do: token or local authentication, cookie sessions
with CSRF tokens, security headers, and the login/logout pages (the `session` blueprint)."""

from __future__ import annotations

import hmac
import re
import secrets
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from pipelines.review.web.auth import AuthConfig, Reviewer, is_loopback
from pipelines.review.web.state import state

SESSION_MAX_AGE = 12 * 3600
CSP = ("default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
OPEN_ENDPOINTS = frozenset({"static", "session.login"})  # reachable before logging in
SESSION_ENDPOINTS = frozenset({"session.login", "session.logout"})  # a read-only reviewer may POST these

bp = Blueprint("session", __name__)


def session_sig(app: Flask, reviewer: Reviewer) -> str:
    key = app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, f"{reviewer.name}\0{reviewer.token_digest}".encode(), "sha256").hexdigest()


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def install_security(app: Flask, auth: AuthConfig) -> None:
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
            if g.reviewer is None and request.endpoint not in OPEN_ENDPOINTS:
                return _unauthorized(None)
        if request.method == "POST":
            if g.reviewer is not None and not g.reviewer.can_act and request.endpoint not in SESSION_ENDPOINTS:
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
    if reviewer is None or not hmac.compare_digest(sig, session_sig(app, reviewer)):
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


@bp.route("/login", methods=["GET", "POST"])
def login():
    auth = state().auth
    if not auth.requires_token:
        return redirect(url_for("review.queue"))
    nxt = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.reviewer is not None:
            return redirect(nxt)
        return render_template("login.html", message=None, next=nxt)
    reviewer = auth.authenticate((request.form.get("token") or "").strip()[:1000])
    if reviewer is None:
        time.sleep(0.5)  # slows guessing; tokens are long anyway
        return Response(render_template("login.html", message="That token is not valid.", next=nxt), 401)
    session.clear()  # a fresh session (and CSRF token) on every login
    session.update(who=reviewer.name, sig=session_sig(current_app, reviewer), at=time.time())
    return redirect(nxt)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("session.login") if state().auth.requires_token else url_for("review.queue"))
