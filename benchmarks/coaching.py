"""Coaching benchmark: does one reviewed document automate its supplier's layout, and does
nothing wrong land?

    python benchmarks/coaching.py                 # trust ramp 3 (the default)
    python benchmarks/coaching.py --trust-ramp 0  # promoted rules land at once
    python benchmarks/coaching.py --keep /tmp/coach   # keep the KB, mappings and PDFs

Six invented supplier layouts (benchmarks/coaching_layouts.py; none is used by the tests),
~10 PDFs each, drawn with reportlab into a temp dir. Everything a reviewer does goes through
the `mapper` CLI (in-process, the same commands a shell runs):

  round 0  `mapper run` over all documents (rules-only, mappings copied to the temp dir);
  round 1  per layout, its first document: `review show`, then `review correct --set f=v`
           for every field that differs from the gold values (typed as a person would:
           ISO dates, plain numbers, line items as JSON), or `review accept` when all are
           right; `rules propose`, `rules promote`; then `mapper run` again;
  ramp     the records a new rule set sends to review (trust ramp) are checked the same way
           (accept, or correct) in document order until the ramp is done; `mapper run` again.

Per layout it prints: fields corrected on the first document, documents the ramp sent to a
person (and fields corrected there), field accuracy of the other documents' records,
straight-through (landed with no person looking) of the other documents, landed field
precision, and landed values that contradict a reviewer's decision.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.coaching_layouts import LAYOUTS, Doc, make_documents  # noqa: E402
from pipelines.cli import main  # noqa: E402
from pipelines.land.kb import KnowledgeBase, TableNotFoundError  # noqa: E402
from pipelines.model.schema import load_schemas  # noqa: E402
from pipelines.review.backtest import canon  # noqa: E402
from pipelines.review.store import ReviewStore  # noqa: E402

REVIEWER = "bench"
SCHEMA = load_schemas(ROOT / "schemas")["invoice"]


class Bench:
    def __init__(self, work: Path, trust_ramp: int) -> None:
        self.work = work
        self.kb = work / "kb"
        self.mappings = work / "mappings"
        self.docs_dir = work / "docs"
        self.trust_ramp = trust_ramp
        self.runner = CliRunner()
        self.log: list[str] = []

    def cli(self, *args: str, ok: bool = True) -> str:
        r = self.runner.invoke(main, list(args), catch_exceptions=False)
        self.log.append(f"$ mapper {' '.join(args)[:200]}\n{r.output[-600:]}")
        if ok and r.exit_code != 0:
            raise RuntimeError(f"mapper {' '.join(args)[:300]} failed ({r.exit_code}):\n{r.output[-2000:]}")
        return r.output

    def run(self, batch: str) -> dict:
        out = self.cli("run", str(self.docs_dir), "--kb", str(self.kb), "--mappings", str(self.mappings),
                       "--direct", "--json", "--batch-id", batch, "--workers", "0")
        return json.loads(out[out.index("{"):])

    # ---- what the KB and queue hold ----------------------------------------------------------

    def landed(self) -> dict[str, dict]:
        try:
            rows = KnowledgeBase(self.kb).read("invoice").to_pylist()
        except TableNotFoundError:
            return {}
        return {Path(r["source_path"]).name: r for r in rows}

    def items(self) -> dict[str, Any]:
        return {Path(i.source_path).name: i for i in ReviewStore(self.kb).items(status=None, schema="invoice")}

    def decided(self) -> dict[str, dict]:
        """File name -> the values a person left the record with (latest accept/correct)."""
        store = ReviewStore(self.kb)
        names = {i.review_id: Path(i.source_path).name for i in store.items(status=None)}
        out: dict[str, dict] = {}
        for d in store.decisions():
            if d.action in ("accept", "correct") and d.after is not None and d.status != "open":
                out[names.get(d.review_id, "")] = d.after
        return out

    # ---- a reviewer at the CLI ---------------------------------------------------------------

    def review(self, doc: Doc, ident: str, proposed: dict[str, Any]) -> int:
        """Correct what differs from the gold values (or accept); returns the fields corrected."""
        sets = []
        for f, want in doc.gold.items():
            got = proposed.get(f)
            if same(f, got, want):
                continue
            sets += ["--set", f"{f}={typed(want)}"]
        if sets:
            self.cli("review", "correct", ident, "--kb", str(self.kb), "--reviewer", REVIEWER, *sets)
        else:
            self.cli("review", "accept", ident, "--kb", str(self.kb), "--reviewer", REVIEWER)
        return len(sets) // 2

    def show(self, ident: str) -> tuple[str, dict[str, Any]]:
        out = json.loads(self.cli("review", "show", ident, "--kb", str(self.kb), "--json"))
        return out["review_id"], {k: v.get("value") for k, v in (out["proposed"].get("fields") or {}).items()}

    def teach(self, doc: Doc) -> tuple[int, str]:
        """Round 1 on the layout's first document: review it, propose, promote."""
        item = self.items().get(doc.name)
        if item is None:  # it landed straight-through: reopen it by its record id
            ident = self.landed()[doc.name]["record_id"]
            self.cli("review", "reopen", ident, "--kb", str(self.kb), "--reviewer", REVIEWER)
            item = self.items()[doc.name]
        rid, proposed = self.show(item.review_id)
        n = self.review(doc, rid, proposed)
        out = json.loads(self.cli("rules", "propose", rid, "--kb", str(self.kb), "--mappings", str(self.mappings), "--json"))
        promo = self.cli("rules", "promote", out["candidate"], "--by", REVIEWER, "--kb", str(self.kb),
                         "--mappings", str(self.mappings), "--trust-ramp", str(self.trust_ramp), ok=False)
        status = "promoted" if "promoted to" in promo else "REFUSED: " + promo.strip().splitlines()[-1][:160]
        return n, status


