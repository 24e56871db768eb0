"""Typed errors: bad input (quarantine with a reason) is distinct from defects in our code."""

from __future__ import annotations

from pipelines.ingest.text_decode import decode_text
from pipelines.model.document import Reason


class BadInput(Exception):
    """The document cannot be parsed; `reason` is machine-readable, the message is for people."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def decoded(data: bytes, what: str = "text") -> str:
    """The bytes as text (pipelines/ingest/text_decode.py); text that decodes in no encoding is
    bad input (`what` names it in the message: "SQL text", "Python source")."""
    try:
        return decode_text(data)
    except UnicodeError as exc:
        raise BadInput(Reason.UNDECODABLE, f"{what} could not be decoded: {exc}") from exc
