"""Label aliases learned from reviewers' selections (`<mappings>/learned/aliases.yaml`, written
by pipelines/review/aliases.py after a backtest), merged into the loaded schemas so the
generic extractor reads them next to the schemas' own aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Any


from pipelines.map.extract.labels import fold_label
from pipelines.model.schema import Schema
from pipelines.model.yaml_file import read_yaml

ALIASES_FILE = Path("learned") / "aliases.yaml"


def aliases_path(mappings_dir: str | Path) -> Path:
    return Path(mappings_dir) / ALIASES_FILE


def load_learned(mappings_dir: str | Path) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """schema -> field -> [{label, from_review, adopted_by, adopted_at}] (empty if no file)."""
    path = aliases_path(mappings_dir)
    if not path.is_file():
        return {}
    data = read_yaml(path) or {}
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for schema, fields in (data.get("aliases") or {}).items():
        if isinstance(fields, dict):
            out[str(schema)] = {str(f): [e for e in entries if isinstance(e, dict) and isinstance(e.get("label"), str)]
                                for f, entries in fields.items() if isinstance(entries, list)}
    return out


def with_learned_aliases(schemas: dict[str, Schema], mappings_dir: str | Path,
                         extra: dict[str, dict[str, list[str]]] | None = None) -> dict[str, Schema]:
    """The schemas with adopted aliases (and `extra` candidates) appended to their fields'."""
    learned = {s: {f: [e["label"] for e in es] for f, es in fs.items()} for s, fs in load_learned(mappings_dir).items()}
    for s, fs in (extra or {}).items():
        for f, labels in fs.items():
            learned.setdefault(s, {}).setdefault(f, []).extend(labels)
    if not learned:
        return schemas
    out = dict(schemas)
    for name, fields in learned.items():
        schema = schemas.get(name)
        if schema is None:
            continue
        specs = dict(schema.fields)
        for f, labels in fields.items():
            spec = specs.get(f)
            if spec is None:
                continue
            have = {fold_label(a) for a in spec.aliases}
            new = [lab for lab in labels if fold_label(lab) not in have]
            if new:
                specs[f] = spec.model_copy(update={"aliases": [*spec.aliases, *new]})
        out[name] = schema.model_copy(update={"fields": specs})
    return out



__all__ = ["ALIASES_FILE", "aliases_path", "load_learned", "with_learned_aliases"]
