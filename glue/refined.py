"""Glue entry script of the Refined job: Trusted tables -> the Refined star schema (cinelake.refined).

Arguments (all required): --lake_root, --date (YYYY-MM-DD: TMDB records up to that day; latest: all) and the
prefixes named in lake/jobs.ts; any other argument is refused unless AWS Glue passes it (cinelake.args).
"""

import sys

from cinelake.entry import run_job
from cinelake.refined.job import NAME, run


def main(argv: list[str] | None = None, spark=None):
    """Runs the job (see cinelake.entry.run_job) and returns its report."""
    return run_job(NAME, run, argv if argv is not None else sys.argv, spark)


if __name__ == "__main__":
    main()
