"""Against a real endpoint: deselected by default (`-m live_llm` and MAPPER_LLM_LIVE=1 to run).

Uses the endpoint from the environment (MAPPER_LLM_BASE_URL, MAPPER_LLM_MODEL, MAPPER_LLM_API_KEY).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.config import Settings
from pipelines.llm.policy import EndpointSpec, Policy
from pipelines.map.rules import load_rules
from pipelines.model.schema import load_schemas
from pipelines.run.mapper import Mapper
from pipelines.run.direct import run
from tests.llm.test_extractor import INVOICE
from tests.support.shipped import MAPPINGS

pytestmark = pytest.mark.live_llm
REPO = Path(__file__).resolve().parents[2]


def test_real_endpoint_fills_a_gap_with_evidence(tmp_path: Path) -> None:
    if os.environ.get("MAPPER_LLM_LIVE") != "1" or not os.environ.get("MAPPER_LLM_BASE_URL"):
        pytest.fail("live LLM tests need MAPPER_LLM_LIVE=1 and MAPPER_LLM_BASE_URL (see README, LLM extraction)")
    doc = tmp_path / "in" / "kestrel.txt"
    doc.parent.mkdir()
    doc.write_text(INVOICE, encoding="utf-8")
    schemas = load_schemas(REPO / "schemas")
    policy = Policy(endpoints={"default": EndpointSpec(base_url_env="MAPPER_LLM_BASE_URL", model_env="MAPPER_LLM_MODEL")})
    mapper = Mapper(schemas, load_rules(MAPPINGS, schemas), policy=policy)
    summary = run([doc], Settings(kb_root=tmp_path / "kb", workers=0), mapper=mapper)
    assert summary.llm and summary.llm["calls"] == 1 and summary.llm["failed"] == 0
    assert summary.llm["fields_filled"] >= 1
