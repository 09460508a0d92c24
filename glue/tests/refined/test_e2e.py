"""The whole chain on generated data: `npm run sample` -> Raw (CSVs and the TMDB stand-in's details) -> both Trusted
jobs -> the Refined job -> the local DuckDB catalog, which must answer every analysis view."""

import json
import subprocess
from pathlib import Path

import duckdb
import pytest
import refined
import trusted_csv
import trusted_tmdb
from cinelake.registry import registry, spark_schema, table
from local.catalog import build_catalog

from tests.support.trusted_fixtures import REPO, job_argv

DAY = "2024-06-01"


@pytest.fixture(scope="module")
def chain(spark, tmp_path_factory):
    """A generated lake run through the Trusted jobs and the Refined job; yields the lake folder and the report."""
    sample = tmp_path_factory.mktemp("sample")
    lake = tmp_path_factory.mktemp("refined-lake")
    run = {"cwd": REPO, "check": True, "capture_output": True, "text": True, "timeout": 300}
    subprocess.run(["npm", "run", "-s", "sample", "--", str(sample), "--titles", "120", "--seed", "5"], **run)
    subprocess.run(["npx", "tsx", "bench/trusted/lakeFromSample.ts", str(sample), str(lake), DAY], **run)
    root = lake.as_uri() + "/"
    trusted_csv.main(job_argv("trusted-csv", root), spark=spark)
    trusted_tmdb.main(job_argv("trusted-tmdb", root, DAY), spark=spark)
    report = refined.main(job_argv("refined", root), spark=spark)
    return lake, report


def trusted(spark, lake: Path, name: str):
    return spark.read.parquet(str(lake / table(name)["location"]))


def test_every_trusted_title_reaches_the_model_once(spark, chain):
    lake, report = chain
    ids = {r["imdb_id"] for name in ("trusted_movies", "trusted_series") for r in trusted(spark, lake, name).collect()}
    dim_title = spark.read.parquet(str(lake / table("dim_title")["location"]))
    assert sorted(r["imdb_id"] for r in dim_title.select("imdb_id").collect()) == sorted(ids)
    assert report["tables"]["fact_title"] == len(ids) == report["inputs"]["trusted_titles"]


def test_titles_are_enriched_by_the_tmdb_records_that_name_them(spark, chain):
    lake, report = chain
    known = set()
    for name, kind in (("trusted_tmdb_movies", "movie"), ("trusted_tmdb_series", "series")):
        csv = "trusted_movies" if kind == "movie" else "trusted_series"
        csv_ids = {r["imdb_id"] for r in trusted(spark, lake, csv).select("imdb_id").collect()}
        known |= {(kind, r["imdb_id"]) for r in trusted(spark, lake, name).collect() if r["imdb_id"] in csv_ids}
    dim_title = spark.read.parquet(str(lake / table("dim_title")["location"])).where("is_tmdb_enriched")
    assert {(r["kind"], r["imdb_id"]) for r in dim_title.collect()} == known
    assert report["inputs"]["titles_enriched"] == len(known) > 0


def test_written_tables_match_the_registry_and_the_report(spark, chain):
    lake, report = chain
    written = json.loads(Path(report["report_uri"].removeprefix("file://")).read_text())
    for definition in registry()["tables"]:
        if definition["zone"] == "refined":
            df = spark.read.parquet(str(lake / definition["location"]))
            assert df.schema.simpleString() == spark_schema(definition["name"]).simpleString()
            assert df.count() == written["tables"][definition["name"]] > 0, definition["name"]


def test_the_local_catalog_answers_every_analysis_view(chain):
    lake, _ = chain
    con = duckdb.connect(str(build_catalog(lake)), read_only=True)
    try:
        for view in registry()["views"]:
            count = con.execute(f"SELECT count(*) FROM {view['name']}").fetchone()[0]
            assert count > 0, f"{view['name']} is empty on generated data"
        nulls = con.execute("SELECT count(*) FROM v_title_summary WHERE genre IS NULL OR kind IS NULL").fetchone()
        assert nulls == (0,)
    finally:
        con.close()
