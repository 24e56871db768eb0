"""Who may use the review app, and as whom.

Configuration, in order: a YAML file (env MAPPER_REVIEWERS, default `reviewers.yaml` in the
working directory, optional) and/or env MAPPER_REVIEW_TOKEN for a single admin:

    reviewers:
      - name: alice
        token_env: MAPPER_TOKEN_ALICE        # the token itself lives in the environment ...
        role: reviewer                       # reviewer | read_only | admin
        schemas: [invoice, support_case]     # optional allow-list; omitted = every schema
      - name: bob
        token_sha256: 9f86d08...             # ... or only its SHA-256 is written down
        role: read_only

Without any configuration the app only serves loopback clients, as one local reviewer
(MAPPER_REVIEWER or the OS user) with role `reviewer` and no token; `check_bind` refuses to
listen beyond localhost then. Tokens are compared by SHA-256 digest in constant time and
never stored in cookies.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.review.store import ROLES
from pipelines.model.yaml_file import read_yaml

DEFAULT_FILE = "reviewers.yaml"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_TOKEN_LEN = 16  # a short token is guessable; refuse it rather than hope
ACTING_ROLES = ("reviewer", "admin")  # may record decisions and promote rules


class AuthConfigError(ValueError):
    """The reviewers file or token environment is wrong; the message says where."""


@dataclass(frozen=True)
class Reviewer:
    name: str
    role: str = "reviewer"
    schemas: frozenset[str] | None = None  # None: every schema
    token_digest: str | None = field(default=None, repr=False)

    @property
    def can_act(self) -> bool:
        return self.role in ACTING_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_see(self, schema: str | None) -> bool:
        return self.schemas is None or (schema or "") in self.schemas


@dataclass(frozen=True)
class AuthConfig:
    reviewers: tuple[Reviewer, ...] = ()
    local_reviewer: Reviewer | None = None  # set when no tokens are configured
    source: str = "none"

    @property
    def requires_token(self) -> bool:
        return bool(self.reviewers)

    def authenticate(self, token: str | None) -> Reviewer | None:
        if not token or not self.reviewers:
            return None
        digest = token_digest(token)
        found = None
        for r in self.reviewers:  # no early exit: the time taken does not say which one matched
            if r.token_digest and hmac.compare_digest(r.token_digest, digest):
                found = r
        return found

    def by_name(self, name: str) -> Reviewer | None:
        return next((r for r in self.reviewers if r.name == name), None)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def local_name(env: Mapping[str, str]) -> str:
    name = env.get("MAPPER_REVIEWER") or _os_user()
    name = re.sub(r"[^A-Za-z0-9._@-]", "_", name)[:64].lstrip("._@-") or "local"
    return name


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "local"


def _reviewer(entry: object, where: str, env: Mapping[str, str]) -> Reviewer:
    if not isinstance(entry, dict):
        raise AuthConfigError(f"{where}: expected a mapping with name, token_env or token_sha256, role")
    unknown = set(entry) - {"name", "token_env", "token_sha256", "role", "schemas"}
    if unknown:
        raise AuthConfigError(f"{where}: unknown keys {sorted(unknown)}")
    name = str(entry.get("name") or "")
    if not NAME_RE.match(name):
        raise AuthConfigError(f"{where}: name {name!r} must be 1-64 letters, digits or ._@-")
    role = str(entry.get("role") or "reviewer")
    if role not in ROLES:
        raise AuthConfigError(f"{where} ({name}): role {role!r} is not one of {', '.join(ROLES)}")
    if ("token_env" in entry) == ("token_sha256" in entry):
        raise AuthConfigError(f"{where} ({name}): give exactly one of token_env, token_sha256")
    if "token_env" in entry:
        var = str(entry["token_env"])
        token = env.get(var)
        if not token:
            raise AuthConfigError(f"{where} ({name}): environment variable {var} is not set")
        if len(token) < MIN_TOKEN_LEN:
            raise AuthConfigError(f"{where} ({name}): the token in {var} is shorter than {MIN_TOKEN_LEN} characters")
        digest = token_digest(token)
    else:
        if not isinstance(entry["token_sha256"], str):  # YAML reads an all-digit digest as a number
            raise AuthConfigError(f"{where} ({name}): quote token_sha256 (64 hex digits) so YAML keeps it as text")
        digest = entry["token_sha256"].strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise AuthConfigError(f"{where} ({name}): token_sha256 must be 64 hex digits")
    schemas = entry.get("schemas")
    if schemas is not None:
        if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
            raise AuthConfigError(f"{where} ({name}): schemas must be a list of schema names")
        schemas = frozenset(schemas)
    return Reviewer(name=name, role=role, schemas=schemas, token_digest=digest)


def load_auth(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> AuthConfig:
    """Reads the reviewers file (if any) and MAPPER_REVIEW_TOKEN. Raises AuthConfigError."""
    env = os.environ if env is None else env
    explicit = path or env.get("MAPPER_REVIEWERS")
    file = Path(explicit or DEFAULT_FILE)
    reviewers: list[Reviewer] = []
    sources = []
    if file.is_file():
        try:
            data = read_yaml(file) or {}
        except yaml.YAMLError as exc:
            raise AuthConfigError(f"{file}: not valid YAML: {exc}") from exc
        entries = data.get("reviewers") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise AuthConfigError(f"{file}: expected a top-level 'reviewers:' list")
        reviewers = [_reviewer(e, f"{file}: reviewers[{i}]", env) for i, e in enumerate(entries)]
        sources.append(str(file))
    elif explicit:
        raise AuthConfigError(f"reviewers file not found: {file}")
    admin_token = env.get("MAPPER_REVIEW_TOKEN")
    if admin_token:
        if len(admin_token) < MIN_TOKEN_LEN:
            raise AuthConfigError(f"MAPPER_REVIEW_TOKEN is shorter than {MIN_TOKEN_LEN} characters")
        reviewers.append(Reviewer(name=local_name(env) if env.get("MAPPER_REVIEWER") else "admin", role="admin",
                                  token_digest=token_digest(admin_token)))
        sources.append("MAPPER_REVIEW_TOKEN")
    names = [r.name for r in reviewers]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise AuthConfigError(f"reviewer names must be unique: {', '.join(dupes)}")
    digests = [r.token_digest for r in reviewers]
    if len(set(digests)) != len(digests):
        raise AuthConfigError("two reviewers share a token; each needs their own")
    if reviewers:
        return AuthConfig(reviewers=tuple(reviewers), source=" + ".join(sources))
    return AuthConfig(local_reviewer=Reviewer(name=local_name(env), role="reviewer"), source="local")


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`; the host may carry a :port."""
    if not host:
        return False
    h = host.strip()
    if h.startswith("["):  # [::1]:8765
        h = h[1:h.index("]")] if "]" in h else h[1:]
    elif h.count(":") == 1:
        h = h.split(":", 1)[0]
    if h.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def check_bind(host: str, auth: AuthConfig) -> None:
    """Refuse to listen beyond localhost unless every request will need a token."""
    if not is_loopback(host) and not auth.requires_token:
        raise AuthConfigError(
            f"refusing to serve on {host} without reviewer tokens: set MAPPER_REVIEW_TOKEN or configure "
            f"reviewers in {DEFAULT_FILE} (env MAPPER_REVIEWERS), or bind to 127.0.0.1")
