"""Exit codes of `mapper`: each kind of failure has its own, so scripts can tell them apart.

Listed in `mapper --help` and the README; 124/130/143 come from run_guard.py (deadline, SIGINT,
SIGTERM) and 2 from click (a wrong option or argument).
"""

from __future__ import annotations

import click

OK, FAILED, USAGE, CONFIG, NOT_RECONCILED, RUN_FAILED, HELD = 0, 1, 2, 3, 4, 5, 6
EXIT_CODES = {
    OK: "success",
    FAILED: "any other error (message on stderr)",
    USAGE: "wrong command line (unknown option, missing file)",
    CONFIG: "bad configuration: a setting, schema, rule or the LLM policy",
    NOT_RECONCILED: "counts do not reconcile: some input has no outcome",
    RUN_FAILED: "a step of the run failed (see the Dagster UI or -v)",
    HELD: "the batch is held by the stopgap until a person releases it",
    124: "the run exceeded its deadline (MAPPER_RUN_MAX_SECONDS)",
    130: "stopped by SIGINT (Ctrl-C)",
    143: "stopped by SIGTERM",
}


def exit_codes_help() -> str:
    return "\b\nExit codes:\n" + "\n".join(f"  {code:>3}  {what}" for code, what in EXIT_CODES.items())


class MapperError(click.ClickException):
    """An error with its own exit code."""

    def __init__(self, message: str, exit_code: int = FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ConfigError(MapperError):
    def __init__(self, message: str) -> None:
        super().__init__(f"configuration: {message}", CONFIG)
