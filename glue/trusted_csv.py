"""Glue entry script of the CSV job: Raw Movies/Series CSVs of one day -> typed Trusted Parquet (see cinelake.csv_job).

Arguments (all required): --lake_root, --date (YYYY-MM-DD or latest) and the prefixes named in lake/jobs.ts.
"""

import sys

from cinelake.csv_job import ARGUMENTS, run
from cinelake.entry import run_job


def main(argv: list[str] | None = None, spark=None):
    """Runs the job (see cinelake.entry.run_job) and returns its report."""
    return run_job("trusted-csv", ARGUMENTS, run, argv if argv is not None else sys.argv, spark)


if __name__ == "__main__":
    main()
