from pipelines.ingest.walk import iter_inputs


def test_ignore_file_applies_below_its_folder_and_to_subfolders_given_directly(tmp_path):
    (tmp_path / ".mapperignore").write_text("# golden files\n*.expected.json\n")
    sub = tmp_path / "code"
    sub.mkdir()
    (sub / "a.sql").write_text("select 1;")
    (sub / "a.sql.expected.json").write_text("{}")
    (tmp_path / "b.txt").write_text("x")
    assert [p.name for p in iter_inputs([tmp_path])] == ["b.txt", "a.sql"]
    assert [p.name for p in iter_inputs([sub])] == ["a.sql"]
    # a file named explicitly is always taken
    assert [p.name for p in iter_inputs([sub / "a.sql.expected.json"])] == ["a.sql.expected.json"]


def test_a_file_whose_name_is_not_utf8_is_left_out_and_reported_and_the_batch_goes_on(tmp_path):
    """A name of non-UTF-8 bytes (old archives, SMB shares) cannot be stored in the KB's string
    columns: one such file used to fail the whole batch half-written. It is reported as skipped
    (with its bytes escaped), named in a folder or on its own, and the other files run."""
    import os
    from pathlib import Path

    from pipelines.config import Settings
    from pipelines.ingest.walk import SkippedLink
    from pipelines.run.direct import run
    from tests.support.shipped import MAPPINGS

    repo = Path(__file__).resolve().parents[2]
    inbox = tmp_path / "in"
    inbox.mkdir()
    bad = os.path.join(os.fsencode(inbox), b"bill\xff\xfe.txt")
    with open(bad, "wb") as fh:
        fh.write(b"Invoice Number: Q-1\nTotal: 10.00\n")
    (inbox / "note.txt").write_text("Meeting moved to Thursday.\n")
    skipped: list[SkippedLink] = []
    assert [p.name for p in iter_inputs([inbox], skipped=skipped)] == ["note.txt"]
    assert [(s.path, s.reason) for s in skipped] == [(f"{inbox}/bill\\xff\\xfe.txt", "name_not_utf8")]
    assert "not valid UTF-8" in str(skipped[0])
    skipped.clear()
    assert list(iter_inputs([os.fsdecode(bad)], skipped=skipped)) == [] and len(skipped) == 1
    summary = run([inbox], Settings(kb_root=tmp_path / "kb", schemas_dir=repo / "schemas", mappings_dir=MAPPINGS, workers=0))
    assert summary.reconciles and summary.inputs == 1
