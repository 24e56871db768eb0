"""`mapper kb ...`: the KB tables' history and maintenance (compaction, vacuum)."""

from __future__ import annotations

import json

import click

from pipelines.cli_options import kb_option, settings_from


def _kb(kb: str | None):
    from pipelines.land.kb import KnowledgeBase

    return KnowledgeBase(settings_from(kb).kb_root)


def _tables(store, names: tuple[str, ...]) -> list[str]:
    have = store.tables()
    unknown = [n for n in names if n not in have]
    if unknown:
        raise click.ClickException(f"no table {', '.join(unknown)} in {store.root} (tables: {', '.join(have) or 'none'})")
    return list(names) or have


@click.group("kb")
def kb_group() -> None:
    """The knowledge base's tables: history, compaction, vacuum."""


@kb_group.command("tables")
@kb_option
def tables_cmd(kb: str | None) -> None:
    """Each table with its current version and row count."""
    store = _kb(kb)
    for name in store.tables():
        dt = store.table(name)
        click.echo(f"{name}\tversion {dt.version()}\t{dt.count()} rows")


@kb_group.command("history")
@click.argument("table")
@kb_option
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def history_cmd(table: str, kb: str | None, limit: int, as_json: bool) -> None:
    """The commits of TABLE, newest first. Read an old version with `mapper query --as-of`."""
    store = _kb(kb)
    _tables(store, (table,))
    rows = store.history(table, limit)
    if as_json:
        click.echo(json.dumps(rows, default=str))
        return
    for h in rows:
        metrics = h.get("operationMetrics") or {}
        shown = {k: v for k, v in metrics.items() if k.startswith("num") and v}
        when = h.get("timestamp")
        click.echo(f"v{h['version']}\t{when}\t{h.get('operation')}\t{json.dumps(shown, default=str)}")


@kb_group.command("compact")
@click.argument("tables", nargs=-1)
@kb_option
def compact_cmd(tables: tuple[str, ...], kb: str | None) -> None:
    """Rewrite each table's small files into larger ones (all tables by default)."""
    store = _kb(kb)
    for name in _tables(store, tables):
        m = store.compact(name)
        click.echo(f"{name}: {m.get('numFilesRemoved', 0)} files -> {m.get('numFilesAdded', 0)}")


@kb_group.command("vacuum")
@click.argument("tables", nargs=-1)
@kb_option
@click.option("--retain-hours", type=int, default=168, show_default=True,
              help="Keep the files versions of the last N hours need (time travel reaches back that far).")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
def vacuum_cmd(tables: tuple[str, ...], kb: str | None, retain_hours: int, dry_run: bool) -> None:
    """Delete files no version within --retain-hours needs (all tables by default)."""
    store = _kb(kb)
    for name in _tables(store, tables):
        removed = store.vacuum(name, retention_hours=retain_hours, dry_run=dry_run)
        click.echo(f"{name}: {len(removed)} files {'would be ' if dry_run else ''}removed")
