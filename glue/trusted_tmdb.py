"""Glue entry script of the TMDB job: Raw TMDB JSON of one day -> Trusted Parquet dt partitions (see cinelake.tmdb_job).

Arguments (all required): --lake_root, --date (YYYY-MM-DD or latest) and the prefixes named in components/jobs.ts.
"""

import sys

from cinelake.args import resolve_args
from cinelake.session import apply_local_s3a, build_session
from cinelake.tmdb_job import ARGUMENTS, run


def main(argv: list[str] | None = None, spark=None):
    """Parses the arguments, gets the session (Glue's, or local with s3a) and runs the job; returns its report."""
    args = resolve_args(ARGUMENTS, argv if argv is not None else sys.argv)
    spark = spark or build_session("cinelake-trusted-tmdb")
    apply_local_s3a(spark)
    report = run(spark, args)
    print(report.to_json())
    return report


if __name__ == "__main__":
    main()
