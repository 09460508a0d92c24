"""The Refined job's I/O around the pure transforms (transforms.py): read Trusted, build and stage, check, publish,
report.

Every run rebuilds the whole model (the tables are small next to Trusted and keys are stable) into a staging prefix,
and replaces each `Refined/<table>/` prefix with its staged table only after every integrity check passed, so a
failed check never publishes a broken model.
"""

import json
import time
from datetime import UTC, datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .. import lake
from ..errors import UpstreamMissingError, storage_errors
from ..registry import spark_schema
from ..side_by_side import side_by_side
from .transforms import REFINED_TABLE_NAMES, Model, build_model, check_integrity, count_in_one_pass

NAME = "refined"
"""The job's name in lake/jobs.ts; its arguments are that job's in the exported registry (cinelake.args)."""

WRITERS = 3
"""How many tables are staged (and published) at once: enough to keep two cores busy while a third write plans or
commits; each write's tasks still share the session's cores, so memory is bounded by the cores, not by this."""

STAGING_ORDER = sorted(REFINED_TABLE_NAMES, key=lambda name: not name.startswith("bridge_"))
"""The bridges (the biggest tables) start first, so the small tables' writes fill the gaps beside them."""


def read_table(spark, uri: str, name: str) -> DataFrame:
    """A registry table's Parquet under `uri`, read with the registry's schema (the storage errors named)."""
    with storage_errors(uri):
        return spark.read.schema(spark_schema(name)).parquet(uri)


def read_csv_table(spark, uri: str, name: str) -> DataFrame:
    """A Trusted CSV table; missing input fails loudly (the model starts from these titles)."""
    if not lake.list_files(spark, uri, ".parquet"):
        raise UpstreamMissingError(
            f"{name}: no Parquet under {uri}",
            "run the trusted-csv job first (`npm run job -- trusted-csv ...`; on AWS the Glue workflow runs it before "
            "refined), then rerun refined",
        )
    return read_table(spark, uri, name)


def read_tmdb_table(spark, uri: str, name: str) -> DataFrame:
    """A Trusted TMDB table with its `dt` partition; an absent table is empty (TMDB enrichment is optional)."""
    schema = spark_schema(name, with_partitions=True)
    if not [n for n in lake.list_names(spark, uri) if n.startswith("dt=")]:
        return spark.createDataFrame([], schema)
    with storage_errors(uri):
        return spark.read.schema(schema).option("basePath", uri).parquet(uri)


def input_counts(
    movies: DataFrame, series: DataFrame, tmdb_movies: DataFrame, tmdb_series: DataFrame, dim_title: DataFrame
) -> tuple[dict[str, DataFrame], dict[str, DataFrame]]:
    """What the report counts of the inputs, as frames for count_in_one_pass: rows, and distinct ids."""
    rows_of = {
        "trusted_movies_rows": movies,
        "trusted_series_rows": series,
        "titles_enriched": dim_title.where("is_tmdb_enriched"),
    }
    distinct_of = {
        "trusted_titles": movies.select("imdb_id").unionByName(series.select("imdb_id")),
        "tmdb_movie_ids": tmdb_movies.select("tmdb_id"),
        "tmdb_series_ids": tmdb_series.select("tmdb_id"),
    }
    return rows_of, distinct_of


def inputs_report(counts: dict[str, int]) -> dict[str, int]:
    """The report's inputs: Trusted rows and titles, TMDB ids read and the titles they enriched (the rest are TMDB ids
    with no CSV title)."""
    ids = counts["tmdb_movie_ids"] + counts["tmdb_series_ids"]
    enriched = counts["titles_enriched"]
    return {
        "trusted_movies_rows": counts["trusted_movies_rows"],
        "trusted_series_rows": counts["trusted_series_rows"],
        "trusted_titles": counts["trusted_titles"],
        "tmdb_ids_read": ids,
        "titles_enriched": enriched,
        "tmdb_ids_without_csv_title": ids - enriched,
    }


def as_of_day(text: str) -> str:
    """The --date of a Refined run as `YYYY-MM-DD`: a calendar day, not after tomorrow (the shared rule)."""
    return lake.check_day(text)


