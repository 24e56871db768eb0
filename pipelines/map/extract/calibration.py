"""Confidence as a probability: the finders' agreement score mapped to the share of values
that were right at that score on real documents.

The map is a small data file (`calibration.json` beside this module), fitted by
`benchmarks/extraction.py --fit` on one half of the development documents and reported on the
other half. It is one monotone step function per schema, kind of value and finder family
("invoice/amount/label", "invoice/text/company", ...), each a list of [score upper edge, probability] pairs: a raw score falls
into the first bin whose edge is at or above it. A curve with too few observations is not
written, and the raw score is used (a finder is not judged by another finder's record; the
schema's curve for the kind, "invoice/text", serves callers that name no finder). Curves never
cross schemas. Without the file
(or with `disabled()`), raw scores are returned as they are.

The file also holds, per schema, the landing threshold: the lowest probability at which the
generic extractor's values were right at least 99% of the time on the fit half (1.0 when no
bin was that sure), `landing_threshold`; the benchmark reports held-out precision at it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

FILE = Path(__file__).with_name("calibration.json")
_DISABLED = [False]


def kind_of(type_name: str) -> str:
    """The calibration kind of a schema field type."""
    if type_name in ("amount", "decimal", "integer", "number"):
        return "amount"
    if type_name in ("date", "datetime"):
        return "date"
    if type_name in ("string", "text", "list"):
        return "text"
    return "id"


@lru_cache(maxsize=4)
def _data(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        return {}
    data = json.loads(p.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def landing_threshold(schema: str, path: Path = FILE) -> float | None:
    """The probability a generic value of this schema needs to land (None: no calibration)."""
    value = (_data(str(path)).get("landing_threshold") or {}).get(schema)
    return float(value) if isinstance(value, (int, float)) and 0.0 <= value <= 1.0 else None


@lru_cache(maxsize=4)
def _curves(path: str) -> dict[str, list[tuple[float, float]]]:
    data = _data(path)
    curves = {}
    for kind, bins in (data.get("curves") or {}).items():
        pairs = [(float(edge), float(prob)) for edge, prob in bins]
        if pairs and all(0.0 <= pr <= 1.0 for _, pr in pairs):
            curves[str(kind)] = sorted(pairs)
    return curves


def source_of(source: str) -> str:
    """The finder family of a candidate's source ("label:right+check" -> "label")."""
    return source.split(":", 1)[0].split("+", 1)[0] or "other"


def calibrate(raw: float, type_name: str, schema: str = "", path: Path = FILE, source: str = "") -> float:
    """Probability that a value of this field type (of this schema, found by this finder family)
    with this raw score is right. The most specific curve fitted wins."""
    if _DISABLED[0]:
        return raw
    curves = _curves(str(path))
    kind = kind_of(type_name)
    # curves never cross schemas: a contract's text values say nothing about an invoice's
    # and a finder without its own curve is not judged by another finder's record
    curve = _curve(curves, f"{schema}/{kind}", source) if source else curves.get(f"{schema}/{kind}")
    if not curve:
        return raw
    for edge, prob in curve:
        if raw <= edge:
            return prob
    return curve[-1][1]


# tags of a check that failed against the value (amounts.payment_check: tendered - change is no
# total reading), or of a reading that doubts itself (companies: a name joined to the line above
# by the "&" or bracket it opens with, "joined"; a legal name over a trading name or branch line and
# then the address, "branch", letterhead.letterhead_names): such a family is judged only by its own fitted curve, never by a curve of the
# agreements it also has ("label+check+unpaid" is not "label+check")
CONFLICTS = frozenset({"unpaid", "joined", "branch"})


def _curve(curves: dict[str, list[tuple[float, float]]], prefix: str, source: str) -> list[tuple[float, float]] | None:
    """The finder family's own curve; for a family with more agreements than any fitted one
    ("label+check+pay", too rare to fit alone), the curve of the same finder with the most of
    those agreements (a value more fields agree with is not less often right: the benchmark's
    held-out half measures it). Never another finder's curve, nor the finder's curve without any
    agreement (a label's total on receipts is often the subtotal: that says little about a total
    a sum check backs)."""
    if curves.get(f"{prefix}/{source}"):
        return curves[f"{prefix}/{source}"]
    base, *tags = source.split("+")
    if CONFLICTS & set(tags):
        return None
    best: tuple[int, float, list[tuple[float, float]]] | None = None
    for key, curve in curves.items():
        fam = key[len(prefix) + 1:].split("+") if key.startswith(prefix + "/") else None
        if not curve or not fam or fam[0] != base or not fam[1:] or not set(fam[1:]) < set(tags):
            continue
        cand = (len(fam) - 1, curve[-1][1], curve)
        if best is None or cand[:2] > best[:2]:
            best = cand
    return best[2] if best else None


