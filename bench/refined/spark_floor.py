"""Spark's floor under the Refined job, for bench/refined: the least any Spark job producing the same tables must do.

Usage: python3 bench/refined/spark_floor.py LAKE_DIR OUT_DIR. In one process, with the job's own local session
(cinelake.session.build_session): starts Spark, reads every Trusted table whole (all columns decoded, nothing kept),
then writes the eleven Refined tables the job already published under LAKE_DIR again as Parquet under OUT_DIR, three
at a time as the job stages them. No join, no aggregation, no check. Prints the row counts and each step's seconds as
JSON. If this floor alone is more than a ratio of DuckDB's whole build, no Spark job of this model reaches that ratio
on this machine.
"""

import json
import sys
import time
from pathlib import Path

GLUE = Path(__file__).resolve().parents[2] / "glue"
sys.path.insert(0, str(GLUE))

from cinelake.refined.job import STAGING_ORDER, WRITERS  # noqa: E402  (the job's own write order and parallelism)
from cinelake.registry import registry, spark_schema  # noqa: E402
from cinelake.session import build_session  # noqa: E402
from cinelake.side_by_side import side_by_side  # noqa: E402


def main() -> None:
    lake, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    started = time.perf_counter()
    spark = build_session("cinelake-bench-spark-floor")
    seconds = {"start": time.perf_counter() - started}

    clock = time.perf_counter()
    trusted = {}
    for definition in registry()["tables"]:
        if definition["zone"] != "trusted":
            continue
        name, uri = definition["name"], (lake / definition["location"]).as_uri()
        frame = spark.read.schema(spark_schema(name, with_partitions=True)).option("basePath", uri).parquet(uri)
        # The noop sink decodes every column of every row and keeps nothing.
        frame.write.format("noop").mode("overwrite").save()
        trusted[name] = frame
    seconds["read Trusted whole"] = time.perf_counter() - clock

    clock = time.perf_counter()
    locations = {d["name"]: d["location"] for d in registry()["tables"] if d["zone"] == "refined"}

    def rewrite(name: str) -> None:
        table = spark.read.parquet((lake / locations[name]).as_uri())
        table.hint("rebalance").write.mode("overwrite").parquet((out / name).as_uri())

    side_by_side(rewrite, STAGING_ORDER, WRITERS, "spark-floor")
    seconds["write the Refined tables"] = time.perf_counter() - clock
    seconds["total"] = time.perf_counter() - started
    # Counted after the clock stopped (from Parquet footers): what the floor read and wrote, not part of it.
    rows = {name: frame.count() for name, frame in trusted.items()}
    rows.update({name: spark.read.parquet((out / name).as_uri()).count() for name in locations})
    spark.stop()
    print(json.dumps({"rows": rows, "seconds": {step: round(value, 3) for step, value in seconds.items()}}))


if __name__ == "__main__":
    main()
