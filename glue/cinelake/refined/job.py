"""The Refined job's I/O around the pure transforms (transforms.py): read Trusted, build, check, write, report.

Every run rebuilds the whole model (the tables are small next to Trusted and keys are stable), overwriting each
`Refined/<table>/` prefix only after every integrity check passed, so a failed check never publishes a broken model.
"""

import json
import time
from datetime import UTC, datetime

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .. import lake
from ..errors import UpstreamMissingError, storage_errors
from ..registry import spark_schema
from .transforms import REFINED_TABLE_NAMES, build_model, check_integrity

NAME = "refined"
"""The job's name in lake/jobs.ts; its arguments are that job's in the exported registry (cinelake.args)."""

# Output files per table: enough parallelism for the bridges at full scale, few small files for the rest.
FILES_PER_TABLE = {"bridge_title_person": 4, "bridge_title_genre": 2}


def read_csv_table(spark, uri: str, name: str) -> DataFrame:
    """A Trusted CSV table; missing input fails loudly (the model starts from these titles)."""
    if not lake.list_files(spark, uri, ".parquet"):
        raise UpstreamMissingError(
            f"{name}: no Parquet under {uri}",
            "run the trusted-csv job first (`npm run job -- trusted-csv ...`; on AWS the Glue workflow runs it before "
            "refined), then rerun refined",
        )
    with storage_errors(uri):
        return spark.read.schema(spark_schema(name)).parquet(uri)


def read_tmdb_table(spark, uri: str, name: str) -> DataFrame:
    """A Trusted TMDB table with its `dt` partition; an absent table is empty (TMDB enrichment is optional)."""
    schema = spark_schema(name, with_partitions=True)
    if not [n for n in lake.list_names(spark, uri) if n.startswith("dt=")]:
        return spark.createDataFrame([], schema)
    with storage_errors(uri):
        return spark.read.schema(schema).option("basePath", uri).parquet(uri)


def tmdb_counts(tmdb_movies: DataFrame, tmdb_series: DataFrame, dim_title: DataFrame) -> dict[str, int]:
    """How many TMDB ids were read and how many titles they enriched (the rest are TMDB ids with no CSV title)."""
    ids = tmdb_movies.select("tmdb_id").distinct().count() + tmdb_series.select("tmdb_id").distinct().count()
    enriched = dim_title.where("is_tmdb_enriched").count()
    return {"tmdb_ids_read": ids, "titles_enriched": enriched, "tmdb_ids_without_csv_title": ids - enriched}


def as_of_day(text: str) -> str:
    """The --date of a Refined run as `YYYY-MM-DD`: a calendar day, not after tomorrow (the shared rule)."""
    return lake.check_day(text)


def run(spark, args: dict) -> dict:
    """Builds, checks and writes the model; writes the run report (JSON) and returns it."""
    started = datetime.now(UTC)
    durations: dict[str, float] = {}
    root = args["lake_root"]
    as_of = None if args["date"] == "latest" else as_of_day(args["date"])

    clock = time.perf_counter()
    movies = read_csv_table(spark, lake.join(root, args["trusted_movies"]), "trusted_movies")
    series = read_csv_table(spark, lake.join(root, args["trusted_series"]), "trusted_series")
    tmdb_movies = read_tmdb_table(spark, lake.join(root, args["trusted_tmdb_movies"]), "trusted_tmdb_movies")
    tmdb_series = read_tmdb_table(spark, lake.join(root, args["trusted_tmdb_series"]), "trusted_tmdb_series")
    model = build_model(movies, series, tmdb_movies, tmdb_series, as_of)
    with storage_errors(None):  # Trusted is read here, at the first action; the error text names the path.
        for df in model.tables.values():
            # Kept for the checks and the write, and computed here, so that the durations say where the time goes.
            df.persist(StorageLevel.MEMORY_AND_DISK).count()
    durations["build"] = time.perf_counter() - clock

    clock = time.perf_counter()
    counts = check_integrity(model, movies, series)
    durations["integrity_checks"] = time.perf_counter() - clock

    clock = time.perf_counter()
    for name in REFINED_TABLE_NAMES:
        target = lake.join(root, args["refined_root"], f"{name}/")
        with storage_errors(target, "write"):
            model.tables[name].coalesce(FILES_PER_TABLE.get(name, 1)).write.mode("overwrite").parquet(target)
    durations["write"] = time.perf_counter() - clock

    report = {
        "job": NAME,
        "requested_date": args["date"],
        "started_at": started.isoformat(timespec="seconds"),
        "inputs": {
            "trusted_movies_rows": movies.count(),
            "trusted_series_rows": series.count(),
            "trusted_titles": movies.select("imdb_id").unionByName(series.select("imdb_id")).distinct().count(),
            **tmdb_counts(tmdb_movies, tmdb_series, model.tables["dim_title"]),
        },
        "tables": counts,
        "integrity_checks": "passed",
        "durations_s": {step: round(seconds, 3) for step, seconds in durations.items()},
    }
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    day = as_of or started.date().isoformat()
    uri = lake.join(root, args["report_prefix"], f"dt={day}/run-{stamp}.json")
    lake.write_text(spark, uri, json.dumps(report, indent=2) + "\n")
    report["report_uri"] = uri
    model.release()
    return report


def written_counts(spark, root: str, refined_root: str) -> dict[str, int]:
    """Row counts of the Refined tables as written (for tests and the benchmark)."""
    return {
        name: spark.read.parquet(lake.join(root, refined_root, f"{name}/")).agg(F.count("*")).first()[0]
        for name in REFINED_TABLE_NAMES
    }
