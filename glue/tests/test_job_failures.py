"""Expected failures of the Spark jobs, run through the real entry scripts: each ends with one final line
`cinelake <job>: <what happened>; <what to do>` after the full traceback, exits with code 1, and carries a named error.
"""

import subprocess
import sys

import pytest
import refined
import trusted_csv
import trusted_tmdb
from cinelake import entry, errors, lake
from cinelake.errors import (
    AccessDeniedError,
    BucketNotFoundError,
    HeaderMismatchError,
    IntegrityError,
    InvalidArgumentError,
    JobError,
    NoInputError,
    PathNotFoundError,
    ReportImbalanceError,
    UpstreamMissingError,
)
from cinelake.trusted_csv import transforms as csv_transforms

from tests.support.moto_process import start_moto_server
from tests.support.trusted_fixtures import MOVIES_HEADER, REPO, csv_line, job_argv, write_raw_csvs

DAY = "2024-05-03"
ENTRIES = {"trusted-csv": trusted_csv, "trusted-tmdb": trusted_tmdb, "refined": refined}


def failed_run(spark, capsys, job: str, root: str, date: str = "latest") -> tuple[str, str, BaseException]:
    """Runs a job's entry script in this process; returns its final line, its stderr and the named error behind it."""
    with pytest.raises(SystemExit) as stopped:
        ENTRIES[job].main(job_argv(job, root, date), spark=spark)
    line = stopped.value.code
    assert isinstance(line, str), "a failed run must exit with its one-line reason, not a bare status"
    assert line.startswith(f"cinelake {job}: ") and "\n" not in line
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err, "the full traceback goes to stderr before the last line"
    return line, err, stopped.value.__cause__


def write_csvs(lake_dir, movies_header=MOVIES_HEADER, movies=None, series=None) -> None:
    """Raw CSVs of one day in the real format (BOM, CRLF)."""
    write_raw_csvs(lake_dir, DAY, movies or [csv_line()], series or [csv_line(series=True)], movies_header)


def test_an_empty_lake_names_the_missing_csvs_and_the_ingest(spark, capsys, tmp_path):
    line, _, cause = failed_run(spark, capsys, "trusted-csv", tmp_path.as_uri() + "/")
    assert isinstance(cause, NoInputError)
    assert "no Raw CSV for date latest under" in line and "npm run ingest:batch" in line


def test_refined_before_trusted_names_the_job_to_run_first(spark, capsys, tmp_path):
    write_csvs(tmp_path)  # Raw is there, Trusted is not: the trusted-csv job has not run.
    line, _, cause = failed_run(spark, capsys, "refined", tmp_path.as_uri() + "/")
    assert isinstance(cause, UpstreamMissingError)
    assert "trusted_movies: no Parquet under" in line and "run the trusted-csv job first" in line


def test_a_csv_header_mismatch_names_the_file_and_the_reload(spark, capsys, tmp_path):
    write_csvs(tmp_path, movies_header=[h.lower() for h in MOVIES_HEADER])
    line, _, cause = failed_run(spark, capsys, "trusted-csv", tmp_path.as_uri() + "/", DAY)
    assert isinstance(cause, HeaderMismatchError)
    assert "movies.csv: header is 'id|titulopincipal" in line and "expected 'id|tituloPincipal" in line
    assert "npm run ingest:batch -- --overwrite" in line


def test_a_report_that_does_not_balance_names_the_counts_and_the_rerun(spark, capsys, tmp_path, monkeypatch):
    # A lossy quarantine write: one refused line never lands, so raw != trusted + quarantined + duplicates.
    lossy = csv_transforms.quarantined_rows
    monkeypatch.setattr(csv_transforms, "quarantined_rows", lambda df, d: lossy(df, d).where("reason != 'bad_year'"))
    write_csvs(tmp_path, movies=[csv_line(), csv_line(anoLancamento="1700", nomeArtista="Too early")])
    line, _, cause = failed_run(spark, capsys, "trusted-csv", tmp_path.as_uri() + "/", DAY)
    assert isinstance(cause, ReportImbalanceError)
    assert "movies: raw 2 != trusted 1 + quarantined 0" in line and "rerun the same --date" in line
    assert list(tmp_path.glob("_system/reports/trusted-csv/dt=*/run-*.json")), "the report is written first"


def test_a_date_that_is_not_a_day_is_refused_with_the_expected_form(spark, capsys, tmp_path):
    for job in ("trusted-csv", "trusted-tmdb", "refined"):
        write_csvs(tmp_path)
        line, _, cause = failed_run(spark, capsys, job, tmp_path.as_uri() + "/", "2024-02-30")
        assert isinstance(cause, InvalidArgumentError), job
        assert "--date '2024-02-30' is not a calendar day; pass --date YYYY-MM-DD" in line, job


def test_a_model_that_breaks_integrity_is_not_published(spark, capsys, tmp_path):
    root = tmp_path.as_uri() + "/"
    # The same IMDb id as a movie and as a series: one title, two fact rows.
    write_csvs(tmp_path, movies=[csv_line()], series=[csv_line(series=True)])
    trusted_csv.main(job_argv("trusted-csv", root, DAY), spark=spark)
    capsys.readouterr()
    line, _, cause = failed_run(spark, capsys, "refined", root)
    assert isinstance(cause, IntegrityError)
    assert "fact_title: duplicate primary key ['title_key']" in line and "nothing was published" in line
    assert not (tmp_path / "Refined").exists()


