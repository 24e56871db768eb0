"""PII redaction (pipelines/llm/redact.py) on a corpus of tricky personal data and business text.

Prints recall (personal data strings that did not survive redaction) and the false-redaction rate
(business strings that should have survived and did not), with the misses. Default corpus: the
test corpus tests/llm/pii_corpus.yaml (invented: names in prose, IBANs in any case and spacing,
obfuscated e-mails, phones, cards; amounts, dates, references, company and place names).

    .venv/bin/python benchmarks/redact.py [--corpus path.yaml]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.llm.redact import Redactor, names_from_document  # noqa: E402
from pipelines.parse.dispatch import parse_bytes  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "llm" / "pii_corpus.yaml"


def redact(text: str) -> str:
    """As the LLM step does: names found in the document, then every detector."""
    doc = parse_bytes(text.encode("utf-8"), name="case.txt")
    return Redactor(names=names_from_document(doc)).redact(text)


def measure(corpus: dict) -> tuple[float, float, list[str], list[str]]:
    found = missed_n = 0
    missed: list[str] = []
    for case in corpus["pii"]:
        out = redact(case["text"])
        for pii in case["find"]:
            if pii in out:
                missed_n += 1
                missed.append(f"{pii!r} in {out!r}")
            else:
                found += 1
    kept = lost_n = 0
    lost: list[str] = []
    for case in corpus["keep"]:
        out = redact(case["text"])
        for k in case["keep"]:
            if k in out:
                kept += 1
            else:
                lost_n += 1
                lost.append(f"{k!r} -> {out!r}")
    return found / max(1, found + missed_n), lost_n / max(1, kept + lost_n), missed, lost


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    corpus = yaml.safe_load(ap.parse_args().corpus.read_text(encoding="utf-8"))
    recall, false_rate, missed, lost = measure(corpus)
    print(f"PII recall {recall:.1%} ({sum(len(c['find']) for c in corpus['pii'])} strings); "
          f"false-redaction rate {false_rate:.1%} ({sum(len(c['keep']) for c in corpus['keep'])} strings)")
    for m in missed:
        print(f"  missed: {m}")
    for x in lost:
        print(f"  redacted by mistake: {x}")


if __name__ == "__main__":
    main()
