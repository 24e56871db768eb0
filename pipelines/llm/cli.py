"""`mapper llm ...`: check the policy and see where calls would go."""

from __future__ import annotations

import os

import click

from pipelines.cli_options import schemas_option

@click.group("llm")
def llm_group() -> None:
    """The LLM step: policy, endpoints, audit."""


@llm_group.command("check")
@click.option("--policy", "path", type=click.Path(dir_okay=False), help="Policy file (default: MAPPER_LLM_POLICY or llm_policy.yaml).")
@schemas_option
def check(path: str | None, schemas: str | None) -> None:
    """Validate the LLM policy and show which endpoints are configured in this environment."""
    from pipelines.llm.policy import PolicyError, check_against_schemas, load_policy  # imports openai: only when used

    try:
        policy = load_policy(path)
    except PolicyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"policy: {policy.source_file or '(built-in defaults)'}")
    from pipelines.cli_options import settings_from
    from pipelines.model.schema import SchemaError, load_schemas

    try:
        problems = check_against_schemas(policy, load_schemas(settings_from(schemas=schemas).schemas_dir))
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from exc
    for p in problems:
        click.echo(f"ERROR {p}")
    for name, spec in policy.endpoints.items():
        ep = spec.resolve(name)
        if ep is None:
            where = f"not configured (set {spec.base_url_env})" if spec.base_url_env else "not configured (no base_url)"
            click.echo(f"endpoint {name}: {where}")
        else:
            click.echo(f"endpoint {name}: {ep.base_url} model {ep.model} mode {ep.mode}"
                       f"{' (Azure ' + ep.azure_api_version + ')' if ep.azure_api_version else ''}")
            if ep.api_key_env and not os.environ.get(ep.api_key_env):
                click.echo(f"WARNING endpoint {name}: {ep.api_key_env} is not set; calls will fail with 'auth' "
                           "(local servers such as Ollama accept any value)")
    for r in policy.routes:
        click.echo(f"route {r.schema_name} -> {r.endpoint}: fields {r.fields}" + (f", never {r.deny_fields}" if r.deny_fields else ""))
    click.echo(f"redacted before sending: {', '.join(policy.redact) or 'nothing'}; max {policy.max_chars_per_call} chars per call")
    b = policy.budget
    click.echo(f"budget per run: {b.max_calls_per_run} calls, {b.max_tokens_per_run} tokens, cost {b.max_cost_per_run}")
    click.echo("LLM: " + ("on" if policy.enabled else "off (no endpoint configured); rules-only extraction"))
    if problems:
        raise SystemExit(1)
