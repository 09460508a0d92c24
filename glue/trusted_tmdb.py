"""Glue entry script of the TMDB job: Raw TMDB JSON of one day -> Trusted Parquet dt partitions (see cinelake.tmdb_job).

Arguments (all required): --lake_root, --date (YYYY-MM-DD or latest) and the prefixes named in lake/jobs.ts.
"""

import sys

from cinelake.entry import run_job
from cinelake.tmdb_job import ARGUMENTS, run


def main(argv: list[str] | None = None, spark=None):
    """Runs the job (see cinelake.entry.run_job) and returns its report."""
    return run_job("trusted-tmdb", ARGUMENTS, run, argv if argv is not None else sys.argv, spark)


if __name__ == "__main__":
    main()
