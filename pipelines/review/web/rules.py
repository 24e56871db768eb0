"""The `rules` blueprint: a candidate rule learned from a correction (its YAML and backtest
impact) and promoting it into <mappings>/learned/."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from pipelines.review import backtest, learn
from pipelines.review import promote as promote_mod
from pipelines.review.web.state import filters_of, qs, relative, state

CANDIDATE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")

bp = Blueprint("rules", __name__)


def get_candidate(cand_id: str):
    if not CANDIDATE_ID.match(cand_id):
        abort(404)
    try:
        cand = learn.load_candidate(state().settings, cand_id)
    except (FileNotFoundError, KeyError, LookupError):
        abort(404, "no such candidate rule")
    if not g.reviewer.may_see(cand.rule_set.schema_name):
        abort(404, "no such candidate rule")
    return cand


def render_candidate(cand, report, *, status: int = 200, error: str | None = None):
    filters = filters_of()
    merged = relative(Path(cand.merged_into), state().settings.mappings_dir) if cand.merged_into else None
    return render_template("candidate.html", cand=cand, yaml_text=learn.dump_yaml(learn.rule_set_dict(cand.rule_set)),
                           report=report, error=error, merged_into=merged,
                           review_id=(cand.source or {}).get("review_id"), filters=filters, qs=qs(filters)), status


@bp.get("/candidates/<cand_id>")
def candidate(cand_id: str):
    cand = get_candidate(cand_id)
    return render_candidate(cand, backtest.backtest(state().settings, cand))


@bp.post("/candidates/<cand_id>/promote")
def promote(cand_id: str):
    settings = state().settings
    cand = get_candidate(cand_id)
    force = request.form.get("force") == "1"
    if force and not g.reviewer.is_admin:
        abort(403, "only an admin may promote a rule that breaks confirmed values")
    report = backtest.backtest(settings, cand)  # fresh: the KB may have moved since the page was shown
    if not report.ok and not force:
        return render_candidate(cand, report, status=409,
                                error="Not promoted: the backtest breaks confirmed values or does not reproduce the correction.")
    try:
        path = promote_mod.promote(settings, cand, g.reviewer.name, report, force=force)
    except promote_mod.PromotionRefused as exc:
        return render_candidate(cand, report, status=409, error=f"Not promoted: {exc}")
    shown = relative(Path(path), settings.mappings_dir)
    flash(f"Rule {cand.id} promoted to {shown}; it applies from the next run.", "ok")
    review_id = (cand.source or {}).get("review_id")
    target = url_for("review.item", review_id=review_id) if review_id else url_for("review.queue")
    return redirect(target + qs(filters_of()))
