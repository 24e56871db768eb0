"""Promote a backtested candidate: readable YAML under `<mappings>/learned/`, with provenance.

The file says who promoted it, from which review correction, when, and what the backtest
found, so the rule can be code-reviewed and versioned in git like the hand-written ones. The
new file changes the hash of `mappings/` (the `mapping_rules` Dagster source asset), so the
documents it affects show as stale and a re-run applies it.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pipelines.config import Settings
from pipelines.map.rule_examples import run_examples
from pipelines.map.rules import RuleBook, RuleError, RuleSet, load_rules
from pipelines.model.schema import load_schemas
from pipelines.review.aliases import adopt_after_backtest
from pipelines.review.backtest import BacktestReport, backtest
from pipelines.review.trust import TRUST_RAMP, default_ramp
from pipelines.review.learn import Candidate, _jsonable, dump_yaml, learned_dir, rule_set_dict


class PromotionRefused(RuntimeError):
    """The backtest breaks confirmed values (or the rules would not load); nothing was written."""


def _header(cand: Candidate, by: str, when: str) -> str:
    src = cand.source
    return (f"# Learned rule set {cand.id}\n"
            f"# Proposed from review {src.get('review_id') or '-'} ({src.get('source_path') or src.get('document_id')}),\n"
            f"# corrected by {src.get('reviewer') or '-'}; promoted by {by} at {when}.\n"
            "# Edit like any rules file; `mapper rules test` runs the examples.\n")


def promote(settings: Settings, cand: Candidate, promoted_by: str, report: BacktestReport | None = None,
            *, force: bool = False, trust_ramp: int | None = None) -> Path:
    """Write the candidate to <mappings>/learned/<id>.yaml; refuse when the backtest breaks
    confirmed values or does not reproduce its own correction, unless `force`. The rule set
    starts in a trust ramp of `trust_ramp` documents (default: review/trust.py)."""
    if not promoted_by or not promoted_by.strip():
        raise PromotionRefused("promotion needs the name of the person promoting the rule")
    report = report if report is not None and report.candidate_id == cand.id else backtest(settings, cand)
    if not report.ok and not force:
        lines = [f"  {b['source_path']}: {b['field']} {b['confirmed']!r} -> {b['new']!r}" for b in report.broken[:20]]
        why = "it does not reproduce its own correction" if not report.own_reproduced else \
            f"it would break {len(report.broken)} confirmed value(s)"
        raise PromotionRefused(f"candidate {cand.id} not promoted: {why}\n" + "\n".join(lines)
                               + "\n(promote with force to override)")
    when = datetime.now(UTC).replace(microsecond=0).isoformat()
    src = cand.source
    entry = {"promoted_by": promoted_by, "promoted_at": when, "from_review": src.get("review_id"),
             "document_id": src.get("document_id"), "source_path": src.get("source_path"),
             "reviewer": src.get("reviewer"), "decided_at": src.get("decided_at"),
             "corrections": src.get("corrections") or [], "confirmed": src.get("confirmed") or [],
             "backtest": report.summary(), TRUST_RAMP: default_ramp() if trust_ramp is None else max(0, trust_ramp)}
    if force and not report.ok:
        entry["forced"] = True
    # an extended rule set keeps the provenance of its earlier promotions
    old = dict(cand.rule_set.provenance)
    if "extends" in old:
        entry["extends"] = old.pop("extends")
    history = list(old.pop("history", None) or [])
    if old:
        history.append(old)
    provenance = entry | ({"history": history} if history else {})
    rs = cand.rule_set.model_copy(update={"provenance": _jsonable(provenance)})
    target = Path(cand.merged_into) if cand.merged_into else learned_dir(settings) / f"{cand.id}.yaml"
    text = _header(cand, promoted_by, when) + dump_yaml(rule_set_dict(rs))
    _write_checked(settings, target, text, rs.id)
    pairs = [(a["field"], a["label"]) for a in src.get("aliases") or [] if a.get("field") and a.get("label")]
    cand.alias_outcomes = adopt_after_backtest(settings, rs.schema_name, pairs, promoted_by, src) if pairs else []
    return target


def _write_checked(settings: Settings, target: Path, text: str, rs_id: str) -> None:
    """Write atomically, then load all rules and run this rule set's examples; undo on failure."""
    target.parent.mkdir(parents=True, exist_ok=True)
    before = target.read_bytes() if target.exists() else None
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".promote")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, target)
    try:
        schemas = load_schemas(settings.schemas_dir)
        book = load_rules(settings.mappings_dir, schemas)
        mine = RuleBook(rule_sets=[r for r in book.rule_sets if r.id == rs_id])
        failed = [r for r in run_examples(mine, schemas) if not r.ok]
        if failed:
            raise PromotionRefused("the rule set's examples fail: " + "; ".join(f"{r.rule_id}: {r.message}" for r in failed))
    except (RuleError, PromotionRefused) as exc:
        if before is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(before)
        raise PromotionRefused(f"not promoted, the rules would not load cleanly: {exc}") from exc


def loaded_rule_set(settings: Settings, rs_id: str) -> RuleSet | None:
    book = load_rules(settings.mappings_dir, load_schemas(settings.schemas_dir))
    return next((r for r in book.rule_sets if r.id == rs_id), None)


__all__ = ["PromotionRefused", "promote", "loaded_rule_set"]
