"""The review web application (Flask, server-rendered): `mapper review serve`.

app.py      create_app(settings, auth): the app, its blueprints and their routes
review.py   the `review` blueprint: queue, item pages, decisions (accept/reject/correct), reopen, propose
rules.py    the `rules` blueprint: candidate rules, backtest, promotion
security.py authentication, cookie sessions, CSRF, security headers; the `session` blueprint (login)
state.py    per-app state (settings, auth, caches) and the request helpers the blueprints share
auth.py     reviewers, roles and tokens (reviewers.yaml / MAPPER_REVIEW_TOKEN); localhost-only default
view.py     the item page's document segments (with character offsets), highlights and field rows
pages.py    PDF page images rendered from the raw original (pypdfium2)
"""

from pipelines.review.web.app import create_app
from pipelines.review.web.auth import AuthConfig, AuthConfigError, Reviewer, check_bind, load_auth

__all__ = ["create_app", "AuthConfig", "AuthConfigError", "Reviewer", "check_bind", "load_auth"]
