"""Endpoints are plain data: naming one, or running without one, does not import the SDKs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipelines.llm.endpoint import MODE_NAMES, Endpoint


def test_a_run_without_an_endpoint_does_not_import_the_llm_sdks() -> None:
    # openai + instructor cost about 1 s of CPU to import, in every parse worker and CLI call
    code = ("import sys, pipelines.run.work, pipelines.llm.policy, pipelines.cli; "
            "print(sorted(m for m in ('openai', 'instructor') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_client_maps_every_mode_the_endpoint_accepts() -> None:
    from pipelines.llm.client import MODES

    assert tuple(MODES) == MODE_NAMES
    with pytest.raises(ValueError, match="unknown mode"):
        Endpoint(name="x", base_url="http://127.0.0.1:9", model="m", mode="xml")
