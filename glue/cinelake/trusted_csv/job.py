"""The CSV job's I/O around the pure transforms: read one day of Raw CSV, write Trusted and quarantine, reconcile.

Reruns: the Trusted CSV tables are not partitioned and hold the latest historical load, so every run overwrites the
table's whole prefix with the processed day's rows (rerunning a day is idempotent; running an older day replaces the
table with that day's snapshot). The quarantine keeps one folder per day (`dt=YYYY-MM-DD/`), replaced on rerun.
"""

from pyspark.sql import Observation
from pyspark.sql import functions as F

from .. import lake
from ..errors import HeaderMismatchError, NoInputError, storage_errors
from ..report import DatasetCounts, RunReport
from ..side_by_side import side_by_side
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


def find_input(spark, args: dict, dataset: str) -> DatasetCounts:
    """A dataset's Raw day and files (`input_files`), each file's header checked; status `no_input` when none."""
    raw_arg, _, _, table_name = DATASETS[dataset]
    day, files = lake.day_files(spark, args["lake_root"], args[raw_arg], args["date"], ".csv")
    counts = DatasetCounts(dataset=dataset, day=day)
    if not files:
        counts.status = "no_input"
        return counts
    counts.input_files = files
    for uri in files:
        check_header(spark, uri, table_name)
    return counts


def process_dataset(spark, args: dict, counts: DatasetCounts, report: RunReport) -> DatasetCounts:
    """One Raw CSV dataset of one day (found by find_input) -> its Trusted table and quarantine; returns its counts."""
    if counts.status == "no_input":
        return counts
    dataset, day, files = counts.dataset, counts.day, counts.input_files
    raw_arg, trusted_arg, quarantine_arg, table_name = DATASETS[dataset]
    root = args["lake_root"]
    raw_uri = lake.join(root, lake.day_prefix(args[raw_arg], day))
    # One pass over the Raw CSV does the whole Trusted side: read, collapse duplicates, type, classify and write. The
    # classification's counts are observed on its rows on their way to the Trusted write (Spark's Observation: no
    # extra job, no cache), and the refused lines are only computed again when there are any (a second read).
    trusted_uri = lake.join(root, args[trusted_arg])
    with report.step(f"{dataset}: write Trusted Parquet"), storage_errors(raw_uri):
        raw = spark.read.text(files).select("value", F.col("_metadata.file_path").alias("source_file"))
        lines = transforms.drop_header(transforms.normalize_lines(raw), table_name)
        classified = transforms.classify(transforms.distinct_lines(lines, files), table_name)
        seen = Observation(f"{NAME}-{dataset}-classified")
        # Only what the counts and the Trusted columns need is computed on this pass (no detail, text or file name).
        # The observation also keeps the filter below from being pushed into the classification's projections, where
        # Spark would inline (and so repeat) every field's split and typing into the filter's condition.
        needed = classified.select("copies", "reason", *[c["name"] for c in transforms.trusted_columns(table_name)])
        checked = needed.observe(seen, *count_classified(transforms.REASONS))
        with storage_errors(trusted_uri, "write"):
            written_trusted = Observation(f"{NAME}-{dataset}-trusted")
            trusted = transforms.to_trusted(transforms.valid_rows(checked), table_name)
            trusted.observe(written_trusted, F.count(F.lit(1)).alias("rows")).write.mode("overwrite").parquet(
                trusted_uri
            )
        classified_counts = {name: n or 0 for name, n in seen.get.items()}
    by_reason = reasons_seen({r: classified_counts[r] for r in transforms.REASONS})
    counts.raw = classified_counts["rows"]
    counts.extra["valid"] = classified_counts["valid"]
    # Each distinct valid line is written once; its other copies are the exact duplicates.
    counts.duplicates = counts.extra["valid"] - classified_counts["valid_distinct"]

    # The written counts are observed on the rows as the writes emit them, so the reconciliation checks what was
    # written. With no refused line the quarantine is written from no rows (the same empty folder), without a pass;
    # otherwise the lines are classified again (observed again, which is also the filter's barrier as above).
    quarantine_uri = lake.join(root, args[quarantine_arg], f"dt={day}/")
    with report.step(f"{dataset}: write quarantine"), storage_errors(quarantine_uri, "write"):
        written_quarantine = Observation(f"{NAME}-{dataset}-quarantine")
        seen_again = Observation(f"{NAME}-{dataset}-classified-again")
        rechecked = classified.observe(seen_again, *count_classified(transforms.REASONS))
        refused = rechecked if counts.raw != counts.extra["valid"] else rechecked.where(F.lit(False))
        quarantine = transforms.quarantined_rows(refused, day)
        observed = quarantine.observe(written_quarantine, *count_by_reason(transforms.REASONS))
        observed.coalesce(1).write.mode("overwrite").json(quarantine_uri)
        if counts.raw != counts.extra["valid"] and seen_again.get != seen.get:
            # The Raw day changed between the two passes: the counts will not reconcile, and the report says why.
            counts.extra["classified_again"] = {name: n or 0 for name, n in seen_again.get.items()}

    counts.trusted = written_trusted.get["rows"]
    counts.quarantined_by_reason = reasons_seen(written_quarantine.get)
    counts.quarantined = written_quarantine.get["rows"]
    if counts.quarantined_by_reason != by_reason:
        counts.extra["classified_by_reason"] = by_reason
    return counts


