"""What an LLM endpoint is and what one call returned: plain data, without the SDKs, so that
policies and the run can name endpoints without importing openai/instructor (about 1 s of CPU
per process; `pipelines.llm.client` imports them when a call is made)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

MODE_NAMES = ("tools", "json_schema", "json", "md_json")  # instructor's modes the client maps them to


@dataclass
class Endpoint:
    name: str
    base_url: str | None          # None: the SDK default (api.openai.com)
    model: str                    # for Azure: the deployment name
    api_key_env: str | None = "MAPPER_LLM_API_KEY"  # env var holding the key; None/"" = endpoint needs no key
    mode: str = "auto"            # auto | tools | json_schema | json | md_json
    timeout_s: float = 60.0
    max_retries: int = 3          # transport retries (429/5xx/timeouts/connection), openai SDK backoff
    reask_retries: int = 1        # instructor re-asks on invalid output
    temperature: float = 0.0
    max_output_tokens: int = 1024
    azure_api_version: str | None = None   # set -> AzureOpenAI(azure_endpoint=base_url, azure_deployment=model)
    price_in_per_1k: float = 0.0
    price_out_per_1k: float = 0.0
    breaker_failures: int = 3     # transport failures in a row after which the run stops calling

    def __post_init__(self) -> None:
        if self.mode != "auto" and self.mode not in MODE_NAMES:
            raise ValueError(f"endpoint {self.name}: unknown mode {self.mode!r} "
                             f"(auto, {', '.join(MODE_NAMES)})")
        if self.azure_api_version and not self.base_url:
            raise ValueError(f"endpoint {self.name}: Azure needs base_url (the azure_endpoint)")


@dataclass
class CallResult:
    parsed: BaseModel | None
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    mode: str                     # the mode actually used (auto resolved to tools or md_json)
    attempts: int                 # HTTP requests sent: transport retries + re-asks (+ the auto probe)
    error: str | None             # "<kind>: <message>" when parsed is None
    raw_output: str | None = None # last answer's text / tool arguments, for audit and debugging

    @property
    def ok(self) -> bool:
        return self.parsed is not None

    @property
    def error_kind(self) -> str | None:
        return self.error.split(":", 1)[0] if self.error else None

    def estimated_cost(self, ep: Endpoint) -> float:
        return (self.prompt_tokens * ep.price_in_per_1k
                + self.completion_tokens * ep.price_out_per_1k) / 1000.0
