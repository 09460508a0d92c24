"""Both Trusted jobs end to end on generated data (`npm run sample` + the TMDB stand-in's records), on a local
folder and through s3a against moto's S3 API server, with the written Parquet checked against the registry."""

import json
import subprocess
from pathlib import Path

import pytest
import trusted_csv
import trusted_tmdb
from cinelake.registry import spark_schema, table

from tests.support.trusted_fixtures import REPO, job_argv, prefix

DAY = "2024-06-01"
TABLE_PREFIXES = {
    "trusted_movies": ("trusted-csv", "trusted_movies"),
    "trusted_series": ("trusted-csv", "trusted_series"),
    "trusted_tmdb_movies": ("trusted-tmdb", "trusted_tmdb_movies"),
    "trusted_tmdb_series": ("trusted-tmdb", "trusted_tmdb_series"),
}


@pytest.fixture(scope="module")
def sample_lake(tmp_path_factory) -> Path:
    """A local lake whose Raw zone holds a generated sample (CSVs) and the stand-in's TMDB details of its titles."""
    sample = tmp_path_factory.mktemp("sample")
    lake = tmp_path_factory.mktemp("lake")
    run = {"cwd": REPO, "check": True, "capture_output": True, "text": True, "timeout": 300}
    subprocess.run(["npm", "run", "-s", "sample", "--", str(sample), "--titles", "80", "--seed", "11"], **run)
    subprocess.run(
        ["npx", "tsx", "bench/trusted/lakeFromSample.ts", str(sample), str(lake), DAY, "--tmdb-per-file", "30"], **run
    )
    return lake


def raw_csv_rows(lake: Path, job_prefix: str) -> list[str]:
    """The data lines of a Raw CSV, read independently of Spark."""
    [path] = (lake / job_prefix).rglob("*.csv")
    return path.read_text(encoding="utf-8-sig").splitlines()[1:]


def raw_tmdb_ids(lake: Path, job_prefix: str) -> set[int]:
    return {record["id"] for path in (lake / job_prefix).rglob("*.json") for record in json.loads(path.read_text())}


def assert_registry_schema(spark, uri: str, name: str) -> None:
    """The Parquet files have exactly the registry's columns, in order, with its (nested) types."""
    written = spark.read.parquet(uri).schema
    expected = spark_schema(name)
    assert [f.name for f in written] == [c["name"] for c in table(name)["columns"]]
    assert written.simpleString() == expected.simpleString()


def with_keys(report, keys: list[tuple[str, str]]):
    """Each of the report's dataset counts beside its (raw, trusted) prefix keys, in the job's order; strict, so a
    report with more or fewer datasets than the test names fails instead of leaving one unchecked."""
    return zip(report.datasets, keys, strict=True)


@pytest.fixture(scope="module")
def local_runs(spark, sample_lake):
    root = sample_lake.as_uri() + "/"
    csv_report = trusted_csv.main(job_argv("trusted-csv", root, "latest"), spark=spark)
    tmdb_report = trusted_tmdb.main(job_argv("trusted-tmdb", root, DAY), spark=spark)
    return csv_report, tmdb_report


def test_csv_job_on_a_local_folder_accounts_for_every_line(spark, sample_lake, local_runs):
    csv_report, _ = local_runs
    for counts, (raw_key, trusted_key) in with_keys(
        csv_report, [("raw_movies", "trusted_movies"), ("raw_series", "trusted_series")]
    ):
        lines = raw_csv_rows(sample_lake, prefix("trusted-csv", raw_key))
        assert counts.day == DAY and counts.raw == len(lines) > 0
        assert counts.trusted + counts.quarantined + counts.duplicates == len(lines)
        if counts.quarantined == 0:
            assert counts.duplicates == len(lines) - len(set(lines))
        trusted = spark.read.parquet(str(sample_lake / prefix("trusted-csv", trusted_key)))
        assert trusted.count() == counts.trusted
        ids = {r["imdb_id"] for r in trusted.select("imdb_id").distinct().collect()}
        assert ids <= {line.split("|")[0] for line in lines}


def test_tmdb_job_on_a_local_folder_keeps_one_row_per_id(spark, sample_lake, local_runs):
    _, tmdb_report = local_runs
    for counts, (raw_key, trusted_key) in with_keys(
        tmdb_report, [("raw_tmdb_movies", "trusted_tmdb_movies"), ("raw_tmdb_series", "trusted_tmdb_series")]
    ):
        ids = raw_tmdb_ids(sample_lake, prefix("trusted-tmdb", raw_key))
        assert counts.raw == len(ids) > 0 and counts.trusted + counts.quarantined + counts.duplicates == counts.raw
        partition = spark.read.parquet(str(sample_lake / prefix("trusted-tmdb", trusted_key) / f"dt={DAY}"))
        written = [r["tmdb_id"] for r in partition.select("tmdb_id").collect()]
        assert len(written) == len(set(written)) == counts.trusted
        assert set(written) <= ids


@pytest.mark.parametrize("name", list(TABLE_PREFIXES))
def test_parquet_schema_is_the_registry_schema(spark, sample_lake, local_runs, name):
    job, key = TABLE_PREFIXES[name]
    uri = sample_lake / prefix(job, key)
    if table(name)["partitionKeys"]:
        uri = uri / f"dt={DAY}"
    assert_registry_schema(spark, str(uri), name)


def test_both_jobs_through_s3a_against_the_s3_api_server(spark, sample_lake, local_runs, s3_server):
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    bucket = "cinelake-trusted-e2e"
    s3.create_bucket(Bucket=bucket)
    for path in (sample_lake / "Raw").rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), bucket, path.relative_to(sample_lake).as_posix())

    root = f"s3a://{bucket}/"
    csv_report = trusted_csv.main(job_argv("trusted-csv", root, DAY), spark=spark)
    tmdb_report = trusted_tmdb.main(job_argv("trusted-tmdb", root, "latest"), spark=spark)

    local_csv, local_tmdb = local_runs
    summary = [(d.raw, d.trusted, d.quarantined, d.duplicates) for d in csv_report.datasets + tmdb_report.datasets]
    assert summary == [
        (d.raw, d.trusted, d.quarantined, d.duplicates) for d in local_csv.datasets + local_tmdb.datasets
    ]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(k.startswith(f"{prefix('trusted-csv', 'report_prefix')}dt={DAY}/run-") for k in keys)
    assert any(k.startswith(f"{prefix('trusted-tmdb', 'trusted_tmdb_movies')}dt={DAY}/part-") for k in keys)
    assert_registry_schema(spark, root + prefix("trusted-csv", "trusted_movies"), "trusted_movies")
    assert_registry_schema(
        spark, f"{root}{prefix('trusted-tmdb', 'trusted_tmdb_series')}dt={DAY}/", "trusted_tmdb_series"
    )
