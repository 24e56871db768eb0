"""Options and settings shared by every `mapper` command group."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from pipelines.cli_errors import ConfigError

if TYPE_CHECKING:
    from pipelines.config import Settings


def settings_from(kb: str | None = None, schemas: str | None = None, mappings: str | None = None,
                  workers: int | None = None, **more: object) -> Settings:
    """Settings from the options given, then the environment (MAPPER_*), then defaults; a bad
    value is a configuration error (exit code 3) naming the setting."""
    from pydantic import ValidationError

    from pipelines.config import Settings

    given = {"kb_root": kb or None, "schemas_dir": schemas or None, "mappings_dir": mappings or None,
             "workers": workers, **more}
    try:
        return Settings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None


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
        click.echo(f"skipped {'file' if link.reason == 'name_not_utf8' else 'link'} {link}", err=True)
    links = [s for s in skipped if s.reason != "name_not_utf8"]
    if links and not follow_links:
        click.echo(f"{len(links)} symbolic link(s) not followed; --follow-links follows those that stay inside "
                   "the input folder", err=True)


class Verbosity:
    """-q/--quiet and -v/--verbose, given to `mapper` or to a command (the command's win)."""

    KEY = "mapper.verbosity"

    def __init__(self, quiet: bool = False, level: int = 0) -> None:
        self.quiet, self.level = quiet, level

    @classmethod
    def of(cls, ctx: click.Context) -> Verbosity:
        return ctx.meta.get(cls.KEY) or cls()


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        v = ctx.meta.setdefault(Verbosity.KEY, Verbosity())
        v.quiet, v.level = True, 0


def _set_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    if value:
        import logging

        v = ctx.meta.setdefault(Verbosity.KEY, Verbosity())
        v.quiet, v.level = False, max(v.level, value)
        logging.basicConfig(level=logging.DEBUG if v.level > 1 else logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def verbosity_options(f):  # type: ignore[no-untyped-def]
    """-q/--quiet: errors only (no progress, no summary table; --json output is still printed);
    -v/--verbose: log lines of what happens (-vv: debug)."""
    f = click.option("-q", "--quiet", is_flag=True, expose_value=False, is_eager=True, callback=_set_quiet,
                     help="Print errors only: no progress display, no summary (JSON output stays).")(f)
    return click.option("-v", "--verbose", count=True, expose_value=False, callback=_set_verbose,
                        help="Log what happens on stderr (-vv: debug detail, incl. Dagster's own log).")(f)
