"""Glue entry script of the Refined job: Trusted tables -> the Refined star schema (see cinelake.refined_job).

Arguments (all required): --lake_root, --date (YYYY-MM-DD: TMDB records up to that day; latest: all) and the
prefixes named in lake/jobs.ts.
"""

import sys

from cinelake.entry import run_job
from cinelake.refined_job import ARGUMENTS, run


def main(argv: list[str] | None = None, spark=None):
    """Runs the job (see cinelake.entry.run_job) and returns its report."""
    return run_job("refined", ARGUMENTS, run, argv if argv is not None else sys.argv, spark)


if __name__ == "__main__":
    main()
