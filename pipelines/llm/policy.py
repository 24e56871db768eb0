"""The LLM policy: one YAML file users edit (default `llm_policy.yaml`, env MAPPER_LLM_POLICY).

It says where calls may go (endpoints), which schemas and fields may be sent to which endpoint
(routes), what is redacted before anything leaves, how much text one call may carry, and the
per-run budget after which documents go to review instead of the LLM (the stopgap).
An endpoint without a base URL is not configured; with none configured the LLM is off.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.llm.endpoint import Endpoint
from pipelines.model.schema import Schema
from pipelines.model.yaml_file import read_yaml

DEFAULT_POLICY = "llm_policy.yaml"
PII_KINDS = ("email", "phone", "iban", "card", "postcode", "name")


class PolicyError(ValueError):
    """The policy file is wrong; the message names the file and the problem."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EndpointSpec(Strict):
    base_url: str | None = None
    base_url_env: str | None = None  # read the URL from this variable (wins over base_url when set)
    model: str = "gpt-4o-mini"
    model_env: str | None = None
    api_key_env: str = "MAPPER_LLM_API_KEY"
    mode: Literal["auto", "tools", "json_schema", "json", "md_json"] = "auto"
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(3, ge=0, le=10)
    reask_retries: int = Field(1, ge=0, le=5)
    temperature: float = 0.0
    max_output_tokens: int = Field(1024, gt=0)
    azure_api_version: str | None = None
    price_in_per_1k: float = Field(0.0, ge=0)
    price_out_per_1k: float = Field(0.0, ge=0)
    breaker_failures: int = Field(3, ge=1)  # transport failures in a row: no more calls this run

    def resolve(self, name: str) -> Endpoint | None:
        """The endpoint as configured in this environment, or None when it has no URL."""
        url = (os.environ.get(self.base_url_env) if self.base_url_env else None) or self.base_url
        if not url:
            return None
        model = (os.environ.get(self.model_env) if self.model_env else None) or self.model
        return Endpoint(name=name, base_url=url, model=model, api_key_env=self.api_key_env, mode=self.mode,
                        timeout_s=self.timeout_s, max_retries=self.max_retries, reask_retries=self.reask_retries,
                        temperature=self.temperature, max_output_tokens=self.max_output_tokens,
                        azure_api_version=self.azure_api_version, price_in_per_1k=self.price_in_per_1k,
                        price_out_per_1k=self.price_out_per_1k, breaker_failures=self.breaker_failures)


class Route(Strict):
    """Which fields of which schemas may go to an endpoint. First matching route wins."""

    schema_name: str = Field("*", alias="schema")  # a schema name or a glob
    endpoint: str = "default"
    fields: list[str] = Field(default_factory=lambda: ["*"])  # globs
    deny_fields: list[str] = Field(default_factory=list)  # never sent, whatever `fields` says

    def allows(self, field: str) -> bool:
        return (any(fnmatch.fnmatchcase(field, p) for p in self.fields)
                and not any(fnmatch.fnmatchcase(field, p) for p in self.deny_fields))


class Classify(Strict):
    enabled: bool = True
    endpoint: str = "default"
    schemas: list[str] = Field(default_factory=lambda: ["*"])  # schemas the LLM may choose between


class Budget(Strict):
    max_calls_per_run: int | None = Field(500, ge=0)
    max_tokens_per_run: int | None = Field(500_000, ge=0)
    max_cost_per_run: float | None = Field(5.0, ge=0)  # in the currency of the endpoint prices
    max_seconds_per_run: float | None = Field(1800.0, gt=0)  # no LLM call starts later than this into a run