def test_a_missing_bucket_is_named(spark, capsys, s3_server):
    line, err, cause = failed_run(spark, capsys, "trusted-csv", "s3a://cinelake-no-such-bucket/")
    assert isinstance(cause, BucketNotFoundError)
    assert "bucket cinelake-no-such-bucket does not exist" in line and "check --lake_root" in line
    assert "Py4JJavaError" in err or "UnknownStoreException" in err, "the Java trace stays in the log"


@pytest.fixture
def refusing_s3_server(monkeypatch):
    """A second moto S3 API server that checks credentials (INITIAL_NO_AUTH_ACTION_COUNT=0): ours get HTTP 403."""
    process, endpoint = start_moto_server({"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "cinelake-unknown-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "cinelake-unknown-secret")
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


def test_access_denied_is_named_with_the_credentials_to_check(spark, capsys, refusing_s3_server):
    line, _, cause = failed_run(spark, capsys, "trusted-csv", "s3a://cinelake-refused/")
    assert isinstance(cause, AccessDeniedError)
    assert "access denied to s3a://cinelake-refused/" in line
    assert "the Glue job role's policy" in line and "AWS_ACCESS_KEY_ID" in line


def test_a_missing_path_is_translated_at_the_io_edge(spark, tmp_path):
    missing = tmp_path.as_uri() + "/Raw/none.csv"
    with pytest.raises(PathNotFoundError, match=r"none\.csv does not exist \(read\); run the job that writes it"):
        lake.read_head(spark, missing)  # Hadoop's FileNotFoundException, inside a Py4JJavaError
    try:
        spark.read.parquet(tmp_path.as_uri() + "/Trusted/none/").count()
    except Exception as error:  # Spark's AnalysisException [PATH_NOT_FOUND]
        translated = errors.translate(error)
    assert isinstance(translated, PathNotFoundError) and "Trusted/none" in str(translated)


class _NoS3a:
    """A stand-in session for run_job tests that never reach Spark."""


@pytest.fixture
def no_s3a(monkeypatch):
    """run_job without pointing a (stand-in) session's s3a anywhere."""
    monkeypatch.setattr(entry, "apply_local_s3a", lambda spark: None)


def test_an_unexpected_error_still_ends_in_one_line(no_s3a, capsys):
    def broken(spark, args):
        raise ValueError("first line\nsecond line")

    with pytest.raises(SystemExit) as stopped:
        entry.run_job("trusted-csv", broken, job_argv("trusted-csv", "file:///nowhere/"), spark=_NoS3a())
    assert stopped.value.code == (
        "cinelake trusted-csv: unexpected ValueError: first line; this is a bug, not a bad input: "
        "report it with the full trace printed above"
    )
    assert "second line" in capsys.readouterr().err


def test_on_glue_the_named_error_is_raised_with_the_same_line(no_s3a, monkeypatch):
    monkeypatch.setattr(entry, "on_glue", lambda: True)

    def nothing(spark, args):
        raise NoInputError("no Raw CSV for date latest", "load the CSVs first")

    with pytest.raises(NoInputError) as raised:
        entry.run_job("trusted-csv", nothing, job_argv("trusted-csv", "file:///nowhere/"), spark=_NoS3a())
    assert str(raised.value) == "cinelake trusted-csv: no Raw CSV for date latest; load the CSVs first"


def test_job_errors_are_one_line_and_keep_the_fix():
    error = JobError("a\nlong " + "x" * 2000, "do this\n then that")
    assert "\n" not in str(error) and str(error).endswith("; do this then that")


def _run_script(script: str, root: str, job: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, str(REPO / "glue" / script), *job_argv(job, root)[1:]]
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("script", "job", "fix"),
    [
        ("trusted_csv.py", "trusted-csv", "load the CSVs first (`npm run ingest:batch`"),
        ("refined.py", "refined", "run the trusted-csv job first"),
    ],
)
def test_the_process_exits_1_with_the_reason_as_its_last_stderr_line(tmp_path, script, job, fix):
    """The real entry script in its own process (as the local runner and Glue start it), on an empty lake."""
    result = _run_script(script, tmp_path.as_uri() + "/", job)
    assert result.returncode == 1, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith(f"cinelake {job}: ") and fix in lines[-1], lines[-5:]
    assert sum(line.startswith("cinelake ") for line in lines) == 1, "exactly one reason line"
    assert "Traceback (most recent call last)" in result.stderr
    assert "{" not in result.stdout, "no run report is printed for a failed run"


def test_trusted_tmdb_on_an_empty_lake_is_not_a_failure(spark, tmp_path, capsys):
    """TMDB enrichment is optional: no Raw TMDB JSON yet is reported, not raised (unchanged behaviour)."""
    report = trusted_tmdb.main(job_argv("trusted-tmdb", tmp_path.as_uri() + "/"), spark=spark)
    assert [d.status for d in report.datasets] == ["no_input", "no_input"]
    assert "nothing to do until the ApiIngestor has run" in capsys.readouterr().err
