"""Per-document guards: what a single input may cost before it is quarantined."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 200 * 1024 * 1024  # a larger file is refused before it is read into memory
    max_pages: int = 5000
    max_chars: int = 50_000_000
    max_depth: int = 5  # email attachments inside attachments ...
    max_children: int = 200
    timeout_s: float = 120.0  # wall time per top-level document, attachments included
    memory_mb: int = 3072  # address-space cap of a parse worker process
    zip_max_ratio: float = 200.0  # uncompressed / compressed size of an Office container
    zip_max_bytes: int = 1024 * 1024 * 1024
    zip_max_members: int = 20_000


DEFAULT_LIMITS = Limits()
