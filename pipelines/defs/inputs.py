"""Rules, schemas and the LLM policy as observed inputs: their data version is the content hash
of the folder (or file), so editing a rule marks the records mapped with the old rules as stale.

They are observed without anyone running a job: the `inputs_observer` sensor (on by default)
records a new data version within a minute of a change, and every `process_batch` run observes
them first, so a batch records the versions it really ran with (it is stale only if an input
changed after it ran)."""

import hashlib
import json

import dagster as dg
from dagster._core.definitions.data_version import DATA_VERSION_TAG

from pipelines.run.batch import dir_hash
from pipelines.config import Settings
from pipelines.defs.resources import MapperResource

INPUTS = ("mapping_rules", "canonical_schemas", "llm_policy")


def _policy_version() -> str:
    from pipelines.llm.policy import policy_path

    p = policy_path()
    return hashlib.sha256(p.read_bytes()).hexdigest()[:16] if p.is_file() else "built-in"


def input_versions(settings: Settings) -> dict[str, str]:
    return {"mapping_rules": dir_hash(settings.mappings_dir),
            "canonical_schemas": dir_hash(settings.schemas_dir),
            "llm_policy": _policy_version()}


@dg.observable_source_asset(group_name="inputs", tags={"dagster/kind/yaml": ""})
def mapping_rules(mapper: MapperResource) -> dg.DataVersion:
    """Declarative mapping rules (`mappings/`)."""
    return dg.DataVersion(dir_hash(mapper.settings().mappings_dir))


@dg.observable_source_asset(group_name="inputs", tags={"dagster/kind/yaml": ""})
def canonical_schemas(mapper: MapperResource) -> dg.DataVersion:
    """Canonical entity schemas (`schemas/`)."""
    return dg.DataVersion(dir_hash(mapper.settings().schemas_dir))


@dg.observable_source_asset(group_name="inputs", tags={"dagster/kind/yaml": ""})
def llm_policy() -> dg.DataVersion:
    """The LLM policy (`llm_policy.yaml` or MAPPER_LLM_POLICY): routes, redaction, budget."""
    return dg.DataVersion(_policy_version())


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def inputs_observer(context: dg.SensorEvaluationContext, mapper: MapperResource) -> dg.SensorResult | dg.SkipReason:
    """Record a new data version of rules, schemas or LLM policy when their content changed, so
    the UI shows batches mapped with the old inputs as stale. Cursor: the versions last recorded."""
    now = input_versions(mapper.settings())
    last = json.loads(context.cursor) if context.cursor else {}
    changed = {name: v for name, v in now.items() if last.get(name) != v}
    if not changed:
        return dg.SkipReason("rules, schemas and LLM policy unchanged")
    return dg.SensorResult(
        asset_events=[dg.AssetObservation(asset_key=name, tags={DATA_VERSION_TAG: v}) for name, v in changed.items()],
        cursor=json.dumps(now, sort_keys=True))