def typed(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return json.dumps([{k: str(v) for k, v in it.items()} for it in value], ensure_ascii=False)
    if isinstance(value, (dt.date, Decimal)):
        return str(value)
    return str(value)


def same(field: str, got: Any, want: Any) -> bool:
    spec = SCHEMA.fields[field]
    return canon(got, spec) == canon(want, spec)


def measure(b: Bench, docs: dict[str, list[Doc]], reviewed: set[str]) -> dict[str, dict[str, Any]]:
    landed, items, decided = b.landed(), b.items(), b.decided()
    out: dict[str, dict[str, Any]] = {}
    for key, ds in docs.items():
        m = {"others": 0, "straight": 0, "fields": 0, "right": 0, "landed_fields": 0, "landed_right": 0,
             "contradictions": 0}
        for d in ds:
            row = landed.get(d.name)
            if d.name in decided and row is not None:  # a person decided: the KB must say the same
                m["contradictions"] += sum(not same(f, row.get(f), v) for f, v in decided[d.name].items()
                                           if f in SCHEMA.fields)
            if d.name == ds[0].name:
                continue
            m["others"] += 1
            values = row if row is not None else {k: v.get("value") for k, v in items[d.name].fields.items()}
            right = sum(same(f, values.get(f), want) for f, want in d.gold.items())
            m["fields"] += len(d.gold)
            m["right"] += right
            if row is not None and d.name not in reviewed:
                m["straight"] += 1
                m["landed_fields"] += len(d.gold)
                m["landed_right"] += right
        out[key] = m
    return out


def main_(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trust-ramp", type=int, default=3)
    ap.add_argument("--per-layout", type=int, default=10)
    ap.add_argument("--keep", type=Path, help="Work here and keep it (default: a temp dir, removed).")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="coaching-"))
    if work.exists() and args.keep:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    b = Bench(work, args.trust_ramp)
    shutil.copytree(ROOT / "mappings", b.mappings)
    docs = make_documents(b.docs_dir, args.per_layout)
    try:
        b.run("round0")
        before = measure(b, docs, set())
        taught = {key: b.teach(ds[0]) for key, ds in docs.items()}
        b.run("round1")
        after1 = measure(b, docs, set())
        ramp: dict[str, list[int]] = {key: [] for key in docs}
        reviewed = {ds[0].name for ds in docs.values()}
        for key, ds in docs.items():
            for d in ds[1:]:
                item = b.items().get(d.name)
                if item is None or item.status != "open" or not any(r.get("code") == "trust_ramp" for r in item.reasons):
                    continue
                if len(ramp[key]) >= args.trust_ramp:
                    break
                rid, proposed = b.show(item.review_id)
                ramp[key].append(b.review(d, rid, proposed))
                reviewed.add(d.name)
        b.run("round2")
        final = measure(b, docs, reviewed)
    finally:
        (work / "cli.log").write_text("\n".join(b.log), encoding="utf-8")
    report(docs, before, taught, after1, ramp, final, args.trust_ramp, time.perf_counter() - t0)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"kept in {work} (the CLI transcript: {work / 'cli.log'})")
    return 0


