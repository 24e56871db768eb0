"""Options and settings shared by every `mapper` command group."""

from __future__ import annotations

from pathlib import Path

import click

from pipelines.config import Settings
from pipelines.storage import kb_setting


def settings_from(kb: str | None = None, schemas: str | None = None, mappings: str | None = None,
                  workers: int | None = None) -> Settings:
    """Settings from the environment, overridden by whatever options were given."""
    s = Settings()
    if kb:
        s.kb_root = kb_setting(kb)
    if schemas:
        s.schemas_dir = Path(schemas)
    if mappings:
        s.mappings_dir = Path(mappings)
    if workers is not None:
        s.workers = workers
    return s


kb_option = click.option("--kb", envvar="MAPPER_KB", help="Knowledge base root (default: kb/, env MAPPER_KB).")
schemas_option = click.option("--schemas", envvar="MAPPER_SCHEMAS", help="Schemas directory (default: schemas/).")
mappings_option = click.option("--mappings", envvar="MAPPER_MAPPINGS", help="Mapping rules directory (default: mappings/).")
workers_option = click.option("--workers", type=int, default=None, help="Parse worker processes (0 = in-process).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
follow_links_option = click.option(
    "--follow-links", is_flag=True, default=None,
    help="Follow symbolic links in input folders that stay inside the folder (env MAPPER_FOLLOW_LINKS=1); "
         "links out of it are never followed.")


def report_skipped_links(paths: list[str] | tuple[str, ...], follow_links: bool) -> None:
    """Say which links in the inputs are left out, on stderr (stdout may be JSON)."""
    from pipelines.ingest.walk import SkippedLink, iter_inputs

    skipped: list[SkippedLink] = []
    for _ in iter_inputs(paths, follow_links=follow_links, skipped=skipped):
        pass
    for link in skipped:
        click.echo(f"skipped link {link}", err=True)
    if skipped and not follow_links:
        click.echo(f"{len(skipped)} symbolic link(s) not followed; --follow-links follows those that stay inside "
                   "the input folder", err=True)
