"""`mapper run` goes through the Dagster code location and records the run in DAGSTER_HOME."""

import json
import os
import shlex
import shutil
from pathlib import Path

import dagster as dg
from click.testing import CliRunner
from deltalake import DeltaTable

from pipelines.cli import main
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[2]


def test_mapper_run_materialises_the_asset_graph_in_the_instance(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    corpus = tmp_path / "in"
    corpus.mkdir()
    shutil.copy(ROOT / "data_samples/invoices/aquaflow_0142.pdf", corpus)
    shutil.copy(ROOT / "data_samples/code/customers.sql", corpus)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    kb = tmp_path / "kb"
    result = CliRunner().invoke(main, ["run", str(corpus), "--kb", str(kb), "--batch-id", "t1", "--workers", "0",
                                       "--schemas", str(ROOT / "schemas"), "--mappings", str(MAPPINGS)])
    assert result.exit_code == 0, result.output
    assert "counts reconcile: yes (3 documents = 2 landed + 0 review + 1 quarantined)" in result.output
    assert (home / "dagster.yaml").exists()  # created from the repository's config
    instance = dg.DagsterInstance.from_config(str(home))
    runs = instance.get_runs()
    assert len(runs) == 1 and runs[0].job_name == "process_batch" and runs[0].tags.get("dagster/partition") == "t1"
    keys = {k.to_user_string() for k in instance.get_asset_keys()}
    assert {"raw_documents", "parsed_documents", "extracted_records", "validated_records", "knowledge_base"} <= keys
    assert list((kb / "invoice").rglob("*.parquet")) and list((kb / "customer").rglob("*.parquet"))

    # The printed hint works as printed: absolute paths to this instance, KB, project and `dagster`.
    hint = result.output.split("see it with:\n", 1)[1].splitlines()[0].strip()
    words = shlex.split(hint)
    assert words[0] == "cd" and Path(words[1]) == ROOT and words[2] == "&&"
    env = dict(w.split("=", 1) for w in words[3:5])
    assert Path(env["DAGSTER_HOME"]) == home.resolve() and Path(env["MAPPER_KB"]) == kb.resolve()
    assert Path(words[5]).is_absolute() and os.access(words[5], os.X_OK) and Path(words[5]).name == "dagster"
    assert words[6:] == ["dev", "-m", "pipelines.definitions"]
    assert dg.DagsterInstance.from_config(env["DAGSTER_HOME"]).get_run_by_id(runs[0].run_id) is not None


def test_mapper_run_json_prints_json_only(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    corpus = tmp_path / "in"
    corpus.mkdir()
    shutil.copy(ROOT / "data_samples/code/customers.sql", corpus)
    result = CliRunner().invoke(main, ["run", str(corpus), "--kb", str(tmp_path / "kb"), "--json", "--workers", "0",
                                       "--schemas", str(ROOT / "schemas"), "--mappings", str(MAPPINGS)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert out["success"] and out["reconciles"] and out["inputs"] == 1 and "dev" in out["dagster_ui"]


def test_the_same_files_named_differently_or_run_either_way_land_once(tmp_path, monkeypatch):
    """A document's source path is its absolute path, whichever way the folder was named and
    whichever run path took it: re-running upserts the same rows instead of landing them again."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    corpus = tmp_path / "in"
    corpus.mkdir()
    shutil.copy(ROOT / "data_samples/invoices/aquaflow_0142.pdf", corpus)
    shutil.copy(ROOT / "data_samples/code/customers.sql", corpus)
    kb = tmp_path / "kb"
    common = ["--kb", str(kb), "--workers", "0", "--schemas", str(ROOT / "schemas"), "--mappings", str(MAPPINGS), "--json"]
    monkeypatch.chdir(tmp_path)
    for paths, mode in ((["in"], ["--direct"]), ([str(corpus)], []), (["./in/../in/aquaflow_0142.pdf", "in/customers.sql"], ["--direct"])):
        result = CliRunner().invoke(main, ["run", *paths, *mode, *common])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["inputs"] == 2
    docs = DeltaTable(str(kb / "documents")).to_pyarrow_table().to_pylist()
    assert sorted(d["source_path"] for d in docs) == [str((corpus / n).resolve()) for n in ("aquaflow_0142.pdf", "customers.sql")]
    invoices = DeltaTable(str(kb / "invoice")).to_pyarrow_table().to_pylist()
    assert len(invoices) == 1 and invoices[0]["source_path"] == str((corpus / "aquaflow_0142.pdf").resolve())
    customers = DeltaTable(str(kb / "customer")).to_pyarrow_table()
    assert customers.num_rows == len(set(customers.column("record_id").to_pylist())) > 0
    assert set(customers.column("source_path").to_pylist()) == {str((corpus / "customers.sql").resolve())}
