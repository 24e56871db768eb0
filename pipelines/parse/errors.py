"""Typed errors: bad input (quarantine with a reason) is distinct from defects in our code."""

from __future__ import annotations

from pipelines.model.document import Reason


class BadInput(Exception):
    """The document cannot be parsed; `reason` is machine-readable, the message is for people."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
