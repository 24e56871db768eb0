"""`mapper rules propose / backtest / promote`: rule learning for people who script.

    mapper rules propose REVIEW_ID            -> saves a candidate under <kb>/_review/candidates/
    mapper rules backtest CANDIDATE_ID        -> what it would change, reproduce and break
    mapper rules promote CANDIDATE_ID --by ME -> writes <mappings>/learned/<id>.yaml

The lead wires these in with `register(rules)` under the existing `mapper rules` group.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from pipelines.cli_options import json_option, kb_option, mappings_option, schemas_option, settings_from

_kb, _schemas, _mappings, _json = kb_option, schemas_option, mappings_option, json_option

if TYPE_CHECKING:  # pydantic costs ~1 s to import; `mapper --help` loads this module
    from pipelines.config import Settings


def _settings(kb: str | None, schemas: str | None, mappings: str | None) -> Settings:
    return settings_from(kb, schemas, mappings)


def _report_text(rep: Any) -> str:
    lines = [f"candidate {rep.candidate_id}: {'OK' if rep.ok else 'NOT OK'}",
             f"  documents matched      {rep.matched_documents}  (would land {rep.would_land}, review {rep.would_review})",
             f"  documents changed      {rep.changed_documents}",
             f"  confirmed values       {rep.confirmed_reproduced}/{rep.confirmed_checked} reproduced",
             f"  own correction         {'reproduced' if rep.own_reproduced else 'NOT reproduced'}",
             f"  broken                 {len(rep.broken)}"]
    for b in rep.broken[:20]:
        lines.append(f"    BROKEN {b['source_path']}: {b['field']} {b['confirmed']!r} -> {b['new']!r}"
                     + (f" ({b['why']})" if b.get("why") else ""))
    for c in rep.changes[:30]:
        lines.append(f"    change {c['source_path']}: {c['field']} {c['old']!r} -> {c['new']!r}")
    if len(rep.changes) > 30:
        lines.append(f"    ... {len(rep.changes) - 30} more changes")
    return "\n".join(lines)


def _candidate(s: Settings, candidate_id: str) -> Any:
    from pipelines.review.learn import load_candidate

    try:
        return load_candidate(s, candidate_id)
    except KeyError as exc:
        raise click.ClickException(str(exc).strip("'\"")) from exc


def register(rules_group: click.Group) -> None:
    """Add `propose`, `backtest` and `promote` to the `mapper rules` group."""

    @rules_group.command("propose")
    @click.argument("review_id")
    @_kb
    @_schemas
    @_mappings
    @_json
    def propose_cmd(review_id: str, kb: str | None, schemas: str | None, mappings: str | None, as_json: bool) -> None:
        """Propose a rule set from what a person accepted or corrected on a review item (every
        value they vouched for); saves it as a candidate."""
        from pipelines.review.learn import LearnError, dump_yaml, propose, save_candidate

        s = _settings(kb, schemas, mappings)
        try:
            cand = propose(s, review_id)
        except (LearnError, KeyError, LookupError) as exc:
            raise click.ClickException(str(exc).strip("'\"")) from exc
        path = save_candidate(s, cand)
        if as_json:
            click.echo(json.dumps(cand.to_dict() | {"saved": str(path)}, default=str))
            return
        click.echo(dump_yaml(cand.to_dict()["rule_set"]))
        for sk in cand.skipped:
            click.echo(f"skipped {sk['field']}: {sk['reason']}")
        click.echo(f"candidate {cand.id} saved to {path}"
                   + (f" (extends {cand.merged_into})" if cand.merged_into else ""))
        click.echo(f"next: mapper rules backtest {cand.id}")

    @rules_group.command("backtest")
    @click.argument("candidate_id")
    @_kb
    @_schemas
    @_mappings
    @_json
    def backtest_cmd(candidate_id: str, kb: str | None, schemas: str | None, mappings: str | None, as_json: bool) -> None:
        """Run a candidate over every stored document its selector matches."""
        from pipelines.review.backtest import backtest

        s = _settings(kb, schemas, mappings)
        cand = _candidate(s, candidate_id)
        rep = backtest(s, cand)
        click.echo(json.dumps(rep.as_dict(), default=str) if as_json else _report_text(rep))
        if not rep.ok:
            raise SystemExit(1)

    @rules_group.command("promote")
    @click.argument("candidate_id")
    @click.option("--by", "promoted_by", required=True, help="Who promotes the rule (recorded in its provenance).")
    @click.option("--force", is_flag=True, help="Promote even if the backtest breaks confirmed values.")
    @click.option("--trust-ramp", "trust_ramp", type=click.IntRange(min=0), default=None,
                  help="Records of the new rule set that go to review until a person confirms them "
                       "(default: env MAPPER_TRUST_RAMP, else 3; 0: none).")
    @_kb
    @_schemas
    @_mappings
    def promote_cmd(candidate_id: str, promoted_by: str, force: bool, trust_ramp: int | None, kb: str | None,
                    schemas: str | None, mappings: str | None) -> None:
        """Backtest a candidate and write it to <mappings>/learned/ (refused if it breaks confirmed values)."""
        from pipelines.review.backtest import backtest
        from pipelines.review.promote import PromotionRefused, promote

        s = _settings(kb, schemas, mappings)
        cand = _candidate(s, candidate_id)
        rep = backtest(s, cand)
        click.echo(_report_text(rep))
        try:
            path = promote(s, cand, promoted_by, rep, force=force, trust_ramp=trust_ramp)
        except PromotionRefused as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"promoted to {path}; documents it affects are now stale: re-run them (mapper run) to apply it")
        for a in cand.alias_outcomes:
            what = "adopted" if a["adopted"] else f"NOT adopted, it would break {len(a['broken'])} value(s)"
            click.echo(f"label alias {a['label']!r} for {a['field']}: {what} (backtest over {a['documents']} stored "
                       f"documents, {a['changed']} value(s) changed)")


__all__ = ["register"]
