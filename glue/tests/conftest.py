"""Shared fixtures: one local Spark session per test run, and moto's S3 API server on 127.0.0.1 when a test asks."""

import os
import sys
from pathlib import Path

import pytest

from tests.support.moto_process import start_moto_server

GLUE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(GLUE_DIR))


@pytest.fixture(scope="session")
def spark():
    """A local Spark session shared by every test (starting one costs seconds), able to reach S3 servers via s3a."""
    from cinelake.session import build_session

    session = build_session(
        "cinelake-tests",
        master="local[2]",
        extra_conf={"spark.sql.shuffle.partitions": "4", "spark.driver.memory": "1g"},
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 API server on a free port of 127.0.0.1; yields its endpoint and sets the standard AWS environment."""
    process, endpoint = start_moto_server()
    previous = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(
        AWS_ENDPOINT_URL_S3=endpoint, AWS_ACCESS_KEY_ID="cinelake-local", AWS_SECRET_ACCESS_KEY="cinelake-local-secret"
    )
    yield endpoint
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    process.terminate()
    process.wait(timeout=10)
