"""What a run is doing, while it does it: documents parsed, mapped and written (to the KB, the
review queue or quarantine), the rate, an ETA.

On a terminal one line is redrawn in place; otherwise (a log file, CI, a pipe) a plain line is
written every `log_every` seconds. Nothing is shown for runs shorter than `delay` seconds, and
nothing at all when quiet. Output goes to stderr: stdout may be `--json`.

The direct path counts into a `Progress` as it goes. Under Dagster the stages run elsewhere (a
thread here, other processes, other machines), so each stage wrapper writes its counts to a
small `progress.json` in the batch's work folder (`ProgressFile`) and the CLI reads it back.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from pipelines.run.files import read_json, remove, write_json

T = TypeVar("T")
# "written": through the landing step, whatever the outcome (landed, review or quarantine)
STAGES = ("parsed", "mapped", "written")


class Progress:
    """Counts per stage (top-level input files) and their display."""

    def __init__(self, total: int | None, *, stream: IO[str] | None = None, enabled: bool = True,
                 tty: bool | None = None, delay: float = 2.0, log_every: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.enabled, self.delay, self.log_every, self.clock = total, enabled, delay, log_every, clock
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.counts: dict[str, int] = {s: 0 for s in STAGES}
        self.started = clock()
        self._first: dict[str, float] = {}
        self._shown_at = 0.0
        self._shown_counts: dict[str, int] = {}
        self._drawn = False

    def add(self, stage: str, n: int = 1) -> None:
        self._first.setdefault(stage, self.clock())
        self.counts[stage] = self.counts.get(stage, 0) + n
        self.show()

    def set(self, counts: dict[str, int]) -> None:
        """Counts read from elsewhere (a stage's progress file)."""
        for stage, n in counts.items():
            if n and stage not in self._first:
                self._first[stage] = self.clock()
            self.counts[stage] = int(n)
        self.show()

    def counting(self, items: Iterable[T], *stages: str) -> Iterator[T]:
        """Pass items through, counting each one as done for `stages` when it comes out of them."""
        for item in items:
            for stage in stages:
                self.add(stage)
            yield item

    def line(self) -> str:
        now = self.clock()
        parts = [f"{s} {self.counts.get(s, 0)}" + (f"/{self.total}" if self.total is not None else "") for s in STAGES]
        current = next((s for s in reversed(STAGES) if self.counts.get(s)), None)
        if current is not None:
            done, since = self.counts[current], now - self._first[current]
            rate = done / since if since > 0.5 else 0.0
            if rate:
                parts.append(f"{rate:.1f} docs/s")
                if self.total is not None and done < self.total:
                    parts.append(f"ETA {_duration((self.total - done) / rate)}")
        parts.append(f"{_duration(now - self.started)} elapsed")
        return "  ".join(parts)

    def show(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if not force and (now - self.started < self.delay or now - self._shown_at < (0.2 if self.tty else self.log_every)):
            return
        self._shown_at = now
        self._shown_counts = dict(self.counts)
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line())
            self._drawn = True
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        """The last state, if anything was shown, and a newline after a redrawn line. A log that
        already ends with the last counts gets no second copy of that line."""
        if self.enabled and (self._drawn or (not self.tty and self._shown_at and self._shown_counts != self.counts)):
            self.show(force=True)
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


class ProgressFile:
    """A stage's counts written to `progress.json` (at most once a second, and at the end)."""

    def __init__(self, work: Path, stage: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.path, self.stage, self.clock = work / "progress.json", stage, clock
        self.n, self._written = 0, 0.0

    def counting(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            self.n += 1
            if self.clock() - self._written >= 1.0:
                self.write()
            yield item
        self.write()

    def write(self) -> None:
        self._written = self.clock()
        counts: dict[str, Any] = read_json(self.path, {}) or {}
        write_json(self.path, counts | {self.stage: self.n})


def read_progress(work: Path) -> dict[str, int]:
    try:
        data = read_json(work / "progress.json", {})
    except (OSError, ValueError):  # being replaced right now: next poll
        return {}
    return {k: int(v) for k, v in (data or {}).items() if k in STAGES and isinstance(v, int)}


def reset_progress(work: Path) -> None:
    """Forget an earlier run's counts of this batch."""
    remove(work / "progress.json")
