"""The Refined job (cinelake.refined.job) through its entry script: on a local lake, through s3a, and refusing
a lake without Trusted titles."""

import json

import pytest
from cinelake.errors import UpstreamMissingError
from cinelake.refined import transforms
from cinelake.registry import spark_schema, table
from cinelake.session import apply_local_s3a

from tests.support.trusted_fixtures import csv_line, job_argv, prefix, write_raw_csvs

EMPTY_ITEM_GENRES = {"tt0000011": "Drama,", "tt0000012": ",Drama", "tt0000013": "Drama,,Comedy", "tt0000014": ","}


def imdb_genres_by_title(spark, root: str) -> dict[str, list[str]]:
    """The IMDb genres of every title in the written Refined tables (through dim_title, the bridge and dim_genre)."""
    read = {name: spark.read.parquet(root + table(name)["location"]) for name in ("dim_title", "dim_genre")}
    bridge = spark.read.parquet(root + table("bridge_title_genre")["location"]).where("source = 'imdb'")
    joined = bridge.join(read["dim_title"], "title_key").join(read["dim_genre"], "genre_key")
    found: dict[str, list[str]] = {}
    for row in joined.select("imdb_id", "genre_name").collect():
        found.setdefault(row["imdb_id"], []).append(row["genre_name"])
    return {imdb_id: sorted(names) for imdb_id, names in found.items()}


def test_empty_genre_items_give_no_extra_unknown_through_both_jobs(spark, tmp_path):
    """`Drama,` is Drama only; `,` is the real `Unknown` member, exactly once (Raw CSV -> trusted-csv -> refined)."""
    import refined as refined_entry
    import trusted_csv

    movies = [csv_line(id=imdb_id, genero=genres) for imdb_id, genres in EMPTY_ITEM_GENRES.items()]
    write_raw_csvs(tmp_path, "2024-05-04", movies, [csv_line(series=True, id="tt0000015", genero="Crime")])
    root = tmp_path.as_uri() + "/"
    trusted_csv.main(job_argv("trusted-csv", root), spark=spark)
    refined_entry.main(job_argv("refined", root), spark=spark)
    assert imdb_genres_by_title(spark, root) == {
        "tt0000011": ["Drama"],
        "tt0000012": ["Drama"],
        "tt0000013": ["Comedy", "Drama"],
        "tt0000014": ["Unknown"],
        "tt0000015": ["Crime"],
    }
    unknown = spark.read.parquet(root + table("dim_genre")["location"]).where("genre_name = 'Unknown'")
    assert unknown.count() == 1


def write_trusted_lake(trusted, root: str) -> None:
    """Writes the crafted Trusted tables as Parquet laid out like the bucket (TMDB partitioned by dt)."""
    movies, series, tmdb_movies, tmdb_series = trusted
    movies.write.parquet(root + prefix("refined", "trusted_movies"))
    series.write.parquet(root + prefix("refined", "trusted_series"))
    tmdb_movies.write.partitionBy("dt").parquet(root + prefix("refined", "trusted_tmdb_movies"))
    tmdb_series.write.partitionBy("dt").parquet(root + prefix("refined", "trusted_tmdb_series"))


def test_job_end_to_end_through_s3a_against_the_s3_api_server(spark, trusted, s3_server):
    # (On a local folder, the job runs in test_refined_e2e.py on generated data.)
    import boto3
    import refined as entry  # glue/refined.py, the script Glue runs

    bucket = "cinelake-refined-crafted"
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    root = f"s3a://{bucket}/"
    apply_local_s3a(spark)  # The session's s3a now reaches the server (the job does the same).
    write_trusted_lake(trusted, root)
    report = entry.main(job_argv("refined", root), spark=spark)

    assert report["integrity_checks"] == "passed"
    assert report["inputs"]["trusted_titles"] == 3
    assert (report["inputs"]["tmdb_ids_read"], report["inputs"]["titles_enriched"]) == (3, 2)
    key = report["report_uri"].removeprefix(root)
    written = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert written["tables"] == report["tables"]
    for name in transforms.REFINED_TABLE_NAMES:
        parquet = spark.read.parquet(root + table(name)["location"])
        assert parquet.schema.simpleString() == spark_schema(name).simpleString(), name
        assert parquet.count() == report["tables"][name], name


def test_job_refuses_a_lake_without_trusted_titles(spark, tmp_path):
    import refined as entry

    with pytest.raises(SystemExit, match="trusted_movies: no Parquet under .*run the trusted-csv job first") as stopped:
        entry.main(job_argv("refined", tmp_path.as_uri() + "/"), spark=spark)
    assert isinstance(stopped.value.__cause__, UpstreamMissingError)
