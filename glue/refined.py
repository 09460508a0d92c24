"""Glue entry script of the Refined job: Trusted tables -> the Refined star schema (see cinelake.refined_job).

Arguments (all required): --lake_root, --date (YYYY-MM-DD: TMDB records up to that day; latest: all) and the
prefixes named in components/jobs.ts.
"""

import json
import sys

from cinelake.args import resolve_args
from cinelake.refined_job import ARGUMENTS, run
from cinelake.session import apply_local_s3a, build_session


def main(argv: list[str] | None = None, spark=None) -> dict:
    """Parses the arguments, gets the session (Glue's, or local with s3a) and runs the job; returns its report."""
    args = resolve_args(ARGUMENTS, argv if argv is not None else sys.argv)
    spark = spark or build_session("cinelake-refined")
    apply_local_s3a(spark)
    report = run(spark, args)
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
