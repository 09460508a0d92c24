"""The TMDB job's I/O around the pure transforms: one day of Raw TMDB JSON -> Trusted `dt=<day>/` partitions.

Reruns: the Trusted TMDB tables are partitioned by collection day; a run overwrites exactly its day's partition
(dynamic partition overwrite; a day left with no valid record has its old partition removed) and its day's
quarantine folder, and leaves every other day alone.
"""

import json
import sys

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


FILES_LISTED_ONE_BY_ONE = 32
"""Spark's own threshold (spark.sql.sources.parallelPartitionDiscovery.threshold): given more paths than this, it lists
them in a Spark job of one task per path, which costs far more than the read of a day's small files."""


def read_documents(spark, folder: str, files: list[str]):
    """Whole Raw files as rows: `source_file`, `modified` (the object's modification time), `value` (the text).

    `files` are the `.json` files directly under `folder` (lake.list_files). Many of them are read as the folder,
    filtered to the same names (Spark skips hidden files as list_files does), which is one listing instead of a job
    that lists each file again; a folder holding subfolders is read file by file, since Spark would read those too.
    """
    reader = spark.read
    if len(files) > FILES_LISTED_ONE_BY_ONE and not lake.holds_folders(spark, folder):
        reader, files = reader.option("pathGlobFilter", "*.json"), folder
    return reader.text(files, wholetext=True).select(
        F.col("_metadata.file_path").alias("source_file"),
        F.col("_metadata.file_modification_time").alias("modified"),
        "value",
    )


def find_input(spark, args: dict, kind: str) -> DatasetCounts:
    """A kind's Raw day and its files (`input_files`); status `no_input` when there is none."""
    day, files = lake.day_files(spark, args["lake_root"], args[DATASETS[kind][0]], args["date"], ".json")
    counts = DatasetCounts(dataset=kind, day=day, input_files=files)
    if not files:
        counts.status = "no_input"
    return counts


def process_dataset(spark, args: dict, counts: DatasetCounts, report: RunReport) -> DatasetCounts:
    """One kind (movies or series) of one day (found by find_input) -> its Trusted partition and quarantine."""
    if counts.status == "no_input":
        return counts
    kind, day, files = counts.dataset, counts.day, counts.input_files
    raw_arg, trusted_arg, quarantine_arg = DATASETS[kind]
    root = args["lake_root"]
    raw_uri = lake.join(root, lake.day_prefix(args[raw_arg], day))
    # One pass over the documents does the whole Trusted side: read, parse, check, keep the latest record per id and
    # write. What the checks found is observed on the entries on their way to the write (Spark's Observation: no extra
    # job, no cache); the refused entries are only computed again when there are any (a second read).
    trusted_root = lake.join(root, args[trusted_arg])
    partition_uri = lake.join(trusted_root, f"dt={day}/")
    step = f"{kind}: read, parse, check, keep the latest record per id and write the partition"
    with report.step(step), storage_errors(raw_uri):
        documents = read_documents(spark, raw_uri, files)
        classified = transforms.classify_entries(transforms.shape_documents(documents), kind)
        checked_entries = Observation(f"{NAME}-{kind}-classified")
        # The observation also keeps the filters below from being pushed into the parsing projections, where Spark
        # would inline (and so repeat) the record's parsing into the filter's condition.
        checked = classified.observe(checked_entries, *_count_classified())
        with storage_errors(partition_uri, "write"):
            written_trusted = Observation(f"{NAME}-{kind}-trusted")
            latest = transforms.latest_per_id(transforms.valid_records(checked))
            trusted = transforms.to_trusted(latest, kind, day).observe(written_trusted, F.count(F.lit(1)).alias("rows"))
            trusted.write.mode("overwrite").partitionBy("dt").parquet(trusted_root)
            found = checked_entries.get
            if not found["valid"]:
                # Dynamic overwrite with no rows leaves a stale partition behind: remove it explicitly.
                lake.delete(spark, partition_uri)
    by_reason = {r: found[r] for r in transforms.RECORD_REASONS if found[r]}
    counts.raw = found["records"]
    counts.extra["valid"] = found["valid"]
    seen = set(json.loads(found["files_seen"]))

    quarantine_uri = lake.join(root, args[quarantine_arg], f"dt={day}/")
    with report.step(f"{kind}: write quarantine"), storage_errors(quarantine_uri, "write"):
        written_quarantine = Observation(f"{NAME}-{kind}-quarantine")
        empty = transforms.quarantined_files(transforms.empty_files(spark, files, seen), day)
        # With no refused record or document the quarantine holds only the empty files (often nothing): no pass.
        any_refused = counts.raw != counts.extra["valid"] or found["refused_files"] > 0
        refused = checked if any_refused else checked.where(F.lit(False))
        quarantine = transforms.quarantined_records(refused, day).unionByName(empty)
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


def _count_classified() -> list:
    """Aggregates for the Observation of classified entries: records, valid records, the records of each reason (a
    fixed list, as in _count_by_reason), refused documents and the files the reader returned a row for."""
    entry, reason = F.col("entry"), F.col("reason")
    is_record = entry == "record"
    return [
        F.count(F.when(is_record, 1)).alias("records"),
        F.count(F.when(is_record & reason.isNull(), 1)).alias("valid"),
        F.count(F.when(entry == "file", 1)).alias("refused_files"),
        # A few thousand paths at most (one per Raw file of the day): small enough for the driver. As JSON text,
        # since an Observation hands an array over as a Java object.
        F.to_json(F.collect_set("source_file")).alias("files_seen"),
    ] + [F.count(F.when(is_record & (reason == r), 1)).alias(r) for r in transforms.RECORD_REASONS]


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
    # One kind after the other, unlike the CSV job's datasets: two kinds parsed side by side took the process past
    # 3 GB (two sets of whole documents and parsed records at once) and ran slower, collecting garbage.
    for kind in DATASETS:
        report.datasets.append(process_dataset(spark, args, find_input(spark, args, kind), report))
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
