"""The progress display of a run (pipelines/run/progress.py) written to a log (not a terminal),
with a clock the test moves: plain lines every few seconds, the last counts once at the end."""

from __future__ import annotations

import io

from pipelines.run.progress import Progress


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0  # moved to each step's time (seconds after 1000, as a monotonic clock reads)

    def at(self, seconds: float) -> None:
        self.now = 1000.0 + seconds

    def __call__(self) -> float:
        return self.now


def _run(steps: list[tuple[float, str]]) -> list[str]:
    clock, out = _Clock(), io.StringIO()
    clock.at(0.0)
    progress = Progress(2, stream=out, tty=False, delay=0.0, log_every=5.0, clock=clock)
    for at, stage in steps:
        clock.at(at)
        progress.add(stage)
    clock.now += 1
    progress.close()
    return out.getvalue().splitlines()


def test_the_last_counts_are_logged_once() -> None:
    # the final counts were logged as they happened: closing does not print the same line again
    lines = _run([(0.1, "parsed"), (6.0, "parsed"), (6.1, "mapped"), (12.0, "mapped"), (12.0, "written"),
                  (20.0, "written")])
    assert lines[-1].startswith("parsed 2/2  mapped 2/2  written 2/2"), lines
    assert sum(line.startswith("parsed 2/2  mapped 2/2  written 2/2") for line in lines) == 1, lines


def test_counts_reached_after_the_last_log_line_are_logged_at_the_end() -> None:
    lines = _run([(0.1, "parsed"), (1.0, "parsed"), (1.5, "mapped"), (2.0, "mapped"), (2.5, "written"),
                  (3.0, "written")])
    assert lines[0].startswith("parsed 1/2  mapped 0/2  written 0/2"), lines
    assert lines[-1].startswith("parsed 2/2  mapped 2/2  written 2/2") and len(lines) == 2, lines
