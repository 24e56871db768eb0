"""The trust ramp: a newly promoted rule set earns the right to land documents unreviewed.

Promotion writes `trust_ramp: N` into the rule set's provenance (default 3, `MAPPER_TRUST_RAMP`
or `mapper rules promote --trust-ramp N`). Until a person has accepted or corrected N records
the rule set produced since it was promoted, every record it produces goes to review with
the reason `trust_ramp` (a reviewer's accept settles it). A backtest checks a rule against
what is stored; the ramp checks it against what comes next.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.map.rules import RuleBook
from pipelines.review.store import ReviewStore

DEFAULT_RAMP = 3
TRUST_RAMP = "trust_ramp"


def default_ramp() -> int:
    raw = os.environ.get("MAPPER_TRUST_RAMP", "").strip()
    return max(0, int(raw)) if raw.isdigit() else DEFAULT_RAMP


def _since(provenance: dict[str, Any]) -> datetime | None:
    when = provenance.get("promoted_at")
    try:
        return datetime.fromisoformat(str(when)) if when else None
    except ValueError:
        return None


def ramp_state(kb_root: str | Path, book: RuleBook) -> dict[str, tuple[int, int]]:
    """rule set id -> (documents to confirm, confirmed so far) for rule sets still in their ramp."""
    wanted = {rs.id: (int(rs.provenance.get(TRUST_RAMP) or 0), _since(rs.provenance)) for rs in book.rule_sets
              if int(rs.provenance.get(TRUST_RAMP) or 0) > 0}
    if not wanted:
        return {}
    store = ReviewStore(kb_root)
    rule_set_of = {i.review_id: i.proposed.get("rule_set") for i in store.items(status=None)}
    confirmed: dict[str, set[str]] = {k: set() for k in wanted}
    for d in store.decisions():
        rs_id = rule_set_of.get(d.review_id)
        if rs_id not in wanted or d.action not in ("accept", "correct") or d.status == "open":
            continue
        since = wanted[rs_id][1]
        if since is None or d.decided_at >= since:
            confirmed[rs_id].add(d.document_id)
    return {k: (n, len(confirmed[k])) for k, (n, _) in wanted.items() if len(confirmed[k]) < n}


__all__ = ["DEFAULT_RAMP", "TRUST_RAMP", "default_ramp", "ramp_state"]
