"""Endpoint health for one run: a circuit breaker and the run's LLM deadline.

A hung or failing endpoint must not hold a batch hostage (a hung server cost 4 x 60 s per
document: 33 hours for 500). After the first transport failure the next calls are sent without
transport retries; after `max_failures` calls in a row fail on transport (timeout, connection,
5xx, 429, auth, not found) the breaker opens and no call is sent for the rest of the run, and
past the run's deadline neither. Refused calls send their documents to review
(`llm_unavailable`). Answers that do not parse are the model's fault, not the endpoint's: they
do not count.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

TRANSPORT_KINDS = frozenset({"timeout", "connection", "server_error", "rate_limited", "auth", "not_found"})


def is_transport(kind: str | None) -> bool:
    return bool(kind) and (kind in TRANSPORT_KINDS or kind.startswith("http_"))  # type: ignore[union-attr]


@dataclass
class EndpointHealth:
    max_failures: int = 3
    deadline: float | None = None  # time.monotonic() after which no call starts
    failures: int = 0  # transport failures in a row
    open_reason: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def refusal(self) -> str | None:
        """Why no call may be sent now, or None."""
        with self._lock:
            if self.open_reason is None and self.deadline is not None and time.monotonic() >= self.deadline:
                self.open_reason = "the run's LLM deadline has passed"
            return self.open_reason

    def remaining(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    @property
    def degraded(self) -> bool:
        """The last call failed on transport: do not retry inside the next one."""
        return self.failures > 0

    def record(self, error_kind: str | None) -> None:
        with self._lock:
            if not is_transport(error_kind):
                self.failures = 0
                return
            self.failures += 1
            if self.failures >= self.max_failures and self.open_reason is None:
                self.open_reason = (f"{self.failures} calls in a row failed ({error_kind}); "
                                    "no more calls to this endpoint in this run")
