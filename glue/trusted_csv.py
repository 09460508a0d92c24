"""Glue entry script of the CSV job: Raw Movies/Series CSVs of one day -> typed Trusted Parquet (see cinelake.csv_job).

Arguments (all required): --lake_root, --date (YYYY-MM-DD or latest) and the prefixes named in components/jobs.ts.
"""

import sys

from cinelake.args import resolve_args
from cinelake.csv_job import ARGUMENTS, run
from cinelake.session import apply_local_s3a, build_session


def main(argv: list[str] | None = None, spark=None):
    """Parses the arguments, gets the session (Glue's, or local with s3a) and runs the job; returns its report."""
    args = resolve_args(ARGUMENTS, argv if argv is not None else sys.argv)
    spark = spark or build_session("cinelake-trusted-csv")
    apply_local_s3a(spark)
    report = run(spark, args)
    print(report.to_json())
    return report


if __name__ == "__main__":
    main()
