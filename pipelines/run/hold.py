"""The stopgap: a batch whose share of documents going to review or quarantine jumps well
above the recent level is held back from the KB until a person releases it.

Also the judge stage's status files of a batch: its summary, hold decision and release.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.config import Settings
from pipelines.run.files import read_json, work_dir, work_root, write_json
from pipelines.run.outcome import QUARANTINED, REVIEW


class BatchHeldError(RuntimeError):
    """The batch is held back from the KB by the stopgap and has not been released."""


@dataclass
class HoldPolicy:
    """When a batch is held: its problem rate (share of documents sent to review or
    quarantine) exceeds both `recent * ratio` and `recent + jump`, where `recent` is the
    median over the last `window` batches; needs `min_history` batches and `min_documents`."""

    ratio: float = 1.5
    jump: float = 0.25
    window: int = 10
    min_history: int = 3
    min_documents: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> HoldPolicy:
        return cls(ratio=settings.hold_ratio, jump=settings.hold_jump, window=settings.hold_window,
                   min_history=settings.hold_min_history, min_documents=settings.hold_min_documents)


def problem_rate(summary: dict[str, Any]) -> float:
    total = sum(summary["outcomes"].values()) + sum(summary["attachment_outcomes"].values())
    bad = sum(summary[k].get(o, 0) for k in ("outcomes", "attachment_outcomes") for o in (REVIEW, QUARANTINED))
    return bad / total if total else 0.0


def recent_rates(kb_root: str | Path, exclude: str, window: int) -> list[float]:
    """Problem rates of the latest whole batches (not single-document re-runs) before this one."""
    found = []
    root = work_root(kb_root)
    for p in root.glob("*/summary.json") if root.is_dir() else ():
        s = read_json(p)
        if s and s["batch_id"] != exclude and s.get("scope") == "batch":
            found.append((s.get("validated_at", ""), s["problem_rate"]))
    return [rate for _, rate in sorted(found)[-window:]]


SUMMARY_FILE = {"batch": "summary.json", "document": "summary.document.json"}
LANDED_FILE = {"batch": "landed.json", "document": "landed.document.json"}


def scope(kb_root: str | Path, batch_id: str) -> str:
    """'batch', or 'document' while the batch's work area holds a one-document re-run."""
    return read_json(work_dir(kb_root, batch_id) / "raw.json", {}).get("scope", "batch")


def assess_hold(kb_root: str | Path, summary: dict[str, Any], policy: HoldPolicy) -> dict[str, Any]:
    rate = summary["problem_rate"]
    history = recent_rates(kb_root, summary["batch_id"], policy.window)
    recent = statistics.median(history) if history else None
    documents = summary["inputs"] + summary["attachments"]
    held = (recent is not None and len(history) >= policy.min_history and documents >= policy.min_documents
            and summary.get("scope") == "batch"
            and rate > recent * policy.ratio and rate > recent + policy.jump)
    reason = (f"{rate:.0%} of documents went to review or quarantine against a recent level of {recent:.0%} "
              f"(median of {len(history)} batches); held back from the KB until released"
              if held else None)
    return {"held": held, "problem_rate": rate, "recent_rate": recent, "history": len(history),
            "documents": documents, "reason": reason, "policy": asdict(policy)}


def batch_summary(kb_root: str | Path, batch_id: str) -> dict[str, Any]:
    """The judge stage's summary of the batch (empty before it ran)."""
    wd = work_dir(kb_root, batch_id)
    return read_json(wd / SUMMARY_FILE[scope(kb_root, batch_id)], {})


def hold_status(kb_root: str | Path, batch_id: str) -> dict[str, Any]:
    """The batch's hold decision and, if a person released it, the release."""
    wd = work_dir(kb_root, batch_id)
    hold = {"held": False, "reason": None, "problem_rate": None, "recent_rate": None}
    return hold | read_json(wd / "hold.json", {}) | {"release": read_json(wd / "release.json")}


def release(kb_root: str | Path, batch_id: str, released_by: str, note: str = "") -> dict[str, Any]:
    """Record that a person let a held batch through to the KB."""
    if not (work_dir(kb_root, batch_id) / "hold.json").is_file():
        raise FileNotFoundError(f"batch {batch_id!r} has not been validated; nothing to release")
    rel = {"batch_id": batch_id, "released_by": released_by, "note": note,
           "released_at": datetime.now(UTC).isoformat()}
    write_json(work_dir(kb_root, batch_id) / "release.json", rel)
    return rel
