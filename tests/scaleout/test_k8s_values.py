"""The Kubernetes example (deploy/k8s/values.yaml) says it is untested and matches what is tested:
the same settings for the code location and the run pods, the KB on S3, no shared volume."""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines import storage

VALUES = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "values.yaml"


def test_values_match_the_tested_setup():
    text = VALUES.read_text()
    assert "UNTESTED" in text
    values = yaml.safe_load(text)
    [deployment] = values["dagster-user-deployments"]["deployments"]
    code_env = {e["name"]: e["value"] for e in deployment["env"]}
    run_env = dict(v.split("=", 1) for v in values["runLauncher"]["config"]["k8sRunLauncher"]["envVars"])
    assert code_env == run_env  # the run and step pods see what the code location sees
    assert storage.is_remote(storage.location(code_env["MAPPER_KB"]))
    assert code_env["MAPPER_EXECUTOR"] == "k8s"
    assert "AWS_S3_ALLOW_UNSAFE_RENAME" not in code_env
    assert "persistentVolumeClaim" not in text  # hand-offs are in the bucket: no shared volume
