"""Benchmark SQL dump parsing: a generated dump of N INSERT rows, parsed by the SQL parser.

    python benchmarks/sql_dump.py [--rows 100000] [--style single|extended|both]

`single`: one `INSERT INTO t (...) VALUES (...);` per row (mysqldump --skip-extended-insert,
pg_dump --inserts). `extended`: 1,000 rows per INSERT (mysqldump's default). Each row has an
integer id, names, an email, a decimal amount, a date, a NULL and a string with a doubled quote.
Target: 100,000 rows in under 15 s (before: about 1 ms a row). CPU time is printed too: on a
shared machine it says more than the wall clock.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time

from pipelines.model.document import Kind
from pipelines.parse.dispatch import parse_bytes
from pipelines.parse.limits import DEFAULT_LIMITS

FIRST = ["Ann", "Bob", "Chloe", "Dev", "Emil", "Fatima", "Goran", "Hana"]
LAST = ["Smith", "O''Neil", "Kowalski", "Nguyen", "Garcia", "Okafor"]


def make_dump(rows: int, style: str, seed: int = 7) -> bytes:
    rnd = random.Random(seed)
    out = ["-- generated dump", "CREATE TABLE customers (id INT PRIMARY KEY, first_name VARCHAR(40), "
           "last_name VARCHAR(40), email VARCHAR(80), balance DECIMAL(10,2), since DATE, note TEXT);"]
    head = "INSERT INTO customers (id, first_name, last_name, email, balance, since, note) VALUES"
    values = []
    for i in range(rows):
        f, last = rnd.choice(FIRST), rnd.choice(LAST)
        values.append(f"({i + 1}, '{f}', '{last}', '{f.lower()}.{i}@example.org', {rnd.randint(-5000, 90000) / 100:.2f}, "
                      f"'20{rnd.randint(10, 26)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}', "
                      f"{'NULL' if i % 3 else chr(39) + 'it' + chr(39) * 2 + 's fine' + chr(39)})")
    if style == "single":
        out += [f"{head} {v};" for v in values]
    else:
        out += [f"{head}\n" + ",\n".join(values[k:k + 1000]) + ";" for k in range(0, rows, 1000)]
    return ("\n".join(out) + "\n").encode()


def measure(rows: int, style: str) -> tuple[float, float, int]:
    data = make_dump(rows, style)
    limits = dataclasses.replace(DEFAULT_LIMITS, timeout_s=3600.0)  # measure, do not time out
    t0, c0 = time.perf_counter(), time.process_time()
    doc = parse_bytes(data, name="dump.sql", limits=limits)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = sum(1 for e in doc.elements if e.kind is Kind.CODE_DATA)
    assert n == rows, (n, rows, doc.status, doc.reason_text)
    return took, cpu, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--style", choices=["single", "extended", "both"], default="both")
    args = ap.parse_args()
    for style in (["single", "extended"] if args.style == "both" else [args.style]):
        took, cpu, n = measure(args.rows, style)
        print(f"sql dump ({style}): {n:,} INSERT rows in {took:.2f} s wall, {cpu:.2f} s CPU "
              f"({took / n * 1e6:.0f} us/row); target < 15 s per 100k")


if __name__ == "__main__":
    main()
