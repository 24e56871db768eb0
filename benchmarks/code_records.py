"""Records in code and data files (SQL dumps of several dialects, JSON exports, Python fixtures):
per field, precision/recall/F1 of the landed values and of all proposed values (landed + review),
and how many rows landed straight through. Truth: each file's `<name>.expected.json`.

Landed means the record passed validation with no issue; a record sent to review counts as
not landed (its values are missing from the landed score, present in the proposed one).

    .venv/bin/python benchmarks/code_records.py [DIR ...]   (default: tests/fixtures/code_records)

The CSV export was written after the code and measured before any change for it: landed F1 0.55
(headers naming a column two ways, "Country/Region", were not read; phones got the GB default).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.evaluate import equal  # noqa: E402
from pipelines.model.records import Record  # noqa: E402
from pipelines.parse.dispatch import parse_bytes  # noqa: E402
from pipelines.run.mapper import Mapper  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


class Score:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, have: Any, want: Any, spec: Any) -> None:
        if want is None and have is None:
            return
        if want is None:
            self.fp += 1
        elif have is None:
            self.fn += 1
        elif equal(have, want, spec):
            self.tp += 1
        else:
            self.fp += 1
            self.fn += 1

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _pair(records: list[Record], expected: list[dict[str, Any]], key: str) -> list[tuple[Record | None, dict[str, Any]]]:
    by_key = {str(r.values().get(key)): r for r in records}
    return [(by_key.get(str(e.get(key))), e) for e in expected]


def run(dirs: list[Path], mapper: Mapper) -> dict[str, Any]:
    landed: dict[str, Score] = defaultdict(Score)
    proposed: dict[str, Score] = defaultdict(Score)
    rows = rows_landed = 0
    per_file = []
    for truth in sorted(p for d in dirs for p in d.glob("*.expected.json")):
        path = truth.with_name(truth.name.removesuffix(".expected.json"))
        doc = parse_bytes(path.read_bytes(), name=path.name, source_path=str(path))
        expected = json.loads(truth.read_text(encoding="utf-8"))["records"]
        schema = mapper.schemas[expected[0]["schema"]]
        outcome = next(iter(mapper.outcomes(doc)))
        recs = [r for r in outcome.records if r.schema == schema.name]
        ok = {r.record_id for r in recs if not outcome.issues.get(r.record_id)}
        n_landed = 0
        for rec, exp in _pair(recs, [e["fields"] for e in expected], schema.key[0]):
            is_landed = rec is not None and rec.record_id in ok
            n_landed += is_landed
            vals = rec.values() if rec is not None else {}
            for name, spec in schema.fields.items():
                proposed[name].add(vals.get(name), exp.get(name), spec)
                landed[name].add(vals.get(name) if is_landed else None, exp.get(name), spec)
        rows += len(expected)
        rows_landed += n_landed
        per_file.append((path.name, n_landed, len(expected), outcome.outcome))
    return {"landed": landed, "proposed": proposed, "rows": rows, "rows_landed": rows_landed, "files": per_file}


def overall(scores: dict[str, Score]) -> Score:
    total = Score()
    for s in scores.values():
        total.tp, total.fp, total.fn = total.tp + s.tp, total.fp + s.fp, total.fn + s.fn
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*", default=[str(REPO / "tests" / "fixtures" / "code_records")])
    ap.add_argument("--mappings", default=str(REPO / "mappings"))
    a = ap.parse_args(argv)
    res = run([Path(d) for d in a.dirs], Mapper.from_dirs(REPO / "schemas", a.mappings))
    print(f"{'field':18} {'landed P':>9} {'R':>6} {'F1':>6}   {'proposed P':>10} {'R':>6} {'F1':>6}")
    for name in sorted(res["proposed"]) + ["_overall"]:
        lp = (overall(res["landed"]) if name == "_overall" else res["landed"][name]).prf()
        pp = (overall(res["proposed"]) if name == "_overall" else res["proposed"][name]).prf()
        print(f"{name:18} {lp[0]:9.3f} {lp[1]:6.3f} {lp[2]:6.3f}   {pp[0]:10.3f} {pp[1]:6.3f} {pp[2]:6.3f}")
    print(f"rows landed straight-through: {res['rows_landed']}/{res['rows']}")
    for name, n, total, outcome in res["files"]:
        print(f"  {name:40} {n}/{total} rows landed ({outcome})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
