"""Generic extraction on real documents nobody wrote rules for: quality, calibration and cost.

    .venv/bin/python benchmarks/extraction.py                      # every set, every document
    .venv/bin/python benchmarks/extraction.py --limit 60           # first 60 of each dev set: minutes
    .venv/bin/python benchmarks/extraction.py --sets sroie,peer    # some sets
    .venv/bin/python benchmarks/extraction.py --fit                # refit pipelines/map/extract/calibration.json
    .venv/bin/python benchmarks/extraction.py --sets sroie --held-out   # and the held-out half's table

Sets: the development sets of `../shared/dev_sets` (sroie, sroie_images, kleister_nda_train,
facturx; gold and matching from its `score_dev.py`), the peer invoices of
`../shared/peer_cases/invoice2data/compare` and `data_samples/` (golden files, `mapper eval`).
Everything runs rules-only (no LLM) with an EMPTY mappings folder, except data_samples, which is
scored with the shipped mappings as `mapper eval` does.

Per dev set and field it prints precision/recall/F1 of the proposed values (landed + review)
and of the landed values, the straight-through rate (documents whose record landed) and the
landed precision; then the calibration table (confidence bins vs the share of values right)
on the held-out half of the dev documents (documents are split in halves by a hash of their
name: `--fit` fits on the other half), and the generic extraction's milliseconds per document.

Parsed documents (OCR of the receipt photos is slow) are cached under --work.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.config import Settings  # noqa: E402
from pipelines.model.document import Document  # noqa: E402
from pipelines.evaluate import evaluate_paths  # noqa: E402
from pipelines.map.extract import calibration, extract_generic  # noqa: E402
from pipelines.map.extract.engine import extract_explained  # noqa: E402
from pipelines.parse import cache  # noqa: E402
from pipelines.parse.run import parse_file  # noqa: E402
from pipelines.run.outcome import LANDED  # noqa: E402
from pipelines.run.mapper import Mapper  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEV_SETS = ("sroie", "sroie_images", "kleister_nda_train", "facturx")
ALL_SETS = (*DEV_SETS, "peer", "data_samples")
STRENGTH = 2.0  # pseudo-observations of a family's curve, at its kind's rate


@dataclass
class DocResult:
    stem: str
    landed: bool
    values: dict[str, Any]  # field -> value (scorer-friendly)
    confidence: dict[str, float] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # field -> finder family of the chosen value
    generic: dict[str, tuple[Any, float]] = field(default_factory=dict)  # the generic extractor's own values
    generic_ms: float | None = None


def load_scorer() -> ModuleType:
    """The dev sets' own scorer (gold loading and matching), so numbers agree with `score_dev.py`."""
    path = SHARED / "dev_sets" / "score_dev.py"
    if not path.is_file():
        raise SystemExit(f"no dev sets at {path.parent} (they sit beside the repository)")
    spec = importlib.util.spec_from_file_location("score_dev", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def held_out(stem: str) -> bool:
    """Half of the documents, fixed by name: the calibration is fitted on the others."""
    return hashlib.sha256(stem.encode()).digest()[0] % 2 == 1


def parsed(path: Path, work: Path) -> Document:
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    key = cache.cache_key(sha, path.name)
    cached = cache.cache_path(work, key)
    if cached.is_file():
        doc = cache.read(cached, key)
        if doc is not None and doc.id == sha:
            return doc
    doc = parse_file(path)
    cache.write(work, doc)
    return doc


def _plain(value: Any) -> Any:
    if isinstance(value, (date, Decimal)):
        return value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def run_files(paths: list[Path], mapper: Mapper, work: Path) -> list[DocResult]:
    out = []
    for path in paths:
        doc = parsed(path, work)
        oc = next(iter(mapper.outcomes(doc)))
        rec = oc.records[0] if oc.records else None
        res = DocResult(path.stem, oc.outcome == LANDED and rec is not None, {})
        if rec is not None and rec.schema in mapper.schemas:
            schema = mapper.schemas[rec.schema]
            for name, fv in rec.fields.items():
                res.values[name] = _plain(fv.value)
                res.confidence[name] = fv.confidence
                res.types[name] = schema.fields[name].type if name in schema.fields else "string"
            t0 = time.perf_counter()
            extract_generic(doc, schema)
            res.generic_ms = (time.perf_counter() - t0) * 1000
            generic, res.sources = extract_explained(doc, schema)
            res.generic = {n: (_plain(fv.value), fv.confidence) for n, fv in generic.fields.items()}
        out.append(res)
    return out


def _scores(scorer: ModuleType, gold: dict[str, dict], results: list[DocResult], kinds: dict[str, str],
            landed_only: bool) -> dict[str, dict[str, float]]:
    records = [dict(r.values, source_path=f"{r.stem}.x") for r in results if r.values and (r.landed or not landed_only)]
    stats, _, _, _ = scorer.score(gold, records, kinds)
    return stats


Obs = tuple[str, str, str, float, bool]  # stem, schema, calibration kind, confidence, right?


def observations(scorer: ModuleType, gold: dict[str, dict], results: list[DocResult], kinds: dict[str, str],
                 schema: str) -> list[Obs]:
    """(stem, schema, calibration kind, confidence, right?) for every value of the generic
    extractor the gold scores (the kind carries the finder family: "text/company")."""
    out = []
    for r in results:
        g = gold.get(r.stem, {})
        for name, (value, conf) in r.generic.items():
            if name not in kinds or not scorer._values(g.get(name)) or isinstance(value, list):
                continue
            ok = any(scorer.same(value, gv, kinds[name]) for gv in scorer._values(g.get(name)))
            kind = calibration.kind_of(r.types.get(name, "string"))
            out.append((r.stem, schema, f"{kind}/{r.sources.get(name, 'other')}", conf, ok))
    return out


def dev_set(name: str, limit: int | None, work: Path, mapper: Mapper, scorer: ModuleType,
            ) -> tuple[list[DocResult], dict, dict, str]:
    docs, gold, schema, kinds = scorer.load_set(name)
    docs = docs[:limit] if limit else docs
    inbox = work / "inbox" / name
    inbox.mkdir(parents=True, exist_ok=True)
    for stem, write in docs:
        if not any(inbox.glob(f"{stem}.*")):
            write(inbox)
    stems = {stem for stem, _ in docs}
    paths = sorted(p for p in inbox.iterdir() if p.stem in stems)
    gold = {s: g for s, g in gold.items() if s in stems}
    return run_files(paths, mapper, work), gold, kinds, schema


def print_set(name: str, scorer: ModuleType, results: list[DocResult], gold: dict, kinds: dict) -> None:
    prop = _scores(scorer, gold, results, kinds, landed_only=False)
    land = _scores(scorer, gold, results, kinds, landed_only=True)
    n = len(results)
    landed = sum(r.landed for r in results)
    print(f"\n== {name}: {n} documents, straight-through {landed}/{n} = {landed / n if n else 0:.3f}, "
          f"landed precision {land['_overall']['precision']:.3f} ({land['_overall']['tp']}/{land['_overall']['n_pred']})")
    print(f"  {'field':18}{'proposed P':>11}{'R':>7}{'F1':>7}   {'landed P':>9}{'R':>7}{'F1':>7}")
    for f in [*kinds, "_overall"]:
        p, lnd = prop[f], land[f]
        if f != "_overall" and not (p["n_gold"] or p["n_pred"]):
            continue
        print(f"  {f:18}{p['precision']:>11.3f}{p['recall']:>7.3f}{p['f1']:>7.3f}   "
              f"{lnd['precision']:>9.3f}{lnd['recall']:>7.3f}{lnd['f1']:>7.3f}")


def print_calibration(obs: list[Obs], title: str) -> None:
    print(f"\n== calibration ({title}): confidence bin, values, share right")
    edges = [0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001]
    for lo, hi in zip(edges, edges[1:]):
        inside = [ok for _, _, _, c, ok in obs if lo <= c < hi]
        if inside:
            print(f"  [{lo:.2f}, {min(hi, 1.0):.2f}{')' if hi < 1 else ']'}  {len(inside):5}  {sum(inside) / len(inside):.3f}")
    for t in (0.6, 0.8, 0.9, 0.95):
        above = [ok for _, _, _, c, ok in obs if c >= t]
        if above:
            print(f"  confidence >= {t:.2f}: {len(above)} values, {sum(above) / len(above):.3f} right")
    for schema in sorted({o[1] for o in obs}):
        t = calibration.landing_threshold(schema)
        if t is None:
            continue
        above = [ok for _, s, _, c, ok in obs if s == schema and c >= t]
        share = f"{sum(above) / len(above):.3f} right" if above else "none"
        print(f"  {schema}: landing threshold {t:.3f}: {len(above)} values at or above it, {share}")


def eval_folder(name: str, paths: list[Path], mappings: Path, work: Path) -> None:
    settings = Settings(kb_root=work / "kb-unused", schemas_dir=ROOT / "schemas", mappings_dir=mappings, workers=0)
    report = evaluate_paths([str(p) for p in paths], settings)
    sc = report.schema_score()
    print(f"\n== {name} ({'empty mappings' if not any(mappings.iterdir()) else 'shipped mappings'}): "
          f"{report.documents} documents, straight-through {report.straight_through}/{report.documents} = "
          f"{report.straight_through_rate:.3f}; proposed P {sc.precision:.3f} R {sc.recall:.3f} F1 {sc.f1:.3f}")
    mapper = Mapper.from_dirs(ROOT / "schemas", mappings)
    ms = [r.generic_ms for r in run_files(paths, mapper, work) if r.generic_ms is not None]
    if ms:
        print(f"  generic extraction: median {statistics.median(ms):.1f} ms per document (n={len(ms)}, max {max(ms):.0f})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default=",".join(ALL_SETS), help=f"comma-separated, of: {', '.join(ALL_SETS)}")
    ap.add_argument("--limit", type=int, help="first N documents of each dev set")
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "mapper-bench-extraction"),
                    help="prepared inputs and parsed-document cache")
    ap.add_argument("--fit", action="store_true", help="refit the calibration on the fit half and write it")
    ap.add_argument("--strength", type=float, default=STRENGTH,
                    help="pseudo-observations a finder family's curve borrows from its kind's (with --fit)")
    ap.add_argument("--held-out", action="store_true", help="also print each dev set's table for its held-out half")
    a = ap.parse_args(argv)
    sets = [s.strip() for s in a.sets.split(",") if s.strip()]
    unknown = set(sets) - set(ALL_SETS)
    if unknown:
        ap.error(f"unknown sets: {', '.join(sorted(unknown))}")
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    empty = work / "empty-mappings"
    empty.mkdir(exist_ok=True)
    mapper = Mapper.from_dirs(ROOT / "schemas", empty)
    obs: list[Obs] = []
    raw_obs: list[Obs] = []
    gold_counts: dict[str, dict[str, int]] = {}  # schema -> field -> fit-half documents with gold for it
    scorer = load_scorer() if set(sets) & set(DEV_SETS) else None
    for name in sets:
        if name in DEV_SETS:
            assert scorer is not None
            results, gold, kinds, schema = dev_set(name, a.limit, work, mapper, scorer)
            print_set(name, scorer, results, gold, kinds)
            if a.held_out:
                # the documents the calibration was not fitted on: straight-through and landed precision there
                half = [r for r in results if held_out(r.stem)]
                print_set(f"{name} [held-out half]", scorer, half, {s: g for s, g in gold.items() if held_out(s)}, kinds)
            ms = [r.generic_ms for r in results if r.generic_ms is not None]
            if ms:
                print(f"  generic extraction: median {statistics.median(ms):.1f} ms per document (max {max(ms):.0f})")
            obs.extend(observations(scorer, gold, results, kinds, schema))
            if a.fit:
                for stem, g in gold.items():
                    for f in kinds:
                        if not held_out(stem) and scorer._values(g.get(f)):
                            counts = gold_counts.setdefault(schema, {})
                            counts[f] = counts.get(f, 0) + 1
                with calibration.disabled():
                    raw = _rerun(results, work, mapper, name)
                raw_obs.extend(observations(scorer, gold, raw, kinds, schema))
        elif name == "peer":
            compare = SHARED / "peer_cases" / "invoice2data" / "compare"
            paths = sorted(p for p in compare.iterdir() if p.suffix.lower() != ".json" and p.with_suffix(".json").is_file())
            eval_folder("peer invoices", paths, empty, work)
        else:
            samples = ROOT / "data_samples"
            paths = sorted(p for p in samples.rglob("*") if p.is_file() and not p.name.endswith(".expected.json"))
            eval_folder("data_samples", paths, ROOT / "mappings", work)
    if obs:
        print_calibration([o for o in obs if held_out(o[0])], "held-out half")
    if a.fit and raw_obs:
        # values of the contract finders bypass the generic choice and its calibration
        fit_half = [o for o in raw_obs if not held_out(o[0]) and not o[2].endswith("/contract")]
        curves: dict[str, list[list[float]]] = {}
        # a finder family's own curve needs fewer observations than a kind's: the pseudo-counts keep a
        # small family's probabilities low (10 of 10 right is 0.917), and without its own curve a
        # family would keep its raw score
        curves |= calibration.fit([(f"{sch}/{k.split('/')[0]}", c, ok) for _, sch, k, c, ok in fit_half], min_count=40)
        # a family's small sample is shrunk towards its kind's curve ("invoice/text/company" towards
        # "invoice/text"), by --strength pseudo-observations
        curves |= calibration.fit([(f"{sch}/{k}", c, ok) for _, sch, k, c, ok in fit_half], min_count=10,
                                  prior=lambda fam: curves.get(fam.rsplit("/", 1)[0]), strength=a.strength)
        path = Path(tempfile.mkdtemp()) / "calibration.json"
        calibration.save(curves, {}, path=path)
        thresholds = {}
        for sch in sorted({o[1] for o in fit_half}):
            probs = [(calibration.calibrate(c, _type_of(k.split("/")[0]), sch, path, source=k.split("/")[1]), ok)
                     for _, s2, k, c, ok in fit_half if s2 == sch]
            thresholds[sch] = calibration.threshold(probs)
        measured = {sch: sorted(f for f, n in counts.items() if n >= 40) for sch, counts in gold_counts.items()}
        calibration.save(curves, {"fitted_on": f"{len(fit_half)} values of the fit half of "
                                  f"{', '.join(s for s in sets if s in DEV_SETS)}" + (f" (first {a.limit} documents each)" if a.limit else ""),
                                  "by": "benchmarks/extraction.py --fit"}, thresholds, measured)
        print(f"\nwrote {calibration.FILE} from {len(fit_half)} values, landing thresholds {thresholds}; "
              "re-run without --fit for the held-out table")
    return 0


def _type_of(kind: str) -> str:
    """A field type of the calibration kind (calibrate() takes field types)."""
    return {"amount": "amount", "date": "date", "text": "string"}.get(kind, "iban")


def _rerun(results: list[DocResult], work: Path, mapper: Mapper, name: str) -> list[DocResult]:
    inbox = work / "inbox" / name
    stems = {r.stem for r in results}
    return run_files(sorted(p for p in inbox.iterdir() if p.stem in stems), mapper, work)


if __name__ == "__main__":
    raise SystemExit(main())