def run(spark, args: dict) -> dict:
    """Builds the model into a staging prefix, checks it there, then publishes it table by table and writes the run
    report (JSON); returns the report.

    Each table is computed once, by its staging write. The checks then read the staged Parquet (just the key columns),
    not the tables' plans, and nothing of the model stays in memory. Only when every check passed is each table moved
    into `Refined/<table>/` (replacing the previous model); the staging prefix is removed in every case."""
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    durations: dict[str, float] = {}
    root = args["lake_root"]
    as_of = None if args["date"] == "latest" else as_of_day(args["date"])
    # Under Refined/ (the job may write there) but outside every table's folder; `_` hides it from Spark's readers.
    refined = lake.join(root, args["refined_root"])
    staging = lake.join(refined, f"_staging-{stamp}/")
    # A first run that fails must leave no Refined folder behind either (file systems keep the staging's parent).
    refined_was_there = bool(lake.list_names(spark, refined))

    clock = time.perf_counter()
    movies = read_csv_table(spark, lake.join(root, args["trusted_movies"]), "trusted_movies")
    series = read_csv_table(spark, lake.join(root, args["trusted_series"]), "trusted_series")
    tmdb_movies = read_tmdb_table(spark, lake.join(root, args["trusted_tmdb_movies"]), "trusted_tmdb_movies")
    tmdb_series = read_tmdb_table(spark, lake.join(root, args["trusted_tmdb_series"]), "trusted_tmdb_series")
    model = build_model(movies, series, tmdb_movies, tmdb_series, as_of)
    try:

        def stage(name: str) -> None:
            # Rebalanced by adaptive execution into files of about its advisory size (64 MB of rows): one file for a
            # small table, a few for the bridges, whatever the shape of the plan that built the table.
            table = model.tables[name].hint("rebalance")
            table.write.mode("overwrite").parquet(lake.join(staging, f"{name}/"))

        with storage_errors(None):  # Trusted is read here, at the first write; the error text names the path.
            # The tables are independent writes (the kept intermediates are computed once, by whichever needs them
            # first): side by side, the small ones' planning and commits overlap the big ones' stages.
            side_by_side(stage, STAGING_ORDER, WRITERS, NAME)
        model.release()
        durations["build"] = time.perf_counter() - clock

        clock = time.perf_counter()
        staged = Model({name: read_table(spark, lake.join(staging, f"{name}/"), name) for name in REFINED_TABLE_NAMES})
        rows_of, distinct_of = input_counts(movies, series, tmdb_movies, tmdb_series, staged.tables["dim_title"])
        # Two independent Spark jobs of few tasks each at small scale: side by side they share the cores.
        counted, counts = side_by_side(
            lambda check: check(),
            [lambda: count_in_one_pass(rows_of, distinct_of), lambda: check_integrity(staged, movies, series)],
            2,
            NAME,
        )
        durations["integrity_checks"] = time.perf_counter() - clock

        clock = time.perf_counter()

        def publish(name: str) -> None:
            target = lake.join(refined, f"{name}/")
            lake.delete(spark, target)
            lake.move(spark, lake.join(staging, f"{name}/"), target)

        side_by_side(publish, REFINED_TABLE_NAMES, WRITERS, NAME)
        durations["publish"] = time.perf_counter() - clock
    finally:
        # The session may run other jobs next (the local runner's one session): leave nothing cached behind, and no
        # staged table (after a failed check, Refined is exactly as it was).
        model.release()
        lake.delete(spark, staging)
        if not refined_was_there and not lake.list_names(spark, refined):
            lake.delete(spark, refined)

    report = {
        "job": NAME,
        "requested_date": args["date"],
        "started_at": started.isoformat(timespec="seconds"),
        "inputs": inputs_report(counted),
        "tables": counts,
        "integrity_checks": "passed",
        "durations_s": {step: round(seconds, 3) for step, seconds in durations.items()},
    }
    day = as_of or started.date().isoformat()
    uri = lake.join(root, args["report_prefix"], f"dt={day}/run-{stamp}.json")
    lake.write_text(spark, uri, json.dumps(report, indent=2) + "\n")
    report["report_uri"] = uri
    return report


def written_counts(spark, root: str, refined_root: str) -> dict[str, int]:
    """Row counts of the Refined tables as written (for tests and the benchmark)."""
    return {
        name: spark.read.parquet(lake.join(root, refined_root, f"{name}/")).agg(F.count("*")).first()[0]
        for name in REFINED_TABLE_NAMES
    }
