"""Spark's floor under the Refined job, for bench/refined: the least any Spark job producing the same tables must do.

Usage: python3 bench/refined/spark_floor.py LAKE_DIR OUT_DIR. In one process, with the job's own local session
(cinelake.session.build_session): starts Spark, reads every column the Refined job reads of each Trusted table, all
rows, decoded and not kept, then writes the eleven Refined tables the job already published under LAKE_DIR again as
Parquet under OUT_DIR, three at a time as the job stages them. No join, no aggregation, no check. The columns come from
the job's own plans (built, not run, before the clock starts). Prints the row counts and each step's seconds as JSON.
If this floor alone is more than a ratio of DuckDB's whole build, no Spark job of this model reaches that ratio on
this machine.
"""

import json
import re
import sys
import time
from pathlib import Path

GLUE = Path(__file__).resolve().parents[2] / "glue"
sys.path.insert(0, str(GLUE))

from cinelake.refined import job  # noqa: E402  (the job's own readers, write order and parallelism)
from cinelake.refined.transforms import build_model  # noqa: E402
from cinelake.registry import registry, spark_schema  # noqa: E402
from cinelake.session import build_session  # noqa: E402
from cinelake.side_by_side import side_by_side  # noqa: E402

# A scan in Spark 3.5's plan text: `FileScan parquet [col#1,col#2,...] ..., Location: InMemoryFileIndex(1 paths)[uri]`.
SCAN = re.compile(r"FileScan parquet \[([^\]]*)\].*?Location: InMemoryFileIndex\(\d+ paths\)\[([^\],]+)")


def columns_the_job_reads(spark, lake: Path, trusted: dict[str, str]) -> dict[str, list[str]]:
    """Per Trusted table, the columns the Refined job's plans scan (their physical plans, built but not run)."""
    frames = [
        reader(spark, (lake / trusted[name]).as_uri(), name)
        for name, reader in [
            ("trusted_movies", job.read_csv_table),
            ("trusted_series", job.read_csv_table),
            ("trusted_tmdb_movies", job.read_tmdb_table),
            ("trusted_tmdb_series", job.read_tmdb_table),
        ]
    ]
    model = build_model(*frames, None)
    scanned: dict[str, set[str]] = {}
    for table in model.tables.values():
        for columns, location in SCAN.findall(table._jdf.queryExecution().sparkPlan().toString()):
            if "more fields" in columns or location.endswith("..."):
                raise SystemExit(f"spark_floor: Spark abbreviated a scan in its plan ({location})")
            scanned.setdefault(location.rstrip("/"), set()).update(
                re.sub(r"#\d+L?$", "", c) for c in columns.split(",")
            )
    model.release()
    by_name = {}
    for name, location in trusted.items():
        uri = (lake / location).as_uri().rstrip("/").replace("file:///", "file:/")
        if uri not in scanned:
            raise SystemExit(f"spark_floor: no scan of {name} ({uri}) found in the Refined job's plans")
        by_name[name] = sorted(scanned[uri])
    return by_name


def main() -> None:
    lake, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    started = time.perf_counter()
    # Plan strings in full (Spark abbreviates a scan of over 25 columns, and a location past 100 characters), so each
    # scan's columns and folder can be read off them.
    spark = build_session(
        "cinelake-bench-spark-floor",
        extra_conf={"spark.sql.debug.maxToStringFields": "10000", "spark.sql.maxMetadataStringLength": "10000"},
    )
    seconds = {"start": time.perf_counter() - started}

    locations = {d["name"]: d["location"] for d in registry()["tables"]}
    trusted_locations = {d["name"]: d["location"] for d in registry()["tables"] if d["zone"] == "trusted"}
    reads = columns_the_job_reads(spark, lake, trusted_locations)

    clock = time.perf_counter()
    trusted = {}
    for name, location in trusted_locations.items():
        uri = (lake / location).as_uri()
        frame = spark.read.schema(spark_schema(name, with_partitions=True)).option("basePath", uri).parquet(uri)
        frame = frame.select(*reads[name])
        # The noop sink decodes every selected column of every row and keeps nothing.
        frame.write.format("noop").mode("overwrite").save()
        trusted[name] = frame
    seconds["read what the job reads of Trusted"] = time.perf_counter() - clock

    clock = time.perf_counter()
    refined = list(job.STAGING_ORDER)

    def rewrite(name: str) -> None:
        table = spark.read.parquet((lake / locations[name]).as_uri())
        table.hint("rebalance").write.mode("overwrite").parquet((out / name).as_uri())

    side_by_side(rewrite, refined, job.WRITERS, "spark-floor")
    seconds["write the Refined tables"] = time.perf_counter() - clock
    # The floor's own steps: finding the columns (planning the job) and the counts below are not part of it.
    seconds["total"] = sum(seconds.values())
    # Counted after the clock stopped (from Parquet footers): what the floor read and wrote, not part of it.
    rows = {name: frame.count() for name, frame in trusted.items()}
    columns = {name: len(names) for name, names in reads.items()}
    rows.update({name: spark.read.parquet((out / name).as_uri()).count() for name in refined})
    spark.stop()
    print(
        json.dumps(
            {
                "rows": rows,
                "columns_read": columns,
                "seconds": {step: round(value, 3) for step, value in seconds.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