class Policy(Strict):
    endpoints: dict[str, EndpointSpec] = Field(default_factory=lambda: {"default": EndpointSpec(base_url_env="MAPPER_LLM_BASE_URL", model_env="MAPPER_LLM_MODEL")})
    routes: list[Route] = Field(default_factory=lambda: [Route()])
    classify: Classify = Field(default_factory=Classify)
    redact: list[Literal["email", "phone", "iban", "card", "postcode", "name"]] = Field(default_factory=lambda: list(PII_KINDS))
    max_chars_per_call: int = Field(6000, ge=500)
    budget: Budget = Field(default_factory=Budget)
    confidence: float = Field(0.8, gt=0, le=1)  # given to a value whose quote matched exactly
    min_quote_score: float = Field(0.9, gt=0, le=1)  # fuzzy quote matches below this are not evidence
    source_file: str = ""

    @model_validator(mode="after")
    def _known_endpoints(self) -> Policy:
        named = {r.endpoint for r in self.routes} | ({self.classify.endpoint} if self.classify.enabled else set())
        unknown = sorted(named - set(self.endpoints))
        if unknown:
            raise ValueError(f"routes name unknown endpoints {unknown}; defined: {sorted(self.endpoints)}")
        return self

    def endpoint(self, name: str) -> Endpoint | None:
        spec = self.endpoints.get(name)
        return spec.resolve(name) if spec else None

    @property
    def enabled(self) -> bool:
        """True when at least one route or the classifier leads to a configured endpoint."""
        names = {r.endpoint for r in self.routes} | ({self.classify.endpoint} if self.classify.enabled else set())
        return any(self.endpoint(n) for n in names)

    def route(self, schema: str) -> Route | None:
        return next((r for r in self.routes if fnmatch.fnmatchcase(schema, r.schema_name)), None)

    def allowed_fields(self, schema: str, fields: list[str]) -> list[str]:
        r = self.route(schema)
        return [f for f in fields if r.allows(f)] if r else []

    def classify_schemas(self, schemas: list[str]) -> list[str]:
        return [s for s in schemas if any(fnmatch.fnmatchcase(s, p) for p in self.classify.schemas) and self.route(s)]


def check_against_schemas(policy: Policy, schemas: dict[str, Schema]) -> list[str]:
    """Names in the routes that match nothing: a typo there would silently send (or keep)
    other fields than the user meant, so it is an error, not a warning."""
    problems = []
    where = policy.source_file or "LLM policy"
    for i, r in enumerate(policy.routes):
        matched = [n for n in schemas if fnmatch.fnmatchcase(n, r.schema_name)]
        if not matched:
            problems.append(f"{where}: routes[{i}].schema {r.schema_name!r} matches no schema ({', '.join(sorted(schemas))})")
            continue
        known = {f for n in matched for f in schemas[n].fields}
        for key in ("fields", "deny_fields"):
            for pat in getattr(r, key):
                if not any(fnmatch.fnmatchcase(f, pat) for f in known):
                    problems.append(f"{where}: routes[{i}].{key} {pat!r} matches no field of {', '.join(matched)}")
    for pat in policy.classify.schemas:
        if not any(fnmatch.fnmatchcase(n, pat) for n in schemas):
            problems.append(f"{where}: classify.schemas {pat!r} matches no schema")
    return problems


def policy_path() -> Path:
    return Path(os.environ.get("MAPPER_LLM_POLICY") or DEFAULT_POLICY)


def load_policy(path: str | Path | None = None) -> Policy:
    """The policy from `path` (default: MAPPER_LLM_POLICY or ./llm_policy.yaml); built-in defaults
    when the default file does not exist; a named file that is missing or wrong is an error."""
    explicit = path is not None or bool(os.environ.get("MAPPER_LLM_POLICY"))
    p = Path(path) if path is not None else policy_path()
    if not p.is_file():
        if explicit:
            raise PolicyError(f"{p}: LLM policy file not found")
        return Policy()
    try:
        data = read_yaml(p) or {}
    except yaml.YAMLError as exc:
        raise PolicyError(f"{p}: not valid YAML: {exc}") from exc
    try:
        return Policy.model_validate(data | {"source_file": str(p)})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"{p}: {problems}") from exc
