"""The review queue and the append-only log of reviewers' decisions.

The queue is the KB's `review` table (written by the pipeline, see land/catalog.py). Every
decision a reviewer makes is one row of the KB table `review_decisions` (Parquet, so
`mapper query "SELECT * FROM review_decisions"` works): who, when, what before, what after,
which corrections (with the document span a value was selected from), and why. Rows are
never changed or removed; the queue row's `status` follows the latest decision.

Concurrency is optimistic. An item's `version` is the number of decisions recorded for it;
a reviewer saves against the version they saw. `record_decision` re-reads the version and
raises `ConflictError` (who decided, when) if another decision got there first, so two
reviewers saving the same item never silently lose either decision.

"Check the version, land the record, append the decision" is made one step by a claim on
`<kb>/_review/claims/<review_id>/<version>-<attempt>`, created only if absent (land/claim.py:
`O_EXCL` locally, a conditional put on S3), so reviewers on different machines exclude each
other as well as on one. The loser waits for the winner's decision and is then told who it
was. A claim whose holder died (no decision after CLAIM_STALE_S) is passed over by claiming
the next attempt; should that holder still finish, both decisions are kept (see
`decision_id_for`) rather than one silently replacing the other.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


from pipelines.land import claim
from pipelines.land.catalog import Catalog
from pipelines.land.kb import KnowledgeBase, TableNotFoundError, build_table
from pipelines.land.tables import DECISIONS_SCHEMA, DECISIONS_TABLE, REVIEW_SCHEMA, REVIEW_TABLE

ROLES = ("reviewer", "read_only", "admin")
ACTIONS = ("accept", "correct", "reject")
STATUSES = ("open", "accepted", "corrected", "rejected")
PAST = {"accept": "accepted", "correct": "corrected", "reject": "rejected"}
CLAIMS_DIR = ("_review", "claims")
# A claim older than this with no decision is a dead holder's; a live one lands a record in seconds.
CLAIM_STALE_S = 600.0
# How long a loser waits for the winner's decision before saying who is deciding.
CLAIM_WAIT_S = 60.0
MAX_REASON_CHARS = 2000

_REVIEWER_RE = re.compile(r"[A-Za-z0-9._@-]{1,64}")


@dataclass
class ReviewItem:
    review_id: str
    record_id: str
    document_id: str
    source_path: str
    schema: str
    reasons: list[dict]  # {code, field, message}
    proposed: dict  # {"fields": {name: {value, method, confidence, rule_id, evidence}}, ...}
    status: str  # open | accepted | corrected | rejected
    batch_id: str
    created_at: datetime
    version: int  # decisions recorded for this review_id so far

    @property
    def fields(self) -> dict[str, dict]:
        return self.proposed.get("fields") or {}


@dataclass
class Decision:
    decision_id: str
    review_id: str
    record_id: str
    document_id: str
    schema: str
    reviewer: str
    action: str  # accept | correct | reject
    before: dict
    after: dict | None
    corrections: list[dict]  # {field, old, new, text, start, end, page}
    reason: str | None
    decided_at: datetime
    version: int  # the version this decision created (1, 2, ...)
    status: str | None = None  # queue status it sets; None: derived from the action

    @property
    def past_tense(self) -> str:
        return PAST.get(self.action, self.action)


class ConflictError(Exception):
    """Someone else decided the item since the caller loaded it."""

    def __init__(self, review_id: str, latest: Decision | None, expected_version: int, current_version: int,
                 attempted: Decision | None = None, *, detail: str | None = None) -> None:
        self.review_id = review_id
        self.latest = latest
        self.expected_version = expected_version
        self.current_version = current_version
        self.attempted = attempted  # what the caller tried to save, so it can be re-applied after a reload
        if detail is not None:
            msg = f"review item {review_id[:12]} {detail}"
        elif latest is not None:
            when = latest.decided_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            msg = f"review item {review_id[:12]} was already {latest.past_tense} by {latest.reviewer} at {when}"
        else:
            msg = f"review item {review_id[:12]} is at version {current_version}, not {expected_version}"
        super().__init__(f"{msg}; reload and try again")


# ---- input checks shared with actions and the web layer -------------------------------------


def check_reviewer(name: object) -> str:
    """Reviewer names are identifiers that are safe anywhere: [A-Za-z0-9._@-]{1,64}."""
    if not isinstance(name, str) or not _REVIEWER_RE.fullmatch(name):
        raise ValueError(f"reviewer name {str(name)[:80]!r} must be 1-64 characters of letters, digits, '.', '_', '@' or '-'")
    return name


def unsafe_characters(text: str, *, allow_newlines: bool = True) -> list[str]:
    """Control and bidirectional-override characters in `text` (tab/newline allowed if asked).

    Plain text otherwise passes: HTML such as "<script>" is stored verbatim as text; escaping
    it is the job of whatever displays it.
    """
    bad = []
    for ch in text:
        if allow_newlines and ch in "\t\n\r":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
            bad.append(f"U+{ord(ch):04X}")
    return sorted(set(bad))


def check_text(text: object, what: str, max_chars: int = MAX_REASON_CHARS) -> str:
    if not isinstance(text, str):
        raise ValueError(f"{what} must be text")
    if len(text) > max_chars:
        raise ValueError(f"{what} is {len(text):,} characters (limit {max_chars:,})")
    bad = unsafe_characters(text)
    if bad:
        raise ValueError(f"{what} contains control characters ({', '.join(bad[:5])})")
    return text


def decision_id_for(review_id: str, version: int, reviewer: str, decided_at: datetime) -> str:
    """Unique per attempt (not only per version): should two writers ever record the same
    version (a claim taken over from a holder that was only slow), both rows are kept and the
    duplicate version shows, rather than one silently replacing the other."""
    key = f"decision\x1f{review_id}\x1f{version}\x1f{reviewer}\x1f{decided_at.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def to_jsonable(value: Any) -> Any:
    """Field values as the queue's proposed JSON holds them (Decimal as text, dates in ISO 8601)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)  # Decimal and anything else with an exact text form


