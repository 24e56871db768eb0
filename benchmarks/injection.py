"""The injection screen (pipelines/validate/injection.py) on a corpus of attacks and benign business text.

Prints the detection rate (attacks flagged) and the false-positive rate (benign text flagged),
overall and per language where the corpus says, and lists the misses. Default corpus: the test
corpus, tests/validate/injection_corpus.yaml (invented examples: attacks in en, de, fr, es, it, nl,
paraphrased and role-marked; invoices', reminders' and contracts' own imperative language).

    .venv/bin/python benchmarks/injection.py [--corpus path.yaml] [--documents DIR]

--documents also screens every document under DIR (parsed as the pipeline parses them, hidden
text included) and prints how many are flagged: on business documents, each flag is a false positive.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.validate.injection import suspicious_spans  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "validate" / "injection_corpus.yaml"


def rates(corpus: dict[str, list[str]]) -> tuple[float, float, list[str], list[str]]:
    missed = [t for t in corpus["attacks"] if not suspicious_spans(t)]
    false = [t for t in corpus["benign"] if suspicious_spans(t)]
    return 1 - len(missed) / len(corpus["attacks"]), len(false) / len(corpus["benign"]), missed, false


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--documents", type=Path)
    args = ap.parse_args()
    corpus = yaml.safe_load(args.corpus.read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    detection, fp, missed, false = rates(corpus)
    print(f"corpus {args.corpus}: {len(corpus['attacks'])} attacks, {len(corpus['benign'])} benign")
    print(f"detection rate {detection:.1%}  false-positive rate {fp:.1%}  ({(time.perf_counter() - t0) * 1000:.0f} ms)")
    for t in missed:
        print(f"  missed:  {t}")
    for t in false:
        print(f"  flagged: {t}")
    if args.documents:
        from pipelines.parse.dispatch import parse_bytes

        n = flagged = 0
        for path in sorted(p for p in args.documents.rglob("*") if p.is_file()):
            doc = parse_bytes(path.read_bytes(), name=str(path))
            for d in doc.walk():
                n += 1
                texts = [d.text] + [h["text"] for h in d.hidden_text]
                if any(suspicious_spans(t) for t in texts):
                    flagged += 1
                    print(f"  document flagged: {path}")
        print(f"documents under {args.documents}: {flagged} of {n} flagged")


if __name__ == "__main__":
    main()