def measured(schema: str, path: Path = FILE) -> frozenset[str]:
    """The fields of a schema the calibration had gold for (at least 40 documents of the fit half):
    their values' probabilities are known where their finder family has a curve."""
    return frozenset(str(f) for f in (_data(str(path)).get("measured") or {}).get(schema, []))


def calibrated(type_name: str, schema: str, source: str, path: Path = FILE) -> bool:
    """Whether this finder family's values of this kind have their own curve: a family too rare
    to be measured has no known probability, so it cannot land by the threshold."""
    return not _DISABLED[0] and bool(_curve(_curves(str(path)), f"{schema}/{kind_of(type_name)}", source))


@contextmanager
def disabled() -> Iterator[None]:
    """Raw scores instead of probabilities (to fit the map)."""
    _DISABLED[0] = True
    try:
        yield
    finally:
        _DISABLED[0] = False


def fit(observations: list[tuple[str, float, bool]], edges: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
        min_count: int = 40, prior: Callable[[str], list[list[float]] | None] | None = None,
        strength: float = 2.0) -> dict[str, list[list[float]]]:
    """Monotone step curves from (kind, raw score, right?) observations: per bin the share right,
    shrunk towards a prior by `strength` pseudo-observations, then pooled with its neighbours
    where it would fall as the score rises. Without a prior curve for a kind the prior is one
    right and one wrong (a small bin is not called certain); with one (a finder family's kind,
    `prior(kind)`), the pseudo-observations are right at the prior's rate for the scores seen:
    a family's small bins are pulled towards what its kind measured, not towards a coin toss
    (62 of 62 right was fitted at 0.94 against a coin; against its kind's 0.96, at 0.998)."""
    out: dict[str, list[list[float]]] = {}
    kinds = sorted({k for k, _, _ in observations})
    for kind in ["any", *kinds]:
        obs = [(s, ok) for k, s, ok in observations if kind == "any" or k == kind]
        if len(obs) < min_count:
            continue
        base = prior(kind) if prior and kind != "any" else None
        k = strength if base else 2.0
        bins: list[list[float]] = []  # [edge, right, n, prior rate summed over the observations]
        lo = -1.0
        for edge in edges:
            inside = [(s, ok) for s, ok in obs if lo < s <= edge]
            lo = edge
            bins.append([edge, float(sum(ok for _, ok in inside)), float(len(inside)),
                         sum(_at(base, s) if base else 0.5 for s, _ in inside)])
        # pool adjacent violators (isotonic regression on the bins)
        blocks: list[list[float]] = []
        for edge, right, n, psum in bins:
            if n == 0 and blocks:
                blocks[-1][0] = edge  # an empty bin takes its lower neighbour's probability
                continue
            blocks.append([edge, right, n, psum])
            while len(blocks) > 1 and _rate(blocks[-2], k) > _rate(blocks[-1], k):
                e, r, m, ps = blocks.pop()
                blocks[-1] = [e, blocks[-1][1] + r, blocks[-1][2] + m, blocks[-1][3] + ps]
        out[kind] = [[round(b[0], 3), round(_rate(b, k), 4)] for b in blocks]
    return out


def _at(curve: list[list[float]], score: float) -> float:
    for edge, prob in curve:
        if score <= edge:
            return prob
    return curve[-1][1]


def _rate(block: list[float], strength: float) -> float:
    """Share right with `strength` pseudo-observations at the block's mean prior rate."""
    right, n, psum = block[1], block[2], block[3]
    mean_prior = psum / n if n else 0.5
    return (right + strength * mean_prior) / (n + strength)


def threshold(observations: list[tuple[float, bool]], precision: float = 0.99, min_count: int = 30) -> float:
    """The lowest probability p such that values at or above p were right >= `precision` of the
    time (at least `min_count` of them); 1.0 when there is none."""
    for t in sorted({round(p, 4) for p, _ in observations}):
        above = [ok for p, ok in observations if p >= t]
        if len(above) >= min_count and sum(above) / len(above) >= precision:
            return t
    return 1.0


def save(curves: dict[str, list[list[float]]], meta: dict[str, object], thresholds: dict[str, float] | None = None,
         measured: dict[str, list[str]] | None = None, path: Path = FILE) -> None:
    data = {"about": meta, "curves": curves, "landing_threshold": thresholds or {}, "measured": measured or {}}
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    _curves.cache_clear()
    _data.cache_clear()