def _pct(a: int, b: int) -> str:
    return f"{a}/{b}" if b else "-"


def report(docs: dict, before: dict, taught: dict, after1: dict, ramp: dict, final: dict, n: int, secs: float) -> None:
    print(f"coaching benchmark: {len(docs)} layouts, {sum(len(v) for v in docs.values())} documents, trust ramp {n}")
    head = (f"{'layout':16} {'r0 st':>6} {'corr':>4} {'promotion':10} {'r1 st':>6} {'ramp(corr)':>10} "
            f"{'field acc':>10} {'st others':>9} {'landed prec':>11} {'contra':>6}")
    print(head)
    print("-" * len(head))
    tot = {k: 0 for k in ("others", "straight", "fields", "right", "landed_fields", "landed_right", "contradictions")}
    st_ramp_free = [0, 0]
    for key in docs:
        f, r0, r1 = final[key], before[key], after1[key]
        corr, status = taught[key]
        for k in tot:
            tot[k] += f[k]
        unreviewed = f["others"] - len(ramp[key])
        st_ramp_free[0] += f["straight"]
        st_ramp_free[1] += unreviewed
        print(f"{key:16} {_pct(r0['straight'], r0['others']):>6} {corr:>4} {status[:10]:10} "
              f"{_pct(r1['straight'], r1['others']):>6} {len(ramp[key]):>3}({sum(ramp[key])}){'':>5} "
              f"{f['right'] / max(f['fields'], 1):>10.3f} {_pct(f['straight'], unreviewed):>9} "
              f"{(f['landed_right'] / f['landed_fields']) if f['landed_fields'] else float('nan'):>11.3f} "
              f"{f['contradictions']:>6}")
        if not status.startswith("promoted"):
            print(f"    {status}")
    print("-" * len(head))
    prec = tot["landed_right"] / tot["landed_fields"] if tot["landed_fields"] else float("nan")
    print(f"{'all':16} field accuracy {tot['right'] / max(tot['fields'], 1):.3f}; straight-through of the other "
          f"documents no person saw {st_ramp_free[0]}/{st_ramp_free[1]} "
          f"({st_ramp_free[0] / max(st_ramp_free[1], 1):.0%}); of all other documents {tot['straight']}/{tot['others']}; "
          f"landed field precision {prec:.4f}; contradictions {tot['contradictions']}; {secs:.0f}s")
    print("columns: r0/r1 st = other documents landed straight-through after round 0 / round 1; corr = fields "
          "corrected on the first document; ramp(corr) = documents the trust ramp sent to the reviewer (fields "
          "corrected there); st others = straight-through after the ramp among documents no person saw")


if __name__ == "__main__":
    raise SystemExit(main_())
