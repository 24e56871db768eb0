"""The `mapper` command: a thin layer over the library; library errors become clear messages."""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

import click

from pipelines.cli_errors import HELD, NOT_RECONCILED, RUN_FAILED, ConfigError, MapperError, exit_codes_help
from pipelines.cli_options import (follow_links_option, kb_option, mappings_option, report_skipped_links, schemas_option,
                                   settings_from, Verbosity, verbosity_options, workers_option)


_settings = settings_from


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=exit_codes_help())
@click.version_option(package_name="ai-data-mapper", prog_name="mapper")
@verbosity_options
def main() -> None:
    """AI data mapper: documents in, validated records in a Parquet knowledge base out."""
    from pipelines.cli_output import guard_terminal

    guard_terminal()  # document text never reaches the terminal as control characters


def _table(rows: list[tuple[Any, ...]], headers: tuple[str, ...]) -> str:
    cols = list(zip(headers, *rows)) if rows else [(h,) for h in headers]
    widths = [max(len(str(v)) for v in col) for col in cols]
    line = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths))  # noqa: E731
    return "\n".join([line(headers), line(tuple("-" * w for w in widths))] + [line(r) for r in rows])


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the full document model as JSON lines.")
@workers_option
@follow_links_option
def parse(paths: tuple[str, ...], as_json: bool, workers: int | None, follow_links: bool | None) -> None:
    """Parse files or folders into the grounded document model and summarise."""
    from pipelines.ingest.walk import iter_inputs
    from pipelines.parse.run import parse_files

    settings = _settings(None, None, None, workers)
    if follow_links is not None:
        settings.follow_links = follow_links
    rows: list[tuple[Any, ...]] = []
    status: Counter[str] = Counter()
    report_skipped_links(paths, settings.follow_links)
    files = list(iter_inputs(paths, follow_links=settings.follow_links))
    for doc in parse_files(files, workers=settings.workers, limits=settings.limits):
        for d in doc.walk():
            top = d is doc
            status[("" if top else "attachment ") + d.status.value] += 1
            if as_json:
                click.echo(json.dumps(d.to_dict() | {"children": [c.id for c in d.children]}, default=str, ensure_ascii=False))
            rows.append((("" if top else "  ↳ ") + (d.name or d.source_path), d.media_type, d.status.value,
                         len(d.pages) or "-", len(d.elements), d.reason_text or "; ".join(d.warnings)[:80]))
    if not as_json:
        click.echo(_table(rows, ("document", "media type", "status", "pages", "elements", "reason / warnings")))
        click.echo(f"\n{len(files)} inputs: " + ", ".join(f"{v} {k}" for k, v in sorted(status.items())))


