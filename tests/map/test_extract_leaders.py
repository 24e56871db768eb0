"""Rules and leaders after a label (a signature block's "Title ------------ Director", a contents
page's "Term ........ 4"): reading them stays linear in the line's length. A qualifier pattern
with a quantifier inside a repeated group split a run of dashes in exponentially many ways
before failing: one real agreement's signature block kept the extractor busy for over an hour."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CONTRACT = "MUTUAL CONFIDENTIALITY AGREEMENT\n\nTABLE OF CONTENTS\n" + "".join(
    f"{n}. {title} {'.' * 70} {page}\n" for n, (title, page) in enumerate(
        [("Definitions", 1), ("Term", 3), ("Governing Law", 4), ("Fee", 5), ("Effective Date", 6)], 1)) + """
This Mutual Confidentiality Agreement is made between Harbour Lane Analytics LLC and
Quarry Stone Partners Inc.

2. Term. This Agreement shall remain in effect for a period of two (2) years.

3. Governing Law. This Agreement shall be governed by the laws of the State of Vermont.

HARBOUR LANE ANALYTICS LLC              QUARRY STONE PARTNERS INC.
By ------------------------------------------------------------ By /s/ R. Okafor
Title --------------------------------------------------------- Title Director
Date ---------------------------------------------------------- Date March 3, 2021
"""

SCRIPT = """
import sys
from pipelines.map.extract import extract_generic
from pipelines.model.schema import load_schemas
from pipelines.parse.dispatch import parse_bytes
schema = load_schemas(sys.argv[1])["contract"]
rec = extract_generic(parse_bytes(sys.stdin.read().encode(), name="agreement.txt"), schema)
v = rec.values()
print(v.get("term"), v.get("governing_law"))
"""


def test_rules_and_leaders_after_labels_are_read_in_linear_time() -> None:
    # in a child process with a deadline a thousand times what it needs: the blow-up never ends
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO / "schemas")], input=CONTRACT, cwd=REPO,
                         capture_output=True, text=True, timeout=120, check=True)
    term, law = out.stdout.split(maxsplit=1)
    assert term == "24" and "Vermont" in law
