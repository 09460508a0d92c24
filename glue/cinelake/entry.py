"""What every Glue entry script does: parse its arguments, get the session (Glue's, or local with s3a), run, print."""

import json
import sys
from collections.abc import Callable

from .args import resolve_args
from .report import RunReport
from .session import apply_local_s3a, build_session


def run_job(name: str, arguments: list[str], run: Callable, argv: list[str] | None = None, spark=None):
    """Runs one job's `run(spark, args)` with its resolved arguments, prints its report as JSON last, returns it."""
    args = resolve_args(arguments, argv if argv is not None else sys.argv)
    spark = spark or build_session(f"cinelake-{name}")
    apply_local_s3a(spark)
    report = run(spark, args)
    # The Trusted jobs return a RunReport, Refined a plain dict; the local runner reads the last JSON object printed.
    print(report.to_json() if isinstance(report, RunReport) else json.dumps(report, indent=2))
    return report