@main.command(epilog=exit_codes_help())
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@kb_option
@schemas_option
@mappings_option
@workers_option
@click.option("--batch-id", help="Batch id (default: a UTC timestamp).")
@click.option("--direct", is_flag=True, help="Run the library pipeline directly, without recording the run in Dagster.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@follow_links_option
@verbosity_options
@click.pass_context
def run(ctx: click.Context, paths: tuple[str, ...], kb: str | None, schemas: str | None, mappings: str | None,
        workers: int | None, batch_id: str | None, direct: bool, as_json: bool, follow_links: bool | None) -> None:
    """Run the pipeline on PATHS (default: data_samples/) and land records in the KB.

    By default the batch runs through the Dagster code location (the asset graph the UI
    shows, with its checks and stopgap), recorded in DAGSTER_HOME (default .dagster_home/).
    Runs longer than a few seconds show documents parsed/mapped/landed, the rate and an ETA
    on stderr (plain log lines when stderr is not a terminal; none with --quiet).
    """
    from pipelines.llm.policy import PolicyError, check_against_schemas, load_policy
    from pipelines.run.progress import Progress

    verbosity = Verbosity.of(ctx)
    settings = _settings(kb, schemas, mappings, workers, follow_links=follow_links,
                         dagster_log="INFO" if verbosity.level > 0 else None)
    targets = list(paths or ("data_samples",))
    report_skipped_links(targets, settings.follow_links)
    # Configuration mistakes are reported before any work starts, as one clear line.
    sch, _ = _load_rulebook(str(settings.schemas_dir), str(settings.mappings_dir))
    try:
        problems = check_against_schemas(load_policy(), sch)
    except PolicyError as exc:
        raise ConfigError(str(exc)) from exc
    if problems:
        raise ConfigError("; ".join(problems))
    from pipelines.cli_output import trusted_stream

    # -v shows progress from the first document; otherwise only runs over a few seconds show it
    progress = Progress(None, stream=trusted_stream(sys.stderr), enabled=not verbosity.quiet,
                        delay=0.0 if verbosity.level else 2.0)
    try:
        if direct:
            from pipelines.run.direct import run as run_pipeline

            summary: Any = run_pipeline(targets, settings, batch_id=batch_id, progress=progress)
        else:
            from pipelines.run.dagster_run import run_batch

            summary = run_batch(targets, settings, batch_id=batch_id, progress=progress)
    finally:
        progress.close()
    ui = None if direct else dagster_ui_command(settings)
    talk = not as_json and not verbosity.quiet
    if as_json:  # stdout is JSON only; failures still exit non-zero with their reason on stderr
        click.echo(json.dumps(summary.as_dict() | ({"dagster_ui": ui} if ui else {}), indent=2, default=str))
    elif talk:
        print_summary(summary)
    if not direct:
        held = summary.held.get("held") and not summary.held.get("release")
        if held and talk:
            click.echo(f"\nBATCH HELD by the stopgap: {summary.held.get('reason', '')} - release it in the Dagster UI "
                       "(job release_batch) after review.")
        if talk:
            click.echo(f"Dagster run {summary.run_id} ({'succeeded' if summary.success else 'FAILED'}); see it with:\n  {ui}")
        if held:
            raise MapperError(f"batch {summary.batch_id} is held by the stopgap: {summary.held.get('reason', '')}", HELD)
        if not summary.success:
            raise MapperError("the Dagster run failed; open the UI for the failing step and its logs", RUN_FAILED)
    if not summary.reconciles:
        raise MapperError("counts do not reconcile: some input has no outcome", NOT_RECONCILED)


def dagster_ui_command(settings: Any) -> str:
    """A command that opens the Dagster UI on this run's instance and KB, from any folder
    (Dagster needs an absolute DAGSTER_HOME; `dagster dev` is installed without the dev extras, `dg` is not)."""
    import shlex
    from pathlib import Path

    from pipelines.run.dagster_run import PROJECT_ROOT, dagster_home
    from pipelines.storage import location

    home = dagster_home()
    dagster = Path(sys.executable).parent / "dagster"
    return (f"cd {shlex.quote(str(PROJECT_ROOT))} && DAGSTER_HOME={shlex.quote(str(home))} "
            f"MAPPER_KB={shlex.quote(location(settings.kb_root))} {shlex.quote(str(dagster))} dev -m pipelines.definitions")


def print_summary(summary: Any) -> None:
    o, a = summary.outcomes, summary.attachment_outcomes
    click.echo(f"batch {summary.batch_id}: {summary.inputs} input documents, {summary.attachments} attachments -> {summary.kb_root}")
    click.echo(_table(
        [("input documents", summary.inputs, o["landed"], o["review"], o["quarantined"]),
         ("attachments", summary.attachments, a["landed"], a["review"], a["quarantined"])],
        ("", "total", "landed", "review", "quarantined")))
    schemas = sorted(set(summary.landed_records) | set(summary.review_records))
    if schemas:
        click.echo("\nrecords per schema")
        click.echo(_table([(s, summary.landed_records[s], summary.review_records[s]) for s in schemas],
                          ("schema", "landed", "in review")))
    if summary.review_reasons:
        click.echo("\nreview reasons: " + ", ".join(f"{k} {v}" for k, v in summary.review_reasons.most_common()))
    if summary.quarantine_reasons:
        click.echo("quarantine reasons: " + ", ".join(f"{k} {v}" for k, v in summary.quarantine_reasons.most_common()))
    if not getattr(summary, "landed", True):
        click.echo("\nnothing of this batch has landed (held or failed): the counts are where it would land")
    total = sum(o.values()) + sum(a.values())
    click.echo(f"\ncounts reconcile: {'yes' if summary.reconciles else 'NO'} "
               f"({total} documents = {o['landed'] + a['landed']} landed + {o['review'] + a['review']} review + "
               f"{o['quarantined'] + a['quarantined']} quarantined)")
    kept = getattr(summary, "kept_decisions", None)
    if kept:
        click.echo("kept reviewers' decisions: " + ", ".join(f"{n} {status}" for status, n in sorted(kept.items()))
                   + " (records a person closed before; not re-opened)")
    from pipelines.llm.extractor import summary_line

    click.echo(summary_line(getattr(summary, "llm", None), getattr(summary, "llm_off_fields", 0)))


@main.command()
@click.argument("sql")
@kb_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              help="csv: for spreadsheets (cells quoted; text starting with = + - @ tab CR gets a leading ').")
@click.option("--as-of", "as_of", help="Read the tables as they were: a version number or an ISO time (time travel).")
def query(sql: str, kb: str | None, fmt: str, as_of: str | None) -> None:
    """Run one read-only SELECT over the KB; each table is a relation (e.g. SELECT * FROM invoice)."""
    from pipelines.land.query import run_query

    settings = _settings(kb, None, None)
    try:
        df = run_query(settings.kb_root, sql, as_of=int(as_of) if as_of and as_of.isdigit() else as_of)
    except Exception as exc:  # duckdb errors carry a useful message
        raise click.ClickException(str(exc)) from exc
    if fmt == "csv":
        from pipelines.cli_output import to_safe_csv

        click.echo(to_safe_csv(df), nl=False)
    elif fmt == "json":
        click.echo(df.to_json(orient="records", date_format="iso", default_handler=str))
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200):
            click.echo(df.to_string(index=False))


