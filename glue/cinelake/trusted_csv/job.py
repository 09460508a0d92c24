"""The CSV job's I/O around the pure transforms: read one day of Raw CSV, write Trusted and quarantine, reconcile.

Reruns: the Trusted CSV tables are not partitioned and hold the latest historical load, so every run overwrites the
table's whole prefix with the processed day's rows (rerunning a day is idempotent; running an older day replaces the
table with that day's snapshot). The quarantine keeps one folder per day (`dt=YYYY-MM-DD/`), replaced on rerun.
"""

from pyspark import StorageLevel
from pyspark.sql import functions as F

from .. import lake
from ..errors import HeaderMismatchError, NoInputError, storage_errors
from ..report import DatasetCounts, RunReport
from . import transforms

NAME = "trusted-csv"
"""The job's name in lake/jobs.ts; its arguments are that job's in the exported registry (cinelake.args)."""

# dataset -> (Raw prefix argument, Trusted prefix argument, quarantine prefix argument, registry table)
DATASETS = {
    "movies": ("raw_movies", "trusted_movies", "quarantine_movies", "trusted_movies"),
    "series": ("raw_series", "trusted_series", "quarantine_series", "trusted_series"),
}


def check_header(spark, uri: str, table_name: str) -> None:
    """Fails loudly unless the file's first line is the expected Portuguese header (BOM and CR tolerated)."""
    first = lake.read_head(spark, uri).decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")
    expected = "|".join(transforms.source_header(table_name))
    if first != expected:
        raise HeaderMismatchError(
            f"{uri}: header is {first[:300]!r}, expected {expected!r}",
            f"this is not the {table_name.removeprefix('trusted_')} CSV in the expected format (pipe-separated, "
            "Portuguese header): load the right file again with `npm run ingest:batch -- --overwrite` "
            "(on AWS: the BatchIngestor container), then rerun",
        )


def process_dataset(spark, args: dict, dataset: str, report: RunReport) -> DatasetCounts:
    """One Raw CSV dataset of one day -> its Trusted table and quarantine; returns the counts to reconcile."""
    raw_arg, trusted_arg, quarantine_arg, table_name = DATASETS[dataset]
    root = args["lake_root"]
    day = lake.resolve_day(spark, lake.join(root, args[raw_arg]), args["date"])
    counts = DatasetCounts(dataset=dataset, day=day)
    files = lake.list_files(spark, lake.join(root, lake.day_prefix(args[raw_arg], day)), ".csv") if day else []
    if not files:
        counts.status = "no_input"
        return counts
    counts.input_files = files
    for uri in files:
        check_header(spark, uri, table_name)

    raw_uri = lake.join(root, lake.day_prefix(args[raw_arg], day))
    with report.step(f"{dataset}: read, collapse duplicates, type and classify"), storage_errors(raw_uri):
        raw = spark.read.text(files).select("value", F.col("_metadata.file_path").alias("source_file"))
        lines = transforms.drop_header(transforms.normalize_lines(raw), table_name)
        distinct = transforms.distinct_lines(lines, files)
        classified = transforms.classify(distinct, table_name).persist(StorageLevel.MEMORY_AND_DISK)
        summary = classified.groupBy("reason").agg(F.sum("copies").alias("rows"), F.count(F.lit(1)).alias("distinct"))
        summary_rows = summary.collect()
        by_reason = {row["reason"]: row["rows"] for row in summary_rows}
        valid_distinct = next((row["distinct"] for row in summary_rows if row["reason"] is None), 0)
    counts.raw = sum(by_reason.values())
    counts.extra["valid"] = by_reason.pop(None, 0)
    # Each distinct valid line is written once; its other copies are the exact duplicates.
    counts.duplicates = counts.extra["valid"] - valid_distinct

    trusted_uri = lake.join(root, args[trusted_arg])
    with report.step(f"{dataset}: write Trusted Parquet"), storage_errors(trusted_uri, "write"):
        valid = transforms.valid_rows(classified)
        transforms.to_trusted(valid, table_name).write.mode("overwrite").parquet(trusted_uri)

    quarantine_uri = lake.join(root, args[quarantine_arg], f"dt={day}/")
    with report.step(f"{dataset}: write quarantine"), storage_errors(quarantine_uri, "write"):
        quarantine = transforms.quarantined_rows(classified, day).coalesce(1)
        quarantine.write.mode("overwrite").json(quarantine_uri)

    with report.step(f"{dataset}: count written outputs"), storage_errors(trusted_uri):
        # Counted from what landed in the lake, not from the plan, so the reconciliation checks the writes too.
        counts.trusted = spark.read.parquet(trusted_uri).count()
        written = spark.read.schema("reason string").json(quarantine_uri)
        counts.quarantined_by_reason = {r["reason"]: r["count"] for r in written.groupBy("reason").count().collect()}
        counts.quarantined = sum(counts.quarantined_by_reason.values())
    if counts.quarantined_by_reason != by_reason:
        counts.extra["classified_by_reason"] = by_reason
    classified.unpersist()
    return counts


def run(spark, args: dict) -> RunReport:
    """Runs the CSV job for both datasets, writes the run report and fails loudly when a count does not balance."""
    report = RunReport(job=NAME, requested_date=args["date"])
    for dataset in DATASETS:
        report.datasets.append(process_dataset(spark, args, dataset, report))
    if all(d.status == "no_input" for d in report.datasets):
        raise NoInputError(
            f"no Raw CSV for date {args['date']} under {args['lake_root']}{args['raw_movies']} or {args['raw_series']}",
            "load the CSVs first (`npm run ingest:batch`, on AWS the BatchIngestor container), "
            "or pass a --date that has them",
        )
    report.write_and_check(spark, args["lake_root"], args["report_prefix"])
    return report