def count_classified(reasons: tuple[str, ...]) -> list:
    """Aggregates for the Observation of classified distinct lines: Raw lines (every copy), valid lines, valid distinct
    lines, and the Raw lines of each reason (a fixed list, as in count_by_reason)."""
    reason, copies = F.col("reason"), F.col("copies")
    return [
        F.sum(copies).alias("rows"),
        F.sum(F.when(reason.isNull(), copies)).alias("valid"),
        F.count(F.when(reason.isNull(), 1)).alias("valid_distinct"),
    ] + [F.sum(F.when(reason == r, copies)).alias(r) for r in reasons]


def count_by_reason(reasons: tuple[str, ...]) -> list:
    """Aggregates for an Observation: all rows, and the rows of each reason (a fixed list: observations cannot group).

    A reason outside the list is in `rows` but in no per-reason count, so the report would not balance: loud, not lost.
    """
    reason = F.col("reason")
    return [F.count(F.lit(1)).alias("rows")] + [F.count(F.when(reason == r, 1)).alias(r) for r in reasons]


def reasons_seen(observed: dict) -> dict[str, int]:
    """The per-reason counts of an Observation made with count_by_reason, without the reasons that did not occur."""
    return {reason: n for reason, n in observed.items() if reason != "rows" and n}


def run(spark, args: dict) -> RunReport:
    """Runs the CSV job for both datasets, writes the run report and fails loudly when a count does not balance."""
    report = RunReport(job=NAME, requested_date=args["date"])
    # Every input is found and its header checked before anything is written, so a wrong file fails the run whole.
    inputs = [find_input(spark, args, dataset) for dataset in DATASETS]
    # The datasets' passes run side by side (Spark runs jobs of several threads at once): one dataset's stages keep
    # the cores busy while the other's driver plans, or runs a stage of fewer tasks than cores.
    report.datasets.extend(
        side_by_side(lambda counts: process_dataset(spark, args, counts, report), inputs, len(inputs), NAME)
    )
    if all(d.status == "no_input" for d in report.datasets):
        raise NoInputError(
            f"no Raw CSV for date {args['date']} under {args['lake_root']}{args['raw_movies']} or {args['raw_series']}",
            "load the CSVs first (`npm run ingest:batch`, on AWS the BatchIngestor container), "
            "or pass a --date that has them",
        )
    report.write_and_check(spark, args["lake_root"], args["report_prefix"])
    return report
