"""The policy file: validated strictly, names checked against the schemas, endpoints from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.llm.policy import PolicyError, Route, check_against_schemas, load_policy
from pipelines.map.rules import load_rules
from pipelines.model.schema import load_schemas
from pipelines.run.mapper import Mapper
from tests.support.shipped import MAPPINGS

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = load_schemas(REPO / "schemas")


def test_the_shipped_policy_loads_and_names_only_real_schemas_and_fields() -> None:
    policy = load_policy(REPO / "llm_policy.yaml")
    assert check_against_schemas(policy, SCHEMAS) == []
    assert policy.allowed_fields("customer", ["name", "email", "phone"]) == ["name"]
    assert policy.allowed_fields("invoice", ["invoice_number"]) == ["invoice_number"]


def test_endpoint_is_off_without_a_url_and_on_with_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAPPER_LLM_BASE_URL", raising=False)
    policy = load_policy(REPO / "llm_policy.yaml")
    assert not policy.enabled and policy.endpoint("default") is None
    monkeypatch.setenv("MAPPER_LLM_BASE_URL", "http://localhost:11434/v1")
    monkeypatch.setenv("MAPPER_LLM_MODEL", "llama3.1:8b")
    ep = policy.endpoint("default")
    assert policy.enabled and ep.base_url == "http://localhost:11434/v1" and ep.model == "llama3.1:8b"
    assert ep.temperature == 0.0 and ep.api_key_env == "MAPPER_LLM_API_KEY"


@pytest.mark.parametrize("text, match", [
    ("max_char_per_call: 100\n", "Extra inputs are not permitted"),
    ("redact: [emails]\n", "redact"),
    ("routes: [{schema: invoice, endpoint: cloud}]\n", "unknown endpoints"),
    ("budget: {max_cost_per_run: -1}\n", "max_cost_per_run"),
    ("routes: [\n", "not valid YAML"),
])
def test_a_wrong_policy_file_is_one_clear_error(tmp_path: Path, text: str, match: str) -> None:
    p = tmp_path / "policy.yaml"
    p.write_text(text)
    with pytest.raises(PolicyError, match=match) as exc:
        load_policy(p)
    assert str(p) in str(exc.value)


def test_a_typo_in_a_route_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    policy = load_policy(REPO / "llm_policy.yaml")
    policy.routes[0] = Route(schema="customers", deny_fields=["email"])
    assert "matches no schema" in check_against_schemas(policy, SCHEMAS)[0]
    policy.routes[0] = Route(schema="customer", deny_fields=["emial"])
    assert "'emial' matches no field of customer" in check_against_schemas(policy, SCHEMAS)[0]
    with pytest.raises(PolicyError, match="emial"):
        Mapper(SCHEMAS, load_rules(MAPPINGS, SCHEMAS), policy=policy)


def test_a_named_policy_file_that_is_missing_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAPPER_LLM_POLICY", str(tmp_path / "nope.yaml"))
    with pytest.raises(PolicyError, match="not found"):
        load_policy()