# ---- the store ------------------------------------------------------------------------------


class ReviewStore:
    """Reads the queue and the decision log of the KB at `kb_root`; records decisions."""

    def __init__(self, kb_root: str | Path) -> None:
        self.kb = KnowledgeBase(kb_root)
        self.root = self.kb.root

    # ---- reading ------------------------------------------------------------------------

    def items(self, *, status: str | None = "open", schema: str | None = None, reason: str | None = None,
              source: str | None = None) -> list[ReviewItem]:
        """Queue items, oldest first. `status=None`: any status; `reason`: a reason code (or the
        field a reason names); `source`: a substring of the source path."""
        versions: dict[str, int] = {}
        for d in self._decision_rows(columns=("review_id",)):
            versions[d["review_id"]] = versions.get(d["review_id"], 0) + 1
        out = []
        for row in Catalog(self.kb).read_review().to_pylist():
            item = _item(row, versions.get(row["review_id"], 0))
            if status is not None and item.status != status:
                continue
            if schema is not None and item.schema != schema:
                continue
            if reason is not None and not any(reason in (r.get("code"), r.get("field")) for r in item.reasons):
                continue
            if source is not None and source not in (item.source_path or ""):
                continue
            out.append(item)
        out.sort(key=lambda i: (i.created_at or datetime.min.replace(tzinfo=UTC), i.source_path or "", i.review_id))
        return out

    def get(self, review_id: str) -> ReviewItem:
        """One item by id or by a unique prefix (at least 4 characters); KeyError otherwise."""
        if not isinstance(review_id, str) or not review_id:
            raise KeyError("no review id given")
        rows = Catalog(self.kb).read_review().to_pylist()
        exact = [r for r in rows if r["review_id"] == review_id]
        hits = exact or ([r for r in rows if r["review_id"].startswith(review_id)] if len(review_id) >= 4 else [])
        if not hits:
            raise KeyError(f"no review item {review_id!r} in {self.root}")
        if len(hits) > 1:
            raise KeyError(f"review id prefix {review_id!r} is ambiguous ({len(hits)} items); give more characters")
        row = hits[0]
        return _item(row, len(self.decisions(row["review_id"])))

    def decisions(self, review_id: str | None = None) -> list[Decision]:
        """Decisions in the order they were made (per item: by version)."""
        rows = [r for r in self._decision_rows() if review_id is None or r["review_id"] == review_id]
        if review_id is not None:
            rows.sort(key=lambda r: (r["version"], r["decided_at"]))
        else:
            rows.sort(key=lambda r: (r["decided_at"], r["review_id"], r["version"]))
        return [_decision(r) for r in rows]

    def version(self, review_id: str) -> int:
        return sum(1 for r in self._decision_rows(columns=("review_id",)) if r["review_id"] == review_id)

    def _decision_rows(self, columns: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        try:
            return self.kb.read(DECISIONS_TABLE, columns=columns).to_pylist()
        except TableNotFoundError:
            return []

    # ---- writing ------------------------------------------------------------------------

    def record_decision(self, decision: Decision, expected_version: int, *,
                        on_commit: Callable[[Decision], None] | None = None) -> Decision:
        """Append `decision` if the item is still at `expected_version`; returns it as stored
        (decision_id, version, the time it was recorded, and the item's ids filled in).

        `on_commit(decision)` runs after the version check and before the log row is written,
        under the same lock: actions land the record there, so nothing lands for a decision
        that lost the race, and a failed landing records no decision.
        Raises ConflictError (the caller must reload), KeyError (unknown item), ValueError.
        """
        if decision.action not in ACTIONS:
            raise ValueError(f"action {decision.action!r} is not one of {ACTIONS}")
        if decision.status is not None and decision.status not in STATUSES:
            raise ValueError(f"status {decision.status!r} is not one of {STATUSES}")
        check_reviewer(decision.reviewer)
        if decision.reason is not None:
            check_text(decision.reason, "the reason")
        if not isinstance(expected_version, int) or isinstance(expected_version, bool) or expected_version < 0:
            raise ValueError(f"expected_version must be a whole number >= 0, not {expected_version!r}")
        item = self.get(decision.review_id)
        if decision.review_id != item.review_id:  # a prefix was given
            decision = replace(decision, review_id=item.review_id)
        self._check_version(item.review_id, expected_version, decision)
        self._claim(item.review_id, expected_version + 1, decision)
        history = self.decisions(item.review_id)  # re-read: a holder we passed over may have finished
        if len(history) != expected_version:
            raise ConflictError(item.review_id, history[-1] if history else None, expected_version,
                                len(history), attempted=decision)
        version = expected_version + 1
        now = datetime.now(UTC)  # stamped while holding the claim, so versions and times agree
        stored = replace(
            decision,
            decision_id=decision_id_for(item.review_id, version, decision.reviewer, now),
            record_id=item.record_id, document_id=item.document_id, schema=item.schema,
            decided_at=now, version=version,
            status=decision.status or PAST[decision.action],
        )
        if on_commit is not None:
            on_commit(stored)
        row = _decision_row(stored)
        table = build_table([row], DECISIONS_SCHEMA, table=DECISIONS_TABLE)
        self.kb.upsert(DECISIONS_TABLE, table, key=("decision_id",),
                       batch_id=f"decided-{stored.decided_at:%Y%m%d}")
        if stored.status != item.status:
            self._set_status(item.review_id, stored.status)
        return stored

    def _check_version(self, review_id: str, expected_version: int, decision: Decision) -> None:
        history = self.decisions(review_id)
        if len(history) != expected_version:
            raise ConflictError(review_id, history[-1] if history else None, expected_version, len(history),
                                attempted=decision)

    def _claim(self, review_id: str, version: int, decision: Decision) -> None:
        """Hold version `version` of the item (see land/claim.py), or raise ConflictError."""
        body = {"reviewer": decision.reviewer, "action": decision.action, "pid": os.getpid()}
        holder = claim.take(self.kb.root, *CLAIMS_DIR, review_id, name=str(version), body=body,
                            stale_s=CLAIM_STALE_S)
        if holder is None:
            return
        # A live holder: wait for its decision so the loser can be told what was decided.
        deadline = time.monotonic() + CLAIM_WAIT_S
        while time.monotonic() < deadline:
            history = self.decisions(review_id)
            if len(history) >= version:
                raise ConflictError(review_id, history[-1], version - 1, len(history), attempted=decision)
            time.sleep(0.2)
        since = holder.get("at")
        when = since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(since, datetime) else "?"
        raise ConflictError(review_id, None, version - 1, version - 1, attempted=decision,
                            detail=f"is being decided by {holder.get('reviewer', 'someone')} since {when}")

    def _set_status(self, review_id: str, status: str) -> None:
        rows = [r for r in Catalog(self.kb).read_review().to_pylist() if r["review_id"] == review_id]
        if not rows:
            return  # the pipeline re-processed the document meanwhile and dropped the item
        row = {k: rows[0].get(k) for k in REVIEW_SCHEMA.names} | {"status": status}
        table = build_table([row], REVIEW_SCHEMA, table=REVIEW_TABLE)
        self.kb.upsert(REVIEW_TABLE, table, key=("review_id",), batch_id=row["batch_id"] or "review")


# ---- row <-> object ------------------------------------------------------------------------


def _utc(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _item(row: dict[str, Any], version: int) -> ReviewItem:
    try:
        proposed = json.loads(row.get("proposed") or "{}")
    except (TypeError, ValueError):
        proposed = {}
    return ReviewItem(
        review_id=row["review_id"], record_id=row.get("record_id") or "", document_id=row.get("document_id") or "",
        source_path=row.get("source_path") or "", schema=row.get("schema") or "",
        reasons=[dict(r) for r in row.get("reasons") or []],
        proposed=proposed if isinstance(proposed, dict) else {},
        status=row.get("status") or "open", batch_id=row.get("batch_id") or "",
        created_at=_utc(row.get("created_at")), version=version,
    )


def _dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, sort_keys=True)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _decision_row(d: Decision) -> dict[str, Any]:
    return {
        "decision_id": d.decision_id, "review_id": d.review_id, "record_id": d.record_id,
        "document_id": d.document_id, "schema": d.schema, "reviewer": d.reviewer, "action": d.action,
        "status": d.status, "before": _dumps(d.before or {}), "after": None if d.after is None else _dumps(d.after),
        "corrections": [{
            "field": c.get("field"),
            "old": None if c.get("old") is None else _dumps(c["old"]),
            "new": None if c.get("new") is None else _dumps(c["new"]),
            "text": c.get("text"), "start": c.get("start"), "end": c.get("end"), "page": c.get("page"),
        } for c in d.corrections],
        "reason": d.reason, "decided_at": d.decided_at, "version": d.version,
    }


def _decision(row: dict[str, Any]) -> Decision:
    return Decision(
        decision_id=row["decision_id"], review_id=row["review_id"], record_id=row.get("record_id") or "",
        document_id=row.get("document_id") or "", schema=row.get("schema") or "", reviewer=row["reviewer"],
        action=row["action"], before=_loads(row.get("before")) or {}, after=_loads(row.get("after")),
        corrections=[{**c, "old": _loads(c.get("old")), "new": _loads(c.get("new"))} for c in row.get("corrections") or []],
        reason=row.get("reason"), decided_at=_utc(row["decided_at"]), version=int(row["version"]),
        status=row.get("status") or PAST.get(row["action"]),
    )
