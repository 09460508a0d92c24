"""What every Glue entry script does: parse its arguments, get the session (Glue's, or local with s3a), run, print.

A failed run ends the same way wherever it fails: the full traceback on stderr, then exactly one final stderr line
`cinelake <job>: <what happened>; <what to do>` and exit code 1. The local runner shows that last line as the reason;
on Glue the named error is raised with that same one-line message, which is what Glue shows as the run's error.
"""

import json
import sys
import traceback
from collections.abc import Callable

from .args import resolve_args
from .errors import JobError, describe, translate
from .report import RunReport
from .session import apply_local_s3a, build_session, on_glue


def failure_line(name: str, error: BaseException) -> str:
    """The one line a failed run ends with: `cinelake <job>: <message>`."""
    return f"cinelake {name}: {describe(error)}"


def run_job(name: str, run: Callable, argv: list[str] | None = None, spark=None):
    """Runs one job's `run(spark, args)` with its resolved arguments, prints its report as JSON last, returns it.

    `name` is the job's name in lake/jobs.ts: its arguments are that job's in the exported registry (cinelake.args).

    On failure: prints the traceback, then the one-line reason last, and exits with code 1 (SystemExit carrying that
    line, chained to the error); on Glue it re-raises the named error instead, so Glue reports its one-line message.
    """
    try:
        args = resolve_args(name, argv if argv is not None else sys.argv)
        spark = spark or build_session(f"cinelake-{name}")
        apply_local_s3a(spark)
        report = run(spark, args)
    except Exception as error:
        line = failure_line(name, error)
        sys.stdout.flush()
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()
        if on_glue():
            # Glue reports the uncaught exception's message as the run's error: the same one line, named class kept.
            named = translate(error)
            raise (type(named) if named is not None else JobError)(line) from error
        # SystemExit prints its message to stderr as the very last line and exits with 1, without a second traceback.
        raise SystemExit(line) from error
    # The Trusted jobs return a RunReport, Refined a plain dict; the local runner reads the last JSON object printed.
    print(report.to_json() if isinstance(report, RunReport) else json.dumps(report, indent=2))
    return report