@main.group()
def rules() -> None:
    """Check and test the mapping rules under mappings/."""


def _load_rulebook(schemas: str | None, mappings: str | None) -> tuple[Any, Any]:
    """Schemas and rules, with any error in them shown as a clean CLI error."""
    from pipelines.map.rules import RuleError, load_rules
    from pipelines.model.schema import SchemaError, load_schemas

    s = _settings(None, schemas, mappings)
    try:
        sch = load_schemas(s.schemas_dir)
        return sch, load_rules(s.mappings_dir, sch)
    except (SchemaError, RuleError) as exc:
        raise ConfigError(str(exc)) from exc


@rules.command("check")
@schemas_option
@mappings_option
def rules_check(schemas: str | None, mappings: str | None) -> None:
    """Load schemas and rules and report any error precisely."""
    sch, book = _load_rulebook(schemas, mappings)
    n_rules = sum(len(r) for rs in book.rule_sets for r in rs.fields.values())
    click.echo(f"{len(sch)} schemas, {len(book.rule_sets)} rule sets ({n_rules} field rules), {len(book.classifiers)} classifiers: OK")


@rules.command("test")
@schemas_option
@mappings_option
def rules_test(schemas: str | None, mappings: str | None) -> None:
    """Run every rule's inline examples and report failures."""
    from pipelines.map.rule_examples import run_examples

    sch, book = _load_rulebook(schemas, mappings)
    results = run_examples(book, sch)
    failed = [r for r in results if not r.ok]
    for r in failed:
        click.echo(f"FAIL {r.rule_id}: {r.message}")
    click.echo(f"{len(results)} examples, {len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(1)


@main.command("eval")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@kb_option
@schemas_option
@mappings_option
@click.option("--json", "as_json", is_flag=True)
def eval_cmd(paths: tuple[str, ...], kb: str | None, schemas: str | None, mappings: str | None, as_json: bool) -> None:
    """Score the pipeline against golden `*.expected.json` files (default: data_samples/)."""
    from pipelines.evaluate import evaluate_paths, format_report

    s = _settings(kb, schemas, mappings)
    report = evaluate_paths(paths or ("data_samples",), s)
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else format_report(report))


def _register_groups() -> None:
    """Command groups that live beside their code."""
    from pipelines.land.cli import kb_group
    from pipelines.llm.cli import llm_group
    from pipelines.review.cli import review
    from pipelines.review.rules_cli import register as register_rule_learning

    main.add_command(llm_group)
    main.add_command(kb_group)
    main.add_command(review)
    register_rule_learning(rules)  # mapper rules propose / backtest / promote


_register_groups()

if __name__ == "__main__":
    main()
