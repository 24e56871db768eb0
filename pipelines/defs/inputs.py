"""Rules and schemas as observed inputs: their data version is the content hash of the folder,
so editing a rule marks the records mapped with the old rules as stale."""

import dagster as dg

from pipelines import stages
from pipelines.defs.resources import MapperResource


@dg.observable_source_asset(group_name="inputs", tags={"dagster/kind/yaml": ""})
def mapping_rules(mapper: MapperResource) -> dg.DataVersion:
    """Declarative mapping rules (`mappings/`)."""
    return dg.DataVersion(stages.dir_hash(mapper.settings().mappings_dir))


@dg.observable_source_asset(group_name="inputs", tags={"dagster/kind/yaml": ""})
def canonical_schemas(mapper: MapperResource) -> dg.DataVersion:
    """Canonical entity schemas (`schemas/`)."""
    return dg.DataVersion(stages.dir_hash(mapper.settings().schemas_dir))


@dg.observable_source_asset(group_name="inputs", tags={"dagster/kind/yaml": ""})
def llm_policy() -> dg.DataVersion:
    """The LLM policy (`llm_policy.yaml` or MAPPER_LLM_POLICY): routes, redaction, budget."""
    import hashlib

    from pipelines.llm.policy import policy_path

    p = policy_path()
    return dg.DataVersion(hashlib.sha256(p.read_bytes()).hexdigest()[:16] if p.is_file() else "built-in")
