"""The TMDB job's I/O around the pure transforms: one day of Raw TMDB JSON -> Trusted `dt=<day>/` partitions.

Reruns: the Trusted TMDB tables are partitioned by collection day; a run overwrites exactly its day's partition
(dynamic partition overwrite; a day left with no valid record has its old partition removed) and its day's
quarantine folder, and leaves every other day alone.
"""

import sys
from collections import Counter

from pyspark import StorageLevel
from pyspark.sql import Observation
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
    day, files = lake.day_files(spark, root, args[raw_arg], args["date"], ".json")
    counts = DatasetCounts(dataset=kind, day=day)
    if not files:
        counts.status = "no_input"
        return counts
    counts.input_files = files

    raw_uri = lake.join(root, lake.day_prefix(args[raw_arg], day))
    with report.step(f"{kind}: read, parse and check"), storage_errors(raw_uri):
        # The documents are read and parsed once: the summary fills the cache, both writes read from it, and the
        # files it saw tell the empty ones (which the text reader returns no row for).
        entries = transforms.shape_documents(read_documents(spark, files))
        classified = transforms.classify_entries(entries, kind).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        with report.step(f"{kind}: read, parse and check"), storage_errors(raw_uri):
            summary = classified.groupBy("entry", "reason", "source_file").count().collect()
            by_reason = Counter()
            for row in summary:
                if row["entry"] == "record":
                    by_reason[row["reason"]] += row["count"]
            by_reason = dict(by_reason)
            seen = {row["source_file"] for row in summary}
        counts.raw = sum(by_reason.values())
        counts.extra["valid"] = by_reason.pop(None, 0)

        # Written counts are observed on the rows the writes emit (Spark's Observation), not re-read from the lake.
        trusted_root = lake.join(root, args[trusted_arg])
        partition_uri = lake.join(trusted_root, f"dt={day}/")
        step = f"{kind}: keep the latest record per id and write the partition"
        with report.step(step), storage_errors(partition_uri, "write"):
            written_trusted = Observation(f"{NAME}-{kind}-trusted")
            latest = transforms.latest_per_id(transforms.valid_records(classified))
            trusted = transforms.to_trusted(latest, kind, day).observe(written_trusted, F.count(F.lit(1)).alias("rows"))
            if counts.extra["valid"] == 0:
                # Dynamic overwrite with no rows would leave a stale partition behind: remove it explicitly.
                lake.delete(spark, partition_uri)
            else:
                trusted.write.mode("overwrite").partitionBy("dt").parquet(trusted_root)

        quarantine_uri = lake.join(root, args[quarantine_arg], f"dt={day}/")
        with report.step(f"{kind}: write quarantine"), storage_errors(quarantine_uri, "write"):
            written_quarantine = Observation(f"{NAME}-{kind}-quarantine")
            empty = transforms.quarantined_files(transforms.empty_files(spark, files, seen), day)
            quarantine = transforms.quarantined_records(classified, day).unionByName(empty)
            observed = quarantine.observe(written_quarantine, *_count_by_reason())
            observed.coalesce(1).write.mode("overwrite").json(quarantine_uri)

        distinct_ids = written_trusted.get["rows"] if counts.extra["valid"] else 0
        written = written_quarantine.get
        counts.trusted = distinct_ids
        counts.quarantined_by_reason = {r: written[r] for r in transforms.RECORD_REASONS if written[r]}
        counts.quarantined = written["records"]
        files_refused = {r: written[f"file {r}"] for r in transforms.FILE_REASONS if written[f"file {r}"]}
        counts.duplicates = counts.extra["valid"] - distinct_ids
        counts.extra["files"] = len(files)
        counts.extra["files_quarantined_by_reason"] = files_refused
        if counts.quarantined_by_reason != by_reason:
            counts.extra["classified_by_reason"] = by_reason
        return counts
    finally:
        # The cache is the job's own: gone before the next dataset or job of a shared session.
        classified.unpersist()


def _count_by_reason() -> list:
    """Aggregates for the quarantine's Observation: its records, and its records and files per reason.

    Records have a position, refused files none. Observations cannot group, hence the fixed lists of reasons: a record
    refused for a reason outside the list is counted in `records` only, so the report would not balance (loud).
    """
    reason, is_record = F.col("reason"), F.col("position").isNotNull()
    return (
        [F.count(F.when(is_record, 1)).alias("records")]
        + [F.count(F.when(is_record & (reason == r), 1)).alias(r) for r in transforms.RECORD_REASONS]
        + [F.count(F.when(~is_record & (reason == r), 1)).alias(f"file {r}") for r in transforms.FILE_REASONS]
    )


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
