"""Sniffing a text file's kind stays linear in its head: patterns anchored at line starts under
re.M with a leading \\s* ran across every following blank line from every line start, so a head
of 20,000 blank lines or tabs took minutes before any parser saw the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
from pipelines.ingest.sniff import sniff
for data in (b"\\n" * 20000 + b"x", b"\\t" * 20000 + b"!", b" \\n" * 10000 + b"x", b"|" + b" " * 20000 + b"!",
             b"[" * 20000, b"hello\\n" + b"\\n" * 20000 + b"CREATE TABLE t (a int);\\n"):
    print(sniff(data, "notes.txt"))
"""


def test_heads_of_blank_lines_tabs_and_brackets_are_sniffed_in_linear_time() -> None:
    # a child process with a deadline far beyond what it needs (well under a second): the blow-up ran for minutes
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["text/plain"] * 6
