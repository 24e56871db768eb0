"""The stopgap: a batch whose review/quarantine share jumps is held out of the KB until released."""

from __future__ import annotations

import dagster as dg

from pipelines.run.files import work_dir
from pipelines.defs.assets import HELD_CHECK, land
from pipelines.defs.jobs import release_batch

from .conftest import INVOICE
from .test_assets import checks, meta, new_batch, run_batch


def test_jump_in_problem_rate_holds_batch_until_released(workspace, mapper, tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir(), bad.mkdir()
    for i in range(3):
        (good / f"inv{i}.txt").write_text(INVOICE.format(number=f"INV-{i}"))
        (bad / f"empty{i}.txt").write_bytes(b"")
    first = run_batch(instance, mapper, new_batch(instance, workspace["kb"], "good", [good]))
    assert first.success
    baseline = meta(first, "validated_records")["problem_rate"]
    assert baseline < 0.6, f"baseline batch must mostly land for this test (problem rate {baseline})"

    held = run_batch(instance, mapper, new_batch(instance, workspace["kb"], "bad", [bad]), raise_on_error=False)
    assert checks(held)[f"validated_records:{HELD_CHECK}"] is False
    [evaluation] = [e for e in held.get_asset_check_evaluations() if e.check_name == HELD_CHECK]
    assert "held back" in evaluation.metadata["reason"].value
    landed = {m.asset_key.to_user_string() for m in held.get_asset_materialization_events()}
    assert "validated_records" in landed and "knowledge_base" not in landed
    assert not (work_dir(workspace["kb"], "bad") / "landed.json").exists()

    # Landing on its own (skipping the check) is refused too: the hold lives in the domain.
    sneak = dg.materialize([land], instance=instance, resources={"mapper": mapper}, partition_key="bad",
                           raise_on_error=False)
    assert not sneak.success
    assert "is held" in str(sneak.get_step_failure_events()[0].step_failure_data.error.message)

    release = release_batch.execute_in_process(
        instance=instance, resources={"mapper": mapper},
        run_config={"ops": {"record_release": {"config": {"batch_id": "bad", "released_by": "alice", "note": "known junk"}}}})
    assert release.success
    [ev] = release.get_asset_check_evaluations()
    assert ev.passed and ev.partition == "bad"

    again = run_batch(instance, mapper, "bad")
    assert again.success
    assert checks(again)[f"validated_records:{HELD_CHECK}"] is True
    assert meta(again, "knowledge_base")["quarantined"] == 3
