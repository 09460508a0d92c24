"""The TMDB job's I/O around the pure transforms: one day of Raw TMDB JSON -> Trusted `dt=<day>/` partitions.

Reruns: the Trusted TMDB tables are partitioned by collection day; a run overwrites exactly its day's partition
(dynamic partition overwrite; a day left with no valid record has its old partition removed) and its day's
quarantine folder, and leaves every other day alone.
"""

import sys

from pyspark import StorageLevel
from pyspark.sql import functions as F

from .. import lake
from ..errors import storage_errors
from ..report import DatasetCounts, RunReport
from . import transforms

NAME = "trusted-tmdb"
"""The job's name in lake/jobs.ts; its arguments are that job's in the exported registry (cinelake.args)."""

# kind -> (Raw prefix argument, Trusted prefix argument, quarantine prefix argument)
DATASETS = {
    "movies": ("raw_tmdb_movies", "trusted_tmdb_movies", "quarantine_tmdb_movies"),
    "series": ("raw_tmdb_series", "trusted_tmdb_series", "quarantine_tmdb_series"),
}


def read_documents(spark, files: list[str]):
    """Whole Raw files as rows: `source_file`, `modified` (the object's modification time), `value` (the text)."""
    return spark.read.text(files, wholetext=True).select(
        F.col("_metadata.file_path").alias("source_file"),
        F.col("_metadata.file_modification_time").alias("modified"),
        "value",
    )


def process_dataset(spark, args: dict, kind: str, report: RunReport) -> DatasetCounts:
    """One kind (movies or series) of one day -> its Trusted partition and quarantine; returns the counts."""
    raw_arg, trusted_arg, quarantine_arg = DATASETS[kind]
    root = args["lake_root"]
    day = lake.resolve_day(spark, lake.join(root, args[raw_arg]), args["date"])
    counts = DatasetCounts(dataset=kind, day=day)
    files = lake.list_files(spark, lake.join(root, lake.day_prefix(args[raw_arg], day)), ".json") if day else []
    if not files:
        counts.status = "no_input"
        return counts
    counts.input_files = files

    raw_uri = lake.join(root, lake.day_prefix(args[raw_arg], day))
    with report.step(f"{kind}: read, parse and check"), storage_errors(raw_uri):
        documents = read_documents(spark, files)
        records, refused = transforms.split_documents(documents)
        refused = refused.unionByName(transforms.empty_files(spark, files, documents))
        parsed = transforms.parse_records(records, kind).persist(StorageLevel.MEMORY_AND_DISK)
        by_reason = {row["reason"]: row["count"] for row in parsed.groupBy("reason").count().collect()}
    counts.raw = sum(by_reason.values())
    counts.extra["valid"] = by_reason.pop(None, 0)

    trusted_root = lake.join(root, args[trusted_arg])
    partition_uri = lake.join(trusted_root, f"dt={day}/")
    step = f"{kind}: keep the latest record per id and write the partition"
    with report.step(step), storage_errors(partition_uri, "write"):
        latest = transforms.latest_per_id(parsed.where(F.col("reason").isNull()))
        trusted = transforms.to_trusted(latest, kind, day)
        if counts.extra["valid"] == 0:
            # Dynamic overwrite with no rows would leave a stale partition behind: remove it explicitly.
            lake.delete(spark, partition_uri)
        else:
            trusted.write.mode("overwrite").partitionBy("dt").parquet(trusted_root)

    quarantine_uri = lake.join(root, args[quarantine_arg], f"dt={day}/")
    with report.step(f"{kind}: write quarantine"), storage_errors(quarantine_uri, "write"):
        quarantine = transforms.quarantined_records(parsed, day).unionByName(transforms.quarantined_files(refused, day))
        quarantine.coalesce(1).write.mode("overwrite").json(quarantine_uri)

    with report.step(f"{kind}: count written outputs"), storage_errors(partition_uri):
        counts.trusted = spark.read.parquet(partition_uri).count() if counts.extra["valid"] else 0
        written = spark.read.schema("reason string, position int").json(quarantine_uri)
        by_kind = written.groupBy(F.col("position").isNull().alias("is_file"), "reason").count().collect()
        counts.quarantined_by_reason = {r["reason"]: r["count"] for r in by_kind if not r["is_file"]}
        counts.quarantined = sum(counts.quarantined_by_reason.values())
        files_refused = {r["reason"]: r["count"] for r in by_kind if r["is_file"]}
        distinct_ids = latest.count()
    counts.duplicates = counts.extra["valid"] - distinct_ids
    counts.extra["files"] = len(files)
    counts.extra["files_quarantined_by_reason"] = files_refused
    if counts.quarantined_by_reason != by_reason:
        counts.extra["classified_by_reason"] = by_reason
    parsed.unpersist()
    return counts


def run(spark, args: dict) -> RunReport:
    """Runs the TMDB job for movies and series, writes the run report and fails loudly when counts do not balance."""
    # Set here too, not only at session build: on Glue the session exists before the script runs.
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    report = RunReport(job=NAME, requested_date=args["date"])
    for kind in DATASETS:
        report.datasets.append(process_dataset(spark, args, kind, report))
    if all(d.status == "no_input" for d in report.datasets):
        # Not an error: the ApiIngestor may not have collected anything yet (its first scheduled slice comes after the
        # historical load), and the Refined model treats TMDB enrichment as optional. The report says so.
        print(
            f"no Raw TMDB JSON for date {args['date']} under {args['lake_root']}"
            f"{args['raw_tmdb_movies']} or {args['raw_tmdb_series']}: nothing to do until the ApiIngestor has run",
            file=sys.stderr,
        )
    report.write_and_check(spark, args["lake_root"], args["report_prefix"])
    return report
