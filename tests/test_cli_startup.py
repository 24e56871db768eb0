"""`mapper --help` starts fast because the CLI imports its heavy libraries only when a command runs.

Checked by what is imported, not by a clock: a test must not depend on the machine's speed.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("openai", "instructor", "pyarrow", "pandas", "duckdb", "dagster", "pypdfium2", "flask", "lxml", "pydantic")


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from pipelines.cli import main\n"
        "for args in (['--help'], ['review', '--help'], ['rules', '--help'], ['llm', '--help']):\n"
        "    result = CliRunner().invoke(main, args)\n"
        "    assert result.exit_code == 0, (args, result.output)\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported by --help: {out.stdout.strip()}"
