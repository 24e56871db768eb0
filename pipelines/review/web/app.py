"""The review web application: server-rendered Flask pages over the review backend.

Every page is plain HTML rendered by Jinja (autoescaped; document text is never marked safe),
plus one small script for keyboard use and text selection. Routes, by blueprint:

  review (review.py)
    GET  /queue                          the review queue (filters: schema, reason, source, status)
    GET  /items/<id>                     one item: document, proposed record, reasons, decisions
    GET  /items/<id>/next                the next open item after this one (same filters)
    GET  /items/<id>/pages/<n>.png       a PDF page image, rendered from the raw original
    POST /items/<id>/accept|reject|correct   decisions (optimistic concurrency: 409 if stale)
    POST /items/<id>/propose             learn a candidate rule from the latest correction
    POST /records/reopen                 a landed record back in the queue
  rules (rules.py)
    GET  /candidates/<id>                the candidate rule (YAML) and its backtest impact
    POST /candidates/<id>/promote        write it to <mappings>/learned/
  session (security.py)
    GET|POST /login, POST /logout        token login (cookie session) when tokens are configured
"""

from __future__ import annotations

import os
import secrets

from flask import Flask

from pipelines.config import Settings
from pipelines.review.web import review, rules, security, view
from pipelines.review.web.auth import AuthConfig, load_auth
from pipelines.review.web.state import EXTENSION, AppState

MAX_BODY = 128 * 1024  # every form here is small; anything bigger is refused with 413


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
    app.extensions[EXTENSION] = AppState(settings, auth)
    security.install_security(app, auth)
    for bp in (review.bp, rules.bp, security.bp):
        app.register_blueprint(bp)
    return app
