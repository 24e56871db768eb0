"""What `mapper run` says while it runs and how it exits, through real `mapper` processes."""

import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[1]
MAPPER = str(Path(sys.executable).parent / "mapper")


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "in"
    corpus.mkdir()
    for name in ("customers.sql", "tariffs.py"):
        shutil.copy(ROOT / "data_samples" / "code" / name, corpus)
    return corpus


def _mapper(tmp_path: Path, *args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    base = [MAPPER, *args[:1], "--kb", str(tmp_path / "kb"), "--mappings", str(MAPPINGS), "--schemas",
            str(ROOT / "schemas"), *args[1:]] if args and args[0] == "run" else [MAPPER, *args]
    return subprocess.run(base, cwd=tmp_path, env=os.environ | (env or {}), capture_output=True, text=True,
                          timeout=300, **kw)


def test_version_and_help_list_the_exit_codes(tmp_path):
    version = _mapper(tmp_path, "--version")
    assert version.returncode == 0 and re.fullmatch(r"mapper, version \d+\.\d+\.\d+\S*\n", version.stdout)
    helped = _mapper(tmp_path, "run", "--help")
    assert helped.returncode == 0
    for code in ("0", "2", "3", "4", "5", "6", "124", "130", "143"):
        assert re.search(rf"^\s+{code}\s+\w", helped.stdout, re.M), code


def test_progress_is_plain_log_lines_when_stderr_is_not_a_terminal(tmp_path):
    proc = _mapper(tmp_path, "run", "--direct", "--workers", "0", "-v", str(_corpus(tmp_path)))
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("parsed ")]
    assert lines and "\r" not in proc.stderr and "\x1b" not in proc.stderr
    assert re.match(r"parsed 2/2  mapped 2/2  written 2/2  .*elapsed$", lines[-1]), lines
    assert "counts reconcile: yes" in proc.stdout


def test_progress_redraws_one_line_on_a_terminal(tmp_path):
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([MAPPER, "run", "--direct", "--workers", "0", "-v", "--kb", str(tmp_path / "kb"),
                               "--mappings", str(MAPPINGS), "--schemas", str(ROOT / "schemas"), str(_corpus(tmp_path))],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=slave, text=True, timeout=300)
        os.close(slave)
        slave = -1
        err = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: all read
                break
            if not chunk:
                break
            err += chunk
    finally:
        os.close(master)
        if slave != -1:
            os.close(slave)
    assert proc.returncode == 0
    text = err.decode()
    assert "\r\x1b[2K" in text and re.search(r"parsed 2/2  mapped 2/2  written 2/2 .*elapsed\r?\n", text), text


def test_quiet_prints_nothing_on_success(tmp_path):
    proc = _mapper(tmp_path, "run", "--direct", "--workers", "0", "--quiet", str(_corpus(tmp_path)))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert list((tmp_path / "kb" / "customer").rglob("*.parquet"))  # it did run


def test_distinct_exit_codes_for_a_bad_setting_bad_rules_and_a_bad_command_line(tmp_path):
    corpus = _corpus(tmp_path)
    bad_setting = _mapper(tmp_path, "run", "--direct", str(corpus), env={"MAPPER_WORKERS": "many"})
    assert bad_setting.returncode == 3 and "MAPPER_WORKERS" in bad_setting.stderr, bad_setting.stderr
    rules = tmp_path / "rules"
    shutil.copytree(MAPPINGS, rules)
    (rules / "broken.yaml").write_text("rule_set: [unclosed\n", encoding="utf-8")
    bad_rules = subprocess.run([MAPPER, "run", "--direct", "--kb", str(tmp_path / "kb"), "--mappings", str(rules),
                                "--schemas", str(ROOT / "schemas"), str(corpus)], cwd=tmp_path, capture_output=True,
                               text=True, timeout=300)
    assert bad_rules.returncode == 3 and "broken.yaml" in bad_rules.stderr, bad_rules.stderr
    usage = _mapper(tmp_path, "run", "--no-such-option", str(corpus))
    assert usage.returncode == 2
    assert not (tmp_path / "kb").exists()  # none of them started a run
