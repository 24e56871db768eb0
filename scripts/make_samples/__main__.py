"""Entry point: python -m scripts.make_samples [--out DIR] [--check]"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from . import code_samples, contracts, emails, invoices, misc, readme

REPO = Path(__file__).resolve().parents[2]
SECTIONS = {"invoices": invoices.write_all, "emails": emails.write_all, "contracts": contracts.write_all,
            "code": code_samples.write_all, "misc": misc.write_all}


def generate(out: Path) -> list:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fn in SECTIONS.items():
        target = out / name
        if target.exists():
            shutil.rmtree(target)  # the generator owns these folders: no stale files survive a re-run
        written += fn(target)
    (out / ".mapperignore").write_text(readme.MAPPERIGNORE, encoding="utf-8")
    (out / "README.md").write_text(readme.render(out), encoding="utf-8")
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scripts.make_samples", description=__doc__)
    ap.add_argument("--out", type=Path, default=REPO / "data_samples", help="output folder (default: data_samples/)")
    ap.add_argument("--check", action="store_true",
                    help="after generating, validate every file and regenerate into a temp dir to prove determinism")
    args = ap.parse_args(argv)
    docs = generate(args.out)
    print(f"wrote {len(docs)} sample documents (+ golden .expected.json files) to {args.out}")
    if args.check:
        from . import verify
        return verify.main(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
