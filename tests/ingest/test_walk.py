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
