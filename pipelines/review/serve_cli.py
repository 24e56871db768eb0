"""`mapper review serve`: the review web app on http://127.0.0.1:8765 by default.

Without reviewer tokens it serves only this machine, as the local reviewer ($MAPPER_REVIEWER
or the OS user). To listen on another interface, configure tokens first (reviewers.yaml or
$MAPPER_REVIEWERS, or $MAPPER_REVIEW_TOKEN for one admin) and put TLS in front: the built-in
server speaks plain HTTP (set MAPPER_REVIEW_SECURE_COOKIE=1 behind an HTTPS proxy).
"""

from __future__ import annotations

from pathlib import Path

import click

from pipelines.cli_options import kb_option, mappings_option, schemas_option, settings_from


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on; beyond localhost needs tokens.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port).")
@kb_option
@schemas_option
@mappings_option
@click.option("--reviewers", "reviewers_file", envvar="MAPPER_REVIEWERS", type=click.Path(dir_okay=False),
              help="Reviewers and tokens (default: reviewers.yaml if present, env MAPPER_REVIEWERS).")
def serve(host: str, port: int, kb: str | None, schemas: str | None, mappings: str | None, reviewers_file: str | None) -> None:
    """Open the review queue in a browser: accept, correct, reject; learn and promote rules."""
    from werkzeug.serving import make_server

    from pipelines.land.kb import KnowledgeBase
    from pipelines.review.web import AuthConfigError, check_bind, create_app, load_auth

    settings = settings_from(kb, schemas, mappings)
    try:
        auth = load_auth(reviewers_file)
        check_bind(host, auth)
    except AuthConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not KnowledgeBase(settings.kb_root).exists():
        raise click.ClickException(f"no knowledge base at {settings.kb_root}: run `mapper run` first, or pass --kb")
    app = create_app(settings, auth)
    server = make_server(host, port, app, threaded=True)
    shown = f"[{host}]" if ":" in host else host
    who = (f"as {auth.local_reviewer.name} (local, no token)" if auth.local_reviewer
           else f"{len(auth.reviewers)} reviewer(s) with tokens from {auth.source}")
    click.echo(f"Review app on http://{shown}:{server.server_port}/ {who}; KB {settings.kb_root}. Ctrl+C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
