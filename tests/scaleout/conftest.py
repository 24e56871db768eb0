"""Session-scoped real servers for the scale-out tests (see tests/support/servers.py)."""

from __future__ import annotations

import pytest

from tests.support import servers


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    server = servers.start_s3(tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    pg = servers.start_postgres(tmp_path_factory.mktemp("pg"))
    yield pg
    pg.stop()


@pytest.fixture(scope="session")
def redis(tmp_path_factory):
    r = servers.start_redis(tmp_path_factory.mktemp("redis"))
    yield r
    r.stop()


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """The S3 server's settings in this process's environment (deltalake and s3fs read them)."""
    for k, v in s3_server.env.items():
        monkeypatch.setenv(k, v)
    return s3_server.env
