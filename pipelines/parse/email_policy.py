"""The e-mail policy the parsers use: the stdlib's default policy with each header parsed once.

Under `email.policy.default` every `msg.get(...)` runs the header registry's parser again
(`get_content_type`, `get_content_maintype`, `get_filename` and `get_content_disposition` each
re-parse Content-Type or Content-Disposition), which was half of an .eml's parse time. Parsed
header objects are immutable, so one parse per distinct (name, value) is shared; a header is
still only parsed when something asks for it.
"""

from __future__ import annotations

import re
from email.headerregistry import BaseHeader
from email.policy import EmailPolicy
from functools import lru_cache
from typing import Any

_LINESEP = re.compile(r"\n|\r")  # what EmailPolicy.header_fetch_parse removes (not str.splitlines)
_MAX_CACHED = 4096  # characters; a longer value is parsed every time (it would pin memory)


class CachedHeaderPolicy(EmailPolicy):
    """EmailPolicy whose header_fetch_parse returns a shared parsed header per (name, value)."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if hasattr(value, "name"):
            return value
        value = "".join(_LINESEP.split(value))
        if len(value) > _MAX_CACHED:
            return self.header_factory(name, value)
        return _parsed(self, name, value)


@lru_cache(maxsize=2048)
def _parsed(policy: CachedHeaderPolicy, name: str, value: str) -> BaseHeader:
    return policy.header_factory(name, value)


POLICY = CachedHeaderPolicy()
