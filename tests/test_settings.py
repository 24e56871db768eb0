"""Settings: one typed object (pydantic-settings), every variable documented, none written."""

import ast
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from pipelines.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def _readme_settings_table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `MAPPER_"))


def test_every_variable_the_code_reads_is_in_the_readme_table():
    used = set()
    for path in (ROOT / "pipelines").rglob("*.py"):
        used |= set(re.findall(r"\bMAPPER_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
    table = _readme_settings_table()
    documented = set(re.findall(r"\bMAPPER_[A-Z0-9_]*[A-Z0-9]\b", table))
    assert used and not used - documented, f"undocumented: {sorted(used - documented)}"
    for field in Settings.model_fields.values():  # every settings field with a variable has its row
        if field.validation_alias:
            assert field.validation_alias in documented


def test_nothing_writes_the_environment():
    """Settings are passed explicitly: no `os.environ[...] = `, `os.environ.update` or `putenv`
    (the telemetry-off `setdefault`s in config.py are the one exception)."""
    offenders = []
    for path in (ROOT / "pipelines").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
            for t in targets:
                if isinstance(t, ast.Subscript) and ast.unparse(t.value) == "os.environ":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.update", "os.putenv", "os.environ.pop"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_option_then_environment_then_default(monkeypatch, tmp_path):
    monkeypatch.setenv("MAPPER_WORKERS", "3")
    monkeypatch.setenv("MAPPER_KB", str(tmp_path / "env-kb"))
    monkeypatch.setenv("MAPPER_HOLD_RATIO", "")  # empty is unset
    s = Settings()
    assert s.workers == 3 and s.kb_root == tmp_path / "env-kb" and s.hold_ratio == 1.5
    assert s.raw_root == tmp_path / "env-kb" / "_raw"
    given = Settings(workers=0, kb_root=tmp_path / "opt-kb")
    assert given.workers == 0 and given.kb_root == tmp_path / "opt-kb"
    monkeypatch.setenv("MAPPER_KB", "s3://bucket/kb")
    assert Settings().kb_root == "s3://bucket/kb" and Settings().raw_root == "s3://bucket/kb/_raw"


@pytest.mark.parametrize("name,value", [("MAPPER_KB", "ftp://host/kb"), ("MAPPER_WORKERS", "-1"),
                                        ("MAPPER_WORKERS", "two"), ("MAPPER_FOLLOW_LINKS", "perhaps")])
def test_a_bad_value_is_an_error_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name):
        Settings()


def test_dagster_gets_the_same_settings_through_resource_config(tmp_path):
    from pipelines.defs.resources import MapperResource

    s = Settings(kb_root=tmp_path / "kb", schemas_dir=ROOT / "schemas", mappings_dir=tmp_path / "m", workers=0,
                 hold_ratio=2.0, hold_min_documents=1, follow_links=True)
    back = MapperResource(**s.for_dagster()).settings()
    assert back.model_dump(exclude={"limits"}) | {"dagster_log": s.dagster_log} == s.model_dump(exclude={"limits"})
