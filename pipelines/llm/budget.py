"""The per-run spending limit: once spent, documents go to review instead of the LLM."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pipelines.llm.policy import Budget


@dataclass
class RunBudget:
    limits: Budget
    calls: int = 0
    tokens: int = 0
    cost: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def refusal(self, expected_tokens: int) -> str | None:
        """Why the next call (of about `expected_tokens`) may not be made, or None."""
        lim = self.limits
        with self._lock:
            if lim.max_calls_per_run is not None and self.calls >= lim.max_calls_per_run:
                return f"call budget spent ({self.calls} of {lim.max_calls_per_run} calls this run)"
            if lim.max_tokens_per_run is not None and self.tokens + expected_tokens > lim.max_tokens_per_run:
                return f"token budget spent ({self.tokens} used, ~{expected_tokens} more needed, limit {lim.max_tokens_per_run})"
            if lim.max_cost_per_run is not None and self.cost >= lim.max_cost_per_run:
                return f"cost budget spent ({self.cost:.4f} of {lim.max_cost_per_run})"
        return None

    def spend(self, tokens: int, cost: float) -> None:
        with self._lock:
            self.calls += 1
            self.tokens += tokens
            self.cost += cost
