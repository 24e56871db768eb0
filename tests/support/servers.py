"""Real servers for the scale-out tests, started on loopback ports and stopped afterwards.

- S3: moto's standalone server (`moto_server`, from the `moto[server]` dev dependency): it
  speaks the S3 protocol over HTTP, including conditional puts (If-None-Match), which Delta
  commits need. No MinIO, SeaweedFS or Garage is packaged in Debian or on PyPI.
- PostgreSQL: Debian's `postgresql` binaries (initdb/pg_ctl) as a throwaway cluster in a temp
  folder, run as an unprivileged user when we are root (PostgreSQL refuses to run as root).
- Redis: Debian's `redis-server`, no persistence, as the Celery broker.

Each `start_*` returns a handle with the connection details and a `stop()`; a missing
program is an error that says which Debian package to install (the tests fail, not skip).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen | None, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerError(f"{what} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise ServerError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f}s")


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM to the process group, SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _program(name: str, package: str, extra_dirs: tuple[str, ...] = ()) -> str:
    found = shutil.which(name) or next((str(Path(d) / name) for d in extra_dirs if (Path(d) / name).exists()), None)
    if not found:
        raise ServerError(f"{name} not found: install Debian's {package} (apt-get install -y {package})")
    return found


@dataclass
class S3Server:
    port: int
    proc: subprocess.Popen
    endpoint: str = ""
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        stop_process(self.proc)


def start_s3(log_dir: Path) -> S3Server:
    """moto_server on a free loopback port; `env` holds what clients (deltalake, s3fs) need."""
    exe = Path(sys.executable).parent / "moto_server"
    if not exe.exists():
        raise ServerError("moto_server not found: install the dev extra (pip install -e '.[dev]')")
    port = free_port()
    log = open(log_dir / "moto.log", "wb")
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    _wait_port(port, proc, "moto_server")
    endpoint = f"http://127.0.0.1:{port}"
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true",
           "AWS_EC2_METADATA_DISABLED": "true"}
    return S3Server(port, proc, endpoint, env)


def make_bucket(server: S3Server, name: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id="testing",
                 aws_secret_access_key="testing", region_name="us-east-1").create_bucket(Bucket=name)


def bucket_keys(server: S3Server, name: str) -> list[str]:
    import boto3

    client = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys


@dataclass
class Postgres:
    port: int
    data: Path
    pg_ctl: str
    user: str | None
    url: str = ""

    def stop(self) -> None:
        _as_user([self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop"], self.user, check=False)
        shutil.rmtree(self.data.parent, ignore_errors=True)


def _as_user(cmd: list[str], user: str | None, check: bool = True, **kw) -> subprocess.CompletedProcess:
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120, **kw)


def start_postgres(base: Path) -> Postgres:
    """A throwaway cluster (trust auth, loopback only) with a `dagster` database."""
    bindirs = tuple(sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")))
    initdb, pg_ctl = _program("initdb", "postgresql", bindirs), _program("pg_ctl", "postgresql", bindirs)
    user = None
    if os.geteuid() == 0:  # PostgreSQL refuses root: run the cluster as `nobody`, in a folder
        user = "nobody"   # it can reach (pytest's tmp folders are private to root)
        pwd.getpwnam(user)
        base = Path(tempfile.mkdtemp(prefix="mapper-pg-"))
    base.mkdir(parents=True, exist_ok=True)
    data, sock = base / "pgdata", base / "pgsock"
    sock.mkdir(exist_ok=True)
    if user:
        shutil.chown(base, user)
        shutil.chown(sock, user)
        os.chmod(base, 0o755)
    res = _as_user([initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"], user, check=False)
    if res.returncode != 0:
        raise ServerError(f"initdb failed: {res.stdout[-1000:]}{res.stderr[-2000:]}")
    port = free_port()
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off -c max_connections=100"
    res = _as_user([pg_ctl, "-D", str(data), "-o", opts, "-l", str(base / "postgres.log"), "-w", "start"], user, check=False)
    if res.returncode != 0:
        raise ServerError(f"postgres did not start: {res.stderr}{(base / 'postgres.log').read_text()[-2000:]}")
    pg = Postgres(port, data, pg_ctl, user, f"postgresql+psycopg2://postgres@127.0.0.1:{port}/dagster")
    psql = _program("psql", "postgresql-client", bindirs)
    _as_user([psql, "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", "CREATE DATABASE dagster"], None)
    return pg


@dataclass
class Redis:
    port: int
    proc: subprocess.Popen
    url: str = ""

    def stop(self) -> None:
        stop_process(self.proc)


def start_redis(base: Path) -> Redis:
    exe = _program("redis-server", "redis-server")
    base.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen([exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(base)], stdout=open(base / "redis.log", "wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    _wait_port(port, proc, "redis-server")
    return Redis(port, proc, f"redis://127.0.0.1:{port}/0")
